"""The consensus layer changes only through logged decisions, never by plain coding."""

from __future__ import annotations

import pytest

import thematica


def test_plain_coding_into_the_consensus_layer_is_refused(demo: thematica.Project) -> None:
    demo.consensus.start(coders=("alex", "sam"))
    before = len(demo.coding.list(coder="consensus"))
    with pytest.raises(thematica.InputError, match="consensus"):
        demo.coding.apply("P01-interview", "Staffing", 0, 10, coder="consensus")
    assert len(demo.coding.list(coder="consensus")) == before
