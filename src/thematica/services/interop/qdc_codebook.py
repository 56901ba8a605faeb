"""``.qdc`` codebook files: reading one as codebook specs, writing the project's codebook as one.

Import goes through ``Codebook.read_file`` like every other codebook format, so a ``.qdc``'s
fields are checked by the same rules; export writes the GUIDs kept from an import, so the tool
that wrote the codes can match them again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from thematica.core.codebook import CodeSpec, check_fields
from thematica.interop import guids
from thematica.interop.refi_import import read_qdc
from thematica.interop.refi_model import RefiCode
from thematica.services.interop.shared import code_name, code_tree, guid_map, unique_name
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


def codebook_specs(project: Project, path: str | Path) -> list[CodeSpec]:
    """A ``.qdc`` file as codebook specs (for ``Codebook.read_file``)."""
    codes, _sets, _origin = read_qdc(path)
    levels = project.sem_levels

    def conv(items: list[RefiCode]) -> list[CodeSpec]:
        out: list[CodeSpec] = []
        taken: set[str] = set()
        for c in items:
            fields = {
                k: v
                for k, v in c.extra.items()
                if k in ("inclusion", "exclusion", "example", "origin", "sem_level", "memo")
            }
            fields["definition"] = c.description
            if c.colour:
                fields["colour"] = c.colour
            clean = check_fields(fields, levels, c.name)
            spec = CodeSpec(name=unique_name(code_name(c.name), taken, 300), **clean)  # type: ignore[arg-type]
            spec.children = conv(c.children)
            out.append(spec)
        return out

    return conv(codes)


def codebook_qdc(project: Project) -> bytes:
    """The codebook as the bytes of a REFI-QDA ``.qdc`` file (codes with their memos)."""
    from thematica import __version__ as version
    from thematica.interop.refi_export import qdc_bytes

    with project.db.read() as conn:
        known = guid_map(conn, project)
        codes = code_tree(conn, project, known)
        memos = {
            r.id: r.memo
            for r in conn.execute(
                select(t.code.c.id, t.code.c.memo).where(
                    t.code.c.project_id == project.id, t.code.c.memo != ""
                )
            )
        }
        rev = {v: k for (kind, k), v in known.items() if kind == "code"}
        for c in _iter_codes(codes):
            cid = rev.get(c.guid)
            if cid is None:
                cid = _derived_id(c.guid, project.name, memos)
            if cid in memos:
                c.extra["memo"] = memos[cid]
    return qdc_bytes(codes, [], f"Thematica {version}")


def _derived_id(guid: str, project: str, memos: dict[int, str]) -> int | None:
    for cid in memos:
        if guids.derive(project, "code", cid) == guid:
            return cid
    return None


def _iter_codes(codes: list[RefiCode]) -> Any:
    for c in codes:
        yield c
        yield from _iter_codes(c.children)
