"""Fixtures for the consensus tests: the demo with a consensus layer started."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def started(demo: Any) -> Iterator[Any]:
    """The demo project with the consensus layer of alex and sam started."""
    demo.consensus.start(("alex", "sam"))
    yield demo
