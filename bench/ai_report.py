"""Markdown for the AI-assistance benchmark blocks of BENCHMARKS.md (quality and speed)."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from ai_corpora import Dataset, Unit
    from ai_quality import Calibration, PriorResult, QuoteResult, Row


def fmt(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.2f}"


def run_line(total: str, load: str) -> str:
    command = " ".join([".venv/bin/python", sys.argv[0], *sys.argv[1:]])
    return (
        f"Run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, `{command}` (total {total}; "
        f"load average {load})"
    )


def machine_table(env: dict[str, str]) -> list[str]:
    return ["| Machine | |", "|---|---|", *(f"| {k} | {v} |" for k, v in env.items()), ""]


def render_quality(
    begin: str,
    end: str,
    rows: list[Row],
    cals: list[Calibration],
    quotes: list[QuoteResult],
    priors: list[PriorResult],
    datasets: list[Dataset],
    cal_units: dict[str, list[Unit]],
    env: dict[str, str],
    args: argparse.Namespace,
    timing: dict[str, str],
    target: float,
) -> str:
    lines = [begin, "", run_line(timing["total"], timing["load"]), "", *machine_table(env)]
    lines += [
        "Time per backend: "
        + "; ".join(f"{k} {v}" for k, v in timing.items() if k not in {"total", "load"})
        + ".",
        "",
        "#### Corpora and samples",
        "",
        f"Seeds: split and sample seed {args.seed}; few-shot examples drawn per code from the "
        "training split with a seeded shuffle (the 5 are the first 5 of the 20). Scoring: "
        "`thematica.ai.scoring` defaults (`ScoringParams()`: label `name: definition`, mean "
        "over a unit's sentences, kNN k = 5, prior 5), sentences cut by "
        "`core.units.split_sentences`; few-shot examples embedded as the service does "
        "(`EmbeddingScorer.set_examples`: normalised mean of their first 8 sentences).",
        "",
        "| Corpus | Codes | Held-out units scored | Calibration units (training split) "
        "| Units in the split pools (train / test) | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for ds in datasets:
        lines.append(
            f"| {ds.name} | {len(ds.codes)} | {len(ds.test):,} "
            f"({sum(len(u.labels) for u in ds.test) / max(1, len(ds.test)):.2f} codes each) "
            f"| {len(cal_units[ds.name]):,} | {ds.sizes.get('train_pool', 0):,} / "
            f"{ds.sizes.get('test_pool', 0):,} | {ds.note} |"
        )
    lines += ["", *_quotes(quotes, target), "", *_quality(rows, datasets)]
    lines += ["", *_priors(priors), "", *_calibration(cals)]
    worst = max((r.worst_kappa_diff for r in rows), default=0.0)
    lines += [
        "",
        f"Kappa check: every per-code kappa above was recomputed with scikit-learn's "
        f"`cohen_kappa_score`; largest difference {worst:.1e}.",
        "",
        end,
    ]
    return "\n".join(lines)


def _quotes(quotes: list[QuoteResult], target: float) -> list[str]:
    questions = sorted({q for r in quotes for q in r.correct})
    lines = [
        "#### Published quotes against the theme codebook (zero-shot, top-1 theme accuracy)",
        "",
        "Every example statement in `world_after_covid/codebook.md`, classified against the "
        "themes' labels (the quotes themselves are never in a label); a quote listed under "
        "several themes is right when the top theme is any of them. *Candidates*: the themes "
        "coded for the quote's question in `codes.csv` (20-24), or all themes. The last "
        "variant adds every published quote as an extra label of its theme (a code's score is "
        "its best label, as `scoring` does for subcodes) except the quote being classified "
        "(leave-one-out): what a codebook with examples gives. "
        f"The issue's reference points (0.42 TF-IDF, 0.58 MiniLM, target {target:.2f}) are on "
        "a different, 8-theme set, so they are not directly comparable.",
        "",
        "| Backend | Labels | Candidates | "
        + " | ".join(
            f"{q} (n={next(iter(r.correct[q][1] for r in quotes if q in r.correct))})"
            for q in questions
        )
        + " | Overall |",
        "|---|---|---|" + "---|" * (len(questions) + 1),
    ]
    for r in quotes:
        cells = [
            f"{r.correct[q][0] / r.correct[q][1]:.2f}" if q in r.correct else "–" for q in questions
        ]
        overall = f"**{r.overall:.2f}**" if r.variant == "definition" else f"{r.overall:.2f}"
        labels = {
            "definition": "name: definition",
            "name": "name only",
            "examples": "name: definition + the theme's other published quotes as labels",
        }[r.variant]
        lines.append(
            f"| {r.backend} | {labels} | {r.scope} | " + " | ".join(cells) + f" | {overall} |"
        )
    return lines


def _prf(e: Any) -> str:
    return f"{e.micro_precision:.2f} / {e.micro_recall:.2f} / **{e.micro_f1:.2f}**"


def _quality(rows: list[Row], datasets: list[Dataset]) -> list[str]:
    lines = [
        "#### Suggestions against the human codes (held-out units)",
        "",
        "*top-1 hit*: share of units whose best code is one of the human codes. AnnoMI: "
        "Cohen's κ over the therapist codes for therapist turns and over the client codes for "
        "client turns (one κ over all seven would credit the model for the speaker, which is "
        "given). Micro "
        "precision / recall / F1 over every unit × code that could apply; macro F1 and mean "
        "kappa over the codes with a human positive among the scored units (kappa per code: "
        "AI layer against the human codes, applied or not). Decisions: the best code (top-1), "
        "the best 3 (top-3), or every code whose Platt-calibrated probability is ≥ 0.5, at "
        "most 3 (as `suggest --top 3 --min-score 0.5` does), or ≥ the *tuned* threshold "
        "(the one with the best micro F1 on the training pairs, listed under calibration).",
    ]
    for ds in datasets:
        mine = [r for r in rows if r.dataset == ds.name]
        if not mine:
            continue
        lines += ["", f"**{ds.name}**", ""]
        if ds.multi_label:
            lines += [
                "| Backend | Examples per code | top-1 hit | top-1 P / R / F1 | top-3 P / R / F1 "
                "| p ≥ 0.5 P / R / F1 | tuned P / R / F1 | tuned macro F1 | tuned mean κ "
                "| top-3 macro F1 | top-3 mean κ |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            for r in mine:
                t1, t3 = r.decisions["top1"], r.decisions["top3"]
                p5, tu = r.decisions["p50"], r.decisions["tuned"]
                lines.append(
                    f"| {r.backend} | {r.shots or 'zero-shot'} | {r.hit1:.2f} | {_prf(t1)} "
                    f"| {_prf(t3)} | {_prf(p5)} | {_prf(tu)} | {tu.macro_f1:.2f} "
                    f"| {fmt(tu.mean_kappa)} | {t3.macro_f1:.2f} | {fmt(t3.mean_kappa)} |"
                )
        else:
            keys = [c.key for c in ds.codes]
            lines += [
                "| Backend | Examples per code | Accuracy (top-1) | Cohen's κ therapist / client "
                "| Macro F1 | Mean κ per code | " + " | ".join(f"{k} F1 / κ" for k in keys) + " |",
                "|---|---|---|---|---|---|" + "---|" * len(keys),
            ]
            for r in mine:
                e = r.decisions["top1"]
                per = {c.key: c for c in e.codes}
                kappas = " / ".join(
                    fmt(r.group_kappa[g]) for g in sorted(r.group_kappa, reverse=True)
                )
                lines.append(
                    f"| {r.backend} | {r.shots or 'zero-shot'} | **{r.hit1:.2f}** | {kappas} "
                    f"| {e.macro_f1:.2f} | {fmt(e.mean_kappa)} | "
                    + " | ".join(f"{per[k].f1:.2f} / {fmt(per[k].kappa)}" for k in keys)
                    + " |"
                )
    lines += _sweep(rows, datasets)
    return lines


def _sweep(rows: list[Row], datasets: list[Dataset]) -> list[str]:
    """Micro P / R / F1 of "the best 3 codes at or above a minimum calibrated score"."""
    multi = [ds.name for ds in datasets if ds.multi_label]
    mine = [r for r in rows if r.dataset in multi and r.sweep]
    if not mine:
        return []
    cuts = sorted(mine[0].sweep)
    lines = [
        "",
        "**Minimum calibrated score** (`suggest --min-score X`, best 3 codes at or above X, "
        "pooled Platt curve above): micro precision / recall / F1 on the held-out units.",
        "",
        "| Corpus | Backend | Examples per code | " + " | ".join(f"X = {c}" for c in cuts) + " |",
        "|---|---|---|" + "---|" * len(cuts),
    ]
    for r in mine:
        cells = [f"{p:.2f} / {rc:.2f} / {f:.2f}" for p, rc, f in (r.sweep[c] for c in cuts)]
        lines.append(
            f"| {r.dataset} | {r.backend} | {r.shots or 'zero-shot'} | " + " | ".join(cells) + " |"
        )
    return lines


def _priors(priors: list[PriorResult]) -> list[str]:
    """Top-1 hit (accuracy for AnnoMI) as the few-shot weight changes."""
    if not priors:
        return []
    values = sorted({p.prior for p in priors})
    keys = sorted({(p.backend, p.shots, p.dataset) for p in priors}, key=str)
    lines = [
        "**Few-shot weight** (`ScoringParams.knn_prior`: the examples at which the examples "
        "weigh as much as the label, default 5): top-1 hit / top-3 micro F1 on the held-out "
        "units.",
        "",
        "| Backend | Examples per code | Corpus | "
        + " | ".join(f"prior {v:g}" for v in values)
        + " |",
        "|---|---|---|" + "---|" * len(values),
    ]
    for backend, shots, dataset in keys:
        found = {
            p.prior: p
            for p in priors
            if (p.backend, p.shots, p.dataset) == (backend, shots, dataset)
        }
        cells = [
            f"{found[v].hit1:.2f} / {found[v].top3_f1:.2f}" if v in found else "–" for v in values
        ]
        lines.append(f"| {backend} | {shots} | {dataset} | " + " | ".join(cells) + " |")
    return lines


def _calibration(cals: list[Calibration]) -> list[str]:
    corpora = sorted({k for c in cals for k in c.per_corpus})
    lines = [
        "#### Calibration (Platt scaling, p = 1 / (1 + exp(-(a · raw + b))))",
        "",
        "Fitted on the training-split pairs of the three corpora pooled (each unit × each code "
        "that could apply to it; target: the human code), evaluated on the held-out pairs. "
        "ECE: expected calibration error over 10 equal-width bins, *before* reading the raw "
        "cosine (clipped to [0, 1]) as a probability, *after* the fit.",
        "",
        "| Backend | Examples per code | a | b | raw score at p = 0.5 | tuned threshold (p) "
        "| Training pairs "
        "| Held-out positive rate | ECE before → after | Brier after "
        "| best F1 (training pairs, any p) at p ≥ | "
        + " | ".join(f"ECE {c} before → after" for c in corpora)
        + " |",
        "|---|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(corpora),
    ]
    for c in cals:
        per = [
            f"{c.per_corpus[k][0]:.3f} → {c.per_corpus[k][1]:.3f}" if k in c.per_corpus else "–"
            for k in corpora
        ]
        lines.append(
            f"| {c.backend} | {c.shots or 'zero-shot'} | {c.platt.a:.3f} | {c.platt.b:.3f} "
            f"| {c.platt.threshold(0.5):.3f} | {c.cut:.2f} | {c.pairs:,} | {c.after.positives:.3f} "
            f"| {c.before.ece:.3f} → **{c.after.ece:.3f}** | {c.after.brier:.3f} "
            f"| {c.best_f1:.2f} at {c.best_f1_cut:.2f} | " + " | ".join(per) + " |"
        )
    lines += [
        "",
        "The pooled curve is a compromise: the share of unit × code pairs a human codes differs "
        "by corpus (AnnoMI offers 3-4 codes per utterance, NHS 44 per comment), so the same "
        "raw score means a different probability in each. A fit on one corpus's own training "
        "pairs (what `calibration.project_calibration` does on a project's coded units) gives:",
        "",
        "| Backend | Examples per code | "
        + " | ".join(f"{c}: a, b → held-out ECE" for c in corpora)
        + " |",
        "|---|---|" + "---|" * len(corpora),
    ]
    for c in cals:
        cells = [
            f"{c.own_fit[k][0]:.2f}, {c.own_fit[k][1]:.2f} → {c.own_fit[k][2]:.3f}"
            if k in c.own_fit
            else "–"
            for k in corpora
        ]
        lines.append(f"| {c.backend} | {c.shots or 'zero-shot'} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "One more term fixes most of that without a refit: with K the number of codes a unit "
        "is scored against (the codes in scope), p = 1 / (1 + exp(-(a · raw + b + c · ln K))), "
        "fitted on the same pooled training pairs:",
        "",
        "| Backend | Examples per code | a | b | c | "
        + " | ".join(f"ECE {c} (2-parameter → with ln K)" for c in corpora)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(corpora),
    ]
    for c in cals:
        a, b, k = c.with_k
        cells = [
            f"{c.per_corpus[n][1]:.3f} → **{c.per_corpus_k[n]:.3f}**"
            if n in c.per_corpus_k
            else "–"
            for n in corpora
        ]
        lines.append(
            f"| {c.backend} | {c.shots or 'zero-shot'} | {a:.3f} | {b:.3f} | {k:.3f} | "
            + " | ".join(cells)
            + " |"
        )
    return lines
