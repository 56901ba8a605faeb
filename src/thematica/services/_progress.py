"""A progress callback type, so services can report long work without knowing about terminals."""

from __future__ import annotations

from collections.abc import Callable

#: Called as ``progress(done, total, label)``; front ends draw it, the API ignores it.
Progress = Callable[[int, int, str], None]


def silent(_done: int, _total: int, _label: str) -> None:
    """The default: report nothing."""
