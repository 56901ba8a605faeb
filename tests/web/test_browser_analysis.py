"""The analysis pages in a real browser: a code query and its passages, the keyword-in-context
table, a framework matrix edited in place, the report written as a background job, and a
screenshot of every view (saved to /tmp/thematica-shots for people to look at)."""

from __future__ import annotations

import re
import zipfile
from typing import Any

from playwright.sync_api import expect

from conftest import CODER_A, OWNER, VIEWER, screenshot, sign_in


def _staffing_positions(web: Any) -> set[tuple[str, int, int]]:
    """alex's Staffing passages, from the codings list (not from the query under test)."""
    rows = web.as_user(OWNER).coding.list(coder=CODER_A, code="Staffing")
    return {(r.document, r.start, r.end) for r in rows}


def test_olivia_runs_a_query_and_sees_the_passages(page: Any, web_sqlite: Any) -> None:
    expected = _staffing_positions(web_sqlite)
    assert len(expected) >= 5  # the demo: alex coded Staffing in several interviews
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/query")
    page.fill("#expression", "Staffing")
    page.check("input[name=coder][value=alex]")
    page.click("#query-form button[type=submit]")
    rows = page.locator("#query-table tbody tr")
    page.wait_for_function(
        "n => document.querySelectorAll('#query-table tbody tr').length === n", arg=len(expected)
    )
    assert page.inner_text("#query-count").startswith(f"{len(expected)} passages")
    first = rows.nth(0)
    link = first.locator("a").first
    assert link.get_attribute("href").startswith(f"/p/{web_sqlite.pid}/read/P0")
    assert "Staffing" in first.inner_text()
    csv = page.get_attribute("#query-csv", "href")
    assert "format=csv" in csv and "expression=Staffing" in csv
    screenshot(page, "analysis-query")
    # a syntax error is one line under the form, and the table goes away
    page.fill("#expression", "Staffing AND (")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#query-error:not([hidden])")
    assert "position" in page.inner_text("#query-error")
    assert page.locator("#query-table").is_hidden()


def test_kwic_table_lines_up_the_keyword(page: Any, web_sqlite: Any) -> None:
    sign_in(page, CODER_A)  # full-text search reads no coder layer: a coder may search
    page.goto(f"/p/{web_sqlite.pid}/analysis/search")
    page.fill("#search-q", "supervisor*")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#kwic-table tbody tr")
    matches = page.locator("#kwic-table td.kwic-match").all_inner_texts()
    assert matches and all(re.fullmatch(r"supervisors?", m, re.IGNORECASE) for m in matches)
    # the keyword column is one column: every keyword cell starts at the same x position
    lefts = {round(b["x"]) for b in (c.bounding_box() for c in page.locator("td.kwic-match").all())}
    assert len(lefts) == 1
    screenshot(page, "analysis-kwic")


def test_report_job_shows_progress_then_a_download(page: Any, web_sqlite: Any) -> None:
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/downloads")
    page.select_option("#report-form select[name=coder]", "alex")
    page.click("#report-form button[type=submit]")
    job = page.locator("li.job").first
    job.locator(".job-status").wait_for()
    assert job.locator(".job-status").inner_text() in ("working", "done")
    link = job.locator("a.download")
    link.wait_for(timeout=30_000)
    assert "status-done" in job.locator(".job-status").get_attribute("class")
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".docx")
    assert zipfile.is_zipfile(path) and "word/document.xml" in zipfile.ZipFile(path).namelist()
    screenshot(page, "analysis-downloads")


def test_owner_edits_a_matrix_cell_and_links_a_passage(page: Any, web_sqlite: Any) -> None:
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/matrices")
    page.fill("#matrix-form input[name=name]", "Support by case")
    page.select_option("#matrix-form select[name=coder]", "alex")
    page.click("#matrix-form button[type=submit]")
    page.wait_for_url(re.compile(r"/analysis/matrix\?name=Support"))
    cell = page.locator("td.cell:not(.uncoded)").first
    cell.click()
    page.wait_for_selector("#cell-candidates li button")
    page.fill("#cell-summary", "Short-staffed; covers two roles.")
    page.locator("#cell-candidates li button").first.click()  # blur saves, then links
    page.wait_for_selector("#cell-linked li blockquote")
    page.wait_for_function(
        "() => document.querySelector('td.cell.open .summary').textContent.includes('two roles')"
    )
    row, column = cell.get_attribute("data-row"), cell.get_attribute("data-column")
    stored = web_sqlite.as_user(OWNER).matrices.get("Support by case").cell(row, column)
    assert stored.summary == "Short-staffed; covers two roles." and len(stored.links) == 1
    screenshot(page, "analysis-matrix")


def test_screenshots_of_the_other_views(page: Any, web_sqlite: Any) -> None:
    sign_in(page, OWNER)
    base = f"/p/{web_sqlite.pid}/analysis"
    page.goto(f"{base}/participants")
    assert page.locator("#table1 tr.attr-row").count() == 8  # the demo's eight attributes
    screenshot(page, "analysis-participants")
    page.goto(f"{base}/themes")
    page.wait_for_function("() => document.getElementById('sem-figure').naturalWidth > 300")
    screenshot(page, "analysis-themes")
    page.goto(f"{base}/prevalence?coder=alex&by=county_type")
    assert "county_type = Rural" in page.inner_text("#prevalence-table thead")
    screenshot(page, "analysis-prevalence")
    page.goto(f"{base}/cooccurrence?coder=alex")
    page.wait_for_function("() => document.getElementById('heatmap').naturalWidth > 300")
    screenshot(page, "analysis-cooccurrence")
    page.goto(f"{base}/saturation?coder=alex&order_by=interview_date")
    page.wait_for_function("() => document.getElementById('saturation-plot').naturalWidth > 300")
    screenshot(page, "analysis-saturation")
    page.goto(f"{base}/matrices")
    screenshot(page, "analysis-matrices")


def test_the_report_says_before_it_starts_what_stops_it(page: Any, web_sqlite: Any) -> None:
    owner = web_sqlite.as_user(OWNER)
    owner.consensus.start(("alex", "sam"))  # disagreements left open
    n_open = len(owner.consensus.disagreements().rows)
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/downloads")
    page.select_option("#report-form select[name=coder]", "consensus")
    readiness = page.locator("#report-readiness")
    expect(readiness).to_contain_text(f"{n_open} open disagreements")
    button = page.locator("#report-submit")
    expect(button).to_be_disabled()
    expect(page.locator("#report-why")).to_contain_text("Not yet")
    screenshot(page, "analysis-report-open-disagreements")
    page.check("#report-form input[name=allow_open]")
    expect(button).to_be_enabled()
    expect(button).to_have_text("Write a provisional report")
    button.click()
    done = page.locator("li.job a.download").first
    done.wait_for(timeout=30_000)
    message = page.locator("li.job .job-message").first.inner_text()
    assert "state hash" in message and "content hash" not in message
    # a person whose role may not read the coders' layers while blind: told before starting
    page.context.clear_cookies()
    sign_in(page, VIEWER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/downloads")
    expect(page.locator("#report-readiness")).to_contain_text("Only an owner can write")
    expect(page.locator("#report-submit")).to_be_disabled()
    screenshot(page, "analysis-report-viewer")


def test_a_wide_matrix_scrolls_in_its_frame(page: Any, web_sqlite: Any) -> None:
    web_sqlite.as_user(OWNER).matrices.create("Wide", columns="codes", coder=CODER_A)
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/analysis/matrix?name=Wide")
    page.wait_for_selector("#matrix-grid tbody tr")
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    wrap = page.locator(".matrix-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    expect(page.locator("#matrix-scroll-hint")).to_be_visible()
    first = page.locator("#matrix-grid tbody th.row-key").first
    left = first.bounding_box()["x"]
    wrap.evaluate("w => { w.scrollLeft = 600; }")
    assert abs(first.bounding_box()["x"] - left) < 1
