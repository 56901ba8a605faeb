"""API: the documents of a project with each coder's progress, one document's text and turns,
a coder's "done" mark, its captions (timed documents), and importing files uploaded from the
browser (owners): transcripts are imported, recordings transcribed on this machine.

An upload is streamed to a private temporary folder, never held in memory: the size limit
(``app.state.max_upload_bytes``, the whole request) is checked against ``Content-Length``
before a byte is read and again while reading, so a client that sends more than it declared
is cut off too. The import itself runs as a job (``project.jobs``): the answer is ``202`` with
the job's id, which the page polls for progress; the folder is removed when the job ends.
Recordings in an upload are checked (model, language, speakers, each file readable) before the
job starts, so a bad one is a 4xx with nothing stored; the job then reports audio seconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, Response

from thematica.core.access import Operation
from thematica.core.errors import InputError, ThematicaError
from thematica.intake.audio import AUDIO_SUFFIXES
from thematica.services.documents import ImportReport, compile_case_pattern
from thematica.services.jobs import JobResult
from thematica.web.deps import ProjectDep
from thematica.web.errors import error_response
from thematica.web.schemas import Body

router = APIRouter(tags=["documents"])

#: the form fields an upload may carry (``files`` may repeat)
FILE_FIELDS = frozenset({"files", "files[]"})
TEXT_FIELDS = frozenset({"case_pattern", "skip_bad", "csrf", "model", "language", "speakers"})
#: what a caption download is sent as
CAPTION_TYPES = {"vtt": "text/vtt; charset=utf-8", "srt": "application/x-subrip; charset=utf-8"}
MAX_FILES = 500
MAX_FIELD = 10_000
#: longest file name kept (the document is named after it)
MAX_NAME = 180


class StatusChange(Body):
    status: str = Field(max_length=20)
    #: whose status: the signed-in person's own layer unless an owner names another
    coder: str | None = Field(default=None, max_length=200)


class UploadOut(BaseModel):
    """The job an upload started and the files it received (under their safe names)."""

    job: int
    files: list[str]
    #: the recordings among them, transcribed by the job (after the transcripts are imported)
    recordings: list[str] = []


@router.get("/p/{pid}/documents", summary="Documents with their cases and each coder's progress")
def overview(project: ProjectDep) -> dict[str, Any]:
    return overview_data(project)


def overview_data(project: Any) -> dict[str, Any]:
    """The overview with ``timed`` on each document: whether its turns have times (captions)."""
    data = asdict(project.progress.overview())
    timed = project.documents.timed()
    for row in data["documents"]:
        row["timed"] = row["document"] in timed
    return data


@router.get(
    "/p/{pid}/documents/{name:path}/captions",
    summary="A timed document's turns as captions (WebVTT or SubRip), to download",
    responses={200: {"content": {"text/vtt": {}, "application/x-subrip": {}}}},
    response_class=Response,
)
def captions(
    name: str,
    project: ProjectDep,
    format: Literal["vtt", "srt"] = Query("vtt", description="vtt (WebVTT) or srt (SubRip)"),
) -> Response:
    text = project.exports.captions(name, fmt=format)
    file_name = f"{name.replace('/', '-')}.{format}"
    return Response(
        text.encode("utf-8"),
        media_type=CAPTION_TYPES[format],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}"},
    )


@router.get(
    "/p/{pid}/documents/{name:path}",
    summary="A document: its text, speaker turns (code point offsets), case and progress",
)
def get_document(name: str, project: ProjectDep) -> dict[str, Any]:
    record = project.documents.get(name)
    row = project.progress.overview([record.name]).documents[0]
    return {
        "name": record.name,
        "case": record.case,
        "attributes": row.attributes,
        "format": record.source_format,
        "encoding": record.encoding,
        "characters": len(record.text),
        "words": row.words,
        "speakers": row.speakers,
        "text": record.text,
        "turns": [
            {
                "turn": i,
                "speaker": turn.speaker,
                "start": turn.start,
                "end": turn.end,
                "time": turn.time_start,
                "time_end": turn.time_end,
            }
            for i, turn in enumerate(record.turns)
        ],
        "progress": [asdict(c) for c in row.coders],
    }


@router.put(
    "/p/{pid}/documents/{name:path}/status",
    summary="Mark a document done, in progress or not started (my own coder layer)",
)
def set_status(name: str, body: StatusChange, project: ProjectDep) -> dict[str, Any]:
    status = project.progress.set_status(name, body.status, coder=body.coder)
    coder = " ".join((body.coder or project.access.name).split())
    return {"document": name, "coder": coder, "status": status}


# -- upload ------------------------------------------------------------------------------------


class _TooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


def _too_large(request: Request, size: int | None, limit: int) -> Response:
    mb = limit / 2**20
    said = f"{size / 2**20:,.1f} MB" if size is not None else "more"
    return error_response(
        request,
        413,
        f"the upload is {said}; this server accepts at most {mb:,.0f} MB at once: "
        "import fewer or smaller files at a time",
        "TooLarge",
        {"limit": limit, "size": size},
    )


def safe_file_name(raw: str, taken: set[str]) -> str:
    """The name a browser gave an uploaded file, made safe to create in our folder: no folder
    part (``/`` or ``\\``), no control characters, no leading dots (so no ``..`` and nothing
    hidden), at most :data:`MAX_NAME` characters, and not one already taken (case-folded)."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    name = name.strip().lstrip(".").strip() or "upload"
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = ("." + suffix) if dot else ""
    stem = stem.strip() or "upload"
    stem = stem[: max(1, MAX_NAME - len(suffix))]
    candidate, n = stem + suffix, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    taken.add(candidate.casefold())
    return candidate


class _Receiver:
    """Takes a multipart body apart as it streams in: files go straight to disk in
    ``folder`` under their sanitised names, the few text fields are kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[Path] = []
        self.fields: dict[str, str] = {}
        self._taken: set[str] = set()
        self._header = bytearray()
        self._value = bytearray()
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._out: BinaryIO | None = None
        self._skip = False

    # python-multipart's callbacks
    def on_part_begin(self) -> None:
        self._disposition, self._name, self._data, self._skip = b"", "", bytearray(), False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self._header).lower() == b"content-disposition":
            self._disposition = bytes(self._value)
        self._header, self._value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = _decode(options.get(b"name", b""))
        if b"filename" not in options and self._name in FILE_FIELDS:
            self._skip = True  # a file input left empty
            return
        if b"filename" not in options:
            if self._name not in TEXT_FIELDS:
                raise InputError(
                    f"unknown form field {self._name[:40]!r}; an upload sends files, "
                    "case_pattern, skip_bad and (recordings) model, language, speakers"
                )
            return
        if self._name not in FILE_FIELDS:
            raise InputError(f"files go in the form field 'files', not {self._name[:40]!r}")
        filename = _decode(options[b"filename"])
        if not filename.strip():  # an empty file input
            self._skip = True
            return
        if len(self.files) >= MAX_FILES:
            raise InputError(f"at most {MAX_FILES} files at once")
        path = self.folder / safe_file_name(filename, self._taken)
        if path.resolve().parent != self.folder.resolve():  # cannot happen; never write outside
            raise InputError(f"{filename[:80]!r} is not a file name")
        self._out = path.open("xb")
        self.files.append(path)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif not self._skip:
            self._data += data[start:end]
            if len(self._data) > MAX_FIELD:
                raise InputError(f"the form field {self._name!r} is too long")

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif not self._skip and self._name in TEXT_FIELDS:
            self.fields[self._name] = _decode(bytes(self._data))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    async def read(self, request: Request, limit: int) -> None:
        """Stream the request body through the parser, counting every byte."""
        _, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if not boundary:
            raise InputError("the upload has no multipart boundary")
        callbacks: Any = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }
        parser = MultipartParser(boundary, callbacks)
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise _TooLarge(None)
                if chunk:  # parse (and write the files) off the event loop
                    await run_in_threadpool(parser.write, chunk)
            parser.finalize()
        except (ThematicaError, _TooLarge):
            raise
        except Exception as exc:  # python-multipart's errors: a malformed body
            raise InputError(f"the upload is not valid multipart form data ({exc})") from exc
        finally:
            self.close()

    async def take(self, form: FormData, limit: int) -> None:
        """The same from a form the CSRF check has already parsed (a plain HTML form that
        sent its token as a field): copy its files, counting their bytes."""
        total = 0
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key not in FILE_FIELDS:
                    raise InputError(f"files go in the form field 'files', not {key[:40]!r}")
                if not (value.filename or "").strip():
                    continue
                path = self.folder / safe_file_name(value.filename or "", self._taken)
                with path.open("xb") as out:
                    while chunk := await value.read(1 << 16):
                        total += len(chunk)
                        if total > limit:
                            raise _TooLarge(None)
                        out.write(chunk)
                self.files.append(path)
            elif key in TEXT_FIELDS:
                self.fields[key] = value[:MAX_FIELD]
            elif key in FILE_FIELDS:
                continue  # a file input left empty
            else:
                raise InputError(f"unknown form field {key[:40]!r}")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@router.post(
    "/p/{pid}/documents",
    status_code=202,
    response_model=UploadOut,
    summary="Upload files (owners): transcripts to import and recordings to transcribe; "
    "multipart files, case_pattern, skip_bad, model, language, speakers; answers with the "
    "job's id",
)
async def upload(request: Request, project: ProjectDep) -> Response:
    # Async so the body can be streamed to disk; refused (403) before a byte is read.
    project.access.check(Operation.IMPORT, "import_files")
    limit = int(request.app.state.max_upload_bytes)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(request, int(declared), limit)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InputError(
            "send the files as multipart/form-data (fields: files, case_pattern, skip_bad)"
        )
    folder = Path(tempfile.mkdtemp(prefix="thematica-upload-"))  # mode 0700: ours alone
    receiver = _Receiver(folder)
    try:
        form = getattr(request, "_form", None)  # parsed already by the CSRF check
        if isinstance(form, FormData):
            await receiver.take(form, limit)
        else:
            await receiver.read(request, limit)
        if not receiver.files:
            raise InputError("choose at least one file to import")
        fields = receiver.fields
        pattern = fields.get("case_pattern", "").strip() or None
        compile_case_pattern(pattern)  # a bad pattern is refused now, not in the job
        skip_bad = fields.get("skip_bad", "").strip().lower() in {"1", "true", "on", "yes"}
        recordings = [p for p in receiver.files if p.suffix.lower() in AUDIO_SUFFIXES]
        texts = [p for p in receiver.files if p not in recordings]
        work = _import_work(project, folder, texts, pattern, skip_bad, cleanup=not recordings)
        if recordings:
            options = await run_in_threadpool(_check_recordings, project, recordings, fields)
            work = _transcribe_work(project, folder, texts, recordings, options, work)
        kind = "transcribe" if recordings else "import"
        job = await run_in_threadpool(project.jobs.start, kind, work)
    except _TooLarge as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _too_large(request, exc.size, limit)
    except ThematicaError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _without_folder(exc, folder) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    out = UploadOut(
        job=job, files=[p.name for p in receiver.files], recordings=[p.name for p in recordings]
    )
    return JSONResponse(out.model_dump(), status_code=202)


def _import_work(
    project: Any,
    folder: Path,
    files: list[Path],
    pattern: str | None,
    skip_bad: bool,
    *,
    cleanup: bool = True,
) -> Callable[[Callable[[int, int, str], None]], JobResult]:
    """The import job (``cleanup``: remove the upload folder when it ends)."""

    def work(progress: Callable[[int, int, str], None]) -> JobResult:
        try:
            report = project.documents.import_files(
                files,
                case_pattern=pattern,
                skip_bad=skip_bad,
                progress=progress,
                source_names={str(path): path.name for path in files},
            )
        except ThematicaError as exc:
            raise _without_folder(exc, folder) from None
        finally:
            if cleanup:
                shutil.rmtree(folder, ignore_errors=True)
        return JobResult(message=import_summary(report, folder))

    return work


#: the speech models an upload may choose (``intake.speech_models.MODELS``)


def _check_recordings(
    project: Any, recordings: list[Path], fields: dict[str, str]
) -> dict[str, Any]:
    """The transcription settings from the form, after the service has refused what the job
    would refuse (an unknown model, a language it lacks, a file that is not readable audio
    or is too long). Opens each file's header only, loads no model."""
    from thematica.intake.speech_models import DEFAULT_MODEL

    model = fields.get("model", "").strip()[:40] or DEFAULT_MODEL
    language = fields.get("language", "").strip().lower()[:20] or None
    raw = fields.get("speakers", "").strip()
    speakers = None
    if raw:
        if not raw.isdigit():
            raise InputError(
                f"the number of speakers is a whole number from 1 to 20, not {raw[:20]!r}"
            )
        speakers = int(raw)
    project.transcription.check(recordings, model=model, language=language, speakers=speakers)
    return {"model": model, "language": language, "speakers": speakers}


def _transcribe_work(
    project: Any,
    folder: Path,
    texts: list[Path],
    recordings: list[Path],
    options: dict[str, Any],
    import_texts: Callable[[Callable[[int, int, str], None]], JobResult],
) -> Callable[[Callable[[int, int, str], None]], JobResult]:
    """Import the transcripts of the upload (if any), then transcribe its recordings; the
    progress is in seconds of audio, the message lists the new documents."""

    def work(progress: Callable[[int, int, str], None]) -> JobResult:
        def heard(done: float, total: float, name: str) -> None:
            said = f"{name}: " if name else ""
            progress(
                int(done),
                max(1, round(total)),
                f"{said}{_clock(done)} of {_clock(total)} transcribed",
            )

        imported = ""
        try:
            if texts:
                imported = import_texts(progress).message
            report = project.transcription.transcribe(
                recordings,
                model=options["model"],
                language=options["language"],
                speakers=options["speakers"],
                progress=heard,
            )
        except ThematicaError as exc:
            clean = _without_folder(exc, folder)
            stored = list(exc.detail.get("stored") or [])
            kept = f" (transcribed before it: {_list(stored)})" if stored else ""
            if imported or kept:
                raise InputError(
                    f"{imported} Transcription stopped: {clean}{kept}".strip()
                ) from None
            raise clean from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        said = transcribe_summary(report)
        if not report.documents and set(report.skipped) != set(report.already):
            raise InputError(" ".join(filter(None, [imported, said])))
        return JobResult(message=" ".join(filter(None, [imported, said])))

    return work


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def transcribe_summary(report: Any) -> str:
    """One line on what a transcription did: each new document with its length, speakers and
    turns, then what was skipped and why, then the model's warnings."""
    n = len(report.documents)
    made = [
        f"{r.document} ({_clock(r.duration)}, {_plural(r.speakers, 'speaker')}, "
        f"{_plural(r.turns, 'turn')})"
        for r in report.documents
    ]
    parts = [
        f"Transcribed {n} recording{'' if n == 1 else 's'}" + (f": {_list(made)}" if n else "")
    ]
    if report.skipped:
        parts.append(
            "skipped " + "; ".join(f"{k}: {v}" for k, v in list(report.skipped.items())[:5])
        )
    warned = [f"{r.document}: {w}" for r in report.documents for w in r.warnings]
    if warned:
        parts.append("warning: " + "; ".join(warned[:3]))
    return "; ".join(parts) + "."


def _strip(text: str, folder: Path) -> str:
    return text.replace(str(folder) + os.sep, "").replace(str(folder), "")


def _without_folder(exc: ThematicaError, folder: Path) -> ThematicaError:
    """The same error without our temporary folder's path in its words."""
    detail = {k: v for k, v in exc.detail.items() if k not in {"path", "file"}}
    try:
        return type(exc)(_strip(str(exc), folder), **detail)
    except TypeError:
        return InputError(_strip(str(exc), folder))


def _list(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def import_summary(report: ImportReport, folder: Path) -> str:
    """One line on what an import did: what came in, which cases are new, what was left out
    and why."""
    n = len(report.imported)
    parts = [
        f"Imported {n} document{'' if n == 1 else 's'}"
        + (f": {_list(report.imported)}" if n else "")
    ]
    if report.cases_created:
        k = len(report.cases_created)
        parts.append(f"{k} new case{'' if k == 1 else 's'} ({_list(report.cases_created)})")
    if report.skipped:
        reasons = []
        for where, why in report.skipped:
            name, why = _strip(where, folder), _strip(why, folder)
            reasons.append(why if why.startswith(name) else f"{name}: {why}")
        parts.append(f"skipped {len(reasons)}: " + "; ".join(reasons[:5]))
    if report.single_turn:
        parts.append(f"no speaker turns found in {_list(report.single_turn)}")
    return "; ".join(parts) + "."
