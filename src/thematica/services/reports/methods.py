"""The methods paragraph: only what is true of this project, in a manuscript's words.

It names as independent coders only the coders whose kind is ``human``; an imported, AI or
consensus layer in the comparison is named for what it is. It states the coders actually
compared, the unit, the codes compared and where the numbers come from (a saved run, or the
same computation as ``thematica agreement``), the consensus counts (open disagreements
included), and the saturation settings with the point as a number of interviews. No sentence
opens with a numeral.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thematica.services.reports.text import (
    and_list,
    ci,
    count_word,
    num,
    pct,
    plural,
    sentence_count,
)

if TYPE_CHECKING:
    from thematica.core.saturation import SaturationResult
    from thematica.services.reports.agreement_figures import AgreementFigures

KIND_WORDS = {
    "imported": "an imported coding layer",
    "ai": "AI-suggested coding",
    "consensus": "a consensus layer",
}
UNIT_WORDS = {
    "sentence": ("sentences × codes", "sentence"),
    "turn": ("speaker turns × codes", "turn"),
    "document": ("whole interviews × codes", "interview"),
    "segment": ("coded segments (codings paired by overlap)", "segment"),
    "character": ("characters of text (overlap of coded spans)", "character"),
}


@dataclass(slots=True)
class MethodsFacts:
    n_documents: int
    n_cases: int
    kinds: dict[str, str]  # every coder -> kind
    layer: list[str]  # the coders whose coding the findings read
    coverage: dict[str, int]  # coder -> documents with at least one of its codings
    n_codes: int
    deductive: int
    inductive: int
    agreement: AgreementFigures | None = None
    agreement_missing: str = ""  # why there is no agreement, when there is none
    consensus: dict[str, Any] | None = None  # consensus status record of the layer read
    saturation: SaturationResult | None = None
    saturation_order: str | None = None
    saturation_unit: str = "document"
    #: some documents are focus groups (speakers mapped to participants)
    focus_groups: bool = False
    extra: list[str] = field(default_factory=list)


def _who(name: str, kinds: dict[str, str]) -> str:
    kind = kinds.get(name, "human")
    return name if kind == "human" else f"{name} ({KIND_WORDS.get(kind, kind)})"


def coders_sentences(f: MethodsFacts) -> list[str]:
    compared = f.agreement.coders if f.agreement is not None else []
    humans = [c for c in compared if f.kinds.get(c) == "human"]
    others = [c for c in compared if f.kinds.get(c) != "human"]
    if not compared:
        humans = [c for c in f.layer if f.kinds.get(c) == "human"]
    out = []
    if len(humans) >= 2:
        out.append(
            f"{sentence_count(len(humans))} coders ({and_list(humans)}) coded the transcripts "
            "independently."
        )
    elif humans:
        out.append(f"One coder ({humans[0]}) coded the transcripts.")
    if humans and any(f.coverage.get(c, 0) < f.n_documents for c in humans):
        parts = []
        for c in humans:
            n = f.coverage.get(c, 0)
            parts.append(f"{c} coded {'all' if n == f.n_documents else f'{n:,}'}")
        out.append(f"Of the {f.n_documents:,} interviews, {and_list(parts)}.")
    if others:
        named = and_list([_who(c, f.kinds) for c in others])
        verb = "was" if len(others) == 1 else "were"
        out.append(
            f"The comparison also included {named}, which {verb} not "
            f"{'an independent coder' if len(others) == 1 else 'independent coders'}."
        )
    return out


def agreement_sentences(f: MethodsFacts) -> list[str]:
    a = f.agreement
    if a is None:
        return [f.agreement_missing] if f.agreement_missing else []
    what, _single = UNIT_WORDS.get(a.unit, (a.unit, a.unit))
    used = a.used_codes()
    if a.codes_asked:
        asked = list(a.codes_asked)
        codes = f"for the {plural(len(asked), 'code')} {and_list(asked)}"
        if len(used) > len(asked):  # their subcodes were used and compared too
            codes += f" with {plural(len(asked), 'its', 'their')} subcodes ({len(used)} codes used)"
    else:
        codes = (
            f"for the {len(used)} {plural(len(used), 'code')} that "
            f"{'either' if len(a.coders) == 2 else 'any'} coder used "
            f"(of {f.n_codes} in the codebook)"
        )
    bits = []
    alpha = a.measure("Krippendorff")
    kappa = a.measure("kappa")
    percent = a.measure("percent")
    cells = 0
    if alpha is not None and alpha.get("value") is not None:
        interval = ""
        if alpha.get("ci_low") is not None and alpha.get("ci_high") is not None:
            interval = (
                f" (95% CI {ci(alpha['ci_low'], alpha['ci_high'])}; percentile bootstrap, "
                f"{a.bootstrap:,} resamples, seed {a.seed})"
            )
        bits.append(f"{_name(alpha)} = {num(alpha['value'])}{interval}")
        cells = int(alpha.get("n_units") or 0)
    if kappa is not None and kappa.get("value") is not None:
        bits.append(f"{_name(kappa)} = {num(kappa['value'])}")
        cells = cells or int(kappa.get("n_units") or 0)
    if percent is not None and percent.get("value") is not None:
        bits.append(f"percent agreement = {pct(percent['value'])}")
    pair = and_list([_who(c, f.kinds) for c in a.coders])
    out = []
    over = f" over {cells:,} ratings" if cells and a.unit not in ("character", "segment") else ""
    if bits:
        out.append(
            f"Agreement between {pair} was measured on {what} {codes}{over}: "
            f"{'; '.join(bits[:-1]) + ('; and ' if len(bits) > 1 else '') + bits[-1]}."
        )
    else:
        out.append(
            f"Agreement between {pair} on {what} {codes} could not be computed"
            + (f" ({a.overall[0].get('note')})" if a.overall and a.overall[0].get("note") else "")
            + "."
        )
    if a.run is not None and a.run_created is not None:
        out.append(
            f"These figures are those of the saved agreement run “{a.run}” of "
            f"{a.run_created:%Y-%m-%d}, and the coding compared has not changed since."
        )
    return out


def _name(row: dict[str, Any]) -> str:
    """ "Krippendorff's alpha, nominal (sentences × codes)" -> "nominal Krippendorff's alpha"."""
    name = str(row["measure"]).split(" (")[0]
    head, _, level = name.partition(", ")
    return f"{level} {head}" if level else name


def consensus_sentences(f: MethodsFacts) -> list[str]:
    kinds = {f.kinds.get(c) for c in f.layer}
    if kinds == {"consensus"} and f.consensus is not None:
        s = f.consensus
        coders = list(s.get("coders") or [])
        decided = int(s.get("decided") or 0)
        opened = int(s.get("open") or 0)
        added = int(s.get("added") or 0)
        overturned = int(s.get("overturned") or 0)
        # "decided" counts every decision in force but the automatic agreements; the team's own
        # additions were no compared passage, and an overturned agreement is told apart
        resolved = decided - added - overturned
        parts = [
            f"{s.get('agreed', 0)} agreed",
            f"{resolved} {plural(resolved, 'disagreement was', 'disagreements were')} settled",
        ]
        if overturned:
            parts.append(
                f"{overturned} {plural(overturned, 'coding', 'codings')} both coders had made "
                f"{plural(overturned, 'was', 'were')} overturned"
            )
        if opened:
            parts.append(f"{opened} {plural(opened, 'is', 'are')} still open")
        text = (
            f"Disagreements between {and_list(coders)} were resolved by consensus: of "
            f"{s.get('compared', 0)} coded passages compared, {and_list(parts)}."
        )
        if added:
            text += (
                f" The team also added {added} {plural(added, 'coding', 'codings')} that "
                "neither coder had made."
            )
        return [text, "The findings below are based on the consensus coding."]
    names = and_list([_who(c, f.kinds) for c in f.layer])
    return [f"The findings below are based on the coding of {names}."]


def saturation_sentences(f: MethodsFacts) -> list[str]:
    s = f.saturation
    if s is None:
        return []
    by_case = f.saturation_unit == "case"
    things = "participants" if by_case else "interviews"
    default_order = "case name" if by_case else "document name"
    order = f"in order of {f.saturation_order or default_order}"
    head = (
        f"Saturation was assessed following Guest, Namey and Chen (2020), with {things} taken "
        f"{order} (a base of {s.base}, runs of {s.run}, new-information threshold "
        f"{num(100 * s.threshold, 0 if (100 * s.threshold).is_integer() else 1)}%)"
    )
    total = len(s.documents)
    if s.saturation_position is not None:
        return [
            f"{head}: it was reached after {s.saturation_position:,} of {total:,} {things} "
            f"({s.report_as}: the next {count_word(s.run)} "
            f"{things if s.run != 1 else things[:-1]} added new codes at or below the threshold)."
        ]
    if s.notes and total < s.base + s.run:
        return [f"{head}: it could not be assessed with {total:,} {things}."]
    return [f"{head}: it was not reached within the {total:,} {things}."]


def methods_paragraph(f: MethodsFacts) -> str:
    cases = plural(f.n_cases, "participant")
    if f.focus_groups:  # a focus group is one document but several participants
        opening = (
            f"The analysis drew on {f.n_documents:,} {plural(f.n_documents, 'document')} "
            f"(interviews and focus groups) with {f.n_cases:,} {cases}, each counted by "
            "what they said."
        )
    else:
        opening = (
            f"The analysis drew on {f.n_documents:,} {plural(f.n_documents, 'interview')} "
            f"(documents) with {f.n_cases:,} {cases} (cases)."
        )
    parts = [opening]
    parts += coders_sentences(f)
    parts += agreement_sentences(f)
    parts += consensus_sentences(f)
    other = f.n_codes - f.deductive - f.inductive
    parts.append(
        f"The codebook held {f.n_codes} {plural(f.n_codes, 'code')} ({f.deductive} deductive, "
        f"{f.inductive} inductive" + (f", {other} unspecified" if other else "") + ")."
    )
    parts += saturation_sentences(f)
    parts += f.extra
    return " ".join(p for p in parts if p)


def open_notice(consensus: dict[str, Any] | None) -> str:
    """The sentence that opens the findings while disagreements are open ("" when none)."""
    if not consensus or not int(consensus.get("open") or 0):
        return ""
    opened = int(consensus["open"])
    still = plural(opened, "disagreement is", "disagreements are")
    return (
        f"Provisional: the consensus coding is not final. Of {consensus.get('compared', 0)} "
        f"coded passages compared, {opened} {still} still open, so the prevalence and quotes "
        "below may change."
    )
