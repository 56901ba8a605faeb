"""Fixtures for the consensus tests: the demo with a consensus layer started."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cons_helpers import declare_alternatives


@pytest.fixture
def started(demo: Any) -> Iterator[Any]:
    """The demo project with the consensus layer of alex and sam started, two of its code groups
    declared mutually exclusive (so that some disagreements are different_code)."""
    declare_alternatives(demo)
    demo.consensus.start(("alex", "sam"))
    yield demo
