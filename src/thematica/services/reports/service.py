"""The :class:`Reports` service (``project.reports``): assemble a report's data and write it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.models import AttributeType
from thematica.services.access import requires
from thematica.services.reports import agreement_figures as figs
from thematica.services.reports.methods import MethodsFacts, methods_paragraph, open_notice
from thematica.services.reports.model import (
    Figure,
    Quote,
    RenderedReport,
    ReportData,
    ThemeSection,
)
from thematica.services.reports.participants import attribute_defaults, choose_attributes
from thematica.services.reports.quotes import _Candidate, choose_quotes, prevalence_words
from thematica.services.reports.settings import (
    ReportSettings,
    TemplateFacts,
    config_template,
    load_settings,
)
from thematica.services.reports.state import canonical_hash, project_state
from thematica.services.reports.tables import (
    agreement_tables,
    code_label,
    participants_table,
    themes_table,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.core.saturation import SaturationResult
    from thematica.services.codebook import CodeIndex
    from thematica.services.prevalence import PrevalenceRow
    from thematica.services.project import Project
    from thematica.services.themes import ThemeIndex

FORMATS = ("md", "html", "docx")
SVG_SALT = "thematica-report"


def report_format(fmt: str) -> str:
    """``fmt`` checked and normalised (``markdown`` is ``md``)."""
    value = fmt.lower().lstrip(".")
    value = "md" if value == "markdown" else value
    if value not in FORMATS:
        raise InputError(f"a report is written as md, html or docx, not {fmt!r}")
    return value


class OpenDisagreementsError(ConflictError):
    """The consensus layer a report reads still has open disagreements."""


class Reports:
    """Results drafts (``project.reports``); see :mod:`thematica.services.reports`."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- configuration ---------------------------------------------------------------------
    @requires(Operation.READ)
    def config_template(self) -> str:
        """The commented YAML of every report setting at its default, listing this project's
        attributes (with the default Table 1 selection), coders, saved runs and themes."""
        with self.project.db.read() as conn:
            infos = self.project.cases.attribute_info(conn)
            values = self.project.cases.values(conn)
            coders = self._kinds(conn)
            runs = [
                str(n)
                for n in conn.scalars(
                    select(t.agreement_run.c.name)
                    .where(t.agreement_run.c.project_id == self.project.id)
                    .order_by(t.agreement_run.c.id)
                )
                if n
            ]
            themes = self.project.themes.index(conn)
        facts = TemplateFacts(
            project=self.project.name,
            attributes=attribute_defaults(infos, values),
            coders=coders,
            runs=runs,
            themes=[f"{th.number} {th.name}" for th in themes.ordered()],
            dates=[a.name for a in infos if a.type is AttributeType.DATE],
        )
        return config_template(facts)

    @staticmethod
    def load_config(path: str | Path) -> ReportSettings:
        """Settings from a YAML file that ``report init`` wrote (and you edited)."""
        source = Path(path)
        try:
            text = source.read_text("utf-8")
        except FileNotFoundError:
            raise InputError(f"no report configuration at {source}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {source}: {exc}") from None
        return load_settings(text, str(source))

    @staticmethod
    def settings(
        base: ReportSettings | None = None,
        *,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
        **overrides: Any,
    ) -> ReportSettings:
        """``base`` (or the defaults) with these settings replaced; None keeps a setting."""
        return (base or ReportSettings()).with_overrides(
            coder=coder, saturation_order_by=order_by, title=title, **overrides
        )

    # -- rendering ---------------------------------------------------------------------------
    @requires(Operation.READ)
    def render(
        self,
        fmt: str = "docx",
        *,
        stem: str = "results",
        settings: ReportSettings | None = None,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
        **overrides: Any,
    ) -> RenderedReport:
        """The results draft as bytes in ``fmt`` (md, html or docx); nothing is written.

        ``settings`` (e.g. from :meth:`load_config`) with the keyword settings on top. Markdown
        comes with its figures as separate files named from ``stem`` (``STEM.sem.png``,
        ``STEM.saturation.png``); HTML inlines them as SVG; DOCX embeds them as PNG.
        :func:`thematica.exporters.project_files.write_report` writes it all to a path.
        """
        chosen = self.settings(settings, coder=coder, order_by=order_by, title=title, **overrides)
        fmt = report_format(fmt)
        kinds = ("svg",) if fmt == "html" else ("png",)
        data = self.data(settings=chosen, figures=kinds)
        files: dict[str, bytes] = {}
        if fmt == "md":
            from thematica.exporters.report_markdown import render_markdown

            text, files = render_markdown(data, stem)
            content = text.encode("utf-8")
        elif fmt == "html":
            from thematica.exporters.report_html import render_html

            content = render_html(data).encode("utf-8")
        else:
            from thematica.exporters.report_docx import render_docx

            content = render_docx(data)
        return RenderedReport(fmt, content, files, data.state_hash)

    @requires(Operation.READ)
    def state_hash(
        self,
        *,
        settings: ReportSettings | None = None,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
        **overrides: Any,
    ) -> str:
        """The content hash a report with these settings would carry (see the package doc)."""
        chosen = self.settings(settings, coder=coder, order_by=order_by, title=title, **overrides)
        return self.data(settings=chosen, figures=()).state_hash

    # -- assembling --------------------------------------------------------------------------
    def _kinds(self, conn: Connection) -> dict[str, str]:
        c = t.coder.c
        return {
            str(r.name): str(r.kind)
            for r in conn.execute(
                select(c.name, c.kind).where(c.project_id == self.project.id).order_by(c.id)
            )
        }

    def _order_attribute(self, names: list[str], order_by: str | None) -> str | None:
        if order_by is not None and order_by not in names:
            known = ", ".join(names) or "none yet"
            raise NotFoundError(f"no attribute named {order_by!r} (attributes: {known})")
        return order_by

    def _coverage(self, conn: Connection, coders: Sequence[str]) -> dict[str, int]:
        k, c = t.coding.c, t.coder.c
        rows = conn.execute(
            select(c.name, func.count(func.distinct(k.document_id)))
            .join(t.coder, t.coder.c.id == k.coder_id)
            .where(k.project_id == self.project.id, c.name.in_(list(coders)))
            .group_by(c.name)
        )
        return {str(name): int(n) for name, n in rows}

    @requires(Operation.READ)
    def data(
        self,
        *,
        settings: ReportSettings | None = None,
        coder: str | None = None,
        order_by: str | None = None,
        title: str | None = None,
        figures: Sequence[str] = ("png", "svg"),
    ) -> ReportData:
        """Everything a report shows, computed (and checked) without writing anything;
        ``figures`` says which renderings of the figures to draw (png, svg)."""
        s = self.settings(settings, coder=coder, order_by=order_by, title=title)
        project = self.project
        with project.db.read() as conn:
            n_docs = conn.scalar(select(func.count()).where(t.document.c.project_id == project.id))
            if not n_docs:
                raise InputError("the project has no documents yet; import transcripts first")
            kinds = self._kinds(conn)
            layer = project.coding.coder_ids(conn, s.coder)
            index = project.codebook.index(conn)
            themes = project.themes.index(conn)
            if not themes.themes:
                raise InputError("no themes yet: add some first", hint="themes_add")
            selected = _select_themes(themes, s.themes)
            infos = project.cases.attribute_info(conn)
            order = self._order_attribute([a.name for a in infos], s.saturation_order_by)
            values = project.cases.values(conn)
            attributes = choose_attributes(s.attributes, infos, values) if values else []
            layer_names = sorted(layer.values())
            consensus = None
            if len(layer) == 1 and kinds.get(layer_names[0]) == "consensus":
                consensus = project.consensus.status(name=layer_names[0]).records()[0]
                # passages the coders came to agree on after the layer was started are
                # compared but in no decision yet: the layer is not final until they are
                pending = (
                    int(consensus.get("compared") or 0)
                    - sum(int(consensus.get(k) or 0) for k in ("open", "agreed", "decided"))
                    + int(consensus.get("added") or 0)
                )
                if pending > 0 and not s.allow_open:
                    raise OpenDisagreementsError(
                        f"the consensus layer {layer_names[0]!r} is behind its coders: {pending} "
                        "newly agreed passage(s) are not in it yet; start consensus again to "
                        "take them in, or allow a provisional report",
                        pending=pending,
                    )
                if consensus.get("open") and not s.allow_open:
                    raise OpenDisagreementsError(
                        f"the consensus layer {layer_names[0]!r} still has {consensus['open']} "
                        f"open disagreement(s) of {consensus.get('compared', 0)} compared; "
                        "decide them before reporting, or allow a provisional report"
                    )
            compared = list(s.agreement_coders or ())
            unknown = [c for c in compared if c not in kinds]
            if unknown:
                raise NotFoundError(
                    f"agreement.coders: no coder named {unknown[0]!r} "
                    f"(coders: {', '.join(kinds) or 'none yet'})"
                )
            if compared and len(set(compared)) < 2:
                raise InputError(
                    "agreement.coders: agreement compares two or more coders, "
                    f"not {', '.join(compared)} alone"
                )
            if not compared:
                reconciled = list(consensus.get("coders") or []) if consensus else None
                compared = figs.default_coders(kinds, reconciled)
            run, compared = figs.resolve(conn, project, s, kinds, compared, index.paths)
            coverage = self._coverage(conn, [*compared, *layer_names])
            candidates = self._candidates(conn, layer)
            # participants, not documents: a focus group's speakers are its participants
            attr = project.speakers.attributor(conn)
            n_participants = len({c for c in attr.participant_units().values() if c})
            state, as_of = project_state(
                conn,
                project,
                layer=layer,
                compared=[] if run is not None else compared,
                index=index,
                themes=themes,
            )
        agreement = None
        missing = ""
        if run is not None:
            agreement = figs.figures_of_run(run, index.paths)
        elif len(compared) >= 2:
            agreement = figs.compute(project, s, compared)
        else:
            humans = [n for n, k in kinds.items() if k == "human"]
            missing = "Inter-coder agreement was not assessed: the project has " + (
                f"only one human coder ({humans[0]})." if humans else "no human coder."
            )
        state["consensus"] = consensus
        state["settings"] = {
            **s.to_state(),
            "table1.attributes": [[a.name, a.label] for a in attributes],
            "saturation.order_by": order,
        }
        state["agreement"] = agreement.state() if agreement is not None else None
        state_hash = canonical_hash(state)
        notes: dict[str, str] = {}

        participants = None
        if not values:
            notes["participants"] = "No participant table: the project has no cases yet."
        elif not attributes:
            notes["participants"] = "No participant table: no attribute is selected for it."
        else:
            described = project.cases.describe([a.name for a in attributes])
            participants = participants_table(described, attributes)
        table2 = themes_table(themes, index, selected)
        sem = self._sem_figure(figures)
        overall = per_code = None
        if agreement is not None:
            overall, per_code = agreement_tables(agreement, index)
        else:
            notes["agreement"] = missing
        saturation = project.saturation.assess(
            order,
            base=s.saturation_base,
            run=s.saturation_run,
            threshold=s.saturation_threshold,
            coder=s.coder,
            unit=s.saturation_unit,
        )
        sat_fig = self._saturation_figure(saturation, order, s.saturation_unit, figures)
        if saturation.notes:
            notes["saturation"] = " ".join(_sentence(n) for n in saturation.notes)
        prevalence = project.prevalence.table("themes", coder=s.coder)
        rows = [r for r in prevalence.rows if r.number in selected]
        sections = self._sections(rows, themes, index, candidates, s)
        origins = [getattr(r, "origin", None) for r in index.rows.values()]
        facts = MethodsFacts(
            n_documents=int(n_docs),
            n_cases=n_participants,
            focus_groups=attr.has_maps,
            kinds=kinds,
            layer=layer_names,
            coverage=coverage,
            n_codes=len(origins),
            deductive=sum(1 for o in origins if o == "deductive"),
            inductive=sum(1 for o in origins if o == "inductive"),
            agreement=agreement,
            agreement_missing=missing,
            consensus=consensus,
            saturation=saturation,
            saturation_order=order,
            saturation_unit=s.saturation_unit,
        )
        return ReportData(
            title=s.title or f"Results: {project.name}",
            state_hash=state_hash,
            as_of=as_of,
            layer=", ".join(layer_names),
            methods=methods_paragraph(facts),
            participants=participants,
            themes=table2,
            sem_figure=sem,
            agreement_overall=overall,
            agreement_codes=per_code,
            saturation=sat_fig,
            sections=sections,
            notes=notes,
            parameters=dict(state["settings"]),
            open_notice=open_notice(consensus),
            appendix=[per_code] if per_code is not None else [],
            agreement=agreement,
        )

    def _candidates(self, conn: Connection, layer: dict[int, str]) -> dict[int, list[_Candidate]]:
        """code id -> the layer's codings of it, with their length in words. The excerpt text
        itself is read only for the quotes chosen (:meth:`_quote_texts`): a large project has
        tens of thousands of candidates and only a few dozen quotes."""
        pid = self.project.id
        d, k = t.document.c, t.coding.c
        rows = conn.execute(
            select(k.id, k.document_id, k.code_id, k.start, k.end, k.starred)
            .where(k.project_id == pid, k.coder_id.in_(list(layer)))
            .order_by(k.document_id, k.start, k.end, k.id)
        ).all()
        out: dict[int, list[_Candidate]] = {}
        by_doc: dict[int, list[Any]] = {}
        for r in rows:
            by_doc.setdefault(r.document_id, []).append(r)
        doc_ids = sorted(by_doc)
        # whose words a coding is follows the speaker in a focus group (services/speakers.py);
        # a moderator's words belong to no participant and are never quoted
        attr = self.project.speakers.attributor(conn, doc_ids)
        for i in range(0, len(doc_ids), 100):
            for doc in conn.execute(
                select(d.id, d.name, d.text).where(d.id.in_(doc_ids[i : i + 100]))
            ):
                text = doc.text
                for r in by_doc[doc.id]:
                    owners = attr.owners(doc.id, r.start, r.end)
                    if not owners:
                        continue
                    words = len(text[r.start : r.end].split())
                    out.setdefault(r.code_id, []).append(
                        _Candidate(
                            r.id,
                            doc.id,
                            doc.name,
                            attr.case_of(doc.id, r.start, r.end),
                            owners[0].unit,
                            r.start,
                            r.end,
                            bool(r.starred),
                            "",
                            words,
                            attr.attribution(doc.id, r.start, r.end),
                        )
                    )
        return out

    def _quote_texts(self, chosen: Sequence[_Candidate]) -> None:
        """Fill in the excerpt text of the chosen quotes (white space collapsed)."""
        d = t.document.c
        doc_ids = sorted({c.doc_id for c in chosen})
        with self.project.db.read() as conn:
            texts = {
                r.id: r.text for r in conn.execute(select(d.id, d.text).where(d.id.in_(doc_ids)))
            }
        for c in chosen:
            c.text = " ".join(texts[c.doc_id][c.start : c.end].split())

    def _sections(
        self,
        rows: Sequence[PrevalenceRow],
        themes: ThemeIndex,
        index: CodeIndex,
        candidates: dict[int, list[_Candidate]],
        s: ReportSettings,
    ) -> list[ThemeSection]:
        none = self.project.prevalence.scale().none
        by_number = {th.number: th for th in themes.ordered()}
        used: set[tuple[int, int, int]] = set()
        picks: list[tuple[Any, list[_Candidate], str]] = []
        for row in rows:
            th = by_number[row.number]
            own = list(th.code_ids)
            for child in th.children:
                own += themes.themes[child].code_ids
            code_ids = {c for cid in own for c in index.subtree(cid)}
            pool = [c for cid in sorted(code_ids) for c in candidates.get(cid, [])]
            chosen, rule = choose_quotes(
                pool,
                used,
                s.quotes_max,
                words=(s.quotes_min_words, s.quotes_max_words),
                starred_first=s.quotes_starred,
            )
            picks.append((row, chosen, rule))
        self._quote_texts([c for _row, chosen, _rule in picks for c in chosen])
        sections = []
        for row, chosen, rule in picks:
            th = by_number[row.number]
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
                            c.attribution,
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
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
            if "png" in kinds:
                png = self.project.themes.figure("png")
            if "svg" in kinds:
                svg = self.project.themes.figure("svg").decode("utf-8")
        return Figure(
            "sem",
            "Figure 1. Themes by level of the Social-Ecological Model (individual innermost).",
            png,
            svg,
        )

    @staticmethod
    def _saturation_figure(
        result: SaturationResult, order: str | None, unit: str, kinds: Sequence[str]
    ) -> Figure | None:
        if not result.documents:
            return None
        import matplotlib

        from thematica.exporters.plots import saturation_figure

        png, svg = b"", ""
        with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
            if "png" in kinds:
                png = saturation_figure(result, "png")
            if "svg" in kinds:
                svg = saturation_figure(result, "svg").decode("utf-8")
        things = "participant" if unit == "case" else "interview"
        return Figure(
            "saturation",
            f"Figure 2. New and cumulative codes per {things}, in order of "
            f"{order or 'document name'} (base {result.base}, run {result.run}, threshold "
            f"{_percent_text(100 * result.threshold)}).",
            png,
            svg,
        )


def _sentence(text: str) -> str:
    """A note as a sentence: capital first letter, full stop at the end."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _percent_text(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def _select_themes(themes: ThemeIndex, wanted: Sequence[str] | None) -> set[str]:
    """Theme numbers to report: all, or the named ones (by name or number) with subthemes."""
    ordered = themes.ordered()
    if not wanted:
        return {th.number for th in ordered}
    by_key: dict[str, Any] = {}
    for th in ordered:
        by_key[th.number] = th
        by_key.setdefault(th.name.casefold(), th)
    out: set[str] = set()
    for item in wanted:
        found = by_key.get(item) or by_key.get(item.casefold())
        if found is None:
            raise NotFoundError(f"themes: no theme named or numbered {item!r}")
        out.add(found.number)
        out.update(themes.themes[c].number for c in found.children)
        if found.parent_id is not None:
            out.add(themes.themes[found.parent_id].number)
    return out


__all__ = ["FORMATS", "OpenDisagreementsError", "Reports", "code_label"]
