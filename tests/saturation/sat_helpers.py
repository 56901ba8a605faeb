"""Helpers for the saturation tests: hand-built ordered projects and plain interview lists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from thematica.core.saturation import Interview
from thematica.services.coding import CodingInput

#: (document, case or None, order value or None, codes) -- worked by hand in the tests.
Spec = Sequence[tuple[str, str | None, str | None, Sequence[str]]]


def interviews(codes_per_doc: Sequence[Sequence[str]]) -> list[Interview]:
    return [
        Interview(f"D{i}", f"C{i}", None, frozenset(codes))
        for i, codes in enumerate(codes_per_doc, start=1)
    ]


def build(
    project: object,
    folder: Path,
    spec: Spec,
    *,
    attribute: str = "interview_date",
    kind: str = "date",
    coder: str = "alex",
) -> None:
    """Documents ``<case>-<doc>.txt`` (case from the name), the attribute, codes and codings."""
    p = project
    folder.mkdir(exist_ok=True)
    files = []
    for doc, case, _value, _codes in spec:
        stem = f"{case}-{doc}" if case else f"nocase-{doc}"
        path = folder / f"{stem}.txt"
        path.write_text(f"Participant: words of {stem} for the saturation test.\n", "utf-8")
        files.append(path)
    p.documents.import_files(files, case_pattern=r"^(C\d+)-")  # type: ignore[attr-defined]
    p.cases.define_attribute(attribute, kind)  # type: ignore[attr-defined]
    seen: set[str] = set()
    for _doc, case, value, _codes in spec:
        if case and value is not None and case not in seen:
            p.cases.set(case, attribute, value)  # type: ignore[attr-defined]
            seen.add(case)
    for code in sorted({c for *_rest, codes in spec for c in codes}):
        p.codebook.add(code)  # type: ignore[attr-defined]
    items = [
        CodingInput(f"{case}-{doc}" if case else f"nocase-{doc}", code, 0, 11)
        for doc, case, _value, codes in spec
        for code in codes
    ]
    p.coding.apply_many(items, coder=coder)  # type: ignore[attr-defined]
