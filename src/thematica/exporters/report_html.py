"""A results draft as one self-contained HTML page (figures inlined as SVG), from a Jinja2
template in ``thematica/data/report/``."""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thematica.services.reports import ReportData

TEMPLATE = "report.html.j2"


_ID = re.compile(r'\b(id="|href="#|url\(#)([^"()]+)')


def inline_svg(svg: str, prefix: str) -> str:
    """The ``<svg>`` element alone (no XML declaration or DOCTYPE, which HTML does not take),
    its ids and the references to them prefixed, so two figures on one page never clash."""
    at = svg.find("<svg")
    body = svg[at:].strip() if at >= 0 else svg
    return _ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)


def render_html(data: ReportData) -> str:
    from jinja2 import Environment, StrictUndefined, select_autoescape
    from markupsafe import Markup

    source = (resources.files("thematica") / "data" / "report" / TEMPLATE).read_text("utf-8")
    env = Environment(
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.from_string(source)
    sem_svg = Markup(inline_svg(data.sem_figure.svg, "sem"))
    sat_svg = (
        Markup(inline_svg(data.saturation.svg, "saturation"))
        if data.saturation is not None
        else None
    )
    return template.render(data=data, sem_svg=sem_svg, saturation_svg=sat_svg)
