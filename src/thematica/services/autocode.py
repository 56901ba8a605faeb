"""Auto-coding: one code applied for one coder to every passage a rule finds.

What NVivo, MAXQDA and ATLAS.ti users lean on for structured data: every turn of a speaker,
every answer to a question, every hit of a text search widened to its sentence, paragraph or
turn, or whole documents by a case attribute. A run is one undoable coding batch
(``thematica batches undo``); a dry run only counts and shows a sample.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.speaker_scope import speaker_glob
from thematica.core.tables import Table
from thematica.core.units import split_paragraphs, split_sentences, units_hit
from thematica.services.access import requires
from thematica.services.coders import check_coder_name, check_kind
from thematica.services.coding import CodingInput
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["SEARCH_UNITS", "Autocode", "AutocodeDocument", "AutocodeResult", "AutocodeSample"]

SEARCH_UNITS = ("sentence", "paragraph", "turn")
_SAMPLE_WIDTH = 100


@dataclass(slots=True)
class AutocodeDocument:
    document: str
    passages: int
    new: int  # passages this coder has not already coded with the code


@dataclass(slots=True)
class AutocodeSample:
    document: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class AutocodeResult:
    coder: str
    code: str
    rule: str
    passages: int
    documents: int
    new: int
    dry_run: bool
    added: int = 0
    duplicates: int = 0
    batch_id: int | None = None
    per_document: list[AutocodeDocument] = field(default_factory=list)
    sample: list[AutocodeSample] = field(default_factory=list)

    def table(self) -> Table[AutocodeDocument]:
        return Table.of(AutocodeDocument, self.per_document, title=f"Auto-coding: {self.rule}")

    def samples(self) -> Table[AutocodeSample]:
        return Table.of(AutocodeSample, self.sample, title="Sample passages")


@dataclass(slots=True)
class _Doc:
    id: int
    name: str


def _heading(text: str) -> str:
    """The first line of a turn without heading or emphasis marks (``## Q3.`` -> ``Q3.``)."""
    line = text.lstrip().split("\n", 1)[0]
    return line.strip().strip("#*_[]() \t").strip()


def _section_matches(pattern: re.Pattern[str], speaker: str | None, text: str) -> bool:
    """A turn opens section ``pattern`` when its speaker is the label (a survey answer's
    column, ``Q3``) or its first line is, or starts with it (``Q3: What changed?``)."""
    if speaker is not None and pattern.match(speaker.strip()):
        return True
    heading = _heading(text)
    if not heading:
        return False
    if pattern.match(heading):
        return True
    word = re.match(r"[^\s:.\-\u2013\u2014)]+", heading)
    return word is not None and pattern.match(word.group(0)) is not None


class Autocode:
    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.CODE)
    def run(
        self,
        *,
        coder: str,
        code: str,
        speaker: str | None = None,
        section: str | None = None,
        search: str | None = None,
        regex: bool = False,
        unit: str | None = None,
        where: Sequence[str] = (),
        documents: Sequence[str] | None = None,
        dry_run: bool = False,
        sample: int = 5,
        kind: str | None = None,
        actor: str | None = None,
    ) -> AutocodeResult:
        """Code every passage one rule finds; exactly one of ``speaker``, ``section``,
        ``search`` (with ``unit``) or ``where`` is the rule, ``documents`` narrows it.

        ``speaker`` is a shell-style pattern over turn speakers (``Participant*``); ``section``
        matches a turn whose speaker, or whose first line, is the label (``Q3``); ``search`` is
        a full-text query as in search (or, with ``regex``, a regular expression; case is
        ignored) whose every hit is widened to its whole sentence, paragraph or turn; ``where``
        holds case-attribute conditions and codes whole documents.
        """
        coder = check_coder_name(coder)
        self.project.access.check_write_layer(coder)  # before a dry run reads the layer
        if kind is not None:
            kind = check_kind(kind)
        given = [
            n
            for n, v in (
                ("speaker", speaker),
                ("section", section),
                ("search", search),
                ("where", list(where)),
            )
            if v
        ]
        if len(given) != 1:
            raise InputError(
                "auto-coding needs exactly one rule: a speaker, a section, a search or a "
                f"case-attribute condition (got {', '.join(given) or 'none'})"
            )
        mode = given[0]
        if mode == "search":
            if unit not in SEARCH_UNITS:
                raise InputError(
                    f"a search hit is widened to a unit: choose one of {', '.join(SEARCH_UNITS)}"
                )
        elif unit is not None:
            raise InputError(f"a unit applies only to a search (the {mode} rule has its own)")
        if sample < 0:
            raise InputError("the sample size cannot be negative")

        with self.project.db.read() as conn:
            code_id = self.project.codebook.index(conn).resolve(code)
            code_path = self.project.codebook.index(conn).paths[code_id]
            scope = self.project.retrieval._documents(
                conn, list(where) if mode == "where" else [], documents
            )
            docs = {i: _Doc(i, d.name) for i, d in scope.docs.items()}
            if mode == "speaker":
                assert speaker is not None
                found = self._turns(conn, docs, speaker, section=False)
                rule = f"speaker {speaker}"
            elif mode == "section":
                assert section is not None
                found = self._turns(conn, docs, section, section=True)
                rule = f"section {section}"
            elif mode == "search":
                assert search is not None and unit is not None
                found = self._search(conn, docs, search, regex, unit)
                rule = f"{'regex' if regex else 'search'} {search} by {unit}"
            else:
                found = self._whole(conn, docs, scope)
                rule = "where " + " and ".join(where)
            existing = self._existing(conn, coder, code_id, list(found))
            texts = self._sample_texts(conn, found, docs, sample)

        per_doc = [
            AutocodeDocument(
                docs[i].name,
                len(spans),
                sum(1 for s in spans if (i, s[0], s[1]) not in existing),
            )
            for i, spans in sorted(found.items(), key=lambda kv: docs[kv[0]].name)
            if spans
        ]
        result = AutocodeResult(
            coder=coder,
            code=code_path,
            rule=rule,
            passages=sum(d.passages for d in per_doc),
            documents=len(per_doc),
            new=sum(d.new for d in per_doc),
            dry_run=dry_run,
            per_document=per_doc,
            sample=texts,
        )
        if dry_run or not result.passages:
            return result
        parameters: dict[str, Any] = {
            "code": code_path,
            mode: {"speaker": speaker, "section": section, "search": search, "where": list(where)}[
                mode
            ],
            "regex": regex or None,
            "unit": unit,
            "documents": list(documents or []) or None,
            "kind": kind,
        }
        report = self.project.coding.apply_many(
            [
                CodingInput(doc_id, code_id, s, e)
                for doc_id, spans in sorted(found.items())
                for s, e in spans
            ],
            coder=coder,
            kind=kind,
            batch="autocode",
            parameters=parameters,
            actor=actor,
        )
        result.added, result.duplicates, result.batch_id = (
            report.applied,
            report.duplicates,
            report.batch_id,
        )
        return result

    # -- finding passages ------------------------------------------------------------------
    def _whole(
        self, conn: Connection, docs: dict[int, _Doc], scope: Any
    ) -> dict[int, list[tuple[int, int]]]:
        """Whole documents; in a focus group whose speakers are mapped to cases, only the
        turns of the speakers whose case the filter keeps (all of them: the whole document)."""
        d, tr = t.document.c, t.turn.c
        allows = getattr(scope, "allows", None)
        found: dict[int, list[tuple[int, int]]] = {}
        ids = sorted(docs)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            turns: dict[int, list[tuple[int, int]]] = {}
            if allows is not None:
                for doc_id, start, end in conn.execute(
                    select(tr.document_id, tr.start, tr.end)
                    .where(tr.document_id.in_(chunk))
                    .order_by(tr.document_id, tr.position)
                ):
                    turns.setdefault(doc_id, []).append((start, end))
            for doc_id, length in conn.execute(select(d.id, d.length).where(d.id.in_(chunk))):
                if not length:
                    continue
                own = turns.get(doc_id, [])
                kept = [(s, e) for s, e in own if allows is not None and allows(doc_id, s, e)]
                if allows is None or not own or len(kept) == len(own):
                    found[doc_id] = [(0, int(length))]
                elif kept:
                    found[doc_id] = kept
        return found

    def _turns(
        self, conn: Connection, docs: dict[int, _Doc], pattern: str, *, section: bool
    ) -> dict[int, list[tuple[int, int]]]:
        if not pattern.strip():
            raise InputError("the speaker or section pattern is empty")
        compiled = speaker_glob(pattern)
        tr, d = t.turn.c, t.document.c
        found: dict[int, list[tuple[int, int]]] = {}
        speakers: set[str] = set()
        ids = sorted(docs)
        for i in range(0, len(ids), 200):
            chunk = ids[i : i + 200]
            texts: dict[int, str] = {}
            if section:
                texts = {
                    int(r[0]): str(r[1])
                    for r in conn.execute(select(d.id, d.text).where(d.id.in_(chunk)))
                }
            for doc_id, start, end, who in conn.execute(
                select(tr.document_id, tr.start, tr.end, tr.speaker)
                .where(tr.document_id.in_(chunk))
                .order_by(tr.document_id, tr.position)
            ):
                if who:
                    speakers.add(who)
                if section:
                    hit = _section_matches(compiled, who, texts[doc_id][start:end])
                else:
                    hit = who is not None and compiled.match(who.strip()) is not None
                if hit:
                    found.setdefault(doc_id, []).append((start, end))
        if not found:
            what = "turn's speaker or first line" if section else "turn's speaker"
            known = ", ".join(sorted(speakers)[:12]) or "none"
            raise NotFoundError(
                f"no {what} matches {pattern.strip()!r} in the documents chosen (speakers: {known})"
            )
        return found

    def _search(
        self, conn: Connection, docs: dict[int, _Doc], query: str, regex: bool, unit: str
    ) -> dict[int, list[tuple[int, int]]]:
        from thematica.services.retrieval import parse_search

        if regex:
            if not query:
                raise InputError("the regular expression is empty")
            try:
                patterns = [re.compile(query, re.IGNORECASE | re.MULTILINE)]
            except re.error as exc:
                raise InputError(f"{query!r} is not a valid regular expression: {exc}") from exc
        else:
            patterns = [term.regex() for term in parse_search(query)]
        d = t.document.c
        found: dict[int, list[tuple[int, int]]] = {}
        ids = sorted(docs)
        for i in range(0, len(ids), 50):
            chunk = ids[i : i + 50]
            texts = dict(conn.execute(select(d.id, d.text).where(d.id.in_(chunk))).all())
            turns: dict[int, list[tuple[int, int]]] = {}
            if unit == "turn":
                for doc_id, start, end in conn.execute(
                    select(t.turn.c.document_id, t.turn.c.start, t.turn.c.end)
                    .where(t.turn.c.document_id.in_(chunk))
                    .order_by(t.turn.c.document_id, t.turn.c.position)
                ):
                    turns.setdefault(doc_id, []).append((start, end))
            for doc_id in chunk:
                body = texts[doc_id]
                # as in search: every term must occur in the document
                if not all(p.search(body) for p in patterns):
                    continue
                hits = [m.span() for p in patterns for m in p.finditer(body) if m.end() > m.start()]
                if not hits:
                    continue
                if unit == "sentence":
                    units = split_sentences(body)
                elif unit == "paragraph":
                    units = split_paragraphs(body)
                else:
                    units = turns.get(doc_id, [])
                spans = [units[k] for k in units_hit(units, hits)]
                if spans:
                    found[doc_id] = spans
        return found

    def _existing(
        self, conn: Connection, coder: str, code_id: int, doc_ids: list[int]
    ) -> set[tuple[int, int, int]]:
        k, c = t.coder.c, t.coding.c
        coder_id = conn.scalar(select(k.id).where(k.project_id == self.project.id, k.name == coder))
        if coder_id is None:
            return set()
        out: set[tuple[int, int, int]] = set()
        for i in range(0, len(doc_ids), 500):
            out.update(
                (int(r[0]), int(r[1]), int(r[2]))
                for r in conn.execute(
                    select(c.document_id, c.start, c.end).where(
                        c.coder_id == coder_id,
                        c.code_id == code_id,
                        c.document_id.in_(doc_ids[i : i + 500]),
                    )
                )
            )
        return out

    def _sample_texts(
        self,
        conn: Connection,
        found: dict[int, list[tuple[int, int]]],
        docs: dict[int, _Doc],
        size: int,
    ) -> list[AutocodeSample]:
        chosen: list[tuple[int, int, int]] = []
        for doc_id in sorted(found, key=lambda i: docs[i].name):
            for s, e in found[doc_id]:
                if len(chosen) >= size:
                    break
                chosen.append((doc_id, s, e))
        if not chosen:
            return []
        d = t.document.c
        texts = dict(
            conn.execute(select(d.id, d.text).where(d.id.in_(sorted({c[0] for c in chosen})))).all()
        )
        out = []
        for doc_id, s, e in chosen:
            text = " ".join(texts[doc_id][s:e].split())
            if len(text) > _SAMPLE_WIDTH:
                text = text[: _SAMPLE_WIDTH - 3] + "..."
            out.append(AutocodeSample(docs[doc_id].name, s, e, text))
        return out
