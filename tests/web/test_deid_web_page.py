"""The de-identification review page as the server renders it: the transcript cut into runs at
every proposal's edges (a proposal inside another, one in a speaker's label, hostile text),
each proposal's tag naming its type and placeholder; a committed proposal drawn only where the
text reads as its placeholder; the owner's page with its counts and data, everyone else's page
with no controls and none of the proposals, and a missing document."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from deid_web_seed import DOC, import_document, seed_proposals

from conftest import CODER_A, OUTSIDER, OWNER, VIEWER
from thematica.web.pages.deid import render_text, shown
from thematica.web.pages.read import blocks_of


def row(id: int, start: int, end: int, status: str, placeholder: str = "") -> Any:
    return SimpleNamespace(
        id=id, start=start, end=end, status=status, entity_type="PERSON", placeholder=placeholder
    )


def test_runs_are_cut_at_every_proposal_and_tagged() -> None:
    text = "Ann: call Bo Li & <i>Cy</i>"
    turns = [SimpleNamespace(start=0, end=27, speaker="Ann")]
    rows = [
        row(1, 10, 15, "accepted", "[person 1]"),  # "Bo Li"
        row(2, 13, 15, "proposed", "[person 2]"),  # "Li", inside it
        row(3, 21, 23, "rejected"),  # "Cy"
        row(4, 0, 3, "proposed", "[person 3]"),  # "Ann", the speaker's label
    ]
    html = str(render_text(text, blocks_of(text, turns), rows))
    assert html == (
        '<div class="turn v0" id="b0" data-s="0" data-e="27" data-turn="0" data-l="4">'
        '<div class="gutter"><span class="tn">1</span></div><div class="tt">'
        '<mark class="dz st-proposed end" data-p="4" data-o="0" data-l="1"'
        ' data-tag="PERSON → [person 3]">Ann</mark>'
        '<span data-o="3" class="lbl">:</span>'
        '<span data-o="4"> call </span>'
        '<mark class="dz st-accepted" data-p="1" data-o="10">Bo </mark>'
        '<mark class="dz st-accepted end n2" data-p="1 2" data-o="13"'
        ' data-tag="PERSON → [person 1] · PERSON → [person 2]">Li</mark>'
        '<span data-o="15"> &amp; &lt;i&gt;</span>'
        '<mark class="dz st-rejected end" data-p="3" data-o="21" data-tag="PERSON · kept">Cy</mark>'
        '<span data-o="23">&lt;/i&gt;</span>'
        "</div></div>"
    )


def test_a_committed_proposal_is_drawn_only_where_the_text_reads_as_its_placeholder() -> None:
    text = "I met [person 1] and Bo."
    rows = [
        row(1, 6, 16, "committed", "[person 1]"),
        row(2, 21, 23, "committed", "[person 2]"),  # the text there is "Bo": not drawn
        row(3, 21, 30, "proposed", "[person 3]"),  # past the end: not drawn
        row(4, 21, 23, "proposed", "[person 2]"),
    ]
    assert [r.id for r in shown(rows, text)] == [1, 4]
    html = str(render_text(text, blocks_of(text, []), shown(rows, text)))
    assert '<mark class="dz st-committed" data-p="1" data-o="6">[person 1]</mark>' in html


def test_the_owner_gets_the_page_and_the_others_a_notice(web_sqlite: Any, tmp_path: Path) -> None:
    web = web_sqlite
    owner_project = web.as_user(OWNER)
    import_document(owner_project, tmp_path)
    maria = seed_proposals(owner_project)[0]
    owner_project.deid.accept([maria.id])
    page_url = f"/p/{web.pid}/documents/{DOC}/deid"
    html = web.client(OWNER).get(page_url, headers={"Accept": "text/html"})
    assert html.status_code == 200, html.text
    text = html.text
    assert f'data-p="{maria.id}"' in text and 'data-tag="PERSON → [person 1]"' in text
    assert "<b>1</b> accepted" in text and "<b>4</b> proposed" in text
    assert 'Commit <span id="dz-commit-n">1</span> accepted' in text
    assert "&lt;b&gt;mostly&lt;/b&gt;" in text and "<b>mostly</b>" not in text
    assert 'id="deid-data"' in text and "\\u003cb\\u003emostly" in text  # JSON, escaped
    assert "<script>" not in text.replace('<script type="module"', "")
    for user in (CODER_A, VIEWER):
        r = web.client(user).get(page_url, headers={"Accept": "text/html"})
        assert r.status_code == 200, (user, r.text)
        assert "Only the project's owners de-identify" in r.text
        assert "Maria" not in r.text and "deid-data" not in r.text and "dz-commit" not in r.text
    r = web.client(OUTSIDER).get(page_url, headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Maria" not in r.text
    missing = web.client(OWNER).get(
        f"/p/{web.pid}/documents/no-such-doc/deid", headers={"Accept": "text/html"}
    )
    assert missing.status_code == 404
    reader = web.client(OWNER).get(f"/p/{web.pid}/read/{DOC}").text
    assert f'href="/p/{web.pid}/documents/{DOC}/deid"' in reader
    assert "deid-link" not in web.client(CODER_A).get(f"/p/{web.pid}/read/{DOC}").text
