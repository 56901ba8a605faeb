"""Property-based requests against every operation of ``/openapi.json`` (schemathesis, in
process, on SQLite): whatever the body, query and path hold, the API answers with a status its
schema declares (every refusal one of the router's documented 4xx), a body that fits its
response schema, the content type it declares, and never a server error.

Path parameters are half the time real objects of the demo (a code, a coding, a document, a
job, a proposal, a member) so requests get past "not found" into the services; ``pid`` is
always the demo's. It runs as the owner with a bearer token (a fresh one per operation: an
operation may revoke it; changing the password needs the current one, which the fuzzer never
guesses), then as a coder with fewer examples.

schemathesis 4.32's pytest plugin breaks on pytest 9, so each operation runs through Hypothesis
directly. What it found is pinned by its own tests below: ids beyond what the database stores
(500s, now fixed) and file downloads whose schema said only JSON (now declared).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import CODER_A, OWNER

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: members whose role a fuzzed request may change (never the person fuzzing)
VICTIMS = ["sam", "vera", "newbie"]
#: routes that answer with a file, by a request that asks for one (the media type it sends)
DOWNLOADS = {
    "/api/p/{pid}/analysis/table1": "format=csv",
    "/api/p/{pid}/analysis/themes": "format=docx",
    "/api/p/{pid}/analysis/themes/figure": "fmt=png",
    "/api/p/{pid}/analysis/query": "expression=Staffing&coder=alex&format=csv",
    "/api/p/{pid}/analysis/search": "q=week&format=csv",
    "/api/p/{pid}/analysis/prevalence": "coder=alex&format=csv",
    "/api/p/{pid}/analysis/cooccurrence/heatmap": "coder=alex&fmt=svg",
    "/api/p/{pid}/analysis/saturation/plot": "coder=alex&fmt=png",
    "/api/p/{pid}/analysis/matrix/export": "name=Frame&fmt=xlsx",
    "/api/p/{pid}/jobs/{job_id}/download": "",
}
#: the largest id either database stores (PostgreSQL's INTEGER), and one past SQLite's
INT32, INT64 = 2**31 - 1, 2**63


def prepare(web: Any) -> dict[str, list[Any]]:
    """Real path parameter values of the demo, by parameter name."""
    from thematica.services.jobs import JobResult

    owner = web.as_user(OWNER)
    owner.members.add("newbie", "coder")
    owner.configure(coders_add_codes=False)
    sam = web.as_user("sam")
    proposal = sam.proposals.new_code("P02-interview", 5, 14, "Fuzz proposal").proposal
    owner.configure(coders_add_codes=True)
    owner.matrices.create("Frame", rows="cases", columns="themes", coder=CODER_A)
    job = owner.jobs.start("fuzz", lambda _: JobResult("ok", "fuzz.csv", b"a\n"), wait=True)
    return {
        "pid": [web.pid],
        "code_id": [c.id for c in owner.coding.code_choices()],
        "coding_id": [c.id for c in owner.coding.list(coder="all")][:20],
        "name": [d.name for d in owner.documents.list()],
        "job_id": [job],
        "proposal_id": [proposal],
        "user": VICTIMS,
    }


def runner(op: Any, token: str, real: dict[str, list[Any]], n: int, sent: list[int]) -> Any:
    @given(case=op.as_strategy(), data=st.data())
    @settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,
    )
    def run(case: Any, data: Any) -> None:
        for name, values in real.items():
            here = bool(case.path_parameters) and name in case.path_parameters
            if here and (name == "pid" or data.draw(st.booleans())):
                case.path_parameters[name] = data.draw(st.sampled_from(values))
        sent[0] += 1
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    return run


def fuzz(web: Any, user: str, examples: int) -> tuple[int, int, list[str]]:
    """Every operation, ``examples`` cases each, as ``user``: (operations, requests sent,
    failures)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", web.app)
    real = prepare(web) if user == OWNER else {"pid": [web.pid]}
    operations, sent, failures = 0, [0], []
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        token = web.token(user)  # fresh: the operation before may have revoked the last
        try:
            runner(op, token, real, examples, sent)()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's, not the first
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:1500]}")
    return operations, sent[0], failures


def wait_for_jobs(web: Any) -> None:
    from sqlalchemy import func, select

    from thematica.store import schema as t

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with web.project.db.read() as conn:
            if not conn.scalar(select(func.count()).where(t.job.c.status == "running")):
                return
        time.sleep(0.05)
    raise AssertionError("a job did not finish")


@pytest.mark.parametrize(("user", "examples"), [(OWNER, 6), (CODER_A, 2)])
def test_the_api_never_fails_and_keeps_to_its_schema(
    web_sqlite: Any, user: str, examples: int
) -> None:
    start = time.monotonic()
    operations, sent, failures = fuzz(web_sqlite, user, examples)
    wait_for_jobs(web_sqlite)
    took = time.monotonic() - start
    print(f"fuzz as {user}: {operations} operations, {sent} requests, {took:.1f} s")
    assert operations > 80
    assert sent >= operations * examples * 0.8
    assert not failures, "\n\n".join(failures)


# -- the faults the fuzz found -----------------------------------------------------------------
def bearer_client(web: Any) -> Any:
    """The owner with a bearer token; a server error comes back as a 500, not raised."""
    from fastapi.testclient import TestClient

    c = TestClient(web.app, raise_server_exceptions=False)
    web.clients.append(c)
    c.headers["Authorization"] = f"Bearer {web.token(OWNER)}"
    return c


def test_ids_beyond_the_database_are_refused(web: Any) -> None:
    """An id the database cannot store (past PostgreSQL's INTEGER, past SQLite's 64 bits) is
    bad input, not a server error (the fuzz found these as 500s)."""
    prepare(web)
    owner = bearer_client(web)
    p = f"/api/p/{web.pid}"
    for big in (INT32 + 1, INT64):
        for method, url, body in [
            ("GET", f"/api/p/{big}", None),
            ("GET", f"{p}/codings/{big}", None),
            ("DELETE", f"{p}/codings/{big}", None),
            ("GET", f"{p}/codebook/codes/{big}", None),
            ("POST", f"{p}/codebook/codes", {"name": "Too far", "parent_id": big}),
            ("POST", f"{p}/codebook/codes/1/merge", {"into": big}),
            ("GET", f"{p}/jobs/{big}", None),
            ("POST", f"{p}/proposals/{big}/decline", {}),
            ("DELETE", f"/api/me/tokens/{big}", None),
            ("GET", f"{p}/memos?target_type=coding&target={big}", None),
        ]:
            r = owner.request(method, url, json=body)
            assert r.status_code in (400, 404, 422), (method, url, r.status_code)
            assert r.headers["content-type"] == "application/json", url
        r = owner.get(f"{p}/audit?offset={big}")  # past the end: nothing there, or refused
        assert r.status_code in (200, 400), r.status_code
        assert r.status_code == 400 or r.json()["entries"] == []


def test_file_downloads_declare_their_media_types(web_sqlite: Any) -> None:
    web = web_sqlite
    real = prepare(web)
    owner = bearer_client(web)
    spec = owner.get("/openapi.json").json()["paths"]
    undeclared = []
    for path, query in DOWNLOADS.items():
        url = path.replace("{pid}", str(web.pid)).replace("{job_id}", str(real["job_id"][0]))
        r = owner.get(f"{url}?{query}")
        assert r.status_code == 200, (url, r.text[:200])
        sent = r.headers["content-type"].split(";")[0]
        assert sent != "application/json", url
        declared = spec[path]["get"]["responses"]["200"].get("content", {})
        main = sent.split("/")[0]
        if not {sent, f"{main}/*", "*/*"} & declared.keys():
            undeclared.append((path, sent, sorted(declared)))
    assert not undeclared, undeclared
