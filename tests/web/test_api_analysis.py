"""The analysis API on both backends: code queries and keyword in context, Table 1, figures,
framework matrices, and the report and exports as jobs, with roles and blind coding enforced
by the services (expected values worked out from the demo, not from the code under test)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import docx

from conftest import CODER_A, CODER_B, OWNER, VIEWER

PNG = b"\x89PNG\r\n\x1a\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _api(web: Any, path: str) -> str:
    return f"/api/p/{web.pid}/analysis/{path}"


def _wait(client: Any, web: Any, job: int, seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        row = client.get(f"/api/p/{web.pid}/jobs/{job}").json()
        if row["status"] != "running":
            return row
        assert time.monotonic() < deadline, f"job {job} still running: {row}"
        time.sleep(0.1)


def _one_line(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error", "kind", "detail"}
    assert body["error"] and "\n" not in body["error"]
    return str(body["error"])


# -- code queries ------------------------------------------------------------------------------
def test_query_returns_exactly_alexs_staffing_passages(web: Any) -> None:
    listed = web.as_user(OWNER).coding.list(coder=CODER_A, code="Staffing")
    expected = {(r.document, r.start, r.end): r.text for r in listed}
    assert len(expected) == 10  # the demo: alex coded Staffing ten times
    client = web.client(OWNER)
    r = client.get(_api(web, "query"), params={"expression": "Staffing", "coder": CODER_A})
    assert r.status_code == 200, r.text
    body = r.json()
    got = {(row["document"], row["start"], row["end"]): row["text"] for row in body["rows"]}
    assert got == expected and body["total"] == 10
    assert all(row["coders"] == [CODER_A] for row in body["rows"])
    assert all(row["case"] == row["document"][:3] for row in body["rows"])  # P01-interview: P01
    # one page, then the next
    page = client.get(
        _api(web, "query"),
        params={"expression": "Staffing", "coder": CODER_A, "limit": 4, "offset": 8},
    ).json()
    assert page["total"] == 10 and len(page["rows"]) == 2
    # the CSV has every passage
    r = client.get(
        _api(web, "query"),
        params={"expression": "Staffing", "coder": CODER_A, "format": "csv", "limit": 1},
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(x["document"], int(x["start"]), int(x["end"])) for x in rows} == set(expected)


def test_query_with_an_attribute_filter_keeps_only_those_cases(web: Any) -> None:
    owner = web.as_user(OWNER)
    rural = {c for c, v in owner.cases.values().items() if v.get("county_type") == "Rural"}
    assert len(rural) == 2  # the demo's Table 1: two rural cases
    expected = {
        (r.document, r.start, r.end)
        for r in owner.coding.list(coder=CODER_A, code="Staffing")
        if r.document[:3] in rural
    }
    r = web.client(OWNER).get(
        _api(web, "query"),
        params={"expression": "Staffing", "coder": CODER_A, "where": "county_type = Rural"},
    )
    got = {(x["document"], x["start"], x["end"]) for x in r.json()["rows"]}
    assert got == expected and 0 < len(got) < 10


def test_a_blind_coder_may_not_query_another_coders_layer(web: Any) -> None:
    alex = web.client(CODER_A)
    r = alex.get(_api(web, "query"), params={"expression": "Staffing", "coder": CODER_B})
    assert r.status_code == 403
    assert "blind" in _one_line(r)
    csv_too = alex.get(
        _api(web, "query"), params={"expression": "Staffing", "coder": CODER_B, "format": "csv"}
    )
    assert csv_too.status_code == 403
    both = alex.get(_api(web, "query"), params={"expression": "Staffing", "coder": "all"})
    assert both.status_code == 403
    own = alex.get(_api(web, "query"), params={"expression": "Staffing", "coder": CODER_A})
    assert own.status_code == 200 and own.json()["total"] == 10
    # the viewer reads no human layer while coding is blind
    vera = web.client(VIEWER)
    r = vera.get(_api(web, "query"), params={"expression": "Staffing", "coder": CODER_A})
    assert r.status_code == 403


def test_bad_query_syntax_is_a_400_with_one_line(web: Any) -> None:
    client = web.client(OWNER)
    r = client.get(_api(web, "query"), params={"expression": "Staffing AND (", "coder": CODER_A})
    assert r.status_code == 400 and r.json()["kind"] == "QuerySyntaxError"
    assert "position" in _one_line(r)
    r = client.get(
        _api(web, "query"),
        params={"expression": "Staffing", "coder": CODER_A, "where": "county_type ~ Rural"},
    )
    assert r.status_code == 400
    _one_line(r)
    # a query naming a code the codebook does not have is bad input, not a missing page
    r = client.get(_api(web, "query"), params={"expression": "No such code", "coder": CODER_A})
    assert r.status_code == 400 and r.json()["kind"] == "InputError"
    assert "No such code" in _one_line(r)
    r = client.get(_api(web, "query"), params={"expression": "Staffing OR Nope", "coder": "alex"})
    assert r.status_code == 400 and "Nope" in _one_line(r)


# -- keyword in context ------------------------------------------------------------------------
def test_kwic_splits_left_keyword_and_right(web: Any, tmp_path: Path) -> None:
    # an emoji before the word: offsets are code points, as Python counts them
    text = "Interviewer: Any pets? 🐕\nParticipant 9: The axolotl tank was empty.\n"
    path = tmp_path / "P09-pets.txt"
    path.write_text(text, encoding="utf-8")
    web.as_user(OWNER).documents.import_files([path])
    r = web.client(CODER_A).get(_api(web, "search"), params={"q": "axolotl", "width": 10})
    assert r.status_code == 200, r.text
    [hit] = r.json()["rows"]
    # by hand: "...Participant 9: The |axolotl| tank was empty."
    assert (hit["left"], hit["match"], hit["right"]) == ("nt 9: The ", "axolotl", " tank was ")
    assert hit["start"] == 44 and hit["end"] == 51  # 23 + 1 (emoji) + 1 (newline) + 19
    assert text[hit["start"] : hit["end"]] == "axolotl"
    assert hit["document"] == "P09-pets"
    # context across a line break is flattened to one space
    r = web.client(CODER_A).get(_api(web, "search"), params={"q": '"participant 9"', "width": 5})
    [hit] = r.json()["rows"]
    assert hit["left"] == "s? 🐕 " and hit["match"] == "Participant 9"


def test_kwic_with_an_attribute_filter(web: Any) -> None:
    values = web.as_user(OWNER).cases.values()
    urban = {c for c, v in values.items() if v.get("county_type") == "Urban"}
    client = web.client(OWNER)
    every = client.get(_api(web, "search"), params={"q": "supervisor*"}).json()["rows"]
    kept = client.get(
        _api(web, "search"), params={"q": "supervisor*", "where": "county_type = Urban"}
    ).json()["rows"]
    assert kept == [h for h in every if h["case"] in urban]
    assert 0 < len(kept) < len(every)


# -- tables and figures ------------------------------------------------------------------------
def test_table1_has_a_row_for_every_value_of_the_demos_attributes(web: Any) -> None:
    r = web.client(VIEWER).get(_api(web, "table1"))
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Participants (N = 7)"
    rows = body["rows"]
    names = [a.name for a in web.as_user(OWNER).cases.attribute_info()]
    assert list(dict.fromkeys(row["attribute"] for row in rows)) == names
    for name in names:  # every attribute's rows cover the seven cases
        assert sum(row["n"] for row in rows if row["attribute"] == name) == 7
    # from the README's Table 1: ordinal order kept, the missing answer its own row
    time_in_role = [(x["value"], x["n"]) for x in rows if x["attribute"] == "time_in_role"]
    assert time_in_role == [("<1 year", 1), ("1-3 years", 3), ("3-5 years", 2), (">5 years", 1)]
    lived = [
        (x["value"], x["n"], x["percent"]) for x in rows if x["attribute"] == "lived_experience"
    ]
    assert lived == [("yes", 3, 42.9), ("no", 3, 42.9), (None, 1, 14.3)]
    word = web.client(VIEWER).get(_api(web, "table1"), params={"format": "docx"})
    assert word.headers["content-type"] == DOCX
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "Participants (N = 7)" in text


def test_figures_are_png_images_and_not_cached(web: Any) -> None:
    client = web.client(OWNER)
    for path in (
        "themes/figure",
        f"cooccurrence/heatmap?coder={CODER_A}",
        f"saturation/plot?coder={CODER_A}&order_by=interview_date",
    ):
        r = client.get(_api(web, path))
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"] == "image/png"
        assert r.content.startswith(PNG) and len(r.content) > 10_000, path
        assert r.headers["cache-control"] == "no-store"
    svg = client.get(_api(web, "themes/figure?fmt=svg"))
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content[:2000]
    # a figure of a layer the person may not read is refused like its table
    r = web.client(CODER_A).get(_api(web, f"cooccurrence/heatmap?coder={CODER_B}"))
    assert r.status_code == 403
    assert web.client(OWNER).get(_api(web, "themes/figure?fmt=gif")).status_code == 422


def test_prevalence_cooccurrence_and_saturation_tables(web: Any) -> None:
    client = web.client(CODER_A)
    prevalence = client.get(_api(web, "prevalence"), params={"coder": CODER_A}).json()
    staffing = [r for r in prevalence["rows"] if r["name"] == "Staffing"]
    # alex's ten Staffing passages come from all seven interviews (one each but P01, P05)
    assert [(r["cases"], r["total"], r["segments"]) for r in staffing] == [(7, 7, 10)]
    pairs = client.get(_api(web, "cooccurrence"), params={"coder": CODER_A}).json()
    assert pairs["matrix"]["labels"] and all(r["count"] >= 1 for r in pairs["rows"])
    sat = client.get(_api(web, "saturation"), params={"coder": CODER_A}).json()
    assert [r["position"] for r in sat["rows"]] == list(range(1, 8))
    assert sat["rows"][-1]["cumulative"] == sat["result"]["total_codes"]
    assert client.get(_api(web, "prevalence"), params={"coder": CODER_B}).status_code == 403


# -- framework matrices ------------------------------------------------------------------------
def _cell_with_codings(client: Any, web: Any, name: str) -> tuple[str, str, list[dict[str, Any]]]:
    view = client.get(_api(web, "matrix"), params={"name": name}).json()
    cell = next(c for c in view["cells"] if c["row"] == "P01" and c["coded"] >= 2)
    found = client.get(
        _api(web, "matrix/candidates"),
        params={"name": name, "row": cell["row"], "column": cell["column"]},
    ).json()
    assert found["total"] == cell["coded"]
    return cell["row"], cell["column"], found["rows"]


def test_matrix_create_write_a_cell_and_link_a_passage(web: Any) -> None:
    client = web.client(OWNER)
    r = client.post(
        _api(web, "matrices"), json={"name": "Support", "rows": "cases", "coder": CODER_A}
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["rows"] == [f"P0{n}" for n in range(1, 8)] and made["coder"] == CODER_A
    row, column, candidates = _cell_with_codings(client, web, "Support")
    # every candidate is one of alex's codings in P01's interview
    alex_p01 = {
        r.id: r.text
        for r in web.as_user(OWNER).coding.list(coder=CODER_A, document="P01-interview")
    }
    assert all(alex_p01[c["coding_id"]] == c["text"] for c in candidates)
    chosen = candidates[0]["coding_id"]
    r = client.put(
        _api(web, "matrix/cell"),
        json={
            "matrix": "Support",
            "row": row,
            "column": column,
            "summary": "  Short-staffed.  ",
            "link": [chosen],
        },
    )
    assert r.status_code == 200, r.text
    back = client.get(_api(web, "matrix"), params={"name": "Support"}).json()
    cell = next(c for c in back["cells"] if (c["row"], c["column"]) == (row, column))
    assert cell["summary"] == "Short-staffed." and cell["author"] == OWNER
    assert cell["links"] == [chosen]
    assert [e["text"] for e in cell["excerpts"]] == [alex_p01[chosen]]
    listed = client.get(_api(web, "matrices")).json()
    assert [(m["name"], m["cells"], m["links"]) for m in listed] == [("Support", 1, 1)]
    # the candidate list now marks it linked; unlinking takes it off again
    _, _, again = _cell_with_codings(client, web, "Support")
    assert [c["coding_id"] for c in again if c["linked"]] == [chosen]
    r = client.put(
        _api(web, "matrix/cell"),
        json={"matrix": "Support", "row": row, "column": column, "unlink": [chosen]},
    )
    assert r.json()["links"] == []


def test_a_coder_may_not_write_a_matrix(web: Any) -> None:
    owner = web.client(OWNER)
    owner.post(_api(web, "matrices"), json={"name": "M", "coder": CODER_A})
    view = owner.get(_api(web, "matrix"), params={"name": "M"}).json()
    column = view["columns"][0]["key"]
    owner.put(
        _api(web, "matrix/cell"),
        json={"matrix": "M", "row": "P01", "column": column, "summary": "Owner's words"},
    )
    alex = web.client(CODER_A)
    r = alex.put(
        _api(web, "matrix/cell"),
        json={"matrix": "M", "row": "P01", "column": column, "summary": "Overwritten"},
    )
    assert r.status_code == 403
    _one_line(r)
    assert web.as_user(OWNER).matrices.get("M").cell("P01", column).summary == "Owner's words"
    r = web.client(VIEWER).post(_api(web, "matrices"), json={"name": "V", "coder": CODER_A})
    assert r.status_code == 403
    assert [m.name for m in web.as_user(OWNER).matrices.list()] == ["M"]
    # alex reads a matrix of his own layer, not one of sam's
    owner.post(_api(web, "matrices"), json={"name": "Sam's", "coder": CODER_B})
    assert alex.get(_api(web, "matrix"), params={"name": "M"}).status_code == 200
    assert alex.get(_api(web, "matrix"), params={"name": "Sam's"}).status_code == 403


def test_matrix_input_errors_change_nothing(web: Any) -> None:
    client = web.client(OWNER)
    client.post(_api(web, "matrices"), json={"name": "M", "coder": CODER_A})
    bad = client.put(
        _api(web, "matrix/cell"),
        json={"matrix": "M", "row": "P99", "column": "x", "summary": "no"},
    )
    assert bad.status_code == 404
    _one_line(bad)
    dup = client.post(_api(web, "matrices"), json={"name": "M", "coder": CODER_A})
    assert dup.status_code == 409
    extra = client.post(_api(web, "matrices"), json={"name": "N", "colour": "red"})
    assert extra.status_code == 422
    assert [(m.name, m.cells) for m in web.as_user(OWNER).matrices.list()] == [("M", 0)]


# -- the report and exports as jobs ------------------------------------------------------------
def test_report_job_runs_then_downloads_a_word_document(web: Any) -> None:
    client = web.client(OWNER)
    r = client.post(_api(web, "report"), json={"fmt": "docx", "coder": CODER_A})
    assert r.status_code == 202, r.text
    job = _wait(client, web, r.json()["job"])
    assert job["status"] == "done", job
    assert job["done"] == job["total"] == 2
    got = client.get(f"/api/p/{web.pid}/jobs/{job['id']}/download")
    assert got.headers["content-type"] == DOCX
    document = docx.Document(io.BytesIO(got.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Title", "Head"))]
    assert headings[0] == f"Results: {web.project.name}"
    assert {"Methods", "Participants", "Themes"} <= set(headings)


def test_report_refuses_open_disagreements_unless_allowed(web: Any) -> None:
    web.as_user(OWNER).consensus.start((CODER_A, CODER_B))  # leaves disagreements open
    client = web.client(OWNER)
    job = _wait(client, web, client.post(_api(web, "report"), json={"fmt": "html"}).json()["job"])
    assert job["status"] == "failed" and "open disagreement" in job["message"]
    assert "\n" not in job["message"]
    assert client.get(f"/api/p/{web.pid}/jobs/{job['id']}/download").status_code == 404
    r = client.post(_api(web, "report"), json={"fmt": "html", "allow_open": True})
    job = _wait(client, web, r.json()["job"])
    assert job["status"] == "done", job
    html = client.get(f"/api/p/{web.pid}/jobs/{job['id']}/download").text
    assert "provisional" in html.lower()


def test_report_check_says_before_starting_what_stops_the_report(web: Any) -> None:
    check = "report/check"
    owner = web.client(OWNER)
    r = owner.get(_api(web, check), params={"coder": CODER_A})
    assert r.status_code == 200, r.text
    body = r.json()
    # the owner reads every layer; no consensus layer yet; agreement compares both coders
    assert (body["layer"], body["kind"], body["consensus"], body["refused"]) == (
        CODER_A,
        "human",
        None,
        None,
    )
    assert body["compares"] == [CODER_A, CODER_B]
    # while blind the viewer may read neither coder, the coder not the other one: the button
    # is refused with the services' own sentence, naming the first layer they may not read
    vera = web.client(VIEWER).get(_api(web, check)).json()
    assert vera["refused_layer"] == CODER_A and "may not read coder layer 'alex'" in vera["refused"]
    alex = web.client(CODER_A).get(_api(web, check), params={"coder": CODER_A}).json()
    assert alex["refused_layer"] == CODER_B and "blind" in alex["refused"]
    # a consensus layer: its open disagreements, counted as the disagreements list counts them
    web.as_user(OWNER).consensus.start((CODER_A, CODER_B))
    listed = owner.get(f"/api/p/{web.pid}/consensus/disagreements").json()
    body = owner.get(_api(web, check), params={"coder": "consensus"}).json()
    assert body["refused"] is None and body["compares"] == [CODER_A, CODER_B]
    assert body["consensus"]["open"] == len(listed) > 0
    assert body["consensus"]["decided"] == 0 and body["consensus"]["coders"] == [CODER_A, CODER_B]
    decided = owner.post(
        f"/api/p/{web.pid}/consensus/decisions",
        json={"disagreement": listed[0]["id"], "action": "drop"},
    )
    assert decided.status_code == 201
    body = owner.get(_api(web, check), params={"coder": "consensus"}).json()
    assert (body["consensus"]["open"], body["consensus"]["decided"]) == (len(listed) - 1, 1)
    # everyone reads the consensus layer, but comparing it (and the report's agreement) needs
    # alex's and sam's layers: refused for the viewer, naming alex
    vera = web.client(VIEWER).get(_api(web, check), params={"coder": "consensus"})
    assert vera.status_code == 200 and vera.json()["refused_layer"] == CODER_A
    missing = owner.get(_api(web, check), params={"coder": "nobody"})
    assert missing.status_code == 404 and "nobody" in _one_line(missing)


def test_the_downloads_page_disables_the_report_it_cannot_write(web: Any) -> None:
    html = web.client(VIEWER).get(f"/p/{web.pid}/analysis/downloads").text
    assert 'id="report-readiness-data"' in html and "may not read coder layer" in html
    owner = web.client(OWNER).get(f"/p/{web.pid}/analysis/downloads").text
    assert '"refused": null' in owner


def test_cooccurrence_starts_on_a_layer_with_codings(web: Any) -> None:
    import re

    def chosen(user: str) -> str:
        html = web.client(user).get(f"/p/{web.pid}/analysis/cooccurrence").text
        select = html[html.index('name="coder"') :]
        select = select[: select.index("</select>")]
        found = re.search(r'<option value="([^"]+)" selected', select)
        assert found, select
        return found.group(1)

    # no consensus layer: the owner (who codes no layer) starts on the first coder's
    assert chosen(OWNER) == CODER_A
    # a consensus layer with no codings yet (maria and alex coded nothing alike): still alex
    p = web.as_user(OWNER)
    p.coding.apply("P01-interview", "Staffing", 0, 20, coder="maria")
    p.consensus.start((CODER_A, "maria"))
    assert [r.codings for r in p.coding.coder_rows() if r.name == "consensus"] == [0]
    assert chosen(OWNER) == CODER_A
    # a coder starts on their own layer, whatever else there is
    assert chosen(CODER_B) == CODER_B


def test_cooccurrence_prefers_a_consensus_layer_that_has_codings(web: Any) -> None:
    web.as_user(OWNER).consensus.start((CODER_A, CODER_B))  # the identical codings go in
    html = web.client(OWNER).get(f"/p/{web.pid}/analysis/cooccurrence").text
    assert '<option value="consensus" selected>' in html


def test_qdpx_export_job_is_a_refi_zip(web: Any) -> None:
    client = web.client(OWNER)
    r = client.post(_api(web, "export"), json={"what": "project", "fmt": "qdpx"})
    job = _wait(client, web, r.json()["job"])
    assert job["status"] == "done", job
    assert job["result_name"].endswith(".qdpx")
    got = client.get(f"/api/p/{web.pid}/jobs/{job['id']}/download")
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert "project.qde" in archive.namelist()
    assert b"alex" in archive.read("project.qde")
    assert sum(n.startswith("sources/") for n in archive.namelist()) == 7
    # while blind a coder may not export every layer: the job fails with the refusal
    alex = web.client(CODER_A)
    r = alex.post(_api(web, "export"), json={"what": "project", "fmt": "qdpx"})
    job = _wait(alex, web, r.json()["job"])
    assert job["status"] == "failed" and "blind" in job["message"]


def test_table_exports_as_jobs(web: Any) -> None:
    client = web.client(CODER_A)
    r = client.post(_api(web, "export"), json={"what": "codings", "fmt": "csv", "coder": "alex"})
    job = _wait(client, web, r.json()["job"])
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/api/p/{web.pid}/jobs/{job['id']}/download").text))
    )
    assert len(rows) == 114  # alex's codings in the demo
    wrong = client.post(_api(web, "export"), json={"what": "cases", "fmt": "qdpx"})
    assert wrong.status_code == 400
    _one_line(wrong)
    sams = client.post(_api(web, "export"), json={"what": "codings", "fmt": "csv", "coder": "sam"})
    assert _wait(client, web, sams.json()["job"])["status"] == "failed"


# -- the pages ---------------------------------------------------------------------------------
def test_every_analysis_page_renders_for_every_role(web: Any) -> None:
    views = (
        "query",
        "search",
        "participants",
        "themes",
        "prevalence",
        "cooccurrence",
        "saturation",
        "matrices",
        "downloads",
    )
    for user in (OWNER, CODER_A, VIEWER):
        client = web.client(user)
        for name in views:
            r = client.get(f"/p/{web.pid}/analysis/{name}")
            # a viewer reads no coder layer while blind: the page says so, with a 403
            expected = (
                403
                if user == VIEWER and name in ("prevalence", "cooccurrence", "saturation")
                else 200
            )
            assert r.status_code == expected, (user, name, r.text[:300])
            assert "<h1>Analysis</h1>" in r.text
    page = web.client(VIEWER).get(f"/p/{web.pid}/analysis/prevalence").text
    assert "may not read coder layer" in page
    assert web.client(OWNER).get(f"/p/{web.other_pid}/analysis/query").status_code == 404
