"""The documents and audit pages in a real browser: an owner imports a file through the form and
watches it land; a coder marks a document done; filtering by a case attribute and sorting;
screenshots of both pages for people to look at."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from conftest import CODER_A, OWNER, screenshot, sign_in


def _rows(page: Any) -> list[str]:
    return list(
        page.locator("#documents tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.document)"
        )
    )


def test_owner_imports_a_file_through_the_form_and_sees_it_listed(
    page: Any, web_sqlite: Any, tmp_path: Path
) -> None:
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/documents")
    page.wait_for_selector("#documents tbody tr")
    assert len(_rows(page)) == 7
    page.click("#import-toggle")
    transcript = tmp_path / "P08-interview.txt"
    transcript.write_text(
        "Interviewer: What keeps you in this work?\nP08: The people. Honestly, the people.\n",
        encoding="utf-8",
    )
    page.set_input_files("#import-files", str(transcript))
    page.click("#import-submit")
    page.wait_for_selector("#import-status:not([hidden])")
    assert page.locator("#import-bar").is_visible()
    expect(page.locator("#import-stage")).to_have_text("Import finished")
    assert page.inner_text("#import-message").startswith("Imported 1 document: P08-interview")
    page.wait_for_selector('#documents tbody tr[data-document="P08-interview"]')
    assert len(_rows(page)) == 8
    row = page.locator('tr[data-document="P08-interview"]')
    assert row.locator("td.case").inner_text() == "P08"  # the project's case pattern
    assert row.locator("a").get_attribute("href") == f"/p/{web_sqlite.pid}/read/P08-interview"
    assert page.inner_text("#doc-summary").startswith("8 documents")
    assert len(web_sqlite.project.documents.list()) == 8
    screenshot(page, "documents-owner-import")


def test_coder_marks_a_document_done_filters_and_sorts(page: Any, web_sqlite: Any) -> None:
    sign_in(page, CODER_A)
    page.goto(f"/p/{web_sqlite.pid}/documents")
    page.wait_for_selector("#documents tbody tr")
    assert page.locator("#import-toggle").count() == 0  # coders do not import
    # blind: alex's own column in full, sam's counts and status in "Other coders"
    assert page.inner_text("th.coder-group.mine") == "alex (you)"
    assert page.locator("th.others").count() == 1
    row = page.locator('tr[data-document="P02-interview"]')
    row.locator("button[data-mark]").click()
    page.wait_for_selector('tr[data-document="P02-interview"] .status-done')
    assert row.locator("button[data-mark]").inner_text() == "Mark in progress"
    assert page.locator(".card.mine .card-figure").inner_text() == "1 of 7 done"
    overview = web_sqlite.as_user(OWNER).progress.overview()
    marked = {
        (r.document, c.coder) for r in overview.documents for c in r.coders if c.status == "done"
    }
    assert marked == {("P02-interview", CODER_A)}
    # filter by a case attribute: the rural participants are P01 and P04 (participants.csv)
    page.select_option("#filter-attr", "county_type")
    page.select_option("#filter-value", "Rural")
    assert _rows(page) == ["P01-interview", "P04-interview"]
    assert page.inner_text("#doc-count") == "Showing 2 of 7"
    page.select_option("#filter-attr", "")
    # show the time in role column, then sort by it (an ordinal attribute): <1 year (P02)
    # first, >5 years (P05) last
    page.click("#columns-menu summary")
    page.check('#columns-list input[value="time_in_role"]')
    page.click("#columns-menu summary")
    page.click('button[data-sort="attr:time_in_role"]')
    order = _rows(page)
    assert order[0] == "P02-interview" and order[-1] == "P05-interview"
    page.click('button[data-sort="attr:time_in_role"]')
    assert _rows(page)[0] == "P05-interview"
    page.click('button[data-sort="document"]')
    screenshot(page, "documents-coder")


def test_audit_page_filters_and_reads(page: Any, web_sqlite: Any) -> None:
    alex = web_sqlite.as_user(CODER_A)
    alex.coding.apply("P01-interview", "Staffing", 120, 180, coder=CODER_A)
    alex.progress.set_status("P01-interview", "done")
    web_sqlite.as_user(OWNER).progress.set_status("P03-interview", "done", coder="sam")
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/audit")
    page.wait_for_selector("table.audit tbody tr")
    first = page.locator("table.audit tbody tr").first
    assert first.locator("td.what").inner_text().startswith("marked P03-interview done for sam")
    screenshot(page, "audit")
    page.select_option("select[name=actor]", CODER_A)  # applies at once
    page.wait_for_url(lambda url: "actor=alex" in url)
    texts = page.locator("table.audit td.what").all_inner_texts()
    assert [t.split(" · ")[0].split("\n")[0] for t in texts] == [
        "marked P01-interview done",
        "coded a passage of P01-interview as Staffing",
    ]
    # one date format across the app, in the reader's time zone: "6 Dec 2026, 10:01"
    when = page.locator("table.audit td.when time").first.inner_text()
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", when), when
    screenshot(page, "audit-filtered")


def test_members_page_confirms_opening_and_guards_the_last_owner(
    page: Any, web_sqlite: Any
) -> None:
    owner = web_sqlite.as_user(OWNER)
    owner.members.remove("root")  # olivia is now the only owner
    web_sqlite.as_user(CODER_A).progress.set_status("P01-interview", "done")
    sign_in(page, OWNER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/p/{web_sqlite.pid}/members")
    # the last owner has no Remove button; everyone else has one
    rows = page.locator("#members tbody tr")
    assert rows.filter(has_text="olivia").locator("button.danger").count() == 0
    assert "the only owner" in rows.filter(has_text="olivia").inner_text()
    assert rows.filter(has_text="sam").locator("button.danger").count() == 1
    # a role changes as soon as it is chosen (the no-script "Set" button is hidden)
    expect(page.locator("button.role-set").first).to_be_hidden()
    page.select_option("select[aria-label='role of sam']", "viewer")
    page.wait_for_load_state()
    expect(page.locator("select[aria-label='role of sam']")).to_have_value("viewer")
    assert {m.user: m.role for m in owner.members.list()}["sam"] == "viewer"
    # opening comparison asks first, saying how far each coder is (7 demo documents)
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#blind-form button[type=submit]")
    expect(page.locator("#blind-form")).to_be_visible()
    assert asked and "alex 1 of 7" in asked[0] and "Open comparison to everyone?" in asked[0]
    assert web_sqlite.as_user(OWNER).access.blind is True  # dismissed: nothing changed
    page.once("dialog", lambda d: d.accept())
    page.click("#blind-form button[type=submit]")
    page.wait_for_selector("text=Make coding blind again")
    assert web_sqlite.as_user(OWNER).access.blind is False
    # an invitation link with a Copy button
    page.fill("input[name=user]", "maria")
    page.click("form.row button.primary")
    link = page.locator("#invitation-link").inner_text()
    page.click("#copy-invitation")
    expect(page.locator("#copy-invitation")).to_have_text("Copied ✓")
    assert page.evaluate("navigator.clipboard.readText()") == link
    screenshot(page, "members-invited")


OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_a_wide_documents_table_scrolls_in_its_frame(page: Any, web_sqlite: Any) -> None:
    owner = web_sqlite.as_user(OWNER)
    owner.coding.apply("P01-interview", "Staffing", 0, 20, coder="maria")  # a third coder
    owner.consensus.start(("alex", "sam"))
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/documents")
    page.wait_for_selector("#documents tbody tr")
    assert page.evaluate(OVERFLOW) <= 0  # the page itself never runs off to the right
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")  # four coders: it scrolls
    expect(page.locator("#docs-scroll-hint")).to_be_visible()
    first = page.locator("#documents tbody th.doc").first
    left = first.bounding_box()["x"]
    wrap.evaluate("w => { w.scrollLeft = 500; }")
    assert abs(first.bounding_box()["x"] - left) < 1  # the document column stays in view
    assert page.locator("#documents thead th", has_text="consensus").count() == 1
    assert "consensus consensus" not in page.locator("#documents thead").inner_text()
