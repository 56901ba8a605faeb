"""The reading page in a real browser: coding a passage selected with the mouse or the
keyboard by typing part of a code's name, highlights that survive a reload at the same
characters (emoji, combining characters, a CRLF file), blind coding, a viewer's page, the
popover with remove and undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CODER_A, CODER_B, OWNER, VIEWER, screenshot, sign_in

DOC = "P01-interview"

# Test-side mapping of code-point offsets to screen positions, written independently of the
# page's own script: the run holding offset o is the last element whose data-o <= o.
RECTS = """([s, e]) => {
  const runs = [...document.querySelectorAll('#text .tt [data-o]')];
  function point(o, before) {
    let run = null;
    for (const r of runs) {
      const ro = Number(r.dataset.o);
      if (before ? ro < o : ro <= o) run = r; else break;
    }
    const t = run.firstChild; let k = o - Number(run.dataset.o); let i = 0;
    while (k > 0) { i += t.data.codePointAt(i) > 0xffff ? 2 : 1; k--; }
    return [t, i];
  }
  function rect(o) {
    const [t, i] = point(o, false); const [t2, j] = point(o + 1, true);
    const range = document.createRange(); range.setStart(t, i); range.setEnd(t2, j);
    const rs = range.getClientRects(); return rs[rs.length - 1];
  }
  const a = rect(s), z = rect(e - 1);
  return [a.left + 1, a.top + a.height / 2, z.right - 1, z.top + z.height / 2];
}"""

# The text of the codings' highlights: the runs naming coding id in data-k, joined in order.
HIGHLIGHTED = """(id) => {
  const runs = [...document.querySelectorAll('#text [data-k]')]
    .filter((r) => r.dataset.k.split(' ').includes(String(id)));
  return [runs.length ? Number(runs[0].dataset.o) : -1, runs.map((r) => r.textContent).join('')];
}"""


def open_reader(tab: Any, study: Any, user: str, doc: str = DOC, query: str = "") -> None:
    sign_in(tab, user)
    tab.goto(f"/p/{study.pid}/read/{doc}{query}")
    tab.wait_for_selector("body.reader-ready")


def drag_select(tab: Any, start: int, end: int) -> None:
    """Select [start, end) with the mouse: press on the first character's left edge, drag to
    the last character's right edge, release."""
    x1, y1, x2, y2 = tab.evaluate(RECTS, [start, end])
    tab.mouse.move(x1, y1)
    tab.mouse.down()
    tab.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=3)
    tab.mouse.move(x2, y2, steps=3)
    tab.mouse.up()


def code_with(tab: Any, typed: str, expect: str) -> None:
    picker = tab.locator("#picker")
    picker.wait_for(state="visible")
    before = int(tab.locator("#codes-count").inner_text())
    tab.keyboard.type(typed)
    first = picker.locator("[role=option][aria-selected=true]")
    assert expect in first.inner_text()
    tab.keyboard.press("Enter")
    # done when the page has fetched the codings again and redrawn them
    tab.wait_for_function(
        "(n) => document.getElementById('codes-count').textContent === String(n)", arg=before + 1
    )


def layer(study: Any, coder: str, doc: str = DOC) -> list[Any]:
    return list(study.as_user(OWNER).coding.in_document(doc, coder=[coder]))


def test_mouse_selection_coded_by_typing_survives_reload(page: Any, web_sqlite: Any) -> None:
    text = web_sqlite.as_user(OWNER).documents.get(DOC).text
    start = text.index("Three days a week")
    open_reader(page, web_sqlite, CODER_A)
    drag_select(page, start, start + 17)
    # the picker opens on the passage the mouse selected (it takes the focus, and with it
    # the browser's own selection, so the picker's quote is what to check)
    page.locator("#picker").wait_for(state="visible")
    assert page.locator("#picker .picker-excerpt").inner_text() == "“Three days a week”"
    code_with(page, "staffi", "Staffing")
    new = [c for c in layer(web_sqlite, CODER_A) if c.code == "Staffing" and c.start == start]
    assert [(c.start, c.end, c.text) for c in new] == [(start, start + 17, "Three days a week")]
    # the page redrew without a reload, and draws the same after one
    assert page.evaluate(HIGHLIGHTED, new[0].id) == [start, "Three days a week"]
    assert page.locator(f'.stripe[data-id="{new[0].id}"]').count() == 1
    page.reload()
    page.wait_for_selector("body.reader-ready")
    assert page.evaluate(HIGHLIGHTED, new[0].id) == [start, "Three days a week"]
    # the recent code is on key 1 now
    assert "Staffing" in page.locator("#recent").inner_text()


def test_emoji_combining_and_crlf_offsets_through_the_browser(
    page: Any, web_sqlite: Any, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.txt"
    path.write_bytes(
        (
            "Interviewer: Who do you meet?\r\n\r\n"
            "Respondent: We 💊 meet 👩🏽\u200d⚕️ nurses at the cafe\u0301 daily.\r\n\r\n"
            "Respondent: The x\u0304 score rose 🧑\u200d🤝\u200d🧑 together.\r\n"
        ).encode()
    )
    web_sqlite.project.documents.import_files([path])
    text = web_sqlite.as_user(OWNER).documents.get("clinic").text
    assert "\r" not in text and "café" in text and "x\u0304" in text
    wanted = [
        "💊 meet 👩🏽\u200d⚕️ nurses",
        "the café",
        "The x\u0304 score rose 🧑\u200d🤝\u200d🧑 together",
    ]
    open_reader(page, web_sqlite, CODER_A, "clinic")
    for words in wanted:
        start = text.index(words)
        drag_select(page, start, start + len(words))
        code_with(page, "guilt", "Feelings of guilt")
    stored = {c.text: (c.start, c.end) for c in layer(web_sqlite, CODER_A, "clinic")}
    assert set(stored) == set(wanted)
    for words, (start, end) in stored.items():
        assert text[start:end] == words
    page.reload()
    page.wait_for_selector("body.reader-ready")
    for c in layer(web_sqlite, CODER_A, "clinic"):
        assert page.evaluate(HIGHLIGHTED, c.id) == [c.start, c.text]


def test_keyboard_only_coding(page: Any, web_sqlite: Any) -> None:
    open_reader(page, web_sqlite, CODER_A)
    for _ in range(40):  # Tab to the transcript
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "text":
            break
    assert page.evaluate("() => document.activeElement.id") == "text"
    for _ in range(5):  # down into the participant's first answer
        page.keyboard.press("ArrowDown")
    for _ in range(2):
        page.keyboard.press("Control+ArrowRight")
    for _ in range(4):
        page.keyboard.press("Control+Shift+ArrowRight")
    selected = page.evaluate("() => window.getSelection().toString()").strip()
    assert len(selected.split()) >= 3 and "\n" not in selected
    page.keyboard.press("c")
    code_with(page, "boundary", "Navigating boundary setting")
    mine = [c for c in layer(web_sqlite, CODER_A) if c.text == selected]
    assert len(mine) == 1 and mine[0].code == "Navigating boundary setting and self-care"
    # Ctrl+Z takes it back
    page.keyboard.press("Control+z")
    page.locator("#toast", has_text="Undone").wait_for()
    assert [c for c in layer(web_sqlite, CODER_A) if c.id == mine[0].id] == []


def test_blind_coder_sees_only_their_own_layer(page: Any, web_sqlite: Any) -> None:
    alexs = {c.id for c in layer(web_sqlite, CODER_A)}
    sams = {c.id for c in layer(web_sqlite, CODER_B)}
    open_reader(page, web_sqlite, CODER_B)
    on_page = set(
        page.evaluate(
            "() => [...document.querySelectorAll('#text [data-k]')]"
            ".flatMap((r) => r.dataset.k.split(' ').map(Number))"
        )
    )
    assert on_page == sams and not on_page & alexs
    stripes = set(
        page.evaluate(
            "() => [...document.querySelectorAll('.stripe')].map((s) => Number(s.dataset.id))"
        )
    )
    assert stripes == sams
    assert page.locator("#layer-select").count() == 0
    assert page.locator(f'input[name=layer][value="{CODER_A}"]').count() == 0
    assert "Your coding (sam)" in page.locator("#layers").inner_text()
    # told, in the bar, that they are blind; one layer: no coder headings in the margin
    assert page.locator("#blind-line").inner_text() == (
        "Blind coding: you see only your own coding until an owner opens comparison."
    )
    assert page.locator(".margin-head").count() == 0
    # the empty recent-codes box reads as a placeholder, in sentence case
    empty = page.locator("#recent .recent-empty")
    assert empty.inner_text() == "Recent codes will appear here (keys 1–9)"
    assert empty.evaluate("(e) => getComputedStyle(e).textTransform") == "none"
    screenshot(page, "reader-coder-blind")


def test_viewer_reads_without_coding_controls(page: Any, web_sqlite: Any) -> None:
    text = web_sqlite.as_user(OWNER).documents.get(DOC).text
    open_reader(page, web_sqlite, VIEWER)
    for absent in ["#code-doc", "#undo", ".code-turn", "#doc-memo-form", "#recent"]:
        assert page.locator(absent).count() == 0, absent
    assert "Read only" in page.locator("#readonly-note").inner_text()
    screenshot(page, "reader-viewer")
    start = text.index("Three days a week")
    drag_select(page, start, start + 17)
    page.keyboard.press("c")
    page.wait_for_timeout(150)
    assert page.locator("#picker").is_hidden()


def test_popover_overlaps_remove_undo_and_screenshots(page: Any, web_sqlite: Any) -> None:
    owner = web_sqlite.as_user(OWNER)
    text = owner.documents.get(DOC).text
    # the owner's own layer: several codes overlapping in the first answers, as a team codes
    for phrase, length, code in [
        ("I'm an outreach worker", 160, "Training and shadowing"),
        ("it's a syringe services", 230, "Staffing"),
        ("Three days a week", 120, "Compensation and benefits"),
        ("doing the logs", 90, "Navigating bureaucracy"),
        ("A lot of driving", 260, "Feelings of guilt"),
        ("I've got regular stops", 330, "Impact of lived experiences"),
    ]:
        at = text.index(phrase)
        owner.coding.apply(DOC, code, at, at + length, coder=OWNER)
    open_reader(page, web_sqlite, OWNER, query=f"?coder={CODER_A},{CODER_B},{OWNER}")
    assert (
        page.locator(".stripe").count()
        == len(layer(web_sqlite, CODER_A)) + len(layer(web_sqlite, CODER_B)) + 6
    )
    screenshot(page, "reader-overlapping-highlights")
    both = layer(web_sqlite, CODER_A) + layer(web_sqlite, CODER_B) + layer(web_sqlite, OWNER)
    # a place both coders coded: the popover lists every coding there
    target = next(
        a
        for a in layer(web_sqlite, CODER_A)
        if any(b.start < a.end and a.start < b.end for b in layer(web_sqlite, CODER_B))
    )
    run = page.locator(f'#text [data-k~="{target.id}"]').first
    ids = [int(i) for i in (run.get_attribute("data-k") or "").split()]
    assert len(ids) >= 2 and {c.id for c in both} >= set(ids)
    run.click()
    pop = page.locator("#popover")
    pop.wait_for(state="visible")
    assert pop.locator("li.pc").count() == len(ids)
    assert CODER_A in pop.inner_text() and CODER_B in pop.inner_text()
    screenshot(page, "reader-popover")
    item = pop.locator(f'li.pc[data-id="{target.id}"]')
    item.locator("[data-act=remove]").click()
    page.locator("#toast", has_text="Removed").wait_for()
    assert target.id not in {c.id for c in layer(web_sqlite, CODER_A)}
    page.locator("#undo").click()
    page.locator("#toast", has_text="Undone").wait_for()
    back = [
        c
        for c in layer(web_sqlite, CODER_A)
        if (c.start, c.end, c.code) == (target.start, target.end, target.code)
    ]
    assert len(back) == 1
    # the picker, opened on a selection
    drag_select(page, target.start, target.start + 12)
    page.locator("#picker").wait_for(state="visible")
    page.keyboard.type("relat")
    screenshot(page, "reader-picker")
    page.keyboard.press("Escape")
    assert page.locator("#picker").is_hidden()


def test_turn_button_new_code_and_fit_to_selection(page: Any, web_sqlite: Any) -> None:
    owner = web_sqlite.as_user(OWNER)
    doc = owner.documents.get(DOC)
    turn = doc.turns[3]  # "Interviewer: What does a day out in the van actually involve?"
    open_reader(page, web_sqlite, CODER_A)
    page.locator('.turn[data-turn="3"]').hover()
    page.locator('.turn[data-turn="3"] .code-turn').click()
    code_with(page, "bureau", "Navigating bureaucracy")
    coded = [c for c in layer(web_sqlite, CODER_A) if c.code == "Navigating bureaucracy"]
    assert (turn.start, turn.end) in {(c.start, c.end) for c in coded}

    # a code the codebook lacks, named by typing it
    start = doc.text.index("two hundred miles")
    drag_select(page, start, start + 17)
    page.locator("#picker").wait_for(state="visible")
    page.keyboard.type("Van breakdowns")
    # nothing matches: Enter creates nothing, it says how to; Ctrl+Enter creates
    assert page.locator("#picker [role=option][aria-selected=true]").count() == 0
    assert "Create code “Van breakdowns”" in page.locator("#picker .opt-create").inner_text()
    page.keyboard.press("Enter")
    assert "No code matches" in page.locator("#picker-hint").inner_text()
    assert page.locator("#picker").is_visible()
    assert [c for c in layer(web_sqlite, CODER_A) if c.code == "Van breakdowns"] == []
    page.keyboard.press("Control+Enter")
    page.locator("#toast", has_text="created").wait_for()
    made = [c for c in layer(web_sqlite, CODER_A) if c.code == "Van breakdowns"]
    assert [(c.start, c.end) for c in made] == [(start, start + 17)]
    assert owner.codebook.get("Van breakdowns")["origin"] == "inductive"

    # fit it to a new selection from its popover
    page.locator(f'#text [data-k~="{made[0].id}"]').first.click()
    page.locator("#popover").wait_for(state="visible")
    wider = doc.text.index("I put two hundred miles on that van")
    drag_select(page, wider, wider + 35)
    fit = page.locator(f'#popover li.pc[data-id="{made[0].id}"] [data-act=fit]:not([disabled])')
    fit.wait_for()  # enabled once the new selection is made
    fit.click()
    page.wait_for_function(
        """(id) => [...document.querySelectorAll('#text [data-k]')].some(
          (r) => r.dataset.k.split(' ').includes(String(id))
            && r.textContent.startsWith('I put'))""",
        arg=made[0].id,
    )
    again = owner.coding.get(made[0].id)
    assert (again.start, again.end, again.text) == (
        wider,
        wider + 35,
        "I put two hundred miles on that van",
    )


def in_view(tab: Any, selector: str) -> bool:
    """The element's box lies inside the reader's scrolling pane, as the person sees it."""
    return bool(
        tab.evaluate(
            """(sel) => {
              const r = document.querySelector(sel).getBoundingClientRect();
              const v = document.getElementById('scroll').getBoundingClientRect();
              return r.height > 0 && r.top >= v.top && r.bottom <= v.bottom;
            }""",
            selector,
        )
    )


def test_go_to_source_scrolls_to_the_passage_marks_it_and_shows_its_layer(
    page: Any, web_sqlite: Any
) -> None:
    owner = web_sqlite.as_user(OWNER)
    text = owner.documents.get(DOC).text
    # the owner coded this document: by default the reader shows only her own layer
    at = text.index("Three days a week")
    owner.coding.apply(DOC, "Staffing", at, at + 17, coder=OWNER)
    alexs = layer(web_sqlite, CODER_A)
    target = max(alexs, key=lambda c: c.start)  # alex's last passage
    assert target.start > len(text) // 3  # far enough down to need scrolling
    open_reader(page, web_sqlite, OWNER, query=f"?start={target.start}&end={target.end}")
    mark = page.locator("#goto")
    assert (mark.get_attribute("data-start"), mark.get_attribute("data-end")) == (
        str(target.start),
        str(target.end),
    )
    assert page.evaluate("() => document.getElementById('scroll').scrollTop") > 0
    assert in_view(page, "#goto .goto-line")
    # the mark covers the passage's first character (positions computed by the test itself)
    x1, y1, _, _ = page.evaluate(RECTS, [target.start, target.end])
    box = page.locator("#goto .goto-line").first.bounding_box()
    assert box["x"] <= x1 <= box["x"] + box["width"] and box["y"] <= y1 <= box["y"] + box["height"]
    # alex's layer, where the passage is coded, was added to the owner's own and is drawn
    assert page.locator(f'input[name=layer][value="{CODER_A}"]').is_checked()
    assert page.locator(f'#text [data-k~="{target.id}"]').count() >= 1
    pointed = sorted(
        {
            c.coder
            for c in alexs + layer(web_sqlite, CODER_B)
            if (c.start, c.end) == (target.start, target.end)
        }
    )
    assert pointed and CODER_A in pointed
    shown = ["olivia (you)", *pointed]
    assert page.locator("#layers-shown").inner_text() == (
        f"Showing {', '.join(shown[:-1])} and {shown[-1]} "
        f"({' and '.join(pointed)} added for the linked passage)"
    )
    # the coding itself opens in the side panel
    assert target.text[:30] in page.locator("#coding-detail .detail-text").inner_text()
    screenshot(page, "reader-go-to-source")
    # a click in the text takes the mark away
    page.locator('.turn[data-turn="1"] .tt').click()
    assert page.locator("#goto").is_hidden()


def test_picker_enter_applies_only_existing_codes_and_finds_definitions(
    page: Any, web_sqlite: Any
) -> None:
    owner = web_sqlite.as_user(OWNER)
    text = owner.documents.get(DOC).text
    codes_before = len(owner.codebook.tree())
    mine_before = len(layer(web_sqlite, CODER_A))
    open_reader(page, web_sqlite, CODER_A)
    start = text.index("two hundred miles")
    drag_select(page, start, start + 17)
    picker = page.locator("#picker")
    picker.wait_for(state="visible")
    # opened with no recent code: nothing is highlighted (not the top category), Enter waits
    assert picker.locator("[role=option][aria-selected=true]").count() == 0
    page.keyboard.press("Enter")
    assert picker.is_visible() and page.locator("#picker-hint").is_visible()
    # a word found nowhere: Enter says how to create, and creates nothing
    page.keyboard.type("zzqx")
    page.keyboard.press("Enter")
    assert page.locator("#picker-hint").inner_text() == (
        "No code matches — choose “Create code …” (or press Ctrl+Enter) to add one."
    )
    assert picker.is_visible()
    screenshot(page, "reader-picker-no-match")
    assert len(owner.codebook.tree()) == codes_before
    assert len(layer(web_sqlite, CODER_A)) == mine_before
    # "weath" is in no code's name, but in one definition ("weather, heat and cold")
    page.keyboard.press("Control+a")
    page.keyboard.type("weath")
    first = picker.locator("[role=option][aria-selected=true]")
    assert "Navigating the variability of the physical environment" in first.inner_text()
    assert first.locator(".dd b").inner_text().lower() == "weath"
    assert picker.locator(".sep").all_text_contents() == ["Found in definitions"]
    screenshot(page, "reader-picker-definition-match")
    page.keyboard.press("Enter")
    page.locator("#toast", has_text="Coded with").wait_for()
    new = [c for c in layer(web_sqlite, CODER_A) if c.start == start]
    assert [(c.code, c.end) for c in new] == [
        ("Navigating the variability of the physical environment", start + 17)
    ]
    # opened again: the recent code is highlighted, not the first category of the tree
    again = text.index("regular stops")
    drag_select(page, again, again + 13)
    picker.wait_for(state="visible")
    chosen = picker.locator("[role=option][aria-selected=true]")
    assert "opt-recent" in (chosen.get_attribute("class") or "")
    assert "Navigating the variability" in chosen.inner_text()
    screenshot(page, "reader-picker-open-recent")
    # in vivo with the mouse: the picker's button names a new code after the words
    page.locator("#picker-invivo").click()
    page.locator("#toast", has_text="created").wait_for()
    named = [c for c in layer(web_sqlite, CODER_A) if c.start == again]
    assert [(c.code, c.end) for c in named] == [("regular stops", again + 13)]
    assert owner.codebook.get("regular stops")["origin"] == "inductive"


def describe(text_turns: Any, start: int, end: int) -> str:
    """'turn N, Speaker · K characters', worked out from the document's turns."""
    number = next(i for i, t in enumerate(text_turns) if t.start <= start < t.end)
    speaker = text_turns[number].speaker
    return f"turn {number + 1}, {speaker} · {end - start} characters"


def test_owner_sees_every_coder_grouped_and_labelled(page: Any, web_sqlite: Any) -> None:
    owner = web_sqlite.as_user(OWNER)
    doc = owner.documents.get(DOC)
    alexs, sams = layer(web_sqlite, CODER_A), layer(web_sqlite, CODER_B)
    open_reader(page, web_sqlite, OWNER)
    # the owner has not coded this document: every coder's layer is shown, and said so
    for name in (CODER_A, CODER_B):
        assert page.locator(f'input[name=layer][value="{name}"]').is_checked()
    assert page.locator("#layers-shown").inner_text() == (
        "Showing alex and sam: every coder, as you have not coded this document"
    )
    assert page.locator(".stripe").count() == len(alexs) + len(sams)
    # the margin: a column per coder, headed by the coder's name; alex's stripes left of sam's
    assert page.locator(".margin-head").all_inner_texts() == [CODER_A, CODER_B]
    lefts = page.evaluate(
        """(ids) => ids.map((group) => group.map((id) =>
             document.querySelector(`.stripe[data-id="${id}"]`).getBoundingClientRect().left))""",
        [[c.id for c in alexs], [c.id for c in sams]],
    )
    assert max(lefts[0]) < min(lefts[1])
    # labels: the code's name written out (cut by CSS only), the full path on hover
    by_id = {c.id: c for c in alexs + sams}
    labels = page.locator(".mlabel").all()
    assert labels
    for label in labels:
        c = by_id[int(label.get_attribute("data-id") or 0)]
        # the coder's name, then the code's
        assert label.evaluate("(n) => n.lastChild.textContent") == c.code
        assert label.locator(".coder-name").inner_text() == c.coder
        assert (label.get_attribute("title") or "").startswith(
            f"{c.path.replace('/', ' › ')} — coded by {c.coder}"
        )
    cut = page.evaluate(
        "() => [...document.querySelectorAll('.mlabel')]"
        ".filter((n) => n.scrollWidth > n.clientWidth).length"
    )
    assert cut > 0  # long names are cut with an ellipsis, so the title matters
    for bar in page.locator(".stripe").all()[:5]:
        assert "coded by" in (bar.get_attribute("title") or "")
    # the side list: each code's full path on hover (the name itself may be cut)
    first_path = min(c.path for c in alexs + sams)
    summary = page.locator("#code-summary .summary-item .nm").first
    assert summary.get_attribute("title") == (
        f"{first_path.replace('/', ' › ')} — click to go to its next passage"
    )
    # the tally names each layer's count
    assert page.locator("#tally").inner_text() == (
        f"{len(alexs) + len(sams)} codings shown: alex {len(alexs)} · sam {len(sams)}"
    )
    screenshot(page, "reader-owner-all-layers")
    # the popover names the coder and where the passage is, in turns
    first = min(alexs, key=lambda c: c.start)
    page.locator(f'.stripe[data-id="{first.id}"]').click()
    item = page.locator(f'#popover li.pc[data-id="{first.id}"] .pc-meta')
    assert item.inner_text() == f"coded by alex · {describe(doc.turns, first.start, first.end)}"
    screenshot(page, "reader-owner-popover")
