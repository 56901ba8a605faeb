"""Fixtures for the team-server tests: the fake OpenAI-compatible server (started once per
session, its mode and request log reset for every test) and projects configured to use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ai_fake_server import FakeServer, FakeState


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_ai(fake_server: FakeServer) -> Iterator[FakeServer]:
    """The fake server, in mode "ok" with an empty request log."""
    fake_server.state.reset()
    yield fake_server
    fake_server.state.reset()


@pytest.fixture
def fake_state(fake_ai: FakeServer) -> FakeState:
    return fake_ai.state
