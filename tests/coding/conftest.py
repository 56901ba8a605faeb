"""Fixtures for the coding tests: the small hand-checkable project on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import build


@pytest.fixture
def small(project: Any, tmp_path: Path) -> Any:
    return build(project, tmp_path)
