"""The compare page in a real browser: an owner starts the consensus, reads both coders' layers
side by side, decides a disagreement with a reason, and sees the list, the consensus pane and
the statistics change without a reload."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from conftest import OWNER, screenshot, sign_in

DOC = "P01-interview"
#: the demo's one boundary in P01: both coded the physical environment from 941, alex to 1172,
#: sam to 1262; keeping sam's puts sam's span into the consensus
BOUNDARY_SPAN = (941, 1262)
TRAINING = (
    "Organizational/Receiving resources and benefits from the organization/Training and shadowing"
)


def test_owner_reconciles_a_disagreement(page: Any, web_sqlite: Any) -> None:
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/compare?a=alex&b=sam&document={DOC}")
    # both panes show the coders' codings before any layer exists
    assert page.locator("#pane-a mark.hl").count() > 5
    assert page.locator("#pane-b mark.hl").count() > 5
    assert page.locator("#pane-a-title").inner_text().endswith("alex")
    assert page.locator("#pane-b-title").inner_text().endswith("sam")
    page.click("#start-consensus")
    page.wait_for_selector("#pane-c mark.hl")
    assert page.locator("#item-list li.st-open").count() == 6

    # the boundary: select it from the list; both panes scroll to it and mark it
    item = page.locator("#item-list li", has_text="span differs")
    item_id = item.get_attribute("data-id")
    item.locator("button").click()
    assert page.locator(f"#pane-a mark.sel[data-items~='{item_id}']").count() >= 1
    assert page.locator(f"#pane-b mark.sel[data-items~='{item_id}']").count() >= 1
    page.evaluate("window.notReloaded = true")
    open_before = int(page.locator("#status-open").inner_text())

    form = page.locator("#decide-form")
    form.locator("input[value=keep_b]").check()
    form.locator("textarea[name=reason]").fill("sam's span holds the whole account")
    form.locator("button[type=submit]").click()

    decided = page.locator(f"#item-list li[data-id='{item_id}']")
    decided.locator(".state-decided").wait_for()
    assert "kept sam's" in decided.inner_text()
    # the consensus pane now holds sam's span for it, the panel shows the decision
    page.wait_for_selector(f"#pane-c mark[data-items~='{item_id}']")
    assert "sam's span holds the whole account" in page.locator("#decision").inner_text()
    expect(page.locator("#status-open")).to_have_text(str(open_before - 1))
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "compare-decided")

    layer = {
        (r.start, r.end)
        for r in web_sqlite.as_user(OWNER).coding.list(coder="consensus", document=DOC)
    }
    assert BOUNDARY_SPAN in layer and (941, 1172) not in layer

    page.reload()
    again = page.locator(f"#item-list li[data-id='{item_id}']")
    assert again.get_attribute("data-state") == "decided"
    assert page.locator("#item-list li.st-open").count() == 5


SELECT = """(word) => {
  const pane = document.getElementById("pane-c");
  const walk = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const i = n.data.indexOf(word);
    if (i >= 0 && !n.parentElement.closest(".chip")) {
      const range = document.createRange();
      range.setStart(n, i);
      range.setEnd(n, i + word.length);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      pane.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
      return true;
    }
  }
  return false;
}"""


def test_add_a_coding_by_selecting_text_after_emoji(
    page: Any, web_sqlite: Any, tmp_path: Any
) -> None:
    text = (
        "Interviewer: How are you? 😀\n\nParticipant: The 🚐 van broke down by the harbour. 𝒮o.\n"
    )
    (tmp_path / "emoji.txt").write_text(text, encoding="utf-8")
    p = web_sqlite.project
    p.documents.import_files([tmp_path / "emoji.txt"])
    van = text.index("van broke down")
    for coder in ("alex", "sam"):
        p.coding.apply("emoji", "Staffing", van, van + len("van broke down"), coder=coder)
    p.consensus.start(("alex", "sam"))
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/compare?a=alex&b=sam&document=emoji")
    assert page.evaluate(SELECT, "harbour") is True
    form = page.locator("#add-form")
    # offsets are code points, as Python counts them: two astral emoji come before
    start = text.index("harbour")
    expect(form.locator("input[name=start]")).to_have_value(str(start))
    expect(form.locator("input[name=end]")).to_have_value(str(start + len("harbour")))
    form.locator("select[name=code]").select_option(TRAINING)
    form.locator("textarea[name=reason]").fill("both missed the place")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#item-list li[data-id^='add-']")
    rows = web_sqlite.as_user(OWNER).coding.list(coder="consensus", document="emoji")
    assert {(r.code, r.start, r.end, r.text) for r in rows} >= {
        (TRAINING, start, start + len("harbour"), "harbour")
    }
    assert "added" in page.locator("#item-list li[data-id^='add-']").inner_text()


def test_decided_by_numbers_and_words(page: Any, web_sqlite: Any) -> None:
    web_sqlite.as_user(OWNER).consensus.start(("alex", "sam"))
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/documents")
    header_font = page.eval_on_selector("header .who", "n => getComputedStyle(n).fontSize")
    page.goto(f"/p/{web_sqlite.pid}/compare?a=alex&b=sam&document={DOC}")
    # the page header reads as on every other page (no pane badge style leaking into it)
    assert page.eval_on_selector("header .who", "n => getComputedStyle(n).fontSize") == header_font
    form = page.locator("#decide-form")
    # who decided: the signed-in owner unless the meeting says otherwise
    expect(form.locator("input[name=decided_by]")).to_have_value(OWNER)
    item_id = page.locator("#item-list li.sel").get_attribute("data-id")
    form.locator("input[value=drop]").check()
    form.locator("input[name=decided_by]").fill("alex+sam")
    form.locator("button[type=submit]").click()
    page.locator(f"#item-list li[data-id='{item_id}'] .state-decided").wait_for()
    log = web_sqlite.as_user(OWNER).consensus.log(include_agreed=False).rows
    assert [(r.disagreement, r.decided_by) for r in log] == [(item_id, "alex+sam")]
    # the next decision starts from what the meeting typed
    page.locator("#item-list li.st-open button").first.click()
    expect(page.locator("#decide-form input[name=decided_by]")).to_have_value("alex+sam")
    # the log names the passage in words; offsets only as a detail
    page.click("#log-box summary")
    row = page.locator("#log-table tbody tr").first
    expect(row).to_contain_text("alex+sam")
    assert "“" in row.locator(".passage").inner_text()
    assert not re.search(r"\[\d+, \d+\)|a\d+-b\d+", row.inner_text())
    # agreement measures in words, their names and references in the tooltip
    page.wait_for_selector("#overall-table")
    labels = page.locator("#overall-table .measure").all_inner_texts()
    assert "Coded vs not coded" in labels and not [x for x in labels if "alpha," in x]
    tip = page.locator("#overall-table .measure", has_text="Coded vs not coded")
    assert "|u-alpha" in tip.get_attribute("title")
    # a tiny negative rounds to 0.00, never -0.00
    shown = page.evaluate(
        "import('/static/js/compare-words.js').then(m => [m.fixed(-0.001), m.percent(-0.00001)])"
    )
    assert shown == ["0.00", "0.0%"]
