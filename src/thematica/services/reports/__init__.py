"""Results drafts: the tables, figures, prevalence and exemplar quotes of a study in one document.

``project.reports.render("docx")`` (or ``"md"`` / ``"html"``) renders a draft of a paper's
results section (``thematica.exporters.project_files.write_report(project, "results.docx")``
writes it), assembled from the project and from one set of :class:`ReportSettings`
(defaults, a YAML file from ``thematica report init``, flags on top):

* a **methods paragraph** that states only what is true of the project
  (:mod:`~thematica.services.reports.methods`): interviews and cases; as independent coders only
  the coders of kind ``human``; the coders actually compared, the unit and the codes compared,
  with the very numbers ``thematica agreement`` prints for the same settings, or those of a
  saved run (:mod:`~thematica.services.reports.agreement_figures`); the consensus counts; the
  codebook; the saturation settings and point as a number of interviews;
* Table 1 (participants; :mod:`~thematica.services.reports.participants` chooses its
  attributes), Table 2 (themes by SEM level), the SEM figure, the overall agreement table and
  the saturation plot;
* for each theme and subtheme: its description, its prevalence in words and numbers ("most
  participants (5 of 7, 71.4%)") and exemplar quotes (:mod:`~thematica.services.reports.quotes`);
* an appendix with the per-code agreement table.

A report that reads a consensus layer with open disagreements is refused
(:class:`OpenDisagreementsError`) unless ``allow_open`` is set; the findings then open with a
notice that the coding is provisional. Every report carries a **state hash**
(:mod:`~thematica.services.reports.state`): the same project state and settings give the same
file, byte for byte, in every format.
"""

from __future__ import annotations

from thematica.services.reports.model import (
    Figure,
    Quote,
    RenderedReport,
    ReportData,
    ReportResult,
    SimpleTable,
    ThemeSection,
)
from thematica.services.reports.quotes import (
    MAX_QUOTES,
    QUOTE_WORDS,
    _Candidate,
    choose_quotes,
    default_quote_key,
    prevalence_words,
)
from thematica.services.reports.service import FORMATS, OpenDisagreementsError, Reports
from thematica.services.reports.settings import (
    AttributeChoice,
    ReportSettings,
    load_settings,
    settings_from_mapping,
)
from thematica.services.reports.state import canonical_hash

__all__ = [
    "FORMATS",
    "MAX_QUOTES",
    "QUOTE_WORDS",
    "AttributeChoice",
    "Figure",
    "OpenDisagreementsError",
    "Quote",
    "RenderedReport",
    "ReportData",
    "ReportResult",
    "ReportSettings",
    "Reports",
    "SimpleTable",
    "ThemeSection",
    "_Candidate",
    "canonical_hash",
    "choose_quotes",
    "default_quote_key",
    "load_settings",
    "prevalence_words",
    "settings_from_mapping",
]
