"""Taguette's side of ``bench/web_load.py``: run with *Taguette's* Python, not Thematica's.

Taguette (https://www.taguette.org/) lives in a virtual environment of its own (it pins
SQLAlchemy 1.4; Thematica uses 2.x), so ``web_load.py`` calls this script with that
environment's interpreter::

    TAGUETTE_PY bench/taguette_driver.py setup DIR --users coder01,coder02 --password PW
    TAGUETTE_PY bench/taguette_driver.py check DIR

``setup`` writes ``DIR/taguette.conf`` (multi-user server mode, SQLite file
``DIR/taguette.sqlite3``, loopback, a port given with ``--port``) and creates, through
Taguette's own models, the database, the accounts ``admin`` and the coders (one password hash
shared by all, computed with Taguette's own ``User.set_password``), and a project ``bench``
with ``admin`` as its administrator and every coder a member with the ``TAG`` privilege (what
a coder needs to highlight). Documents, tags and highlights are then made by ``web_load.py``
over HTTP, as a browser would. It prints ``{"project": id}``.

``check`` prints every highlight of the project as JSON (id, document id, start, end, tag ids)
and each document's id and name, for the lost/duplicate check. It reads the SQLite file
directly, after the server has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from pathlib import Path

CONFIG = """\
NAME = "Thematica benchmark"
BIND_ADDRESS = "127.0.0.1"
PORT = {port}
BASE_PATH = "/"
DOMAIN = "127.0.0.1:{port}"
SECRET_KEY = "thematica-web-benchmark-not-secret"
DATABASE = "sqlite:///{db}"
EMAIL = "Benchmark <bench@example.invalid>"
TOS_FILE = None
DEFAULT_LANGUAGE = "en_US"
MAIL_SERVER = {{"ssl": False, "host": "localhost", "port": 25}}
COOKIES_PROMPT = False
REGISTRATION_ENABLED = False
SQLITE3_IMPORT_ENABLED = False
X_HEADERS = False
"""


def setup(folder: Path, users: list[str], password: str, port: int) -> dict[str, int]:
    from taguette import database

    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "taguette.sqlite3"
    (folder / "taguette.conf").write_text(CONFIG.format(port=port, db=db_path), encoding="utf-8")
    session_factory = database.connect(f"sqlite:///{db_path}")
    db = session_factory()
    model = database.User(login="admin")
    asyncio.run(model.set_password(password))
    hashed = model.hashed_password
    db.add(model)
    project = database.Project(name="bench", description="web load benchmark")
    db.add(project)
    db.add(
        database.ProjectMember(
            project=project, user_login="admin", privileges=database.Privileges.ADMIN
        )
    )
    for login in users:
        db.add(database.User(login=login, hashed_password=hashed))
        db.add(
            database.ProjectMember(
                project=project, user_login=login, privileges=database.Privileges.TAG
            )
        )
    db.commit()
    result = {"project": int(project.id)}
    db.close()
    return result


def check(folder: Path) -> dict[str, object]:
    conn = sqlite3.connect(folder / "taguette.sqlite3")
    tags: dict[int, list[int]] = {}
    for hid, tag in conn.execute("SELECT highlight_id, tag_id FROM highlight_tags"):
        tags.setdefault(int(hid), []).append(int(tag))
    highlights = [
        [int(h), int(d), int(s), int(e), sorted(tags.get(int(h), []))]
        for h, d, s, e in conn.execute(
            "SELECT id, document_id, start_offset, end_offset FROM highlights ORDER BY id"
        )
    ]
    documents = {int(i): str(n) for i, n in conn.execute("SELECT id, name FROM documents")}
    # who made each highlight: Taguette records it only in its command log
    makers: dict[int, list[str]] = {}
    for hid, login in conn.execute(
        "SELECT json_extract(payload, '$.highlight_id'), user_login FROM commands "
        "WHERE json_extract(payload, '$.type') = 'highlight_add'"
    ):
        makers.setdefault(int(hid), []).append(str(login))
    conn.close()
    return {"highlights": highlights, "documents": documents, "makers": makers}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("folder", type=Path)
    s.add_argument("--users", required=True, help="comma-separated coder logins")
    s.add_argument("--password", required=True)
    s.add_argument("--port", type=int, required=True)
    c = sub.add_parser("check")
    c.add_argument("folder", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "setup":
        out: object = setup(args.folder, args.users.split(","), args.password, args.port)
    else:
        out = check(args.folder)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
