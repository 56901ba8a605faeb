"""Coder kinds: set when codings are loaded or later, validated, audited, listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import write

from thematica.core.errors import ConflictError, InputError, NotFoundError


def test_kinds_listed_and_changed(small: Any, tmp_path: Path) -> None:
    small.coding.apply("a", "Money", 0, 5, coder="alex")
    small.coding.apply("b", "Money", 0, 5, coder="alex")
    small.coding.apply("b", "Mood", 0, 5, coder="alex")
    csv = write(tmp_path, "c.csv", "document,code,start,end\nc,Money,0,4\n")
    small.coding.import_csv(csv, coder="published", kind="imported")
    rows = [(r.name, r.kind, r.codings, r.documents) for r in small.coding.coder_rows().rows]
    assert rows == [("alex", "human", 3, 2), ("published", "imported", 1, 1)]

    assert small.coding.set_coder_kind("alex", "ai", actor="lead") == "human"
    assert {r.name: r.kind for r in small.coding.coder_rows().rows}["alex"] == "ai"
    entry = small.audit_log(1).rows[0]
    # the entry names who acted; the name given is kept as "on behalf of"
    assert (entry.action, entry.actor, entry.detail) == (
        "coder_kind",
        small.access.name,
        {"coder": "alex", "old": "human", "new": "ai", "on_behalf_of": "lead"},
    )
    # an existing ai coder keeps coding without naming its kind
    small.coding.apply("c", "Mood", 0, 4, coder="alex")
    assert small.coding.set_coder_kind("alex", "ai") == "ai"  # no change, no log entry
    assert small.audit_log(1).rows[0].action == "code"


def test_kind_errors_change_nothing(small: Any) -> None:
    small.coding.apply("a", "Money", 0, 5, coder="alex")
    with pytest.raises(InputError, match="unknown coder kind 'robot'"):
        small.coding.set_coder_kind("alex", "robot")
    with pytest.raises(NotFoundError, match="no coder named 'zed'; coders: alex"):
        small.coding.set_coder_kind("zed", "ai")
    with pytest.raises(ConflictError, match="alex' is human, not imported"):
        small.coding.apply_many([], coder="alex", kind="imported")
    assert [(r.name, r.kind) for r in small.coding.coder_rows().rows] == [("alex", "human")]


def test_consensus_layer_kind_is_fixed(small: Any) -> None:
    small.coding.apply_many([], coder="final", kind="consensus")
    with pytest.raises(ConflictError, match="consensus layer"):
        small.coding.set_coder_kind("final", "human")
    # and plain coding into it is refused
    with pytest.raises(InputError, match="consensus layer"):
        small.coding.apply("a", "Money", 0, 5, coder="final")
