"""Fixtures of the clusters tests (the data and the chat server are in ai_clusters_study.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ai_clusters_study import ChatServer, build_study


@pytest.fixture
def study(db_url: str, tmp_path: Path) -> Iterator[Any]:
    import thematica

    folder = tmp_path / "files"
    folder.mkdir()
    p = thematica.init_project(db_url, "study", actor="pi")
    build_study(p, folder)
    yield p
    p.close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.stop()
