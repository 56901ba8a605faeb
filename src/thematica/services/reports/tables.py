"""The report's tables: Table 1 (participants), Table 2 (themes), agreement overall and the
per-code agreement table that goes to the appendix.

Codes are shown by name, or by path where the same name occurs in several branches of the
codebook ("Organizational/Training" and "Community/Training"), so a row is never ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from thematica.services.reports.model import SimpleTable
from thematica.services.reports.text import ci, num, pct

if TYPE_CHECKING:
    from thematica.core.describe import DescribeRow
    from thematica.core.tables import Table
    from thematica.services.codebook import CodeIndex
    from thematica.services.reports.agreement_figures import AgreementFigures
    from thematica.services.reports.settings import AttributeChoice
    from thematica.services.themes import ThemeIndex

NO_LEVEL = "(no level)"


def code_label(cid: int, index: CodeIndex) -> str:
    """The code's name, or its path when another code has the same name."""
    name = str(index.rows[cid].name)
    return name if len(index.by_name.get(name.casefold(), [])) <= 1 else index.paths[cid]


def label_of_path(path: str, index: CodeIndex) -> str:
    cid = index.by_path.get(path.casefold())
    return path if cid is None else code_label(cid, index)


def participants_table(
    described: Table[DescribeRow], attributes: Sequence[AttributeChoice]
) -> SimpleTable:
    labels = {a.name: a.label for a in attributes}
    rows = []
    previous = None
    for r in described.rows:
        label = labels.get(r.attribute, r.attribute)
        first = label if r.attribute != previous else ""
        rows.append([first, r.value or "Missing", str(r.n), num(r.percent, 1)])
        previous = r.attribute
    return SimpleTable(
        f"Table 1. {described.title}",
        ["Characteristic", "Value", "n", "%"],
        rows,
        align=["l", "l", "r", "r"],
    )


def themes_table(themes: ThemeIndex, index: CodeIndex, selected: set[str]) -> SimpleTable:
    """Table 2: themes by SEM level with their subthemes and codes (the selected themes)."""
    rows = []
    previous = None
    for th in themes.top:
        if th.number not in selected:
            continue
        level = th.level or NO_LEVEL
        children = [themes.themes[c] for c in th.children if themes.themes[c].number in selected]
        code_ids: list[int] = []
        for item in [th, *children]:
            code_ids += [c for c in item.code_ids if c not in code_ids and c in index.rows]
        rows.append(
            [
                level if level != previous else "",
                f"{th.number} {th.name}",
                "; ".join(f"{c.number} {c.name}" for c in children),
                "; ".join(code_label(c, index) for c in code_ids),
            ]
        )
        previous = level
    return SimpleTable(
        "Table 2. Themes and subthemes by Social-Ecological Model level",
        ["SEM level", "Theme", "Subthemes", "Codes"],
        rows,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value(row: dict[str, Any]) -> str:
    value = row.get("value")
    return pct(value) if str(row["measure"]).startswith("percent") else num(value)


def agreement_tables(a: AgreementFigures, index: CodeIndex) -> tuple[SimpleTable, SimpleTable]:
    """The overall table (main text) and the per-code table (appendix)."""
    from thematica.services.reports.methods import UNIT_WORDS

    what = UNIT_WORDS.get(a.unit, (a.unit, a.unit))[0]
    who = " and ".join(a.coders) if len(a.coders) == 2 else ", ".join(a.coders)
    overall = SimpleTable(
        f"Table 3. Inter-coder agreement between {who} ({what})",
        ["Measure", "Value", "95% CI", "Ratings", "Interpretation"],
        [
            [
                _capital(str(r["measure"]).split(" (")[0]),
                _value(r),
                ci(r.get("ci_low"), r.get("ci_high")),
                f"{int(r.get('n_units') or 0):,}",
                str(r.get("label") or r.get("note") or ""),
            ]
            for r in a.overall
        ],
        note=(
            f"Percentile bootstrap intervals, {a.bootstrap:,} resamples, seed {a.seed}."
            if a.bootstrap
            else "No bootstrap intervals were computed."
        ),
        align=["l", "r", "r", "r", "l"],
    )
    used = a.used_codes()
    left_out = len(a.codes) - len(used)
    per_code = SimpleTable(
        "Table A1. Agreement per code",
        ["Code", *(f"Coded by {c}" for c in a.coders), "Agreement", "Kappa", "Alpha", "95% CI"],
        [
            [
                label_of_path(str(r["code"]), index),
                *(str((r.get("coded") or {}).get(c, 0)) for c in a.coders),
                pct(r.get("percent")),
                num(r.get("kappa")),
                num(r.get("alpha")),
                ci(r.get("ci_low"), r.get("ci_high")),
            ]
            for r in used
        ],
        note=(
            (
                f"Coded by: the {UNIT_WORDS[a.unit][1]}s in which each coder applied the code. "
                if a.unit in ("sentence", "turn", "document")
                else "Coded by: each coder's codings of the code. "
            )
            + (
                f"Codes that no coder used ({left_out}) are left out. "
                if left_out > 1
                else ("One code that no coder used is left out. " if left_out else "")
            )
            + (
                f"Alpha intervals: percentile bootstrap, {a.bootstrap:,} resamples, seed {a.seed}."
                if a.bootstrap
                else ""
            )
        ).strip(),
        align=["l", *("r" for _ in a.coders), "r", "r", "r", "r"],
    )
    return overall, per_code
