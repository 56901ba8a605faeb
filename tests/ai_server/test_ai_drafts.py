"""LLM drafts of framework-matrix cells and themes on the demo, on SQLite and PostgreSQL,
against the fake OpenAI-compatible server: stored with their excerpts, never touching the
analyst's text until adopted, and nothing stored when the server fails."""

from __future__ import annotations

from typing import Any

import pytest
from ai_fake_server import FakeServer, closed_port
from ai_server_helpers import alex_codings, configure_ai, fake_summary, footprint
from sqlalchemy import select

from thematica.ai.server import BackendError
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.services import drafts as drafts_module
from thematica.store import schema as t

ENV = "Individual/Navigating the variability of the physical environment"
GUILT = "Individual/Navigating boundary setting and self-care/Feelings of guilt"
SELF_CARE = "Individual/Navigating boundary setting and self-care"
LIVED = "Individual/Navigating boundary setting and self-care/Impact of lived experiences"


def _cell(demo: Any, matrix: str, row: str, column: str) -> Any:
    return demo.matrices.get(matrix).cell(row, column)


def test_ai_drafts_matrix_cells(demo: Any, fake_ai: FakeServer) -> None:
    configure_ai(demo, fake_ai.url)
    demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
    env1 = alex_codings(demo, "P01-interview", ENV)
    env3 = alex_codings(demo, "P03-interview", ENV)
    guilt1 = alex_codings(demo, "P01-interview", GUILT)
    guilt3 = alex_codings(demo, "P03-interview", GUILT)
    assert len(env1) >= 2 and env3  # the demo's coding, read another way
    demo.matrices.set_cell(
        "chart", "P01", ENV, summary="Mud and long drives.", link=[env1[1]["id"]]
    )
    run = demo.drafts.draft_matrix("chart", rows=["P01", "P03"], columns=[ENV, GUILT])
    # one draft per cell with coded excerpts: P01 x ENV from its one link, the others from
    # every coded passage of the cell (no links yet)
    expected = {("P01", ENV): [env1[1]]}
    if env3:
        expected[("P03", ENV)] = env3
    for row, found in (("P01", guilt1), ("P03", guilt3)):
        if found:
            expected[(row, GUILT)] = found
    drafts = {(d.row, d.column): d for d in run.drafts.rows}
    assert set(drafts) == set(expected)
    for key, codings in expected.items():
        d = drafts[key]
        assert d.excerpts == [c["id"] for c in codings], key
        assert d.text == fake_summary([c["text"] for c in codings])
        assert (d.status, d.backend, d.model, d.server, d.matrix) == (
            "draft",
            "server",
            "fake-chat",
            fake_ai.url,
            "chart",
        )
    assert (run.model, run.server, run.backend) == ("fake-chat", fake_ai.url, "server")
    # the prompt numbered the excerpts with their sources
    prompts = [b["messages"][-1]["content"] for b in fake_ai.state.chats()]
    assert len(prompts) == len(expected)
    assert {b["max_tokens"] for b in fake_ai.state.chats()} == {400}  # a few sentences
    first = " ".join(env1[1]["text"].split())
    assert any("[1] (P01-interview" in p and first[:60] in p for p in prompts)
    # the analyst's text is untouched; drafts live beside it
    assert _cell(demo, "chart", "P01", ENV).summary == "Mud and long drives."
    assert _cell(demo, "chart", "P03", ENV).summary == ""
    with demo.db.read() as conn:
        runs = conn.execute(select(t.ai_run)).all()
    assert [(r.kind, r.status, r.backend, r.model, r.done, r.total) for r in runs] == [
        ("draft", "done", "server", "fake-chat", len(expected), len(expected))
    ]
    assert runs[0].parameters["url"] == fake_ai.url
    assert runs[0].parameters["layers"] == ["alex"]
    entry = demo.audit_log(action="draft.create").rows[0]
    assert entry.detail["drafts"] == sorted(d.id for d in run.drafts.rows)
    assert entry.detail["layer"] == "alex" and entry.detail["model"] == "fake-chat"


def test_ai_drafts_adopt_replace_discard(demo: Any, fake_ai: FakeServer) -> None:
    configure_ai(demo, fake_ai.url)
    demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
    env1 = alex_codings(demo, "P01-interview", ENV)
    env3 = alex_codings(demo, "P03-interview", ENV)
    demo.matrices.set_cell(
        "chart", "P01", ENV, summary="Mud and long drives.", link=[env1[0]["id"]]
    )
    run = demo.drafts.draft_matrix("chart", rows=["P01", "P03"], columns=[ENV])
    by_row = {d.row: d for d in run.drafts.rows}
    # an empty cell takes the draft, and the excerpts it cites become the cell's links
    adopted = demo.drafts.adopt(by_row["P03"].id)
    assert adopted.status == "adopted" and adopted.decided_by == demo.access.name
    cell = _cell(demo, "chart", "P03", ENV)
    assert cell.summary == by_row["P03"].text
    assert cell.links == [c["id"] for c in env3]
    assert cell.author == demo.access.name
    with pytest.raises(ConflictError, match="already adopted"):
        demo.drafts.adopt(by_row["P03"].id)
    # the analyst's own summary is not overwritten unless asked
    before = footprint(demo)
    with pytest.raises(ConflictError, match="already has the analyst's summary") as exc:
        demo.drafts.adopt(by_row["P01"].id)
    assert exc.value.detail["hint"] == "replace"
    assert footprint(demo) == before
    assert _cell(demo, "chart", "P01", ENV).summary == "Mud and long drives."
    demo.drafts.adopt(by_row["P01"].id, replace=True)
    cell = _cell(demo, "chart", "P01", ENV)
    assert cell.summary == by_row["P01"].text
    assert cell.links == [env1[0]["id"]]  # the analyst's links are kept
    logged = demo.audit_log(action="matrix.set", limit=1).rows[0].detail
    assert (logged["old"], logged["new"], logged["draft"]) == (
        "Mud and long drives.",
        by_row["P01"].text,
        by_row["P01"].id,
    )
    assert demo.audit_log(action="draft.adopt", limit=1).rows[0].detail["replaced"] is True
    # discard: kept for the record, listed only when asked for
    again = demo.drafts.draft_matrix("chart", rows=["P03"], columns=[ENV]).drafts.rows[0]
    assert demo.drafts.discard(again.id).status == "discarded"
    with pytest.raises(ConflictError, match="already discarded"):
        demo.drafts.discard(again.id)
    with pytest.raises(NotFoundError, match="no draft with id 999999"):
        demo.drafts.adopt(999999)
    assert demo.drafts.list().rows == []  # nothing open
    assert [d.status for d in demo.drafts.list(status="all")] == [
        "discarded",
        "adopted",
        "adopted",
    ]
    assert len(demo.drafts.list("matrix", status="adopted")) == 2
    assert demo.drafts.list("theme", status="all").rows == []
    assert _cell(demo, "chart", "P03", ENV).summary == by_row["P03"].text  # discard changed nothing
    with pytest.raises(InputError, match="status must be one of"):
        demo.drafts.list(status="open")


def test_ai_drafts_theme(demo: Any, fake_ai: FakeServer) -> None:
    configure_ai(demo, fake_ai.url)
    # theme 2 groups its own code and, through its subthemes, their codes
    docs = [d.name for d in demo.documents.list()]
    coded = [
        c
        for doc in docs
        for code in (SELF_CARE, GUILT, LIVED)
        for c in alex_codings(demo, doc, code)
    ]
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(
        coded, key=lambda c: (docs.index(c["document"]), c["start"], c["end"], c["id"])
    ):
        by_doc.setdefault(c["document"], []).append(c)
    assert len(by_doc) >= 3
    # three excerpts, taken in turn from each document: the first passage of the first three
    want = [group[0] for group in list(by_doc.values())[:3]]
    run = demo.drafts.draft_theme(
        "Navigating boundary setting and self-care", coder="alex", max_excerpts=3
    )
    d = run.drafts.rows[0]
    assert (d.target, d.theme, d.label) == (
        "theme",
        "Navigating boundary setting and self-care",
        "theme Navigating boundary setting and self-care",
    )
    assert d.excerpts == [c["id"] for c in want]
    assert d.text == fake_summary([c["text"] for c in want])
    assert run.sent == {d.id: (len(coded), 3)}
    prompt = fake_ai.state.chats()[0]["messages"][-1]["content"]
    assert "Feelings of guilt" in prompt and "Theme: Navigating boundary setting" in prompt
    # the demo's themes have descriptions: adopting needs replace
    old = demo.themes.get("Navigating boundary setting and self-care").description
    assert old
    with pytest.raises(ConflictError, match="already has the analyst's description"):
        demo.drafts.adopt(d.id)
    assert demo.themes.get("Navigating boundary setting and self-care").description == old
    demo.drafts.adopt(d.id, replace=True)
    assert demo.themes.get("Navigating boundary setting and self-care").description == d.text
    # a theme with an empty description takes a draft directly
    demo.themes.update("Feelings of guilt", description="")
    d2 = demo.drafts.draft_theme("Feelings of guilt", coder="alex").drafts.rows[0]
    demo.drafts.adopt(d2.id)
    assert demo.themes.get("Feelings of guilt").description == d2.text
    with pytest.raises(NotFoundError, match="no theme 'Nope'"):
        demo.drafts.draft_theme("Nope", coder="alex")


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("http500", "answered HTTP 500 for a chat completion"),
        ("body_not_json", "returned invalid JSON for a chat completion"),
        ("wrong_shape", "returned invalid JSON for a chat completion"),
        ("empty_reply", "returned an empty reply"),
        ("slow", "did not answer a chat completion within 0.3 s"),
    ],
)
def test_ai_drafts_server_failure_stores_nothing(
    demo: Any, fake_ai: FakeServer, monkeypatch: pytest.MonkeyPatch, mode: str, message: str
) -> None:
    configure_ai(demo, fake_ai.url)
    demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
    monkeypatch.setattr(drafts_module, "SERVER_TIMEOUT_S", 0.3)
    fake_ai.state.mode, fake_ai.state.delay = mode, 1.0
    before = footprint(demo)
    with pytest.raises(BackendError) as exc:
        demo.drafts.draft_matrix("chart", rows=["P01"], columns=[ENV])
    assert "\n" not in str(exc.value) and message in str(exc.value)
    assert str(exc.value).startswith(f"AI server {fake_ai.url}")
    assert footprint(demo) == before


def test_ai_drafts_unreachable_and_unconfigured(demo: Any, fake_ai: FakeServer) -> None:
    demo.matrices.create("chart", rows="cases", columns="codes", coder="alex")
    before = footprint(demo)
    with pytest.raises(InputError, match="no AI server is configured") as exc:
        demo.drafts.draft_matrix("chart")
    assert exc.value.detail["hint"] == "ai_server"
    with pytest.raises(InputError, match="no AI server is configured"):
        demo.drafts.draft_theme("Feelings of guilt", coder="alex")
    assert fake_ai.state.requests == []  # nothing left the machine
    assert footprint(demo) == before
    port = closed_port()
    configure_ai(demo, f"http://127.0.0.1:{port}")
    before = footprint(demo)
    with pytest.raises(BackendError) as exc2:
        demo.drafts.draft_matrix("chart", rows=["P01"], columns=[ENV])
    assert (
        str(exc2.value) == f"AI server http://127.0.0.1:{port} is unreachable: connection refused"
    )
    assert footprint(demo) == before
    configure_ai(demo, fake_ai.url)
    for kwargs, error, text in [
        ({"rows": ["P99"]}, NotFoundError, "has no row 'P99'"),
        ({"columns": ["Nope"]}, NotFoundError, "has no column 'Nope'"),
        ({"max_excerpts": 0}, InputError, "at least 1"),
    ]:
        with pytest.raises(error, match=text):
            demo.drafts.draft_matrix("chart", **kwargs)
    with pytest.raises(NotFoundError, match="no matrix named 'nope'"):
        demo.drafts.draft_matrix("nope")
    assert fake_ai.state.requests == []


def test_ai_drafts_hidden_from_members_who_may_not_read_the_layer(
    demo: Any, db_url: str, fake_ai: FakeServer
) -> None:
    import thematica
    from thematica.core.errors import PermissionDenied

    configure_ai(demo, fake_ai.url)
    demo.members.add("sam", "coder")
    demo.members.add("kim", "viewer")
    demo.matrices.create("by-alex", rows="cases", columns="codes", coder="alex")
    demo.matrices.create("by-sam", rows="cases", columns="codes", coder="sam")
    alex_draft = demo.drafts.draft_matrix("by-alex", rows=["P01"], columns=[ENV]).drafts.rows[0]
    sam_draft = demo.drafts.draft_matrix("by-sam", rows=["P01"], columns=[ENV]).drafts.rows[0]
    assert {d.id for d in demo.drafts.list()} == {alex_draft.id, sam_draft.id}  # the owner
    with thematica.open_project(db_url, actor="sam") as sam:
        assert [d.id for d in sam.drafts.list()] == [sam_draft.id]  # blind: only their own
        with pytest.raises(NotFoundError, match=f"no draft with id {alex_draft.id}"):
            sam.drafts.get(alex_draft.id)
        with pytest.raises(PermissionDenied):
            sam.drafts.adopt(sam_draft.id)
        with pytest.raises(PermissionDenied):
            sam.drafts.draft_matrix("by-sam")
        logged = sam.audit_log(action="draft.create").rows
        assert [e.detail["layer"] for e in logged] == ["sam"]
    with thematica.open_project(db_url, actor="kim") as kim:
        assert kim.drafts.list().rows == []
    demo.configure(blind=False)  # comparison open: everyone reads every layer
    with thematica.open_project(db_url, actor="kim") as kim:
        assert {d.id for d in kim.drafts.list()} == {alex_draft.id, sam_draft.id}
    assert fake_ai.state.requests and all(
        r["path"] == "/v1/chat/completions" for r in fake_ai.state.requests
    )
