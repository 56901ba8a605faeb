"""Helpers for the embedding-backend tests (a module with a unique name, so test files can
import it wherever pytest puts them on sys.path)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip when something optional is missing here, fail under CI=true where it must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)
