"""AI suggestions in the reader, in a real browser: dashed outlines in the code's colour that
are not codings, moving between them with ] and [, accepting one with A (it becomes a
highlight in the coder's own layer, and is stored there), rejecting one with X (it is gone,
and stored as rejected), the card, a viewer's read-only page, and a suggest run started from
the reader with its progress."""

from __future__ import annotations

from typing import Any

from ai_web_seed import seed_suggestions, suggestion_state

from conftest import CODER_A, OWNER, VIEWER, screenshot, sign_in

DOC = "P01-interview"
VAN = "Three days a week I'm out in the van and two days I'm at the office in [town] restocking"
MILES = "Some days I put two hundred miles on that van."
OVEN = "In the summer the van is an oven"
PHYSICAL = "Individual/Navigating the variability of the physical environment"

# the highlighted text of one coding (by id), from the runs naming it, written for the test
HIGHLIGHTED = """(id) => [...document.querySelectorAll('#text [data-k]')]
  .filter((r) => r.dataset.k.split(' ').includes(String(id)))
  .map((r) => r.textContent).join('')"""
# the outlines drawn for one suggestion: their border style and colour
OUTLINES = """(id) => [...document.querySelectorAll(`#sg-layer .sg-box[data-id="${id}"]`)]
  .map((b) => { const s = getComputedStyle(b); return [s.borderTopStyle, s.borderTopColor]; })"""


def seed(study: Any) -> dict[str, Any]:
    owner = study.as_user(OWNER)
    rows = seed_suggestions(
        owner,
        DOC,
        [
            (VAN, "Staffing", 0.81, 1),
            (VAN, PHYSICAL, 0.34, 2),
            (MILES, PHYSICAL, 0.72, 1),
            (OVEN, PHYSICAL, 0.88, 1),
        ],
        evidence={  # as the suggest run stores it
            "raw": 0.52,
            "label": {
                "code": PHYSICAL,
                "kind": "definition",
                "text": "Navigating the variability: weather, heat and cold, long drives",
                "similarity": 0.62,
            },
        },
    )
    return {"van": rows[0], "van2": rows[1], "miles": rows[2], "oven": rows[3]}


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def open_reader(tab: Any, study: Any, user: str) -> None:
    sign_in(tab, user)
    tab.goto(f"/p/{study.pid}/read/{DOC}")
    tab.wait_for_selector("body.reader-ready")


def focused(tab: Any) -> int:
    ids = tab.eval_on_selector_all("#sg-layer .sg-box.focus", "(bs) => bs.map((b) => b.dataset.id)")
    assert len(set(ids)) == 1, ids
    return int(ids[0])


def test_a_coder_moves_accepts_and_rejects_with_keys(page: Any, web_sqlite: Any) -> None:
    s = seed(web_sqlite)
    owner = web_sqlite.as_user(OWNER)
    colours = {c.path: c.colour for c in owner.coding.code_choices()}
    before = {c.id for c in owner.coding.in_document(DOC, coder=[CODER_A])}
    open_reader(page, web_sqlite, CODER_A)
    assert "Suggestions 4" in page.locator("#sg-toggle").inner_text()
    assert page.locator("#sg-toggle").get_attribute("aria-pressed") == "true"
    # dashed outlines in each code's own colour, one set per suggestion; no coding drawn
    for key, row in s.items():
        outlines = page.evaluate(OUTLINES, row.id)
        assert outlines, key
        assert {style for style, _ in outlines} == {"dashed"}, (key, outlines)
        assert {colour for _, colour in outlines} == {rgb(colours[row.code])}, key
    # the highlights are alex's own codings only: the AI layer's are not drawn as codings
    drawn = page.eval_on_selector_all(
        "#text mark[data-k]", "(ms) => [...new Set(ms.flatMap((m) => m.dataset.k.split(' ')))]"
    )
    assert {int(i) for i in drawn} == before
    assert page.locator("#codes-count").inner_text() == str(len(before))
    screenshot(page, "ai-reader-suggestions")

    page.focus("#text")
    page.keyboard.press("]")
    assert focused(page) == s["van"].id
    live = page.locator("#sg-live")
    assert "Suggestion 1 of 4: Staffing, 81%" in live.inner_text()
    page.keyboard.press("]")
    assert focused(page) == s["van2"].id
    page.keyboard.press("[")
    assert focused(page) == s["van"].id
    bar = page.locator("#sg-bar")
    assert "Staffing" in bar.inner_text() and "81%" in bar.inner_text()

    # A: the suggestion becomes alex's coding, drawn as a highlight at once
    page.keyboard.press("a")
    page.wait_for_function(
        "(n) => document.getElementById('codes-count').textContent === String(n)",
        arg=len(before) + 1,
    )
    mine = [c for c in owner.coding.in_document(DOC, coder=[CODER_A]) if c.id not in before]
    assert [(c.code, c.start, c.end) for c in mine] == [("Staffing", s["van"].start, s["van"].end)]
    assert suggestion_state(web_sqlite.project, s["van"].id)[:2] == ("accepted", CODER_A)
    assert page.evaluate(HIGHLIGHTED, mine[0].id) == VAN
    assert page.locator(f'#sg-layer .sg-box[data-id="{s["van"].id}"]').count() == 0
    assert "Suggestions 3" in page.locator("#sg-toggle").inner_text()
    screenshot(page, "ai-reader-accepted")

    # the focus moved on to the next one; X rejects it: gone from the page, stored rejected
    assert focused(page) == s["van2"].id
    page.keyboard.press("]")
    assert focused(page) == s["miles"].id
    page.keyboard.press("x")
    page.wait_for_function(
        '(id) => !document.querySelector(`#sg-layer .sg-box[data-id="${id}"]`)',
        arg=s["miles"].id,
    )
    assert suggestion_state(web_sqlite.project, s["miles"].id)[:2] == ("rejected", CODER_A)
    assert len(list(owner.coding.in_document(DOC, coder=[CODER_A]))) == len(before) + 1

    # Enter opens the card of the one in focus, with its score, evidence and the two actions
    assert focused(page) == s["oven"].id
    page.keyboard.press("Enter")
    card = page.locator("#sg-card")
    card.wait_for(state="visible")
    text = card.inner_text()
    assert "88%" in text and "Navigating the variability" in text and "test-model" in text
    screenshot(page, "ai-reader-suggestion-card")
    assert card.locator("button.sg-accept").evaluate("(b) => b === document.activeElement")
    assert "Nearest definition: “Navigating the variability: weather" in text  # the evidence
    assert "(similarity 0.62)" in text
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    # a reload shows the same: two open suggestions, one coding
    page.reload()
    page.wait_for_selector("body.reader-ready")
    assert "Suggestions 2" in page.locator("#sg-toggle").inner_text()
    assert page.evaluate(HIGHLIGHTED, mine[0].id) == VAN


def test_the_side_list_and_the_toggle(page: Any, web_sqlite: Any) -> None:
    s = seed(web_sqlite)
    open_reader(page, web_sqlite, CODER_A)
    items = page.locator("#sg-list .sg-item")
    assert items.count() == 4
    # the pointer over a suggested passage names its code and score
    box = page.locator(f'#sg-layer .sg-box[data-id="{s["miles"].id}"]').first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".sg-tip")
    tip.wait_for(state="visible")
    assert "Navigating the variability" in tip.inner_text() and "72%" in tip.inner_text()
    # a click there opens its card
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator("#sg-card").wait_for(state="visible")
    assert "72%" in page.locator("#sg-card").inner_text()
    page.keyboard.press("Escape")
    assert "Staffing" in items.nth(0).inner_text() and "81%" in items.nth(0).inner_text()
    # the list's reject button works without the keyboard shortcut
    page.locator(f'#sg-list li[data-id="{s["oven"].id}"] .sg-no').click()
    page.wait_for_function("() => document.querySelectorAll('#sg-list .sg-item').length === 3")
    assert suggestion_state(web_sqlite.project, s["oven"].id)[0] == "rejected"
    # accepted from the list, then taken back with Ctrl+Z: the coding goes, the suggestion
    # is open again
    owner = web_sqlite.as_user(OWNER)
    before = len(list(owner.coding.in_document(DOC, coder=[CODER_A])))
    page.locator(f'#sg-list li[data-id="{s["van"].id}"] .sg-yes').click()
    page.wait_for_function("() => document.querySelectorAll('#sg-list .sg-item').length === 2")
    assert len(list(owner.coding.in_document(DOC, coder=[CODER_A]))) == before + 1
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.querySelectorAll('#sg-list .sg-item').length === 3")
    assert len(list(owner.coding.in_document(DOC, coder=[CODER_A]))) == before
    assert s["van"].id in [r.id for r in owner.suggestions.for_document(DOC)]
    # the toggle hides the outlines (and the choice is remembered)
    page.click("#sg-toggle")
    assert page.locator("#sg-layer").is_hidden()
    assert page.locator("#sg-toggle").get_attribute("aria-pressed") == "false"
    page.reload()
    page.wait_for_selector("body.reader-ready")
    assert page.locator("#sg-layer").is_hidden()
    page.click("#sg-toggle")
    assert page.locator("#sg-layer .sg-box").count() >= 3


def test_a_viewer_sees_suggestions_but_no_controls(page: Any, web_sqlite: Any) -> None:
    s = seed(web_sqlite)
    open_reader(page, web_sqlite, VIEWER)
    assert page.locator("#sg-layer .sg-box").count() >= 4
    assert page.locator("#sg-run-open").count() == 0
    assert page.locator("#sg-list .sg-acts").count() == 0
    page.focus("#text")
    page.keyboard.press("]")
    assert focused(page) == s["van"].id
    page.keyboard.press("a")
    page.keyboard.press("x")
    page.keyboard.press("Enter")
    card = page.locator("#sg-card")
    card.wait_for(state="visible")
    assert card.locator("button.sg-accept, button.sg-reject").count() == 0
    assert "Read only" in card.inner_text()
    for row in s.values():
        assert suggestion_state(web_sqlite.project, row.id)[0] == "open"
    screenshot(page, "ai-reader-viewer")


def test_no_suggestions_means_a_quiet_toggle(page: Any, web_sqlite: Any) -> None:
    open_reader(page, web_sqlite, CODER_A)
    toggle = page.locator("#sg-toggle")
    assert toggle.is_disabled() and "No suggestions" in toggle.inner_text()
    assert page.locator("#sec-suggestions").is_hidden()
    page.focus("#text")
    page.keyboard.press("]")  # nothing to move to: nothing breaks
    assert "No open AI suggestions" in page.locator("#sg-live").inner_text()


def test_suggest_codes_from_the_reader_with_progress(page: Any, web_sqlite: Any) -> None:
    open_reader(page, web_sqlite, CODER_A)
    page.click("#sg-run-open")
    dialog = page.locator("#sg-run")
    dialog.wait_for(state="visible")
    # the form offers this server's models, from the API
    dialog.locator("select[name=backend] option[value=tfidf]").wait_for(state="attached")
    dialog.locator("select[name=backend]").select_option("tfidf")
    dialog.locator("input[name=top]").fill("1")
    dialog.locator("button[type=submit]").click()
    dialog.wait_for(state="hidden", timeout=120_000)
    rows = web_sqlite.as_user(OWNER).suggestions.for_document(DOC)
    assert rows and {r.layer for r in rows} == {"ai:tfidf"}
    # the page redraws after the job's last poll: wait for it (a loaded machine is slow)
    page.locator("#sg-toggle").filter(has_text=f"Suggestions {len(rows)}").wait_for(timeout=30_000)
    assert page.locator("#sg-layer .sg-box.focus").count() >= 1
    screenshot(page, "ai-reader-after-run")
