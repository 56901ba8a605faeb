"""Every route of the web application × every role × a foreign project: authorisation is the
service layer's, and no route lets anyone past it.

``EXAMPLES`` is a hand-written table giving each route (method, path template) a VALID request
(path parameters, query, body; ``@key`` names an object :func:`prepare` makes) and, for every
route that changes something, who may send it. A new route missing from it fails
:func:`test_every_route_has_an_example`, as a new service method missing from
tests/access/test_access_matrix.py fails there. Nothing here is read from the code under test.

The walks, on SQLite (PostgreSQL: the foreign walk of the read routes):

* a member of the demo asking for the foreign project (naming its own objects) gets 404 with
  none of its words in the answer, and nothing changes anywhere;
* a member naming the foreign project's objects through their own project gets what a
  nonexistent object gets (nothing to read, nothing to infer);
* otto (no role in the demo) gets 404 everywhere; signed out: 401 (API) or 303 to /login;
* a viewer's write is 403, a coder's on an owner's route is 403, a session write without a
  valid CSRF token (or from another site) is 403 — each with the database untouched;
* while coding is blind, another coder or a viewer never reads sam's layer (a marker).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from conftest import CODER_A, CODER_B, OUTSIDER, OWNER, PASSWORD, VIEWER
from thematica.store import schema as t

D = "P01-interview"
IGNORED = {"/static", "/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
#: words of the foreign project that no answer to a demo member may contain
SECRETS = (
    "confidential",
    "Secret code",
    "secret-interview",
    "Other study",
    "Secret matrix",
    "otto",
)
#: in sam's layer only: while blind, nobody but sam and the owner may read it
SAM_MARK = "SAMS-PRIVATE-NOTE-7f3a"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: who may send a write: signed out, anyone for their own account, any member (a read that
#: runs as a job), a coder (their own layer), an owner
MAY = ("public", "account", "member", "coder", "owner")
Key = tuple[str, str]


@dataclass(frozen=True)
class Ex:
    """A valid request; ``"@key"`` is filled from the prepared objects (``"@key!s"``: as text)."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    form: dict[str, Any] | None = None
    upload: bool = False
    may: str = ""


P, A = "/p/{pid}", "/api/p/{pid}"
CODE, CODING, NEW = {"code_id": "@code"}, {"coding_id": "@alex_coding"}, "/codebook/codes"
PASSWORD_CHANGE = ("POST", "/api/me/password")
# fmt: off
EXAMPLES: dict[Key, Ex] = {
    ("POST", "/api/session"): Ex(json={"user": OUTSIDER, "password": PASSWORD}, may="public"),
    ("DELETE", "/api/session"): Ex(may="account"),
    ("GET", "/api/me"): Ex(),
    PASSWORD_CHANGE: Ex(json={"current": PASSWORD, "new": PASSWORD}, may="account"),
    ("GET", "/api/me/tokens"): Ex(),
    ("POST", "/api/me/tokens"): Ex(json={"label": "probe"}, may="account"),
    ("DELETE", "/api/me/tokens/{token_id}"): Ex({"token_id": "@token_id"}, may="account"),
    ("POST", "/api/invitations/accept"): Ex(
        json={"token": "@invite_api", "password": "pw-new-12"}, may="public"),
    ("GET", "/api/projects"): Ex(),
    ("POST", "/api/projects"): Ex(json={"name": "Probe project"}, may="account"),
    ("GET", "/login"): Ex(may="public"),
    ("POST", "/login"): Ex(form={"user": OUTSIDER, "password": PASSWORD}, may="public"),
    ("POST", "/logout"): Ex(may="account"),
    ("GET", "/invite/{token}"): Ex({"token": "@invite_view"}, may="public"),
    ("POST", "/invite/{token}"): Ex(
        {"token": "@invite_form"}, form={"password": "pw-new-34", "again": "pw-new-34"},
        may="public"),
    ("GET", "/account"): Ex(),
    ("POST", "/account/tokens"): Ex(form={"label": "probe"}, may="account"),
    ("POST", "/account/tokens/{token_id}/revoke"): Ex({"token_id": "@token_id2"}, may="account"),
    ("GET", "/"): Ex(),
    ("POST", "/projects"): Ex(form={"name": "Probe project 2"}, may="account"),
    ("GET", A): Ex(),
    ("PATCH", A + "/settings"): Ex(json={"coders_add_codes": True}, may="owner"),
    ("GET", A + "/members"): Ex(),
    ("POST", A + "/members"): Ex(json={"user": "newcomer", "role": "coder"}, may="owner"),
    ("POST", A + "/members/{user}/invitation"): Ex({"user": "@pending"}, may="owner"),
    ("PATCH", A + "/members/{user}"): Ex({"user": "@rolee"}, json={"role": "viewer"}, may="owner"),
    ("DELETE", A + "/members/{user}"): Ex({"user": "@leaver"}, may="owner"),
    ("GET", A + "/documents"): Ex(),
    ("GET", A + "/documents/{name:path}"): Ex({"name": "@doc"}),
    # captions of a timed document (issue 12: recordings)
    ("GET", A + "/documents/{name:path}/captions"): Ex({"name": "@timed_doc"},
                                                      query={"format": "srt"}),
    ("PUT", A + "/documents/{name:path}/status"): Ex(
        {"name": "@doc"}, json={"status": "done"}, may="coder"),
    ("POST", A + "/documents"): Ex(upload=True, may="owner"),
    ("GET", A + "/codings"): Ex(query={"document": "@doc"}),
    ("POST", A + "/codings"): Ex(
        json={"document": "@doc", "code": "@code_name", "start": 0, "end": 11}, may="coder"),
    ("GET", A + "/codings/{coding_id}"): Ex(CODING),
    ("PATCH", A + "/codings/{coding_id}"): Ex(CODING, json={"memo": "probe"}, may="coder"),
    ("DELETE", A + "/codings/{coding_id}"): Ex({"coding_id": "@alex_coding_del"}, may="coder"),
    ("POST", A + "/codings/turn"): Ex(
        json={"document": "@doc", "code": "@code_name", "turn": 1}, may="coder"),
    ("POST", A + "/codings/new-code"): Ex(
        json={"document": "@doc", "start": 0, "end": 11, "name": "Probe inductive"}, may="coder"),
    ("GET", A + "/proposals"): Ex(),
    ("POST", A + "/proposals/{proposal_id}/accept"): Ex(
        {"proposal_id": "@proposal"}, json={}, may="owner"),
    ("POST", A + "/proposals/{proposal_id}/decline"): Ex(
        {"proposal_id": "@proposal2"}, json={"note": "probe"}, may="owner"),
    ("GET", A + "/memos"): Ex(),
    ("POST", A + "/memos"): Ex(
        json={"target_type": "document", "target": "@doc", "text": "probe"}, may="coder"),
    ("GET", A + "/codebook"): Ex(),
    ("GET", A + NEW + "/{code_id}"): Ex(CODE),
    ("POST", A + NEW): Ex(json={"name": "Probe new code", "parent_id": None}, may="owner"),
    ("PATCH", A + NEW + "/{code_id}"): Ex(CODE, json={"definition": "probe"}, may="owner"),
    ("POST", A + NEW + "/{code_id}/move"): Ex(
        {"code_id": "@code_move"}, json={"parent_id": None}, may="owner"),
    ("POST", A + NEW + "/{code_id}/merge"): Ex(
        {"code_id": "@code_merge"}, json={"into": "@code_into"}, may="owner"),
    ("POST", A + NEW + "/{code_id}/split"): Ex(
        {"code_id": "@code_split"}, json={"name": "Probe off", "codings": "@split_codings"},
        may="owner"),
    ("PUT", A + NEW + "/{code_id}/exclusive"): Ex(
        {"code_id": "@code_parent"}, json={"exclusive": True}, may="owner"),
    ("DELETE", A + NEW + "/{code_id}"): Ex(
        {"code_id": "@code_delete"}, query={"force": "true"}, may="owner"),
    ("GET", A + NEW + "/{code_id}/history"): Ex(CODE),
    ("GET", A + NEW + "/{code_id}/codings"): Ex(CODE),
    ("GET", A + "/codebook/history"): Ex(),
    ("GET", A + "/codebook/versions"): Ex(),
    ("POST", A + "/codebook/versions"): Ex(json={"name": "Probe v2"}, may="owner"),
    ("GET", A + "/codebook/compare"): Ex(query={"old": "@version"}),
    ("GET", A + "/consensus/layers"): Ex(),
    ("POST", A + "/consensus/start"): Ex(json={"coders": [CODER_A, CODER_B]}, may="owner"),
    ("GET", A + "/consensus/comparison"): Ex(query={"document": "@doc", "coders": "alex,sam"}),
    ("GET", A + "/consensus/disagreements"): Ex(),
    ("POST", A + "/consensus/decisions"): Ex(
        json={"disagreement": "@disagreement", "action": "keep_a", "reason": "x"}, may="owner"),
    ("POST", A + "/consensus/overturn"): Ex(
        json={"disagreement": "@agreed", "reason": "probe"}, may="owner"),
    ("POST", A + "/consensus/additions"): Ex(
        json={"document": "@doc", "code": "@code_name", "start": 3, "end": 9, "reason": "x"},
        may="owner"),
    ("GET", A + "/consensus/status"): Ex(),
    ("GET", A + "/consensus/log"): Ex(),
    ("GET", A + "/agreement"): Ex(query={"coders": "alex,sam", "bootstrap": 0}),
    ("POST", A + "/analysis/report"): Ex(json={"fmt": "md", "allow_open": True}, may="member"),
    ("GET", A + "/analysis/report/check"): Ex(query={"coder": "@layer"}),
    ("POST", A + "/analysis/export"): Ex(json={"what": "codebook", "fmt": "csv"}, may="member"),
    ("GET", A + "/analysis/options"): Ex(),
    ("GET", A + "/analysis/query"): Ex(query={"expression": "@code_name", "coder": "@layer"}),
    ("GET", A + "/analysis/search"): Ex(query={"q": "@word"}),
    ("GET", A + "/analysis/table1"): Ex(),
    ("GET", A + "/analysis/themes"): Ex(),
    ("GET", A + "/analysis/themes/figure"): Ex(query={"fmt": "svg"}),
    ("GET", A + "/analysis/prevalence"): Ex(query={"coder": "@layer"}),
    ("GET", A + "/analysis/cooccurrence"): Ex(query={"coder": "@layer"}),
    ("GET", A + "/analysis/cooccurrence/heatmap"): Ex(query={"coder": "@layer", "fmt": "svg"}),
    ("GET", A + "/analysis/saturation"): Ex(query={"coder": "@layer"}),
    ("GET", A + "/analysis/saturation/plot"): Ex(query={"coder": "@layer", "fmt": "svg"}),
    ("GET", A + "/analysis/matrices"): Ex(),
    ("POST", A + "/analysis/matrices"): Ex(json={"name": "Probe", "coder": "@layer"}, may="owner"),
    ("GET", A + "/analysis/matrix"): Ex(query={"name": "@matrix"}),
    ("DELETE", A + "/analysis/matrix"): Ex(query={"name": "@matrix_del"}, may="owner"),
    ("PUT", A + "/analysis/matrix/cell"): Ex(
        json={"matrix": "@matrix", "row": "@row", "column": "@column", "summary": "probe"},
        may="owner"),
    ("GET", A + "/analysis/matrix/candidates"): Ex(
        query={"name": "@matrix", "row": "@row", "column": "@column"}),
    ("GET", A + "/analysis/matrix/export"): Ex(query={"name": "@matrix", "fmt": "csv"}),
    ("GET", A + "/audit"): Ex(query={"actor": OWNER}),
    ("GET", A + "/audit/facets"): Ex(),
    ("GET", A + "/jobs"): Ex(),
    # AI suggestions (issue 11)
    ("GET", A + "/suggestions"): Ex(query={"document": "@doc"}),
    ("GET", A + "/suggestions/backends"): Ex(),
    ("POST", A + "/suggestions/{suggestion_id}/accept"): Ex(
        {"suggestion_id": "@suggestion"}, json={}, may="coder"),
    ("POST", A + "/suggestions/{suggestion_id}/reject"): Ex(
        {"suggestion_id": "@suggestion2"}, may="coder"),
    ("POST", A + "/suggestions/run"): Ex(
        json={"documents": ["@doc"], "backend": "tfidf", "top": 1}, may="coder"),
    # de-identification review (issue 12): owners only
    ("GET", A + "/deid/proposals"): Ex(query={"document": "@doc"}),
    ("GET", A + "/deid/placeholders"): Ex(),
    ("POST", A + "/deid/detect"): Ex(json={"documents": ["@doc"]}, may="owner"),
    ("POST", A + "/deid/proposals"): Ex(
        json={"document": "@doc", "start": "@deid_start", "end": "@deid_end",
              "entity_type": "PERSON"}, may="owner"),
    ("POST", A + "/deid/proposals/{proposal_id}/accept"): Ex(
        {"proposal_id": "@deid"}, may="owner"),
    ("POST", A + "/deid/proposals/{proposal_id}/reject"): Ex(
        {"proposal_id": "@deid2"}, may="owner"),
    ("PATCH", A + "/deid/proposals/{proposal_id}"): Ex(
        {"proposal_id": "@deid3"}, json={"placeholder": "[probe]"}, may="owner"),
    ("POST", A + "/deid/accept-all"): Ex(query={"document": "@deid_doc2"}, may="owner"),
    ("GET", A + "/jobs/{job_id}"): Ex({"job_id": "@job"}),
    ("GET", A + "/jobs/{job_id}/download"): Ex({"job_id": "@job"}),
    # after the job rows: a commit clears files made before it (they may quote identifiers)
    ("POST", A + "/deid/commit"): Ex(json={"documents": ["@deid_doc"]}, may="owner"),
    ("GET", P): Ex(),
    ("GET", P + "/members"): Ex(),
    ("POST", P + "/members"): Ex(form={"user": "newcomer2", "role": "viewer"}, may="owner"),
    ("POST", P + "/members/{user}/role"): Ex({"user": "@rolee"}, form={"role": "coder"},
                                             may="owner"),
    ("POST", P + "/members/{user}/remove"): Ex({"user": "@leaver2"}, may="owner"),
    ("POST", P + "/settings"): Ex(form={"blind": "1"}, may="owner"),
    ("GET", P + "/documents"): Ex(),
    ("GET", P + "/read/{doc:path}"): Ex({"doc": "@doc"}),
    ("GET", P + "/documents/{name:path}/deid"): Ex({"name": "@doc"}),
    ("GET", P + "/codes.css"): Ex(),
    ("GET", P + "/compare"): Ex(),
    ("GET", P + "/codebook"): Ex(query={"code": "@code"}),
    ("GET", P + "/analysis"): Ex(),
    **{("GET", P + f"/analysis/{view}"): Ex() for view in (
        "query", "search", "participants", "themes", "prevalence", "cooccurrence",
        "saturation", "matrices", "downloads")},
    ("GET", P + "/analysis/matrix"): Ex(query={"name": "@matrix"}),
    ("GET", P + "/audit"): Ex(),
}
# fmt: on


def keys(
    may: str | None = None, *, project: bool | None = None, writes: bool | None = None
) -> list[Key]:
    return [
        k
        for k, ex in EXAMPLES.items()
        if (may is None or ex.may == may)
        and (project is None or ("{pid}" in k[1]) == project)
        and (writes is None or (k[0] in WRITES) == writes)
    ]


def app_routes(app: Any) -> set[Key]:
    out = set()
    for route in iter_route_contexts(app.routes):
        if route.path not in IGNORED:
            out |= {(m, str(route.path)) for m in route.methods or () if m != "HEAD"}
    return out


# -- the objects the examples name -------------------------------------------------------------
def prepare(web: Any) -> dict[str, Any]:
    """Objects of the demo for every example: codes, codings, a consensus layer with an open
    disagreement, proposals, matrices, a version, a job, members, tokens and invitations."""
    from ai_web_seed import seed_suggestions
    from deid_web_seed import seed_proposals

    from thematica.services.accounts import Accounts
    from thematica.services.jobs import JobResult

    owner = web.as_user(OWNER)
    suggested = seed_suggestions(
        owner,
        D,
        [("Three days a week", "Staffing", 0.8, 1), ("A lot of driving.", "Staffing", 0.6, 1)],
    )
    # redactions: three open ones on D, one accepted on P02 (committed), one open on P03
    redact = seed_proposals(owner, D, [(w, "PERSON", 0.9) for w in (
        "syringe services program", "trailer parks", "feed store")])  # fmt: skip
    seed_proposals(owner, "P02-interview", [("career ladder", "PERSON", 0.9)], status="accepted")
    seed_proposals(owner, "P03-interview", [("porches", "LOCATION", 0.9)])
    headlamp = owner.documents.get(D).text.index("a headlamp")
    timed = _timed_document(owner)
    for name in ("Probe move", "Probe merge", "Probe into", "Probe split", "Probe delete"):
        owner.codebook.add(name)
    owner.codebook.add("Probe parent")
    owner.codebook.add("Probe child", "Probe parent")
    ids = {c.name: c.id for c in owner.coding.code_choices()}
    split = [owner.coding.apply(D, "Probe split", s, s + 5, coder=OWNER) for s in (50, 70)]
    owner.coding.apply(D, "Probe merge", 90, 99, coder=OWNER)
    alex = web.as_user(CODER_A)
    alex_codings = [alex.coding.apply(D, "Staffing", s, s + 7, coder=CODER_A) for s in (300, 320)]
    sam_coding = web.as_user(CODER_B).coding.apply(
        D, "Staffing", 340, 350, coder=CODER_B, memo=SAM_MARK
    )
    owner.consensus.start([CODER_A, CODER_B], "consensus", 0.0)
    log = owner.consensus.log(name="consensus").rows
    owner.configure(coders_add_codes=False)
    sam = web.as_user(CODER_B)  # opened now: a project reads its settings when opened
    proposals = [sam.proposals.new_code("P02-interview", s, s + 9, f"Probe {s}") for s in (5, 30)]
    owner.configure(coders_add_codes=True)
    view = owner.matrices.create("Frame", rows="cases", columns="themes", coder=CODER_A)
    owner.matrices.create("Frame to delete", rows="cases", columns="themes", coder=CODER_A)
    owner.codebook.freeze("v1")
    job = owner.jobs.start("probe", lambda _: JobResult("ok", "probe.csv", b"a\n1\n"), wait=True)
    invites = {}
    for user in ("newbie", "rolee", "leaver", "leaver2", "invitee1", "invitee2", "invitee3"):
        owner.members.add(user, "coder")
        invites[user] = owner.members.invite(user)
    accounts = Accounts(web.project.db)
    for label in ("probe-1", "probe-2"):
        accounts.create_token(OUTSIDER, label)
    tokens = sorted(row.id for row in accounts.tokens(OUTSIDER))
    return {
        "doc": D, "code": ids["Staffing"], "code_name": "Staffing", "layer": CODER_A,
        "word": "week", "code_move": ids["Probe move"], "code_merge": ids["Probe merge"],
        "code_into": ids["Probe into"], "code_split": ids["Probe split"], "split_codings": split,
        "code_delete": ids["Probe delete"], "code_parent": ids["Probe parent"],
        "alex_coding": alex_codings[0], "alex_coding_del": alex_codings[1],
        "sam_coding": sam_coding,
        "disagreement": owner.consensus.disagreements(name="consensus").rows[0].id,
        "agreed": next(r.disagreement for r in log if r.action == "agreed" and r.document == D),
        "proposal": proposals[0].proposal, "proposal2": proposals[1].proposal,
        "matrix": "Frame", "matrix_del": "Frame to delete", "row": view.rows[0],
        "column": view.columns[0].key, "version": "v1", "job": job, "pending": "newbie",
        "rolee": "rolee", "leaver": "leaver", "leaver2": "leaver2",
        "invite_api": invites["invitee1"], "invite_form": invites["invitee2"],
        "invite_view": invites["invitee3"], "token_id": tokens[-2], "token_id2": tokens[-1],
        "suggestion": suggested[0].id, "suggestion2": suggested[1].id,
        "deid": redact[0].id, "deid2": redact[1].id, "deid3": redact[2].id,
        "deid_doc": "P02-interview", "deid_doc2": "P03-interview",
        "deid_start": headlamp, "deid_end": headlamp + len("a headlamp"),
        "timed_doc": timed,
    }  # fmt: skip


def _timed_document(owner: Any) -> str:
    """A document whose turns have times (imported from a caption file): its captions."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "P20-captioned.vtt"
        path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v P20>Hello.\n", "utf-8")
        owner.documents.import_files([path])
    return "P20-captioned"


def prepare_foreign(web: Any) -> dict[str, Any]:
    """The same keys naming the foreign project's own objects (otto's)."""
    from ai_web_seed import seed_suggestions
    from deid_web_seed import seed_proposals

    from thematica.services.accounts import open_project_for
    from thematica.services.jobs import JobResult

    other = open_project_for(web.project.db, "Other study", OUTSIDER)
    hidden = seed_suggestions(other, "secret-interview", [("confidential", "Secret code", 0.9, 1)])
    redact = seed_proposals(other, "secret-interview", [("overdose", "PERSON", 0.9)])
    code = next(c.id for c in other.coding.code_choices() if c.name == "Secret code")
    coding = next(iter(other.coding.in_document("secret-interview", coder=[OUTSIDER]))).id
    other.memos.add("coding", str(coding), "confidential memo", author=OUTSIDER)
    other.codebook.freeze("Secret v1")
    other.matrices.create("Secret matrix", rows="cases", columns="codes", coder=OUTSIDER)
    secret = JobResult("ok", "secret.csv", b"confidential")
    job = other.jobs.start("probe", lambda _: secret, wait=True)
    return dict(
        doc="secret-interview", code=code, code_name="Secret code", layer=OUTSIDER,
        word="confidential", code_move=code, code_merge=code, code_into=code, code_split=code,
        split_codings=[coding], code_delete=code, code_parent=code, alex_coding=coding,
        alex_coding_del=coding, sam_coding=coding, proposal=987654, proposal2=987654,
        disagreement="a1-b2", agreed="a1-b2", matrix="Secret matrix", matrix_del="Secret matrix",
        row="P1", column="Secret code", version="Secret v1", job=job, pending=OUTSIDER,
        rolee=OUTSIDER, leaver=OUTSIDER, leaver2=OUTSIDER, suggestion=hidden[0].id,
        suggestion2=hidden[0].id, deid=redact[0].id, deid2=redact[0].id, deid3=redact[0].id,
        deid_doc="secret-interview", deid_doc2="secret-interview", deid_start=4, deid_end=9,
        timed_doc="secret-interview",
    )  # fmt: skip


# -- requests --------------------------------------------------------------------------------
def resolve(value: Any, ctx: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        name, _, as_text = value[1:].partition("!")
        return str(ctx[name]) if as_text else ctx[name]
    if isinstance(value, dict):
        return {k: resolve(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ctx) for v in value]
    return value


def refs(ex: Ex) -> set[str]:
    return set(re.findall(r"'@(\w+)", repr(ex)))


def client(web: Any, user: str | None = None, *, csrf: bool = True) -> Any:
    """A TestClient (signed in as ``user``) that shows redirects and server errors as they are."""
    from fastapi.testclient import TestClient

    c = TestClient(web.app, raise_server_exceptions=False, follow_redirects=False)
    web.clients.append(c)
    if user is not None:
        r = c.post("/api/session", json={"user": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        if csrf:
            c.headers["X-CSRF-Token"] = r.json()["csrf"]
    return c


def call(c: Any, key: Key, ctx: dict[str, Any], pid: int, ex: Ex | None = None) -> Any:
    """Send ``key``'s example (or ``ex``); every answer carries the security headers."""
    ex = ex or EXAMPLES[key]
    params = {"pid": pid, **resolve(ex.path, ctx)}
    url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: quote(str(params[m[1]]), safe=""), key[1])
    kw: dict[str, Any] = {"params": resolve(ex.query, ctx) or None}
    if ex.json is not None:
        kw["json"] = resolve(ex.json, ctx)
    if ex.form is not None:
        kw["data"] = resolve(ex.form, ctx)
    if ex.upload:
        kw["files"] = {"files": ("probe.txt", b"Interviewer: Hi?\nRespondent: Hello.\n")}
    if not key[1].startswith("/api"):
        kw["headers"] = {"Accept": "text/html"}  # as a browser asks for a page
    r = c.request(key[0], url, **kw)
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (key, csp)
    assert r.headers.get("x-content-type-options") == "nosniff", key
    return r


def footprint(web: Any) -> tuple[int, ...]:
    """Rows in every table and the newest audit id (one query): unchanged = nothing written."""
    tables = sorted(t.metadata.tables.values(), key=lambda tb: tb.name)
    columns = [select(func.count()).select_from(tb).scalar_subquery() for tb in tables]
    columns.append(select(func.max(t.audit_log.c.id)).scalar_subquery())
    with web.project.db.read() as conn:
        return tuple(-1 if v is None else int(v) for v in conn.execute(select(*columns)).one())


def digest(web: Any) -> str:
    """Every row of every table but sign-in bookkeeping: an update that keeps the row counts
    changes this."""
    h = sha256()
    with web.project.db.read() as conn:
        for table in sorted(t.metadata.tables.values(), key=lambda tb: tb.name):
            if table.name not in {"user_token", "login_failure"}:
                h.update(
                    "".join(sorted(repr(tuple(r)) for r in conn.execute(select(table)))).encode()
                )
    return h.hexdigest()


def leaks(r: Any, words: tuple[str, ...] = SECRETS) -> list[str]:
    return [w for w in words if re.search(rf"\b{w}\b", r.text, re.IGNORECASE)]


def kind_of(r: Any) -> str:
    try:
        return str(r.json().get("kind"))
    except ValueError:
        return "html"


def wait_for_jobs(web: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with web.project.db.read() as conn:
            if not conn.scalar(select(func.count()).where(t.job.c.status == "running")):
                return
        time.sleep(0.05)
    raise AssertionError("a job did not finish")


def refused_walk(
    web: Any, clients: dict[str, Any], ctx: dict[str, Any], walk: list[Key], expect: Any,
    pid: int | None = None,
) -> None:  # fmt: skip
    """Each request of ``walk`` as each client answered as ``expect(key, response)`` wants,
    the database untouched."""
    before, whole = footprint(web), digest(web)
    bad = []
    for who, c in clients.items():
        for key in walk:
            r = call(c, key, ctx, pid or web.pid)
            if not expect(key, r):
                bad.append((who, key, r.status_code, leaks(r), r.text[:150]))
            if footprint(web) != before:
                bad.append((who, key, "wrote to the database"))
                before = footprint(web)
    assert not bad, bad
    assert digest(web) == whole


def status(code: int) -> Any:
    return lambda key, r: r.status_code == code


# -- the table itself --------------------------------------------------------------------------
def test_every_route_has_an_example(web_sqlite: Any) -> None:
    routes = app_routes(web_sqlite.app)
    assert len(routes) > 110
    missing = sorted(routes - EXAMPLES.keys())
    assert not missing, f"routes without an entry in EXAMPLES (add a valid one): {missing}"
    assert not EXAMPLES.keys() - routes, f"not routes: {sorted(EXAMPLES.keys() - routes)}"
    unsaid = [k for k in keys(writes=True) if EXAMPLES[k].may not in MAY]
    assert not unsaid, f"say who may send these writes (may=…): {unsaid}"
    assert all(EXAMPLES[k].may in ("", "public") for k in keys(writes=False))
    assert not keys("public", project=True) and not keys("account", project=True)


def test_the_examples_are_valid_for_whoever_may_send_them(web_sqlite: Any) -> None:
    """Each example succeeds for the owner (otto for his own account; signed out for the
    public routes), so a 403 below is the permission check's, not a bad example's."""
    web = web_sqlite
    ctx = prepare(web)
    owner, otto, anonymous = client(web, OWNER), client(web, OUTSIDER), client(web)
    renew = {("DELETE", "/api/session"), ("POST", "/logout"), PASSWORD_CHANGE}
    failed = []
    for key in sorted(EXAMPLES, key=lambda k: k == PASSWORD_CHANGE):  # it ends every session
        if EXAMPLES[key].may == "public":
            c = anonymous if key[0] == "GET" else client(web)  # accepting signs in
        elif "{pid}" in key[1]:
            c = owner
        else:  # otto's own account: changing it changes no one else's sign-in
            c = client(web, OUTSIDER) if key in renew else otto
        r = call(c, key, ctx, web.pid)
        if not 200 <= r.status_code < 400:
            failed.append((key, r.status_code, r.text[:200]))
    wait_for_jobs(web)
    assert not failed, failed


# -- a foreign project -------------------------------------------------------------------------
def foreign_walk(web: Any, users: tuple[str, ...], walk: list[Key]) -> None:
    """Every route of ``walk`` on the foreign project, naming its own objects, as each of
    ``users``: 404, none of its words, nothing written."""
    fctx = prepare_foreign(web)
    clients = {user: client(web, user) for user in users}

    def unseen(key: Key, r: Any) -> bool:
        return r.status_code == 404 and not leaks(r)

    refused_walk(web, clients, fctx, walk, unseen, pid=web.other_pid)


def test_no_member_reaches_a_foreign_project(web_sqlite: Any) -> None:
    assert len(keys(project=True)) > 90
    foreign_walk(web_sqlite, (OWNER, CODER_A, CODER_B, VIEWER), keys(project=True))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_no_member_reads_a_foreign_project_on_postgresql(web: Any) -> None:
    foreign_walk(web, (OWNER, VIEWER), keys(project=True, writes=False))


#: what names an object, as something that does not exist
MISSING = {
    "doc": "no-such-doc", "code": 987654, "code_move": 987654, "code_merge": 987654,
    "code_into": 987654, "code_split": 987654, "split_codings": [987654],
    "code_delete": 987654, "code_parent": 987654, "alex_coding": 987654,
    "alex_coding_del": 987654, "sam_coding": 987654, "version": "no-such-version",
    "job": 987654, "pending": "nobody-here", "rolee": "nobody-here", "leaver": "nobody-here",
    "leaver2": "nobody-here", "token_id": 987654, "token_id2": 987654,
    "suggestion": 987654, "suggestion2": 987654, "deid": 987654, "deid2": 987654,
    "deid3": 987654, "deid_doc": "no-such-doc", "deid_doc2": "no-such-doc",
    "timed_doc": "no-such-doc",
}  # fmt: skip
#: more ways to name a foreign object, in a body or a query
IDOR_EXTRA: list[tuple[Key, Ex]] = [
    (("GET", A + "/memos"), Ex(query={"target_type": "coding", "target": "@alex_coding!s"})),
    (("GET", A + "/memos"), Ex(query={"target_type": "document", "target": "@doc"})),
    (("POST", A + "/memos"), Ex(json={"target_type": "coding", "target": "@alex_coding!s",
                                      "text": "x"})),
    (("POST", A + NEW), Ex(json={"name": "Probe x", "parent_id": "@code"})),
    (("POST", A + NEW + "/{code_id}/move"), Ex({"code_id": 1}, json={"parent_id": "@code"})),
    (("POST", A + NEW + "/{code_id}/merge"), Ex({"code_id": 1}, json={"into": "@code"})),
    (("PUT", A + "/analysis/matrix/cell"), Ex(json={"matrix": "Frame", "row": "@row",
                                                    "column": "@column",
                                                    "link": "@split_codings"})),
    (("GET", A + "/analysis/query"), Ex(query={"expression": "Staffing", "document": "@doc"})),
    (("GET", A + "/analysis/search"), Ex(query={"q": "the", "document": "@doc"})),
]  # fmt: skip


def test_a_foreign_object_named_through_my_own_project_is_as_good_as_missing(
    web_sqlite: Any,
) -> None:
    """The demo's owner (who may do anything there) names the foreign project's codings,
    codes, document, job, version, member (otto) and otto's tokens through the demo's URLs:
    each answer is the answer for an object that does not exist (same status and kind), so
    nothing can be read or inferred, and nothing changes anywhere."""
    from thematica.services.accounts import Accounts

    web = web_sqlite
    ctx = prepare(web)
    fctx = prepare_foreign(web)
    otto_token = Accounts(web.project.db).tokens(OUTSIDER)[0].id
    foreign = {**ctx, **{k: fctx[k] for k in MISSING if k in fctx}, "token_id": otto_token,
               "token_id2": otto_token}  # fmt: skip
    owner = client(web, OWNER)
    cases = [(k, ex) for k, ex in EXAMPLES.items() if refs(ex) & MISSING.keys()] + IDOR_EXTRA
    assert len(cases) > 30
    before, whole = footprint(web), digest(web)
    bad = []
    for key, ex in cases:
        r = call(owner, key, foreign, web.pid, ex)
        r_missing = call(owner, key, {**ctx, **MISSING}, web.pid, ex)
        same = (r.status_code, kind_of(r)) == (r_missing.status_code, kind_of(r_missing))
        refused = 400 <= r.status_code < 500 or (key[0] == "GET" and r.status_code == 200)
        if not same or not refused or leaks(r, ("confidential", "Secret code")):
            bad.append((key, r.status_code, r.text[:150], r_missing.status_code))
        if footprint(web) != before:
            bad.append((key, "wrote"))
            before = footprint(web)
    assert not bad, bad
    assert digest(web) == whole


# -- roles on the demo -------------------------------------------------------------------------
def test_an_outsider_gets_404_for_every_route_of_the_demo(web_sqlite: Any) -> None:
    ctx = prepare(web_sqlite)
    otto = {OUTSIDER: client(web_sqlite, OUTSIDER)}
    refused_walk(web_sqlite, otto, ctx, keys(project=True), status(404))


def test_signed_out_every_route_but_the_public_ones_asks_to_sign_in(web_sqlite: Any) -> None:
    def asked(key: Key, r: Any) -> bool:
        if key[1].startswith("/api"):
            return r.status_code == 401 and r.json()["kind"] == "AuthenticationFailed"
        return r.status_code == 303 and r.headers["location"].startswith("/login?next=")

    walk = [k for k, ex in EXAMPLES.items() if ex.may != "public"]
    refused_walk(web_sqlite, {"": client(web_sqlite)}, prepare(web_sqlite), walk, asked)


def test_a_viewer_changes_nothing(web_sqlite: Any) -> None:
    web = web_sqlite
    ctx = prepare(web)
    vera = client(web, VIEWER)
    writes = keys("coder") + keys("owner")
    assert len(writes) > 30
    refused_walk(web, {VIEWER: vera}, ctx, writes, status(403))
    for key in keys("member", project=True):  # a report or an export is reading: viewers may
        assert call(vera, key, ctx, web.pid).status_code == 202, key
    wait_for_jobs(web)


def test_a_coder_codes_but_does_no_owners_work(web_sqlite: Any) -> None:
    web = web_sqlite
    ctx = prepare(web)
    alex = client(web, CODER_A)
    refused_walk(web, {CODER_A: alex}, ctx, keys("owner"), status(403))
    # another coder's layer is not alex's to write (nor, while blind, to read)
    sam = {"coding_id": "@sam_coding"}
    others = [
        (("POST", A + "/codings"), Ex(json={"document": D, "code": "Staffing", "start": 0,
                                            "end": 9, "coder": CODER_B})),
        (("PATCH", A + "/codings/{coding_id}"), Ex(sam, json={"memo": "x"})),
        (("DELETE", A + "/codings/{coding_id}"), Ex(sam)),
        (("PUT", A + "/documents/{name:path}/status"), Ex({"name": D}, json={"status": "done",
                                                                             "coder": CODER_B})),
        (("POST", A + "/memos"), Ex(json={"target_type": "coding", "target": "@sam_coding!s",
                                          "text": "x"})),
    ]  # fmt: skip
    before = footprint(web)
    for key, ex in others:
        r = call(alex, key, ctx, web.pid, ex)
        assert r.status_code == 403, (key, r.status_code, r.text)
        assert footprint(web) == before, key
    for key in keys("coder"):
        r = call(alex, key, ctx, web.pid)
        assert 200 <= r.status_code < 300, (key, r.status_code, r.text)
    assert footprint(web) != before
    mine = web.as_user(OWNER).coding.in_document(D, coder=[CODER_A])
    assert any(c.path == "Probe inductive" for c in mine)  # coders may add codes here
    wait_for_jobs(web)  # a suggest run (a coder's job) ends before the database goes


def test_every_state_change_needs_the_csrf_token(web_sqlite: Any) -> None:
    """With the session cookie, a write without the token, with a wrong one, or from another
    site is refused before it does anything; a bearer token needs none."""
    web = web_sqlite
    ctx = prepare(web)
    writes = [k for k in keys(writes=True) if EXAMPLES[k].may != "public"]
    assert len(writes) > 40
    for header in ({}, {"X-CSRF-Token": "not-the-token"}, {"Origin": "http://evil.example"}):
        owner = client(web, OWNER, csrf="Origin" in header)  # the right token, another site
        otto = client(web, OUTSIDER, csrf="Origin" in header)  # his own account
        for c in (owner, otto):
            c.headers.update(header)
        before, whole = footprint(web), digest(web)
        for key in writes:
            r = call(owner if "{pid}" in key[1] else otto, key, ctx, web.pid)
            assert r.status_code == 403, (key, header, r.status_code, r.text[:150])
            assert footprint(web) == before, key
        assert digest(web) == whole
        assert otto.get("/api/me").json()["user"] == OUTSIDER  # signing out was refused too
    # an HTML form with a forged token in its field
    r = client(web, OWNER, csrf=False).post(
        f"/p/{web.pid}/settings", data={"blind": "0", "csrf": "forged"}
    )
    assert r.status_code == 403 and web.as_user(OWNER).access.blind
    bearer = client(web)
    bearer.headers["Authorization"] = f"Bearer {web.token(CODER_A)}"
    assert call(bearer, ("POST", A + "/memos"), ctx, web.pid).status_code == 201


def test_signing_in_from_another_site_is_refused(web_sqlite: Any) -> None:
    web = web_sqlite
    ctx = prepare(web)
    evil = client(web)
    evil.headers["Origin"] = "http://evil.example"
    before = footprint(web)
    for key in keys("public", writes=True):
        r = call(evil, key, ctx, web.pid)
        assert r.status_code in (403, 404), (key, r.status_code)  # 404: the invitation page
        assert "set-cookie" not in r.headers, key
    assert footprint(web) == before


# -- blind coding ------------------------------------------------------------------------------
def test_blind_reads_never_show_another_coders_layer(web_sqlite: Any) -> None:
    """sam's coding carries a memo: while coding is blind alex (another coder) and vera (a
    viewer) never read it, on any page or API route."""
    web = web_sqlite
    ctx = prepare(web)
    web.as_user(CODER_B).memos.add("coding", str(ctx["sam_coding"]), SAM_MARK, author=CODER_B)
    bad = []
    for user in (CODER_A, VIEWER):
        c = client(web, user)
        for key in keys(project=True, writes=False):
            r = call(c, key, ctx, web.pid)
            if r.status_code >= 500 or SAM_MARK in r.text:
                bad.append((user, key, r.status_code, SAM_MARK in r.text))
    assert not bad, bad


def test_notes_on_another_coders_codings_stay_hidden_while_blind(web_sqlite: Any) -> None:
    """Listing every memo (or every note on a coding) leaves out those on codings the reader
    may not open; the team's other notes stay."""
    web = web_sqlite
    ctx = prepare(web)
    web.as_user(CODER_B).memos.add("coding", str(ctx["sam_coding"]), SAM_MARK, author=CODER_B)
    web.as_user(CODER_A).memos.add("document", D, "alex's own note", author=CODER_A)
    assert SAM_MARK in client(web, OWNER).get(f"/api/p/{web.pid}/memos").text  # owners: all
    for user in (CODER_A, VIEWER):
        c = client(web, user)
        for query in ({}, {"target_type": "coding"}):
            r = c.get(f"/api/p/{web.pid}/memos", params=query)
            assert r.status_code == 200 and SAM_MARK not in r.text, (user, query)
        assert "alex's own note" in c.get(f"/api/p/{web.pid}/memos").text  # the team's notes
