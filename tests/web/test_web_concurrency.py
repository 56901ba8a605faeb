"""Many coders on one document at once, through the HTTP API: no coding is lost or stored
twice, and every audit entry names the coder who made the change."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import update

from conftest import OWNER
from thematica.store import schema as t

CODERS = [f"coder{n}" for n in range(1, 7)]
EACH = 12


def test_six_coders_coding_one_document_at_once(web: Any, password_hash: str) -> None:
    owner = web.as_user(OWNER)
    for name in CODERS:
        owner.members.add(name, "coder")
    with web.project.db.write() as conn:
        conn.execute(update(t.user_account).values(password_hash=password_hash))
    clients = {name: web.client(name) for name in CODERS}
    length = len(owner.documents.get("P01-interview").text)
    acknowledged: dict[str, list[tuple[int, int, int]]] = {name: [] for name in CODERS}
    failures: list[str] = []
    start = threading.Barrier(len(CODERS))

    def code(name: str, k: int) -> None:
        start.wait()
        for i in range(EACH):
            a = (k * 997 + i * 131) % (length - 50)
            body = {"document": "P01-interview", "code": "Staffing", "start": a, "end": a + 40}
            r = clients[name].post(f"/api/p/{web.pid}/codings", json=body)
            if r.status_code == 201:
                acknowledged[name].append((r.json()["id"], a, a + 40))
            else:
                failures.append(f"{name}: {r.status_code} {r.text[:100]}")

    threads = [threading.Thread(target=code, args=(n, k)) for k, n in enumerate(CODERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    for name in CODERS:
        stored = sorted(
            (c.id, c.start, c.end) for c in owner.coding.list(coder=name, document="P01-interview")
        )
        assert stored == sorted(acknowledged[name]), name
        assert len(stored) == EACH
    log = owner.audit_log(None, action="code")
    for name in CODERS:
        mine = [e for e in log if e.detail.get("coder") == name]
        assert len(mine) == EACH and all(e.actor == name for e in mine)
