"""The reading page's JSON API: coding passages, editing and removing them, coder layers and
blind coding, inductive codes and their proposals, memos; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import CODER_A, CODER_B, OWNER, VIEWER

DOC = "P01-interview"
PHRASE = "Three days a week"
STAFFING = "Organizational/Receiving resources and benefits from the organization/Staffing"


def text_of(web: Any, doc: str = DOC) -> str:
    return str(web.as_user(OWNER).documents.get(doc).text)


def layer(web: Any, coder: str, doc: str = DOC) -> list[Any]:
    return list(web.as_user(OWNER).coding.in_document(doc, coder=[coder]))


def footprint(web: Any) -> tuple[int, int, int]:
    """Codings, codes and audit entries: what a refused request must leave unchanged."""
    owner = web.as_user(OWNER)
    return (owner.coding.count(), len(owner.codebook.tree()), len(list(owner.audit_log(None))))


def log(web: Any, limit: int | None, **filters: Any) -> list[Any]:
    return list(web.as_user(OWNER).audit_log(limit, **filters))


def codings_url(web: Any) -> str:
    return f"/api/p/{web.pid}/codings"


def test_apply_edit_memo_remove_with_audit(web: Any) -> None:
    alex = web.client(CODER_A)
    text = text_of(web)
    start = text.index(PHRASE)
    r = alex.post(
        codings_url(web),
        json={"document": DOC, "code": "Staffing", "start": start, "end": start + 17},
    )
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["text"] == PHRASE
    assert (row["coder"], row["path"], row["code"]) == (CODER_A, STAFFING, "Staffing")
    cid = row["id"]
    stored = [c for c in layer(web, CODER_A) if c.id == cid]
    assert [(c.start, c.end, c.path) for c in stored] == [(start, start + 17, STAFFING)]

    # shrink the span to "days a week"
    r = alex.patch(f"{codings_url(web)}/{cid}", json={"start": start + 6})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "days a week"
    # a memo, then another code
    assert alex.patch(f"{codings_url(web)}/{cid}", json={"memo": "workload"}).json()["memo"] == (
        "workload"
    )
    r = alex.patch(f"{codings_url(web)}/{cid}", json={"code": "Feelings of guilt"})
    assert (
        r.json()["path"] == "Individual/Navigating boundary setting and self-care/Feelings of guilt"
    )
    got = web.as_user(OWNER).coding.get(cid)
    assert (got.start, got.end, got.memo, got.code) == (
        start + 6,
        start + 17,
        "workload",
        "Feelings of guilt",
    )

    r = alex.delete(f"{codings_url(web)}/{cid}")
    assert r.status_code == 200 and r.json()["id"] == cid
    assert cid not in {c.id for c in layer(web, CODER_A)}

    entries = log(web, 4)
    assert [e.action for e in entries] == ["uncode", "edit_coding", "edit_coding", "edit_coding"]
    assert {e.actor for e in entries} == {CODER_A}
    assert entries[3].detail["changes"] == {"start": [start, start + 6]}
    code_entry = log(web, 1, action="code", actor=CODER_A)[0]
    assert code_entry.detail["coding"] == cid


def test_a_coder_cannot_write_another_layer(web: Any) -> None:
    alex = web.client(CODER_A)
    sams = layer(web, CODER_B)
    target = sams[0]
    before = footprint(web)
    r = alex.post(
        codings_url(web),
        json={"document": DOC, "code": "Staffing", "start": 0, "end": 10, "coder": CODER_B},
    )
    assert r.status_code == 403 and r.json()["kind"] == "PermissionDenied"
    assert (
        alex.patch(f"{codings_url(web)}/{target.id}", json={"start": target.start + 1}).status_code
        == 403
    )
    assert alex.delete(f"{codings_url(web)}/{target.id}").status_code == 403
    assert footprint(web) == before
    assert [(c.id, c.start, c.end) for c in layer(web, CODER_B)] == [
        (c.id, c.start, c.end) for c in sams
    ]


def test_a_blind_coder_reads_only_their_own_layer(web: Any) -> None:
    alex = web.client(CODER_A)
    mine = layer(web, CODER_A)
    r = alex.get(codings_url(web), params={"document": DOC})
    assert r.status_code == 200
    rows = r.json()
    assert {row["coder"] for row in rows} == {CODER_A}
    assert sorted(row["id"] for row in rows) == sorted(c.id for c in mine)
    assert alex.get(codings_url(web), params={"document": DOC, "coder": CODER_B}).status_code == 403
    assert (
        alex.get(
            codings_url(web), params={"document": DOC, "coder": f"{CODER_A},{CODER_B}"}
        ).status_code
        == 403
    )
    sams = layer(web, CODER_B)
    assert alex.get(f"{codings_url(web)}/{sams[0].id}").status_code == 403
    # memos on sam's coding are as closed as the coding
    r = alex.get(f"/api/p/{web.pid}/memos", params={"target_type": "coding", "target": sams[0].id})
    assert r.status_code == 403
    # the owner reads both; and once comparison is open so does alex
    owner_rows = web.client(OWNER).get(codings_url(web), params={"document": DOC}).json()
    assert {row["coder"] for row in owner_rows} == {CODER_A, CODER_B}
    web.as_user(OWNER).configure(blind=False)
    both = alex.get(codings_url(web), params={"document": DOC, "coder": f"{CODER_A},{CODER_B}"})
    assert both.status_code == 200 and len(both.json()) == len(mine) + len(sams)


def test_a_viewer_may_read_but_not_write(web: Any) -> None:
    vera = web.client(VIEWER)
    sams = layer(web, CODER_B)
    before = footprint(web)
    base = codings_url(web)
    calls = [
        vera.post(base, json={"document": DOC, "code": "Staffing", "start": 0, "end": 10}),
        vera.patch(f"{base}/{sams[0].id}", json={"memo": "x"}),
        vera.delete(f"{base}/{sams[0].id}"),
        vera.post(f"{base}/turn", json={"document": DOC, "code": "Staffing", "turn": 2}),
        vera.post(
            f"{base}/new-code", json={"document": DOC, "start": 0, "end": 10, "name": "Vans"}
        ),
        vera.post(
            f"/api/p/{web.pid}/memos", json={"target_type": "document", "target": DOC, "text": "hi"}
        ),
    ]
    assert [c.status_code for c in calls] == [403] * 6
    assert footprint(web) == before
    # blind: a viewer reads no coder layer, so the default is an empty list, not an error
    r = vera.get(base, params={"document": DOC})
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize(
    ("start", "end"),
    [(100, 100), (120, 100), (-1, 5), (0, 10**6), (5, None)],
    ids=["empty", "reversed", "negative", "beyond", "end-of-document-plus-one"],
)
def test_bad_spans_are_refused_and_nothing_is_stored(web: Any, start: int, end: int | None) -> None:
    alex = web.client(CODER_A)
    length = len(text_of(web))
    if end is None:
        start, end = length - 5, length + 1
    before = footprint(web)
    r = alex.post(
        codings_url(web), json={"document": DOC, "code": "Staffing", "start": start, "end": end}
    )
    assert r.status_code == 400, r.text
    assert "\n" not in r.json()["error"]
    r = alex.post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": start, "end": end, "name": "Brand new"},
    )
    assert r.status_code == 400
    mine = layer(web, CODER_A)[0]
    r = alex.patch(f"{codings_url(web)}/{mine.id}", json={"start": start, "end": end})
    assert r.status_code == 400
    assert footprint(web) == before
    again = web.as_user(OWNER).coding.get(mine.id)
    assert (again.start, again.end) == (mine.start, mine.end)


def test_unknown_code_document_or_coding_is_404(web: Any) -> None:
    alex = web.client(CODER_A)
    before = footprint(web)
    r = alex.post(
        codings_url(web), json={"document": DOC, "code": "No such code", "start": 0, "end": 5}
    )
    assert r.status_code == 404 and "No such code" in r.json()["error"]
    r = alex.post(
        codings_url(web), json={"document": "P99", "code": "Staffing", "start": 0, "end": 5}
    )
    assert r.status_code == 404
    mine = layer(web, CODER_A)[0]
    assert alex.patch(f"{codings_url(web)}/{mine.id}", json={"code": "Nope"}).status_code == 404
    assert alex.patch(f"{codings_url(web)}/999999", json={"memo": "x"}).status_code == 404
    assert alex.delete(f"{codings_url(web)}/999999").status_code == 404
    assert alex.get(codings_url(web), params={"document": "P99"}).status_code == 404
    assert footprint(web) == before


def test_code_a_whole_turn_or_the_whole_document(web: Any) -> None:
    alex = web.client(CODER_A)
    doc = web.as_user(OWNER).documents.get(DOC)
    turn = doc.turns[2]  # "Participant 1: Sure. I'm an outreach worker ..."
    r = alex.post(f"{codings_url(web)}/turn", json={"document": DOC, "code": "Staffing", "turn": 2})
    assert r.status_code == 201, r.text
    assert (r.json()["start"], r.json()["end"]) == (turn.start, turn.end)
    assert r.json()["text"].startswith("Participant 1: Sure.")
    r = alex.post(
        f"{codings_url(web)}/turn", json={"document": DOC, "code": "Staffing", "whole": True}
    )
    assert r.status_code == 201
    text = doc.text
    assert (r.json()["start"], r.json()["end"]) == (0, len(text.rstrip()))
    assert text.startswith("[Fictional")
    assert (
        alex.post(
            f"{codings_url(web)}/turn", json={"document": DOC, "code": "Staffing", "turn": 999}
        ).status_code
        == 404
    )
    assert (
        alex.post(
            f"{codings_url(web)}/turn", json={"document": DOC, "code": "Staffing"}
        ).status_code
        == 400
    )


def test_inductive_code_created_when_coders_may_add_codes(web: Any) -> None:
    alex = web.client(CODER_A)
    text = text_of(web)
    start = text.index(PHRASE)
    r = alex.post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": start, "end": start + 17, "name": "  Weekly   rhythm "},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "created" and body["path"] == "Weekly rhythm"
    assert body["coding_row"]["text"] == PHRASE and body["coding_row"]["coder"] == CODER_A
    code = web.as_user(OWNER).codebook.get("Weekly rhythm")
    assert code["origin"] == "inductive"
    # in vivo: the code is named after the words themselves
    r = alex.post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": start, "end": start + 17, "in_vivo": True},
    )
    assert r.json()["path"] == PHRASE
    actions = [e.action for e in log(web, 4)]
    assert actions == ["code", "add_code", "code", "add_code"]
    assert {e.actor for e in log(web, 4)} == {CODER_A}


def test_proposal_when_only_owners_add_codes_and_acceptance(web: Any) -> None:
    web.as_user(OWNER).configure(coders_add_codes=False)
    sam = web.client(CODER_B)
    text = text_of(web)
    start = text.index(PHRASE)
    codes_before = len(web.as_user(OWNER).codebook.tree())
    r = sam.post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": start, "end": start + 17, "name": "Weekly rhythm"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "proposed" and r.json()["coding"] is None
    proposal = r.json()["proposal"]
    assert len(web.as_user(OWNER).codebook.tree()) == codes_before
    assert [c for c in layer(web, CODER_B) if c.start == start] == []

    owner = web.client(OWNER)
    listed = owner.get(f"/api/p/{web.pid}/proposals").json()
    assert [(p["id"], p["name"], p["proposed_by"], p["text"]) for p in listed] == [
        (proposal, "Weekly rhythm", CODER_B, PHRASE)
    ]
    # blind: alex does not see sam's proposal (it carries sam's passage)
    assert web.client(CODER_A).get(f"/api/p/{web.pid}/proposals").json() == []
    # a coder may not decide
    assert sam.post(f"/api/p/{web.pid}/proposals/{proposal}/accept").status_code == 403

    r = owner.post(f"/api/p/{web.pid}/proposals/{proposal}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "Weekly rhythm"
    coded = [c for c in layer(web, CODER_B) if c.code == "Weekly rhythm"]
    assert [(c.start, c.end, c.text) for c in coded] == [(start, start + 17, PHRASE)]
    assert web.as_user(OWNER).codebook.get("Weekly rhythm")["origin"] == "inductive"
    assert owner.post(f"/api/p/{web.pid}/proposals/{proposal}/accept").status_code == 409
    entry = log(web, 1)[0]
    assert (entry.action, entry.actor, entry.detail["coder"]) == ("proposal_accept", OWNER, CODER_B)

    # a second proposal, declined with a note
    r = sam.post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": start, "end": start + 5, "name": "Three"},
    )
    second = r.json()["proposal"]
    r = owner.post(f"/api/p/{web.pid}/proposals/{second}/decline", json={"note": "too narrow"})
    assert r.status_code == 200
    mine = sam.get(f"/api/p/{web.pid}/proposals", params={"status": "declined"}).json()
    assert [(p["id"], p["status"], p["note"], p["decided_by"]) for p in mine] == [
        (second, "declined", "too narrow", OWNER)
    ]
    with pytest.raises(Exception, match="no code"):
        web.as_user(OWNER).codebook.get("Three")


def test_owner_creates_codes_even_when_coders_may_not(web: Any) -> None:
    web.as_user(OWNER).configure(coders_add_codes=False)
    r = web.client(OWNER).post(
        f"{codings_url(web)}/new-code",
        json={"document": DOC, "start": 0, "end": 12, "name": "Preamble"},
    )
    assert r.status_code == 201 and r.json()["outcome"] == "created"
    assert [c.coder for c in layer(web, OWNER) if c.code == "Preamble"] == [OWNER]


def test_memos_on_the_document_and_a_code(web: Any) -> None:
    alex = web.client(CODER_A)
    url = f"/api/p/{web.pid}/memos"
    r = alex.post(
        url, json={"target_type": "document", "target": DOC, "text": "Rural context throughout."}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["author"], r.json()["target"]) == (CODER_A, DOC)
    listed = alex.get(url, params={"target_type": "document", "target": DOC}).json()
    assert [m["text"] for m in listed] == ["Rural context throughout."]
    r = alex.post(
        url, json={"target_type": "code", "target": "Staffing", "text": "Covers vacancies."}
    )
    assert r.json()["target"] == STAFFING
    assert (
        alex.post(url, json={"target_type": "song", "target": "x", "text": "hi"}).status_code == 400
    )
    assert log(web, 1)[0].actor == CODER_A


def test_codes_stylesheet_has_a_colour_for_every_code(web: Any) -> None:
    owner = web.as_user(OWNER)
    owner.codebook.add("Uncoloured")
    owner.codebook.update("Staffing", colour="#123abc")
    r = web.client(CODER_A).get(f"/p/{web.pid}/codes.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert r.headers["cache-control"] == "no-cache"
    rules = dict(re.findall(r"\.code-(\d+) \{ --code-colour: (#[0-9a-f]{6}); \}", r.text))
    index = owner.codebook.index()
    assert set(rules) == {str(i) for i in index.rows}
    assert rules[str(owner.codebook.get("Staffing")["id"])] == "#123abc"
    assert str(owner.codebook.get("Uncoloured")["id"]) in rules
    # stable: the same colour on the next request
    assert web.client(CODER_B).get(f"/p/{web.pid}/codes.css").text == r.text


class Runs(HTMLParser):
    """The text runs of the reader page: (data-o, text) of every element carrying data-o."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[int | None] = []
        self.runs: list[list[Any]] = []
        self.coded: dict[int, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-o") is not None:
            self.runs.append([int(a["data-o"] or 0), ""])
            self.stack.append(len(self.runs) - 1)
            for k in (a.get("data-k") or "").split():
                self.coded.setdefault(int(k), []).append(str(len(self.runs) - 1))
        else:
            self.stack.append(None)

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] is not None:
            self.runs[self.stack[-1]][1] += data


def page_runs(web: Any, user: str, doc: str = DOC, query: str = "") -> tuple[Runs, str]:
    r = web.client(user).get(f"/p/{web.pid}/read/{doc}{query}")
    assert r.status_code == 200, r.text
    parser = Runs()
    parser.feed(r.text)
    return parser, r.text


def test_reader_page_runs_carry_exact_code_point_offsets(web: Any, tmp_path: Path) -> None:
    raw = (
        "Interviewer: How do you meet people?\r\n\r\n"
        "Respondent: We 💊 meet 👩🏽\u200d⚕️ nurses at the cafe\u0301 & <b>clinic</b>.\r\n"
        "Respondent: Then q\u0303 and 🧑‍🤝‍🧑 again.\r\n"
    ).encode()
    (tmp_path / "emoji.txt").write_bytes(raw)
    web.as_user(OWNER).documents.import_files([tmp_path / "emoji.txt"])
    text = text_of(web, "emoji")
    assert "\r" not in text and "café" in text  # CRLF normalised, e + U+0301 composed (NFC)
    start = text.index("meet 👩")
    end = text.index(" at the")
    alex = web.client(CODER_A)
    r = alex.post(
        codings_url(web), json={"document": "emoji", "code": "Staffing", "start": start, "end": end}
    )
    assert r.json()["text"] == "meet 👩🏽\u200d⚕️ nurses"
    parser, html = page_runs(web, CODER_A, "emoji")
    assert "&lt;b&gt;clinic&lt;/b&gt;" in html and "<b>clinic" not in html
    for offset, piece in parser.runs:
        assert text[offset : offset + len(piece)] == piece
    coded = "".join(parser.runs[int(i)][1] for i in parser.coded[r.json()["id"]])
    assert coded == "meet 👩🏽\u200d⚕️ nurses"
    assert parser.runs[int(parser.coded[r.json()["id"]][0])][0] == start


def test_reader_page_shows_only_readable_layers_and_no_controls_to_a_viewer(web: Any) -> None:
    sams = {c.id for c in layer(web, CODER_B)}
    alexs = {c.id for c in layer(web, CODER_A)}
    parser, html = page_runs(web, CODER_B)
    assert set(parser.coded) == sams
    assert f'value="{CODER_A}"' not in html and "code-turn" in html
    data = re.search(r'id="reader-data">(.*?)</script>', html, re.S)
    assert data and CODER_A not in data.group(1).replace(f'"user": "{CODER_B}"', "")
    # asking for alex's layer by URL is refused while blind
    r = web.client(CODER_B).get(f"/p/{web.pid}/read/{DOC}?coder={CODER_A}")
    assert r.status_code == 403
    # the owner picks layers
    parser, html = page_runs(web, OWNER, query=f"?coder={CODER_A},{CODER_B}")
    assert set(parser.coded) == sams | alexs
    assert f'value="{CODER_A}"' in html and f'value="{CODER_B}"' in html
    # a viewer: the text, no coding controls
    parser, html = page_runs(web, VIEWER)
    assert parser.coded == {} and "code-turn" not in html and 'id="code-doc"' not in html
    assert 'id="undo"' not in html and "doc-memo-form" not in html


def reader_data(web: Any, user: str, query: str = "", doc: str = DOC) -> tuple[Any, str]:
    """The reader page's data block (what its script starts from) and the page itself."""
    r = web.client(user).get(f"/p/{web.pid}/read/{doc}{query}")
    assert r.status_code == 200, r.text
    found = re.search(r'id="reader-data">(.*?)</script>', r.text, re.S)
    assert found
    return json.loads(found.group(1)), r.text


def test_reader_default_layers_a_coder_theirs_an_owner_all_until_she_codes(web: Any) -> None:
    alexs = {c.id for c in layer(web, CODER_A)}
    sams = {c.id for c in layer(web, CODER_B)}
    data, _ = reader_data(web, CODER_A)
    assert (data["shown"], data["shownWhy"]) == ([CODER_A], "own")
    # the owner has coded nothing here: every coder's layer, not an empty page
    owner = web.as_user(OWNER)
    other = owner.documents.get("P02-interview").text
    owner.coding.apply("P02-interview", "Staffing", 0, min(20, len(other)), coder=OWNER)
    data, _ = reader_data(web, OWNER)
    assert (data["shown"], data["shownWhy"]) == ([CODER_A, CODER_B], "all")
    parser, html = page_runs(web, OWNER)
    assert set(parser.coded) == alexs | sams
    assert "layers-shown" in html
    # once she codes this document, her own layer is what she sees first
    text = text_of(web)
    at = text.index(PHRASE)
    mine = owner.coding.apply(DOC, "Staffing", at, at + len(PHRASE), coder=OWNER)
    data, _ = reader_data(web, OWNER)
    assert (data["shown"], data["shownWhy"]) == ([OWNER], "mine")
    assert set(page_runs(web, OWNER)[0].coded) == {mine}
    # the address still chooses
    data, _ = reader_data(web, OWNER, f"?coder={CODER_B}")
    assert (data["shown"], data["shownWhy"]) == ([CODER_B], "asked")
    # a viewer of a blind project reads no coder's layer
    data, _ = reader_data(web, VIEWER)
    assert data["shown"] == [] and data["codings"] == []


def test_reader_link_to_a_passage_marks_it_and_adds_its_layer(web: Any) -> None:
    owner = web.as_user(OWNER)
    text = text_of(web)
    at = text.index(PHRASE)
    owner.coding.apply(DOC, "Staffing", at, at + len(PHRASE), coder=OWNER)
    sams = layer(web, CODER_B)
    # a passage alex coded and sam did not touch
    target = next(
        a for a in layer(web, CODER_A) if not any(b.start < a.end and a.start < b.end for b in sams)
    )
    data, _ = reader_data(web, OWNER, f"?start={target.start}&end={target.end}")
    assert data["focus"] == {"start": target.start, "end": target.end, "added": [CODER_A]}
    assert data["shown"] == [OWNER, CODER_A]
    assert (
        target.id in page_runs(web, OWNER, query=f"?start={target.start}&end={target.end}")[0].coded
    )
    # a passage inside a coding (a query's hit) points at the layer that covers it
    inner = (target.start + 1, target.end - 1)
    data, _ = reader_data(web, OWNER, f"?start={inner[0]}&end={inner[1]}")
    assert data["focus"]["added"] == [CODER_A]
    # a blind coder following the same link sees the passage, never alex's layer
    data, html = reader_data(web, CODER_B, f"?start={target.start}&end={target.end}")
    assert data["focus"] == {"start": target.start, "end": target.end, "added": []}
    assert data["shown"] == [CODER_B]
    assert all(row[2] == CODER_B for row in data["codings"])
    # a passage outside the document: the page opens at the start and says so
    for query in ("?start=5&end=3", f"?start=0&end={len(text) + 1}", "?start=4"):
        data, html = reader_data(web, OWNER, query)
        assert data["focus"] is None, query
        assert 'id="goto-note"' in html and "not in this document" in html, query
    r = web.client(OWNER).get(f"/p/{web.pid}/read/{DOC}?start=x&end=3")
    assert 400 <= r.status_code < 500
