"""Consensus: two coders' codings reconciled into a consensus coder layer, with a decision log.

``start`` pairs coder A's and coder B's codings per document and code
(:func:`thematica.core.segments.match_segments`). Identical spans go into the consensus layer at
once, each logged as an ``agreed`` decision. Everything else is a disagreement the team decides
in its meeting: ``keep_a``, ``keep_b``, ``keep_both``, ``merge`` (the union of the spans),
``edit`` (an explicit span and code) or ``drop``, with a free-text reason. The consensus is the
team's judgement, not a subset of the coders': ``add`` records a coding neither coder made and
``overturn`` removes one both made. A final reconciled table can also be applied as a whole
(``apply_final``), which derives and records every decision.

A disagreement is one of

* ``boundary``: both coders applied the same code to overlapping but different spans;
* ``only_a`` / ``only_b``: one coder applied a code the other did not apply there. Coding is
  multi-label: A's ``X`` where B has ``Y`` is two of these, decided independently;
* ``different_code``: A's ``X`` against B's ``Y`` over the same text when the codebook declares
  X and Y mutually exclusive (an ``exclusive`` parent code), so only one can stand.

Its id is made of the source coding ids (``a12-b40``, ``a12``, ``b40``), so it stays the same
between runs. Every decision writes its consensus codings and one row of the decision log
(``consensus_decision``: the disagreement as shown, the source codings, the result codings,
who, when, why) in one transaction. The two coders' own codings are never changed. Decisions
are never deleted: ``revise=True`` logs a new decision that supersedes the old one and replaces
the consensus codings the old one wrote.

The layer is a coder of kind ``consensus``; once it exists, reads that name no coder use it.
Which coders a layer compares (and its ``min_overlap``) is recorded in the audit log by
``start`` (action ``consensus_start``), which is append-only.

Modules: :mod:`.rows` (what is handed out), :mod:`.layers`, :mod:`.pairing` (the agenda),
:mod:`.decision_log` (what is in force), :mod:`.deciding` (recording decisions),
:mod:`.final_table` (a final table as a whole), :mod:`.service` (the public API).
"""

from thematica.services.consensus.rows import (
    ACTIONS,
    AGREED_REASON,
    DECISION_COLUMNS,
    DEFAULT_LAYER,
    DISAGREEMENT_COLUMNS,
    FILE_COLUMNS,
    KINDS,
    LOG_ACTIONS,
    DecisionRow,
    Disagreement,
    FinalSummary,
    Request,
    Side,
    StartSummary,
    StatusRow,
)
from thematica.services.consensus.service import Consensus

__all__ = [
    "ACTIONS",
    "AGREED_REASON",
    "DECISION_COLUMNS",
    "DEFAULT_LAYER",
    "DISAGREEMENT_COLUMNS",
    "FILE_COLUMNS",
    "KINDS",
    "LOG_ACTIONS",
    "Consensus",
    "DecisionRow",
    "Disagreement",
    "FinalSummary",
    "Request",
    "Side",
    "StartSummary",
    "StatusRow",
]
