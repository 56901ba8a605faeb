"""De-identification review in a real browser: the proposals drawn on the transcript with what
each becomes, accepting one with A, editing one with E, redacting a passage selected with the
mouse, accepting the rest, committing through the confirmation (the text shows placeholders,
and the database holds the new text); a viewer gets no controls."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from deid_web_seed import DOC, TEXT, import_document, proposal_state, seed_proposals

from conftest import OWNER, VIEWER, screenshot, sign_in

NOTES = Path("/tmp/deid-web-notes")

# the marks drawn for one proposal (by id): their status class and the tag after the last one
MARKS = """(id) => [...document.querySelectorAll('#text mark.dz')]
  .filter((m) => m.dataset.p.split(' ').includes(String(id)))
  .map((m) => [m.className.match(/st-(\\w+)/)[1], m.textContent, m.dataset.tag || ''])"""
# the viewport point of the middle of the first occurrence of `word` after `after` in the text
POINT = """([word, after]) => {
  const walker = document.createTreeWalker(document.getElementById('text'), NodeFilter.SHOW_TEXT);
  let seen = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = n.data.indexOf(word);
    if (at >= 0 && (seen + n.data.slice(0, at)).includes(after)) {
      const r = document.createRange(); r.setStart(n, at); r.setEnd(n, at + word.length);
      const b = r.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2];
    }
    seen += n.data;
  }
  return null;
}"""


def keep(path: Path) -> None:
    """Keep a screenshot with the notes, for people to look at."""
    if NOTES.is_dir():
        shutil.copyfile(path, NOTES / path.name)


def open_review(tab: Any, study: Any, user: str) -> None:
    sign_in(tab, user)
    tab.goto(f"/p/{study.pid}/documents/{DOC}/deid")


def test_an_owner_reviews_redacts_and_commits(page: Any, web_sqlite: Any, tmp_path: Path) -> None:
    owner = web_sqlite.as_user(OWNER)
    import_document(owner, tmp_path)
    maria, harbor, _, _, okafor = seed_proposals(owner)
    open_review(page, web_sqlite, OWNER)
    page.wait_for_selector("body.deid-ready")
    assert page.evaluate(MARKS, maria.id) == [["proposed", "Maria Lopez", "PERSON → [person 1]"]]
    assert page.evaluate(MARKS, okafor.id) == [["proposed", "Okafor", "PERSON → [person 2]"]]
    assert page.locator(".dz-count.st-proposed b").inner_text() == "5"
    assert page.locator("#dz-list .dz-item").count() == 5
    assert page.locator("#dz-commit").is_disabled()
    # hostile text stays text
    assert "<b>mostly</b>" in page.locator("#text").inner_text()
    assert page.locator("#text b").count() == 0
    keep(screenshot(page, "deid-proposals"))

    # the first proposal has the focus: A accepts it, and the focus moves on
    assert page.locator("#dz-list .dz-item.focus").get_attribute("data-id") == str(maria.id)
    page.keyboard.press("a")
    page.wait_for_function(
        "(id) => document.querySelector(`#text mark.dz.st-accepted[data-p='${id}']`)", arg=maria.id
    )
    assert proposal_state(web_sqlite.project, maria.id)[:2] == ("accepted", OWNER)
    assert page.locator("#dz-commit").inner_text() == "Commit 1 accepted"
    assert page.locator("#dz-list .dz-item.focus").get_attribute("data-id") == str(harbor.id)

    # E: Harbor House gets the reviewer's own placeholder (saving accepts it)
    page.keyboard.press("e")
    field = page.locator(f"#dz-{harbor.id} input[name=placeholder]")
    field.fill("[the shelter]")
    field.press("Enter")
    page.wait_for_function(
        "(id) => document.querySelector(`#text mark.dz.st-accepted[data-p='${id}']`)", arg=harbor.id
    )
    assert page.evaluate(MARKS, harbor.id) == [
        ["accepted", "Harbor House", "ORGANIZATION → [the shelter]"]
    ]
    assert proposal_state(web_sqlite.project, harbor.id)[6] == "[the shelter]"

    # R on Okafor: the passage stays
    page.locator(f"#dz-{okafor.id}").click()
    page.keyboard.press("r")
    page.wait_for_function(
        "(id) => document.querySelector(`#text mark.dz.st-rejected[data-p='${id}']`)", arg=okafor.id
    )
    assert proposal_state(web_sqlite.project, okafor.id)[0] == "rejected"

    # a passage the recognisers missed: double-click "Maria" in the last turn, then Redact
    # with no placeholder of its own (the key numbers it); the emoji in the first turn is one
    # code point (two UTF-16 units): the offsets sent are the stored text's code points
    x, y = page.evaluate(POINT, ["Maria", "Okafor"])
    page.mouse.dblclick(x, y)
    page.locator("#dz-add").wait_for(state="visible")
    assert page.locator("#dz-add-text").inner_text() == "Maria"
    page.select_option("#dz-add-type", "PERSON")
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/deid/proposals")
    ) as sent:
        page.click("#dz-add-submit")
    second = TEXT.index("Maria says")
    assert second == 221  # by hand: 220 UTF-16 units before it would make it 222
    assert sent.value.post_data_json == {
        "document": DOC,
        "entity_type": "PERSON",
        "start": 221,
        "end": 226,
    }
    page.wait_for_function("() => document.querySelectorAll('#dz-list .dz-item').length === 6")
    added = [r for r in owner.deid.list(document=DOC) if r.recogniser == "reviewer"]
    assert [(r.start, r.end, r.text, r.status) for r in added] == [
        (second, second + 5, "Maria", "accepted")
    ]
    # the list was read again: the new one shows what the key will write (a lone "Maria"
    # is the accepted Maria Lopez's first name: the same person, deid_key.py), in the list
    # and on the text
    item = page.locator(f"#dz-{added[0].id}")
    assert item.locator(".dz-ph").inner_text() == "[person 1]"
    assert page.evaluate(MARKS, added[0].id) == [["accepted", "Maria", "PERSON → [person 1]"]]
    assert "becomes [person 1]" in page.locator("#toast").inner_text()
    # the context around a proposal after the emoji is cut at whole words, with an ellipsis
    ctx = page.locator(f"#dz-{harbor.id} .dz-ctx").inner_text()
    assert ctx.startswith("…") and "Harbor House" in ctx
    page.click("#dz-accept-all")
    page.wait_for_function("() => document.getElementById('dz-commit-n').textContent === '5'")
    assert page.locator(".dz-count.st-proposed b").inner_text() == "0"
    keep(screenshot(page, "deid-accepted"))

    # commit: the dialog says what it does, for whom, and that it cannot be undone
    page.click("#dz-commit")
    dialog = page.locator("#dz-confirm")
    dialog.wait_for(state="visible")
    said = dialog.inner_text()
    assert "for everyone" in said and "cannot be undone" in said and "5 accepted" in said
    keep(screenshot(page, "deid-confirm"))
    page.click("#dz-confirm-yes")
    page.locator("#dz-done").wait_for(state="visible")
    assert "5 passages replaced" in page.locator("#dz-done").inner_text()
    shown = page.locator("#text").inner_text()
    assert "Mostly [person 1]. She runs [the shelter] in [place 1]" in shown
    assert "[phone number]" in shown and "[person 1] says" in shown and "Okafor" in shown
    assert "Maria" not in shown and "Millbrook" not in shown
    assert page.locator("#text mark.dz.st-committed").count() == 5
    assert page.locator(".dz-count.st-committed b").inner_text() == "5"
    stored = web_sqlite.as_user(OWNER).documents.get(DOC).text
    assert "Mostly [person 1]. She runs [the shelter] in [place 1]" in stored
    assert "Maria" not in stored
    keep(screenshot(page, "deid-committed"))


def test_a_viewer_is_told_only_owners_deidentify(
    page: Any, web_sqlite: Any, tmp_path: Path
) -> None:
    owner = web_sqlite.as_user(OWNER)
    import_document(owner, tmp_path)
    seed_proposals(owner)
    open_review(page, web_sqlite, VIEWER)
    assert "Only the project's owners de-identify" in page.locator("#dz-denied").inner_text()
    for control in ("#dz-commit", "#dz-detect", "#dz-list", "#deid-data", "#text"):
        assert page.locator(control).count() == 0, control
    assert "Maria" not in page.content()
    page.goto(f"/p/{web_sqlite.pid}/read/{DOC}")
    page.wait_for_selector("body.reader-ready")
    assert page.locator("#deid-link").count() == 0  # the reader offers it to owners only


def test_an_encrypted_key_asks_for_its_passphrase_once(
    page: Any, web_sqlite: Any, tmp_path: Path
) -> None:
    """One passphrase field on the page: shown because the key is encrypted, sent with "Find
    identifiers" (an immediate refusal without it focuses it) and with the commit, inside
    whose dialog it then sits; typed, never shown."""
    owner = web_sqlite.as_user(OWNER)
    import_document(owner, tmp_path)
    maria = seed_proposals(owner)[0]
    owner.deid.accept([maria.id])
    owner.deid.add_name("Harbor House", entity_type="ORGANIZATION")
    secret = "correct horse battery"
    owner.deid.encrypt_key(secret)
    open_review(page, web_sqlite, OWNER)
    page.wait_for_selector("body.deid-ready")
    assert page.locator("#dz-pass").is_visible()
    assert page.locator("#dz-passphrase").get_attribute("type") == "password"

    page.click("#dz-detect")  # no passphrase: refused at once, the field asks for it
    page.locator("#toast.toast-error").wait_for(state="visible")
    assert "give its passphrase" in page.locator("#toast").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "dz-passphrase"
    assert list(owner.jobs.list().rows) == []  # no job was started

    page.fill("#dz-passphrase", secret)
    keep(screenshot(page, "deid-passphrase-bar"))
    bodies: list[Any] = []

    def answer(route: Any) -> None:  # the job itself is the API tests' business
        bodies.append(route.request.post_data_json)
        route.fulfill(status=409, json={"error": "stopped by the test", "kind": "X", "detail": {}})

    page.route("**/deid/detect", answer)
    page.click("#dz-detect")
    page.wait_for_function("() => document.getElementById('toast').textContent.includes('stopped')")
    assert bodies == [{"documents": [DOC], "passphrase": secret}]

    page.click("#dz-commit")
    page.locator("#dz-confirm").wait_for(state="visible")
    assert page.locator("#dz-confirm #dz-passphrase").count() == 1  # the same field
    assert page.locator("#dz-confirm #dz-passphrase").input_value() == secret
    keep(screenshot(page, "deid-passphrase"))
    page.click("#dz-confirm-yes")
    page.locator("#dz-done").wait_for(state="visible")
    assert "Mostly [person 1]." in web_sqlite.as_user(OWNER).documents.get(DOC).text
    assert secret not in page.content()
