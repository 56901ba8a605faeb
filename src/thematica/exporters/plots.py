"""The saturation plot: new codes per interview (bars), cumulative codes (line), the point where
saturation was reached marked and labelled. PNG or SVG, drawn with matplotlib's object API
(no pyplot state) and written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.core.errors import InputError

if TYPE_CHECKING:
    from thematica.core.saturation import SaturationResult

FORMATS = ("png", "svg")
#: interviews up to which each bar is labelled with its document name and its count
MAX_LABELLED = 60


def saturation_label(result: SaturationResult) -> str:
    if result.saturation_position is None:
        return "saturation not reached"
    return (
        f"saturation at {result.saturation_reached_at} ({result.report_as}, "
        f"threshold {result.threshold:.0%})"
    )


def saturation_figure(result: SaturationResult, fmt: str = "png") -> bytes:
    """The plot as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise InputError(f"a plot can be written as PNG or SVG, not {fmt!r}")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    steps = result.documents
    if not steps:
        raise InputError("nothing to plot: no documents")
    n = len(steps)
    xs = list(range(1, n + 1))
    # one bar per interview needs room; past MAX_LABELLED the plot is a curve and stays legible
    width = 9.0 if n > MAX_LABELLED else min(16.0, max(7.0, 0.45 * n + 3))
    fig = Figure(figsize=(width, 4.8), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    many = n > MAX_LABELLED  # past this, per-interview labels are unreadable (and slow)
    new_codes = [s.new for s in steps]
    if many:  # one filled step outline instead of a patch per interview
        ax.stairs(
            new_codes,
            [x - 0.5 for x in [*xs, n + 1]],
            fill=True,
            color="#9ecae1",
            label="new codes",
            zorder=2,
        )
        bars: list[Any] = []
    else:
        bars = list(ax.bar(xs, new_codes, color="#9ecae1", label="new codes", zorder=2))
    ax.plot(
        xs,
        [s.cumulative for s in steps],
        color="#08519c",
        marker="" if many else "o",
        markersize=4,
        linewidth=2,
        label="cumulative codes",
        zorder=3,
    )
    top = max(s.cumulative for s in steps) or 1
    ax.set_ylim(0, top * 1.25)
    ax.set_xlim(0.4, n + 0.6)
    ax.axvspan(
        0.5,
        min(result.base, n) + 0.5,
        facecolor="#eeeeee",
        edgecolor="none",
        zorder=0,
        label=f"base (first {result.base})",
    )
    label = saturation_label(result)
    if result.saturation_position is not None:
        at = result.saturation_position
        ax.axvspan(
            at + 0.5,
            at + result.run + 0.5,
            facecolor="#fdd0a2",
            alpha=0.45,
            zorder=0,
            label=f"confirming run ({result.run})",
        )
        ax.axvline(at + 0.5, color="#d94801", linestyle="--", linewidth=1.5, zorder=4)
        y = steps[at - 1].cumulative
        ax.plot([at], [y], marker="*", markersize=14, color="#d94801", zorder=5)
        ax.annotate(
            label,
            xy=(at, y),
            xytext=(0, 18),
            textcoords="offset points",
            ha="center" if 2 < at < n - 1 else ("left" if at <= 2 else "right"),
            fontsize=9,
            color="#a63603",
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#d94801", "lw": 0.8},
            zorder=6,
        )
    else:
        ax.text(
            0.99,
            0.97,
            label,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#555555",
        )
    for bar, step in zip(bars, steps, strict=False):
        if step.new:
            inside = step.new > 0.12 * top
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                step.new / 2 if inside else step.new,
                str(step.new),
                ha="center",
                va="center" if inside else "bottom",
                fontsize=8,
                color="#08306b",
                zorder=6,
            )
    names = [s.document for s in steps]
    if many:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.set_xticks(xs)
        rotate = n > 8 or max(len(s) for s in names) > 8
        ax.set_xticklabels(
            names, rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8
        )
    ax.set_xlabel("interview, in order" + (" (position)" if many else ""))
    ax.set_ylabel("codes")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(
        f"Saturation: base {result.base}, run {result.run}, threshold {result.threshold:g}",
        fontsize=11,
    )
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=1)
    ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    import matplotlib

    buf = io.BytesIO()
    # SVG text stays text (searchable, editable in a drawing program), not glyph outlines.
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def write_saturation_plot(result: SaturationResult, path: str | Path) -> Path:
    """Write the plot; the format follows the suffix (.png or .svg)."""
    from thematica.exporters.atomic import write_atomic

    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InputError(f"cannot write a plot to {target.name}: use a .png or .svg file name")
    return write_atomic(target, saturation_figure(result, fmt))
