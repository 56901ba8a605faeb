"""Figures for a results section: the Social-Ecological Model figure and heat maps.

Both are drawn with matplotlib at their print size (at most 6.5 in wide, which fits A4 and US
Letter pages inside ordinary margins), so the font sizes set here are the printed sizes: theme
text 8.5 pt, level names 10 pt, never below 8 pt. SVG keeps text as text (searchable, editable);
PNG is rendered at 200 dpi.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thematica.core.errors import InputError

PAGE_WIDTH_IN = 6.5
THEME_PT = 8.5
LEVEL_PT = 10.0
LINE_GAP = 1.3  # line height as a multiple of the font size
PNG_DPI = 200
#: light fills, innermost first (colour-blind safe tints of the Okabe-Ito palette)
RING_COLOURS = ("#fde7c2", "#d4ecf7", "#d5efe3", "#f4dbe8", "#ececec", "#fff6bf")
EDGE = "#4a4a4a"


FIGURE_FORMATS = ("png", "svg")


def figure_format(path: str | Path) -> str:
    """The figure format a file name asks for (its suffix: png or svg)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise InputError(f"a figure is written as .png or .svg, not {Path(path).name!r}")
    return suffix


def _check_format(fmt: str) -> str:
    value = fmt.lower().lstrip(".")
    if value not in FIGURE_FORMATS:
        raise InputError(f"a figure is drawn as png or svg, not {fmt!r}")
    return value


def _text_width_in(text: str, size_pt: float, bold: bool = False) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as OutlinePath
    from matplotlib.textpath import TextPath

    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    path = TextPath((0, 0), text, size=size_pt, prop=prop)
    # The outline points' horizontal span: the same width as path.get_extents() on glyph
    # outlines, without its per-curve extrema search (about 1,000 times slower).
    xs = path.vertices[:, 0]
    if path.codes is not None:
        xs = xs[path.codes != OutlinePath.CLOSEPOLY]
    return float(xs.max() - xs.min()) / 72.0 if xs.size else 0.0


def _render(fig: Any, fmt: str) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def _rc() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",  # text stays text in the SVG
        "font.family": "DejaVu Sans",
        "svg.hashsalt": "thematica",  # reproducible ids
    }


def sem_figure(
    levels: Sequence[tuple[str, Sequence[str]]],
    fmt: str = "png",
    *,
    title: str | None = None,
) -> bytes:
    """Concentric circles, innermost level first, each level's themes written in its ring.

    ``levels`` is [(level name, [theme label, ...]), ...] from the innermost level outwards.
    The themes of the innermost level sit in the central disc; every other level's themes sit
    in the upper part of its ring, above the circle inside it. Long names are wrapped; the
    wrap width is narrowed until the figure fits the page width.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse

    fmt = _check_format(fmt)
    if not levels:
        raise InputError("no themes to draw")
    lh_theme = THEME_PT * LINE_GAP / 72.0
    lh_level = LEVEL_PT * LINE_GAP / 72.0
    pad = 0.06  # inches between text and circle lines
    layout: list[tuple[float, list[tuple[str, float, float, bool]]]] = []
    fitted = False
    for aspect, wrap in ((k, w) for k in (1.0, 1.15, 1.3, 1.45, 1.6) for w in range(46, 15, -2)):
        layout = []
        radius = 0.0
        for i, (level, themes) in enumerate(levels):
            header = (level.capitalize(), lh_level, True)
            blocks = [
                [(piece, lh_theme, False) for piece in textwrap.wrap(theme, wrap) or [""]]
                for theme in themes
            ]
            if i == 0:
                above = [header, *(line for block in blocks for line in block)]
                below: list[tuple[str, float, bool]] = []
                y_top = sum(h for _t, h, _b in above) / 2
            else:
                # themes split between the ring's upper and lower parts, heights balanced
                best = None
                for m in range(len(blocks) + 1):
                    up = [header, *(line for block in blocks[:m] for line in block)]
                    down = [line for block in blocks[m:] for line in block]
                    worst = max(sum(h for _t, h, _b in up), sum(h for _t, h, _b in down))
                    if best is None or worst < best[0]:
                        best = (worst, up, down)
                assert best is not None
                _worst, above, below = best
                y_top = radius + pad + sum(h for _t, h, _b in above)
            placed: list[tuple[str, float, float, bool]] = []
            need = 0.0
            for part, start in ((above, y_top), (below, -(radius + pad))):
                y = start
                for text, h, bold in part:
                    centre = y - h / 2
                    size = LEVEL_PT if bold else THEME_PT
                    half = _text_width_in(text, size, bold) / 2
                    # the line's outer corners must stay inside this level's circle
                    need = max(
                        need, math.hypot((half + pad) / aspect, abs(centre) + h / 2 + pad / 2)
                    )
                    placed.append((text, centre, size, bold))
                    y -= h
            thickness = max(sum(h for _t, h, _b in above), sum(h for _t, h, _b in below))
            radius = max(need, radius + thickness + 2 * pad)
            layout.append((radius, placed))
        if 2 * radius * aspect + 0.2 <= PAGE_WIDTH_IN:
            fitted = True
            break
    if not fitted:
        raise InputError("too many themes to fit the SEM figure on a page; shorten the names")
    width_in = 2 * radius * aspect + 0.2
    size_in = 2 * radius + 0.2
    top = 0.45 if title else 0.1
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(width_in, size_in + top))
        ax = fig.add_axes((0.0, 0.0, 1.0, size_in / (size_in + top)))
        ax.set_xlim(-width_in / 2, width_in / 2)
        ax.set_ylim(-size_in / 2, size_in / 2)
        ax.set_aspect("equal")
        ax.axis("off")
        for i in range(len(layout) - 1, -1, -1):
            r, _ = layout[i]
            ax.add_patch(
                Ellipse(
                    (0, 0),
                    2 * r * aspect,
                    2 * r,
                    facecolor=RING_COLOURS[i % len(RING_COLOURS)],
                    edgecolor=EDGE,
                    linewidth=1.0,
                )
            )
        for _r, placed in layout:
            for text, centre, size, bold in placed:
                ax.text(
                    0,
                    centre,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size,
                    fontweight="bold" if bold else "normal",
                    color="#1a1a1a",
                )
        if title:
            fig.text(0.5, 1 - 0.2 / (size_in + top), title, ha="center", va="top", fontsize=11)
        try:
            return _render(fig, fmt)
        finally:
            plt.close(fig)


def heatmap(
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    values: Sequence[Sequence[float]],
    fmt: str = "png",
    *,
    title: str = "",
    colour_label: str = "Jaccard",
) -> bytes:
    """A square heat map: colour from ``values`` (0–1), each cell labelled with its count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fmt = _check_format(fmt)
    n = len(labels)
    if n == 0:
        raise InputError("nothing to draw")
    for chars in range(44, 11, -2):
        short = [lab if len(lab) <= chars else lab[: chars - 1] + "…" for lab in labels]
        label_in = max(_text_width_in(s, 8) for s in short) + 0.15
        if label_in <= 2.2:
            break
    cell = min(0.45, (PAGE_WIDTH_IN - label_in - 1.0) / n)
    if cell < 0.16:
        raise InputError(f"{n} rows are too many for a legible heat map; use fewer codes")
    cell_pt = 8
    grid_in = cell * n
    width = max(4.8, label_in + grid_in + 1.0)
    height = label_in + grid_in + 0.7
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(width, height))
        left = label_in / width
        bottom = label_in / height
        ax = fig.add_axes((left, bottom, grid_in / width, grid_in / height))
        image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="equal")
        ax.set_xticks(range(n), short, rotation=90, fontsize=8)
        ax.set_yticks(range(n), short, fontsize=8)
        ax.tick_params(which="both", length=0)
        ax.set_xticks([x - 0.5 for x in range(1, n)], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, n)], minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for i in range(n):
            for j in range(n):
                if counts[i][j]:
                    ax.text(
                        j,
                        i,
                        str(counts[i][j]),
                        ha="center",
                        va="center",
                        fontsize=cell_pt,
                        color="white" if values[i][j] > 0.55 else "#1a1a1a",
                    )
        bar_ax = fig.add_axes(
            ((label_in + grid_in + 0.25) / width, bottom, 0.12 / width, grid_in / height)
        )
        bar = fig.colorbar(image, cax=bar_ax)
        bar.set_label(colour_label, fontsize=8)
        bar.ax.tick_params(labelsize=8)
        if title:
            fig.text(
                0.5,
                1 - 0.15 / height,
                "\n".join(textwrap.wrap(title, int(width * 12))),
                ha="center",
                va="top",
                fontsize=9,
            )
        try:
            return _render(fig, fmt)
        finally:
            plt.close(fig)
