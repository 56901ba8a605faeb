"""Fixtures for the agreement tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agr_helpers import build_small


@pytest.fixture
def small(project: Any, tmp_path: Path) -> Any:
    return build_small(project, tmp_path / "files")
