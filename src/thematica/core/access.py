"""Who may do what in a project: roles, the operations they allow, and blind coding.

Plain data and one decision function, so the rule is the same for the command line, the Python
API and the web application, and a test can walk the whole table. The service layer asks
:func:`allowed` before every read or write (see ``services/access.py``); no face decides.

Roles, after Taguette's and the usual lab split:

* **owner** — runs the study: members, codebook, imports, consensus, settings, deletion, and
  may write any coder layer (loading a legacy or published layer is an owner's job);
* **coder** — codes and writes memos in their own layer (the layer named like the user);
* **viewer** — reads results.

While coding is *blind* (a project setting, on by default) only owners read coder layers other
than their own; a coder reads their own layer, and everyone reads the consensus layer. An owner
opens comparison (``blind`` off) when the independent coding is done.

Where the services apply the layer rules, decided as a careful PI would:

* every read of a named layer resolves it through ``Coding.coder_ids``, which checks each layer:
  retrieval, the codings list and export, prevalence, co-occurrence, saturation, matrices (the
  layer fixed when the matrix was made), reports and agreement (comparing is exactly what
  blinding withholds, so agreement needs both layers readable);
* consensus disagreements, status and the decision log show both compared coders' text: the two
  layers are checked when the consensus layer is looked up (so a report, which states the
  agreement and open disagreements behind its consensus layer, is an owner's while blind);
* a REFI-QDA project export (``.qdpx``) carries every layer, so every layer is checked: while
  blind only an owner exports the whole project; a saved agreement run checks the layers it
  compared, and the audit log leaves out, for anyone but an owner, the entries that itemise a
  layer they may not read;
* an ``ai`` layer (a model's suggestions) is read by every member, unless the model learned
  from layers the member may not read (then it follows those layers);
* counts are not content: how many codings each layer holds (the coders list), codings per code
  (codebook tree and export) and per document stay visible to every member, as in NVivo's
  reference counts; full-text search reads no layer; memos are the team's shared notes;
* coders write only their own layer: applying one or many codings, tables and CSV files (through
  ``ensure_coder``), auto-coding (checked before even a dry run reads the target layer),
  removing a coding, and a memo on a coding. Starring exemplar quotes is analysis (owners), and
  undoing a batch is deletion (owners).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "OPERATIONS",
    "ROLES",
    "Actor",
    "Operation",
    "Role",
    "allowed",
    "may_read_layer",
    "may_write_layer",
]


class Role(StrEnum):
    OWNER = "owner"
    CODER = "coder"
    VIEWER = "viewer"


ROLES = tuple(Role)


class Operation(StrEnum):
    """The kinds of operation a service method performs; each public method declares one."""

    READ = "read"  # documents, cases, codebook, themes, results of the readable layers
    CODE = "code"  # add or remove codings in a coder layer (which layer: may_write_layer)
    MEMO = "memo"  # write memos
    CODEBOOK = "codebook"  # change codes, groups, versions
    IMPORT = "import"  # documents, cases, attributes, speaker maps, whole projects
    ANALYSE = "analyse"  # themes, framework matrices, saved agreement runs, stars
    CONSENSUS = "consensus"  # reconcile layers, record decisions
    SETTINGS = "settings"  # project settings, coder kinds
    MEMBERS = "members"  # add, remove members and set roles
    DELETE = "delete"  # remove documents, undo batches


_ALL = frozenset(Role)
_OWNER = frozenset({Role.OWNER})

#: operation -> the roles that may perform it (layer rules come on top, below)
OPERATIONS: dict[Operation, frozenset[Role]] = {
    Operation.READ: _ALL,
    Operation.CODE: frozenset({Role.OWNER, Role.CODER}),
    Operation.MEMO: frozenset({Role.OWNER, Role.CODER}),
    Operation.CODEBOOK: _OWNER,
    Operation.IMPORT: _OWNER,
    Operation.ANALYSE: _OWNER,
    Operation.CONSENSUS: _OWNER,
    Operation.SETTINGS: _OWNER,
    Operation.MEMBERS: _OWNER,
    Operation.DELETE: _OWNER,
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The person a service call acts for; ``role`` is their role in the open project (None:
    not a member)."""

    name: str
    role: Role | None = None


def allowed(role: Role | None, operation: Operation) -> bool:
    return role is not None and role in OPERATIONS[operation]


def may_read_layer(
    actor: Actor,
    layer: str,
    *,
    kind: str,
    blind: bool,
    sources: Sequence[tuple[str, str]] = (),
) -> bool:
    """Whether ``actor`` may read the coder layer ``layer`` (of coder kind ``kind``).

    An ``ai`` layer is a model's suggestions, not a colleague's judgement, so every member
    reads it even while coding is blind, unless the model learned from layers (``sources``:
    ``(layer, kind)`` pairs) the member may not read: suggestions trained on a blind
    colleague's codings would show that colleague's coding by another route.
    """
    if actor.role is None:
        return False
    if actor.role is Role.OWNER or not blind or kind == "consensus":
        return True
    if kind == "ai":
        return all(
            may_read_layer(actor, name, kind=k, blind=blind) for name, k in sources if k != "ai"
        )
    return actor.role is Role.CODER and layer.casefold() == actor.name.casefold()


def may_write_layer(actor: Actor, layer: str) -> bool:
    """Owners write any layer (loading legacy or published codings); coders only their own."""
    if actor.role is Role.OWNER:
        return True
    return actor.role is Role.CODER and layer.casefold() == actor.name.casefold()
