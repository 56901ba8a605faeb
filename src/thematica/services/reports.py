"""Results drafts: the tables, figures, prevalence and exemplar quotes of a study in one document.

``project.reports.build("results.docx")`` (or ``.md`` / ``.html``) writes a draft of a paper's
results section, assembled from the project:

* a **methods paragraph**: interviews (documents) and cases, coders and whether a consensus
  layer was used, inter-coder agreement (:data:`AGREEMENT_UNIT` units, Krippendorff's alpha with
  a seeded bootstrap interval, Cohen's/Fleiss' kappa and percent agreement), codebook size
  (deductive/inductive), and the saturation point when it can be computed;
* Table 1 (participants), Table 2 (themes by SEM level) and the SEM figure;
* the agreement summary (overall and per code) and the saturation plot, ordered by
  ``order_by`` or, when left out, by the ``interview_date`` attribute where the project has
  one (otherwise the plot is skipped with a note);
* for each theme and subtheme: its description, its prevalence in words and numbers ("most
  participants (5 of 7, 71.4%)") and exemplar quotes attributed "– Participant N".

Exemplar quotes
---------------
Quotes come from the codings of the layer the report reads (the consensus layer by default)
of the theme's codes (with their subcodes; a theme includes its subthemes' codes). Codings an
analyst **starred** (``project.coding.star(id)``) are the theme's quotes, all of them, in
document and offset order. A theme with no starred coding gets the **default rule**: at most
:data:`MAX_QUOTES` quotes, each from a different case; excerpts of :data:`QUOTE_WORDS` (15–80)
words come first, longest first; then the others, closest to that range first; ties are broken
by document name, then start and end offset. An excerpt (same document and span) is quoted at
most once in a report: the first theme that can use it takes it.

Reproducibility
---------------
Every report carries a **state hash**: the SHA-256 of a canonical JSON (sorted keys, no
spaces) of everything the report is made from: the documents (name, SHA-256 of the text,
case), the cases and their attribute values (with the attributes' types and orders), the
codebook snapshot, the themes (name, parent, level, description, position, codes), the codings
of the layer read and of the coders compared for agreement (document, code path, span,
coder, starred), the consensus status when a consensus layer is read, the project's SEM
levels and quantifier scale, and the parameters (coder, order_by, title, agreement and
saturation settings, quote rule). The output format is not part of it, so the Markdown, HTML
and Word drafts of one state share a hash. Nothing in the document depends on the clock: the
DOCX core properties (created, modified) are the newest time stamp in that state, and its zip
entries carry a fixed date, so the same state gives the same bytes in every format.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.errors import InputError, NotFoundError
from thematica.services.attribution import attribution
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.core.saturation import SaturationResult
    from thematica.services.agreement import AgreementReport
    from thematica.services.codebook import CodeIndex
    from thematica.services.prevalence import PrevalenceRow
    from thematica.services.project import Project
    from thematica.services.themes import ThemeIndex

FORMATS = ("md", "html", "docx")
REPORT_VERSION = 1
DEFAULT_ORDER_ATTRIBUTE = "interview_date"
AGREEMENT_UNIT = "sentence"
AGREEMENT_BOOTSTRAP = 200
AGREEMENT_SEED = 1
SATURATION_BASE = 4
SATURATION_RUN = 2
SATURATION_THRESHOLD = 0.05
MAX_QUOTES = 3
QUOTE_WORDS = (15, 80)
SVG_SALT = "thematica-report"


# -- what a report holds (format-free) ---------------------------------------------------------
@dataclass(slots=True)
class SimpleTable:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(slots=True)
class Figure:
    key: str  # file-name part: "sem" or "saturation"
    caption: str
    png: bytes = b""  # empty when not asked for
    svg: str = ""


@dataclass(slots=True)
class Quote:
    text: str
    attribution: str
    document: str
    case: str | None
    start: int
    end: int
    coding_id: int
    starred: bool


@dataclass(slots=True)
class ThemeSection:
    kind: str  # theme | subtheme
    number: str
    name: str
    level: str | None
    description: str
    prevalence: str  # "most participants (5 of 7, 71.4%)"
    cases: int
    total: int
    percent: float
    segments: int
    quantifier: str
    quotes: list[Quote] = field(default_factory=list)
    quote_rule: str = "default"  # starred | default | none


@dataclass(slots=True)
class ReportData:
    title: str
    state_hash: str
    as_of: datetime
    layer: str
    methods: str
    participants: SimpleTable | None
    themes: SimpleTable
    sem_figure: Figure
    agreement_overall: SimpleTable | None
    agreement_codes: SimpleTable | None
    saturation: Figure | None
    sections: list[ThemeSection]
    notes: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ReportResult:
    path: Path
    format: str
    state_hash: str
    files: list[Path]


# -- helpers ------------------------------------------------------------------------------------
def canonical_hash(state: Any) -> str:
    blob = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=0)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ci(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"{low:.2f}–{high:.2f}"


def _and(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def prevalence_words(quantifier: str, cases: int, total: int, percent: float, none: str) -> str:
    """ "most participants (5 of 7, 71.4%)"; "one participant (1 of 7, 14.3%)"."""
    if quantifier == none:
        word = "no participants"
    elif cases == 1 and total != 1:
        word = f"{quantifier} participant"
    else:
        word = f"{quantifier} participants"
    return f"{word} ({cases} of {total}, {percent:.1f}%)"


@dataclass(slots=True)
class _Candidate:
    coding_id: int
    doc_id: int
    document: str
    case: str | None
    unit: str
    start: int
    end: int
    starred: bool
    text: str
    words: int


def default_quote_key(c: _Candidate) -> tuple[int, int, str, int, int]:
    """Sort key of the default rule: 15–80 words first (longest first), then the others by
    distance to that range; ties by document name, start, end."""
    low, high = QUOTE_WORDS
    if low <= c.words <= high:
        return (0, -c.words, c.document, c.start, c.end)
    distance = low - c.words if c.words < low else c.words - high
    return (1, distance, c.document, c.start, c.end)


def choose_quotes(
    candidates: Iterable[_Candidate], used: set[tuple[int, int, int]], limit: int = MAX_QUOTES
) -> tuple[list[_Candidate], str]:
    """The exemplar rule (see the module docstring); ``used`` spans are skipped and updated."""
    pool: dict[tuple[int, int, int], _Candidate] = {}
    for c in candidates:
        span = (c.doc_id, c.start, c.end)
        if span in used or not c.text:
            continue
        if span not in pool or (c.starred and not pool[span].starred):
            pool[span] = c
    starred = sorted(
        (c for c in pool.values() if c.starred), key=lambda c: (c.document, c.start, c.end)
    )
    if starred:
        chosen, rule = starred, "starred"
    else:
        chosen, seen_units = [], set()
        for c in sorted(pool.values(), key=default_quote_key):
            if c.unit in seen_units:
                continue
            chosen.append(c)
            seen_units.add(c.unit)
            if len(chosen) >= limit:
                break
        rule = "default" if chosen else "none"
    used.update((c.doc_id, c.start, c.end) for c in chosen)
    return chosen, rule


# -- the service --------------------------------------------------------------------------------
class Reports:
    def __init__(self, project: Project) -> None:
        self.project = project

    def build(
        self,
        path: str | Path,
        fmt: str | None = None,
        *,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
    ) -> ReportResult:
        """Write the results draft to ``path`` (format from ``fmt`` or the suffix).

        Markdown also writes its figures beside the report (``NAME.sem.png``,
        ``NAME.saturation.png``); HTML inlines them as SVG; DOCX embeds them as PNG.
        Everything is computed before anything is written; files are written atomically.
        """
        from thematica.exporters.atomic import write_atomic

        target = Path(path)
        fmt = (fmt or target.suffix.lstrip(".")).lower()
        if fmt == "markdown":
            fmt = "md"
        if fmt not in FORMATS:
            raise InputError(
                f"a report is written as md, html or docx, not {fmt!r} (choose with --format)"
            )
        if not target.parent.exists():
            raise InputError(f"cannot write {target}: folder {target.parent} does not exist")
        kinds = ("svg",) if fmt == "html" else ("png",)
        data = self.data(coder=coder, order_by=order_by, title=title, figures=kinds)
        files: list[Path] = []
        if fmt == "md":
            from thematica.exporters.report_markdown import render_markdown

            text, extra = render_markdown(data, target.stem)
            for name, blob in extra.items():
                files.append(write_atomic(target.parent / name, blob))
            write_atomic(target, text)
        elif fmt == "html":
            from thematica.exporters.report_html import render_html

            write_atomic(target, render_html(data))
        else:
            from thematica.exporters.report_docx import render_docx

            write_atomic(target, render_docx(data))
        return ReportResult(target, fmt, data.state_hash, files)

    def state_hash(
        self, *, coder: str | None = None, order_by: str | None = None, title: str | None = None
    ) -> str:
        """The content hash a report with these parameters would carry (see the module doc)."""
        with self.project.db.read() as conn:
            state, _as_of = self._state(conn, coder, self._order_attribute(conn, order_by), title)
        return canonical_hash(state)

    # -- assembling -------------------------------------------------------------------------
    def _order_attribute(self, conn: Connection, order_by: str | None) -> str | None:
        names = [a.name for a in self.project.cases.attribute_info(conn)]
        if order_by is None:
            return DEFAULT_ORDER_ATTRIBUTE if DEFAULT_ORDER_ATTRIBUTE in names else None
        if order_by not in names:
            known = ", ".join(names) or "none yet"
            raise NotFoundError(f"no attribute named {order_by!r} (attributes: {known})")
        return order_by

    def _coders(self, conn: Connection) -> dict[int, tuple[str, str]]:
        c = t.coder.c
        return {
            r.id: (r.name, r.kind)
            for r in conn.execute(
                select(c.id, c.name, c.kind).where(c.project_id == self.project.id).order_by(c.id)
            )
        }

    def _state(
        self, conn: Connection, coder: str | None, order_by: str | None, title: str | None
    ) -> tuple[dict[str, Any], datetime]:
        pid = self.project.id
        d, cs = t.document.c, t.case.c
        docs = conn.execute(
            select(d.id, d.name, d.sha256, d.imported_at).where(d.project_id == pid)
        ).all()
        if not docs:
            raise InputError("the project has no documents yet; import transcripts first")
        case_of = self.project.documents.case_names(conn)
        layer = self.project.coding.coder_ids(conn, coder)
        coders = self._coders(conn)
        humans = [cid for cid, (_n, kind) in coders.items() if kind == "human"]
        index = self.project.codebook.index(conn)
        themes = self.project.themes.index(conn)
        if not themes.themes:
            raise InputError("no themes yet; add some with 'thematica themes add' first")
        names = {r.id: r.name for r in docs}
        k = t.coding.c
        wanted = sorted(set(layer) | (set(humans) if len(humans) >= 2 else set()))
        codings = []
        stamps: list[datetime | None] = [r.imported_at for r in docs]
        for r in conn.execute(
            select(k.document_id, k.code_id, k.coder_id, k.start, k.end, k.starred, k.created_at)
            .where(k.project_id == pid, k.coder_id.in_(wanted))
            .order_by(k.id)
        ):
            codings.append(
                [
                    coders[r.coder_id][0],
                    names[r.document_id],
                    index.paths[r.code_id],
                    r.start,
                    r.end,
                    bool(r.starred),
                ]
            )
            stamps.append(r.created_at)
        codings.sort()
        stamps += list(conn.scalars(select(t.code.c.updated_at).where(t.code.c.project_id == pid)))
        stamps += list(
            conn.scalars(select(t.theme.c.updated_at).where(t.theme.c.project_id == pid))
        )
        stamps += list(conn.scalars(select(cs.created_at).where(cs.project_id == pid)))
        consensus = None
        layer_kinds = {coders[cid][1] for cid in layer}
        if "consensus" in layer_kinds and len(layer) == 1:
            (only,) = layer.values()
            consensus = self.project.consensus.status(name=only).records()[0]
        state = {
            "report_version": REPORT_VERSION,
            "project": self.project.name,
            "sem_levels": self.project.sem_levels,
            "quantifiers": self.project.prevalence.scale().to_spec(),
            "documents": sorted(
                ([r.name, r.sha256, case_of.get(r.id)] for r in docs), key=lambda x: str(x[0])
            ),
            "attributes": [
                [a.name, str(a.type.value), list(a.order or ())]
                for a in self.project.cases.attribute_info(conn)
            ],
            "cases": self.project.cases.values(conn),
            "codebook": index.snapshot(),
            "themes": _theme_state(themes, index),
            "layer": sorted(layer.values()),
            "coders": sorted(coders[c][0] for c in humans),
            "codings": codings,
            "consensus": consensus,
            "parameters": {
                "coder": coder,
                "order_by": order_by,
                "title": title,
                "agreement": [AGREEMENT_UNIT, AGREEMENT_BOOTSTRAP, AGREEMENT_SEED],
                "saturation": [SATURATION_BASE, SATURATION_RUN, SATURATION_THRESHOLD],
                "quotes": [MAX_QUOTES, *QUOTE_WORDS],
            },
        }
        as_of = max((s for s in map(_utc, stamps) if s is not None), default=None)
        return state, as_of or datetime(2000, 1, 1, tzinfo=UTC)

    def data(
        self,
        *,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
        figures: Sequence[str] = ("png", "svg"),
    ) -> ReportData:
        """Everything a report shows, computed (and checked) without writing anything;
        ``figures`` says which renderings of the figures to draw (png, svg)."""
        project = self.project
        with project.db.read() as conn:
            order = self._order_attribute(conn, order_by)
            state, as_of = self._state(conn, coder, order, title)
            layer = project.coding.coder_ids(conn, coder)
            coders = self._coders(conn)
            index = project.codebook.index(conn)
            themes = project.themes.index(conn)
            candidates = self._candidates(conn, layer)
        state_hash = canonical_hash(state)
        layer_names = sorted(layer.values())
        humans = [name for name, kind in coders.values() if kind == "human"]
        consensus_used = any(coders[c][1] == "consensus" for c in layer)
        notes: dict[str, str] = {}

        # Table 1
        participants = None
        try:
            described = project.cases.describe()
        except InputError as exc:
            notes["participants"] = f"No participant table: {exc}."
        else:
            participants = SimpleTable(
                f"Table 1. {described.title}",
                ["Characteristic", "Value", "n", "%"],
                [
                    [r.attribute, r.value or "Missing", str(r.n), f"{r.percent:.1f}"]
                    for r in described.rows
                ],
            )
        # Table 2 and the figure
        table = project.themes.table()
        themes_table = SimpleTable(
            "Table 2. Themes and subthemes by Social-Ecological Model level",
            ["SEM level", "Theme", "Subthemes", "Codes"],
            [[r.level, r.theme, "; ".join(r.subthemes), "; ".join(r.codes)] for r in table.rows],
        )
        sem = self._sem_figure(figures)
        # agreement
        agreement = None
        overall = per_code = None
        if len(humans) >= 2:
            agreement = project.agreement.compute(
                humans, AGREEMENT_UNIT, bootstrap=AGREEMENT_BOOTSTRAP, seed=AGREEMENT_SEED
            )
            overall, per_code = _agreement_tables(agreement)
        else:
            notes["agreement"] = (
                "Inter-coder agreement was not computed: the project has fewer than two coders."
            )
        # saturation
        saturation = None
        sat_fig = None
        if order is None:
            notes["saturation"] = (
                f"Saturation was not assessed: the cases have no {DEFAULT_ORDER_ATTRIBUTE!r} "
                "attribute to order the interviews by (choose one with --order-by)."
            )
        else:
            saturation = project.saturation.assess(
                order,
                base=SATURATION_BASE,
                run=SATURATION_RUN,
                threshold=SATURATION_THRESHOLD,
                coder=coder,
            )
            sat_fig = self._saturation_figure(saturation, order, figures)
            if saturation.notes:
                notes["saturation"] = " ".join(saturation.notes)
        # themes, prevalence and quotes
        prevalence = project.prevalence.table("themes", coder=coder)
        sections = self._sections(prevalence.rows, themes, index, candidates)
        methods = _methods(
            n_documents=len(state["documents"]),
            n_cases=len({row[2] for row in state["documents"] if row[2] is not None}),
            humans=humans,
            layer_names=layer_names,
            consensus_used=consensus_used,
            consensus=state["consensus"],
            agreement=agreement,
            index=index,
            saturation=saturation,
            order=order,
        )
        return ReportData(
            title=title or f"Results: {project.name}",
            state_hash=state_hash,
            as_of=as_of,
            layer=", ".join(layer_names),
            methods=methods,
            participants=participants,
            themes=themes_table,
            sem_figure=sem,
            agreement_overall=overall,
            agreement_codes=per_code,
            saturation=sat_fig,
            sections=sections,
            notes=notes,
            parameters=dict(state["parameters"]),
        )

    def _candidates(self, conn: Connection, layer: dict[int, str]) -> dict[int, list[_Candidate]]:
        """code id -> the layer's codings of it, with their excerpt text."""
        pid = self.project.id
        d, k = t.document.c, t.coding.c
        case_of = self.project.documents.case_names(conn)
        rows = conn.execute(
            select(k.id, k.document_id, k.code_id, k.start, k.end, k.starred)
            .where(k.project_id == pid, k.coder_id.in_(list(layer)))
            .order_by(k.document_id, k.start, k.end, k.id)
        ).all()
        doc_ids = sorted({r.document_id for r in rows})
        texts: dict[int, tuple[str, str]] = {}
        for i in range(0, len(doc_ids), 500):
            for doc in conn.execute(
                select(d.id, d.name, d.text).where(d.id.in_(doc_ids[i : i + 500]))
            ):
                texts[doc.id] = (doc.name, doc.text)
        out: dict[int, list[_Candidate]] = {}
        for r in rows:
            name, text = texts[r.document_id]
            excerpt = " ".join(text[r.start : r.end].split())
            case = case_of.get(r.document_id)
            out.setdefault(r.code_id, []).append(
                _Candidate(
                    r.id,
                    r.document_id,
                    name,
                    case,
                    case or f"document:{name}",
                    r.start,
                    r.end,
                    bool(r.starred),
                    excerpt,
                    len(excerpt.split()),
                )
            )
        return out

    def _sections(
        self,
        rows: Sequence[PrevalenceRow],
        themes: ThemeIndex,
        index: CodeIndex,
        candidates: dict[int, list[_Candidate]],
    ) -> list[ThemeSection]:
        none = self.project.prevalence.scale().none
        by_number = {th.number: th for th in themes.ordered()}
        used: set[tuple[int, int, int]] = set()
        sections = []
        for row in rows:
            th = by_number[row.number]
            own = list(th.code_ids)
            for child in th.children:
                own += themes.themes[child].code_ids
            code_ids = {c for cid in own for c in index.subtree(cid)}
            pool = [c for cid in sorted(code_ids) for c in candidates.get(cid, [])]
            chosen, rule = choose_quotes(pool, used)
            sections.append(
                ThemeSection(
                    kind=row.kind,
                    number=row.number,
                    name=row.name,
                    level=row.level,
                    description=th.description,
                    prevalence=prevalence_words(
                        row.quantifier, row.cases, row.total, row.percent, none
                    ),
                    cases=row.cases,
                    total=row.total,
                    percent=row.percent,
                    segments=row.segments,
                    quantifier=row.quantifier,
                    quotes=[
                        Quote(
                            c.text,
                            attribution(c.case, c.document),
                            c.document,
                            c.case,
                            c.start,
                            c.end,
                            c.coding_id,
                            c.starred,
                        )
                        for c in chosen
                    ],
                    quote_rule=rule,
                )
            )
        return sections

    def _sem_figure(self, kinds: Sequence[str]) -> Figure:
        import matplotlib

        png, svg = b"", ""
        with (
            tempfile.TemporaryDirectory() as tmp,
            matplotlib.rc_context({"svg.hashsalt": SVG_SALT}),
        ):
            if "png" in kinds:
                png = self.project.themes.figure(Path(tmp) / "sem.png").read_bytes()
            if "svg" in kinds:
                svg = self.project.themes.figure(Path(tmp) / "sem.svg").read_text("utf-8")
        return Figure(
            "sem",
            "Figure 1. Themes by level of the Social-Ecological Model (individual innermost).",
            png,
            svg,
        )

    @staticmethod
    def _saturation_figure(result: SaturationResult, order: str, kinds: Sequence[str]) -> Figure:
        import matplotlib

        from thematica.exporters.plots import saturation_figure

        png, svg = b"", ""
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
            if "png" in kinds:
                png = saturation_figure(result, "png")
            if "svg" in kinds:
                svg = saturation_figure(result, "svg").decode("utf-8")
        return Figure(
            "saturation",
            f"Figure 2. New and cumulative codes per interview, ordered by {order} "
            f"(base {result.base}, run {result.run}, threshold {result.threshold:.0%}).",
            png,
            svg,
        )


def _theme_state(themes: ThemeIndex, index: CodeIndex) -> list[dict[str, Any]]:
    out = []
    for th in themes.ordered():
        out.append(
            {
                "number": th.number,
                "name": th.name,
                "parent": themes.themes[th.parent_id].name if th.parent_id else None,
                "level": th.level,
                "description": th.description,
                "position": th.position,
                "codes": sorted(index.paths[c] for c in th.code_ids),
            }
        )
    return out


def _agreement_tables(report: AgreementReport) -> tuple[SimpleTable, SimpleTable]:
    overall = SimpleTable(
        f"Table 3. Inter-coder agreement ({_and(report.coders)}; unit: {report.unit}s × codes)",
        ["Measure", "Value", "95% CI", "Units", "Interpretation"],
        [
            [
                r.measure,
                _pct(r.value) if r.measure.startswith("percent") else _num(r.value),
                _ci(r.ci_low, r.ci_high),
                str(r.n_units),
                r.label or (r.note or ""),
            ]
            for r in report.overall.rows
        ],
    )
    used = [r for r in report.codes.rows if any(r.coded.values())]
    left_out = len(report.codes.rows) - len(used)
    per_code = SimpleTable(
        "Table 4. Agreement per code",
        ["Code", *(f"Units coded ({c})" for c in report.coders), "Agreement", "Kappa", "Alpha"],
        [
            [
                r.code,
                *(str(r.coded.get(c, 0)) for c in report.coders),
                _pct(r.percent),
                _num(r.kappa),
                _num(r.alpha) + ("" if r.ci_low is None else f" ({_ci(r.ci_low, r.ci_high)})"),
            ]
            for r in used
        ],
        note=(f"{left_out} code(s) that no coder used are left out. " if left_out else "")
        + f"Alpha intervals: percentile bootstrap, {AGREEMENT_BOOTSTRAP} resamples, "
        f"seed {AGREEMENT_SEED}.",
    )
    return overall, per_code


def _methods(
    *,
    n_documents: int,
    n_cases: int,
    humans: list[str],
    layer_names: list[str],
    consensus_used: bool,
    consensus: dict[str, Any] | None,
    agreement: AgreementReport | None,
    index: CodeIndex,
    saturation: SaturationResult | None,
    order: str | None,
) -> str:
    parts = []
    interviews = "interview" if n_documents == 1 else "interviews"
    cases = "participant" if n_cases == 1 else "participants"
    parts.append(
        f"The analysis drew on {n_documents} {interviews} (documents) with {n_cases} {cases} "
        "(cases)."
    )
    if len(humans) >= 2:
        parts.append(f"{len(humans)} coders ({_and(humans)}) coded every transcript independently.")
    elif humans:
        parts.append(f"One coder ({humans[0]}) coded the transcripts.")
    if agreement is not None:
        rows = {r.measure.split(" (")[0]: r for r in agreement.overall.rows}
        alpha = next((r for m, r in rows.items() if m.startswith("Krippendorff")), None)
        kappa = next((r for m, r in rows.items() if "kappa" in m), None)
        percent = next((r for m, r in rows.items() if m.startswith("percent")), None)
        bits = []
        if alpha is not None and alpha.value is not None:
            ci = (
                f" (95% CI {alpha.ci_low:.2f}–{alpha.ci_high:.2f})"
                if alpha.ci_low is not None and alpha.ci_high is not None
                else ""
            )
            bits.append(f"Krippendorff's alpha = {alpha.value:.2f}{ci}")
        if kappa is not None and kappa.value is not None:
            name = kappa.measure.split(" (")[0]
            bits.append(f"{name} = {kappa.value:.2f}")
        if percent is not None and percent.value is not None:
            bits.append(f"percent agreement = {100 * percent.value:.1f}%")
        if bits:
            parts.append(
                f"Inter-coder agreement on {agreement.unit}s × codes was {'; '.join(bits)}."
            )
    if consensus_used:
        extra = ""
        if consensus:
            extra = (
                f" ({consensus['compared']} coded passages compared: {consensus['agreed']} "
                f"agreed, {consensus['decided']} resolved by discussion, {consensus['open']} "
                "still open)"
            )
        parts.append(
            "Disagreements were resolved in a consensus layer"
            + extra
            + "; the results below are based on that consensus coding."
        )
    else:
        parts.append(f"The results below are based on the coding of {_and(layer_names)}.")
    origins = [getattr(r, "origin", None) for r in index.rows.values()]
    deductive = sum(1 for o in origins if o == "deductive")
    inductive = sum(1 for o in origins if o == "inductive")
    other = len(origins) - deductive - inductive
    parts.append(
        f"The codebook held {len(origins)} codes ({deductive} deductive, {inductive} inductive"
        + (f", {other} unspecified" if other else "")
        + ")."
    )
    if saturation is not None:
        if saturation.saturation_reached_at is not None:
            parts.append(
                f"Following Guest, Namey and Chen (2020), with interviews ordered by {order} "
                f"(base {saturation.base}, runs of {saturation.run}, new-information threshold "
                f"{saturation.threshold:.0%}), saturation was reached at "
                f"{saturation.saturation_reached_at} ({saturation.report_as})."
            )
        else:
            parts.append(
                f"Following Guest, Namey and Chen (2020), with interviews ordered by {order} "
                f"(base {saturation.base}, runs of {saturation.run}, threshold "
                f"{saturation.threshold:.0%}), saturation was not reached."
            )
    return " ".join(parts)
