"""The codebook page in Chromium: an owner renames a code and sees it in the tree (and after a
reload); a coder sees the entry but no edit controls; two owners editing the same code: the
second save shows who changed it meanwhile and lets them re-apply their edit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from conftest import CODER_A, OWNER, screenshot, sign_in
from thematica.store import schema as t

STAFFING = "Organizational/Receiving resources and benefits from the organization/Staffing"


def open_code(tab: Any, pid: int, name: str) -> None:
    tab.goto(f"/p/{pid}/codebook")
    tab.locator(".cb-row .label", has_text=name).first.click()
    tab.wait_for_selector(f"#entry-name:text-is('{name}')")


def test_owner_renames_a_code_and_sees_it_in_the_tree(page: Any, web_sqlite: Any) -> None:
    sign_in(page, OWNER)
    open_code(page, web_sqlite.pid, "Staffing")
    screenshot(page, "codebook-owner")
    page.click("#edit-entry")
    page.fill("#edit-form input[name=name]", "Staff shortages")
    page.fill("#edit-form textarea[name=example]", "We lost two peers this year.")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#entry-name:text-is('Staff shortages')")
    row = page.locator(".cb-row.selected .label")
    assert row.inner_text() == "Staff shortages"
    assert page.locator(".cb-row .label", has_text="Staffing").count() == 0
    assert "We lost two peers this year." in page.inner_text(".cb-fields")
    assert "renamed it from “Staffing” to “Staff shortages”" in page.inner_text("#code-history")

    page.reload()  # the URL keeps the selected code
    page.wait_for_selector("#entry-name:text-is('Staff shortages')")
    assert page.locator(".cb-row.selected .label").inner_text() == "Staff shortages"
    stored = web_sqlite.as_user(OWNER).codebook.get_by_id(
        int(web_sqlite.project.codebook.get("Staff shortages")["id"])
    )
    assert (stored.name, stored.example, stored.revision) == (
        "Staff shortages",
        "We lost two peers this year.",
        2,
    )


def test_coder_reads_the_codebook_without_edit_controls(page: Any, web_sqlite: Any) -> None:
    sign_in(page, CODER_A)
    open_code(page, web_sqlite.pid, "Feelings of guilt")
    assert "read-only" in page.inner_text("#cb-summary")
    assert page.locator(".cb-fields").inner_text().startswith("DEFINITION")
    for control in ("#edit-entry", "#new-code", ".cb-actions", "#tab-proposals", "#freeze-form"):
        assert page.locator(control).count() == 0, control
    screenshot(page, "codebook-coder")


@pytest.fixture
def second_owner(web_sqlite: Any, password_hash: str) -> str:
    web_sqlite.project.members.add("priya", "owner")
    with web_sqlite.project.db.write() as conn:
        conn.execute(
            update(t.user_account)
            .where(t.user_account.c.name == "priya")
            .values(password_hash=password_hash)
        )
    return "priya"


def test_second_owner_saving_sees_the_conflict(
    page: Any, browser: Any, live: str, web_sqlite: Any, second_owner: str
) -> None:
    context = browser.new_context(base_url=live, viewport={"width": 1400, "height": 900})
    other = context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, OWNER)
        sign_in(other, second_owner)
        for tab in (page, other):
            open_code(tab, web_sqlite.pid, "Staffing")
            tab.click("#edit-entry")
        page.fill("#edit-form input[name=name]", "Staff shortages")
        page.click("#edit-form button[type=submit]")
        page.wait_for_selector("#entry-name:text-is('Staff shortages')")

        other.fill("#edit-form textarea[name=memo]", "Ask about rural sites.")
        other.click("#edit-form button[type=submit]")
        box = other.wait_for_selector(".conflict-box[role=alert]")
        text = box.inner_text()
        assert "Changed by olivia meanwhile:" in text
        assert "“Staff shortages”" in text or "'Staff shortages'" in text
        assert "Ask about rural sites." in other.inner_text(".conflict-table td.mine")
        screenshot(other, "codebook-conflict")
        # nothing of priya's was saved by the refused attempt
        code = int(web_sqlite.project.codebook.get("Staff shortages")["id"])
        assert web_sqlite.as_user(OWNER).codebook.get_by_id(code).memo == ""

        other.click("#reapply-mine")
        other.wait_for_selector("#entry-name:text-is('Staff shortages')")
        stored = web_sqlite.as_user(OWNER).codebook.get_by_id(code)
        assert (stored.name, stored.memo, stored.revision) == (
            "Staff shortages",
            "Ask about rural sites.",
            3,
        )
    finally:
        context.close()
    assert not errors, errors


def test_owner_merges_splits_and_freezes_through_the_page(page: Any, web_sqlite: Any) -> None:
    p = web_sqlite.project
    guilt = {
        (r.document, r.coder, r.start) for r in p.coding.list(coder="all", code="Feelings of guilt")
    }
    lived = "Impact of lived experiences"
    lived_before = {(r.document, r.coder, r.start) for r in p.coding.list(coder="all", code=lived)}
    sign_in(page, OWNER)
    open_code(page, web_sqlite.pid, "Feelings of guilt")

    page.click("text=Merge into…")
    page.select_option("#dlg-merge select[name=into]", label="\u00a0" * 6 + lived)
    assert f"All {len(guilt)} codings of “Feelings of guilt” become codings of “{lived}”" in (
        page.inner_text("#dlg-merge .dlg-text")
    )
    page.click("#dlg-merge button[value=ok]")
    page.wait_for_selector(f"#entry-name:text-is('{lived}')")
    assert page.locator(".cb-row .label", has_text="Feelings of guilt").count() == 0
    merged = {(r.document, r.coder, r.start) for r in p.coding.list(coder="all", code=lived)}
    assert merged == guilt | lived_before

    page.click("text=Split…")
    page.wait_for_selector("#dlg-split .split-item")
    items = page.locator("#dlg-split .split-item input")
    assert items.count() == len(merged)
    items.nth(0).check()
    items.nth(1).check()
    assert page.inner_text("#dlg-split .split-count") == f"2 of {len(merged)} ticked"
    page.fill("#dlg-split input[name=name]", "Guilt")
    screenshot(page, "codebook-split-dialog")
    page.click("#dlg-split button[value=ok]")
    page.wait_for_selector("#entry-name:text-is('Guilt')")
    assert len(p.coding.list(coder="all", code="Guilt")) == 2

    page.click("text=Remove…")
    assert "holds 2 codings, which will be deleted" in page.inner_text("#dlg-remove .dlg-text")
    page.click("#dlg-remove button[value=cancel]")

    page.click("#tab-versions")
    page.fill("#freeze-form input[name=name]", "v1")
    page.fill("#freeze-form input[name=note]", "after merging guilt")
    page.click("#freeze-form button[type=submit]")
    page.wait_for_selector("#versions-table td:text-is('v1')")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-result p")
    assert "No differences" in page.inner_text("#compare-result")
    page.click("#load-history")
    page.wait_for_selector(".history-table")
    assert "merged “Individual/Navigating boundary setting and self-care/Feelings of guilt”" in (
        page.inner_text(".history-table")
    )
    screenshot(page, "codebook-versions")
