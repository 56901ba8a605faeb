"""Text a person typed is never markup: hostile text put everywhere a user can type (a code's
name and definition, memos on a document, a code and a coding, an uploaded transcript and its
file name, a project's name, a member's name and display name, a matrix's name and a cell's
summary, a consensus reason, a codebook version, a proposed code) comes back from every page
that shows it as text — no script runs, no attribute is broken open — and every page's
Content-Security-Policy allows no inline script. Text reflected from the address (filters,
sign-in's ``next``) likewise.

Each page is parsed (lxml): its only scripts are files from /static or JSON data blocks that
parse as JSON, no element has an ``on…`` attribute or an ``<img src=x>``, and the raw payloads
are not in the HTML. A browser opens the reader and the codebook with the payloads: no dialog,
and the payloads are on screen as text.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import lxml.html

from conftest import CODER_A, CODER_B, OWNER, sign_in

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTR = "' onmouseover='alert(1)"
TEXTAREA = "</textarea><script>alert(2)</script>"
TEMPLATE = "{{7*7}}"
EVIL = f"{SCRIPT} {IMG} {ATTR} {TEXTAREA} {TEMPLATE}"
#: a name: everything but "/" (a path separator in code paths)
NAME = f"Evil {IMG} {ATTR} {TEMPLATE}"
#: what must never stand in a page's HTML as it was typed (a quote in text is harmless: an
#: attribute it broke open shows in the parsed page, which is checked for ``on…`` attributes)
RAW = ("<script>alert", "<img src=x", "</textarea><script", "><img")
DOC_FILE = "evil ' onmouseover='alert(1).txt"
DOC = "evil ' onmouseover='alert(1)"


def poison(web: Any) -> dict[str, Any]:
    """Hostile text everywhere a person types, through the JSON API as its owner and coders."""
    owner, alex, sam = web.client(OWNER), web.client(CODER_A), web.client(CODER_B)
    p = f"/api/p/{web.pid}"

    def ok(r: Any) -> Any:
        assert 200 <= r.status_code < 300, r.text
        return r.json()

    fields = {k: EVIL for k in ("definition", "inclusion", "exclusion", "example", "memo")}
    code = ok(owner.post(f"{p}/codebook/codes", json={"name": NAME, **fields}))
    text = f"Interviewer: {SCRIPT}\nRespondent: {IMG} {ATTR}\nInterviewer: {TEXTAREA}\n"
    text += f"Respondent: {TEMPLATE} and the rest.\n"
    files = {"files": (DOC_FILE, text.encode(), "text/plain")}
    job = ok(owner.post(f"{p}/documents", files=files))["job"]
    deadline = time.monotonic() + 30
    while ok(owner.get(f"{p}/jobs/{job}"))["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert ok(owner.get(f"{p}/jobs/{job}"))["status"] == "done"
    coding = ok(alex.post(f"{p}/codings", json={"document": DOC, "code": NAME, "start": 0,
                                                "end": 30, "memo": EVIL}))  # fmt: skip
    ok(alex.post(f"{p}/codings", json={"document": "P01-interview", "code": NAME, "start": 0,
                                       "end": 30, "memo": EVIL}))  # fmt: skip
    for target_type, target in (("document", DOC), ("code", NAME), ("coding", str(coding["id"]))):
        ok(alex.post(f"{p}/memos", json={"target_type": target_type, "target": target,
                                         "text": EVIL}))  # fmt: skip
    ok(owner.post(f"{p}/members", json={"user": f"mallory {IMG}", "role": "coder",
                                        "display_name": EVIL}))  # fmt: skip
    project = ok(owner.post("/api/projects", json={"name": f"Project {IMG} {ATTR}"}))
    matrix = ok(owner.post(f"{p}/analysis/matrices", json={"name": NAME, "coder": CODER_A}))
    ok(owner.put(f"{p}/analysis/matrix/cell", json={
        "matrix": NAME, "row": matrix["rows"][0], "column": matrix["columns"][0]["key"],
        "summary": EVIL}))  # fmt: skip
    ok(owner.post(f"{p}/consensus/start", json={"coders": [CODER_A, CODER_B]}))
    open_ = ok(owner.get(f"{p}/consensus/disagreements", params={"document": "P01-interview"}))
    ok(owner.post(f"{p}/consensus/decisions", json={
        "disagreement": open_[0]["id"], "action": "keep_a", "reason": EVIL}))  # fmt: skip
    ok(owner.post(f"{p}/codebook/versions", json={"name": f"v {ATTR}", "note": EVIL}))
    ok(owner.patch(f"{p}/settings", json={"coders_add_codes": False}))
    ok(sam.post(f"{p}/codings/new-code", json={"document": "P02-interview", "start": 0,
                                               "end": 20, "name": f"Proposed {IMG}"}))  # fmt: skip
    return {"code": code["id"], "project": project["id"], "matrix": NAME}


def check_page(r: Any, where: str) -> lxml.html.HtmlElement:
    """The page keeps every typed text as text; returns it parsed."""
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (where, csp)
    assert "text/html" in r.headers["content-type"], where
    html = r.text
    for raw in RAW:
        assert raw.casefold() not in html.casefold(), (where, raw)
    doc = lxml.html.document_fromstring(html)
    for script in doc.iter("script"):
        if script.get("src"):
            assert script.get("src").startswith("/static/") and not (script.text or "").strip()
        else:  # data, never code: the whole block is one JSON value
            assert script.get("type") == "application/json", (where, script.text)
            json.loads(script.text or "")
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        events = [a for a in element.attrib if a.lower().startswith("on")]
        assert not events, (where, element.tag, events)
        assert not (element.tag == "img" and element.get("src") == "x"), where
        assert element.tag != "textarea" or "<script" not in (element.text or ""), where
    return doc


def shown(doc: lxml.html.HtmlElement) -> str:
    """What the page shows as text, with its JSON data as the script will read it."""
    parts = [doc.text_content()]

    def strings(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict | list):
            for item in value.values() if isinstance(value, dict) else value:
                strings(item)

    for script in doc.iter("script"):
        if script.get("type") == "application/json":
            strings(json.loads(script.text or "null"))
    return "\n".join(parts)


def test_typed_text_is_never_markup_on_any_page(web_sqlite: Any) -> None:
    web = web_sqlite
    made = poison(web)
    owner, alex = web.client(OWNER), web.client(CODER_A)
    p = f"/p/{web.pid}"
    pages = {  # page -> what of the payloads it must show as text
        "/": [f"Project {IMG} {ATTR}"],
        f"/p/{made['project']}/documents": [f"Project {IMG} {ATTR}"],
        f"{p}/documents": [DOC],
        f"{p}/read/{quote(DOC)}?coder=alex": [SCRIPT, IMG, TEXTAREA, TEMPLATE, NAME, EVIL],
        f"{p}/read/P01-interview?coder=alex": [NAME, EVIL],
        f"{p}/codebook?code={made['code']}": [NAME, EVIL],
        f"{p}/compare?document=P01-interview": [EVIL],
        f"{p}/analysis/query": [NAME],
        f"{p}/analysis/search": [],
        f"{p}/analysis/participants": [],
        f"{p}/analysis/themes": [],
        f"{p}/analysis/prevalence?of=codes&coder=alex": [NAME],
        f"{p}/analysis/cooccurrence?coder=alex": [],
        f"{p}/analysis/saturation?coder=alex": [],
        f"{p}/analysis/matrices": [NAME],
        f"{p}/analysis/matrix?name={quote(NAME)}": [NAME],
        f"{p}/analysis/downloads": [],
        f"{p}/audit": [NAME, f"v {ATTR}"],
        f"{p}/members": [f"mallory {IMG}", EVIL],
        "/account": [],
    }
    for url, expected in pages.items():
        r = owner.get(url)
        assert r.status_code == 200, (url, r.status_code)
        text = shown(check_page(r, url))
        for payload in expected:
            assert payload in text, (url, payload)
    # a coder's own view of the document and its notes
    r = alex.get(f"{p}/read/{quote(DOC)}")
    assert EVIL in shown(check_page(r, "alex's reader"))


def test_text_from_the_address_is_never_markup(web_sqlite: Any) -> None:
    web = web_sqlite
    owner = web.client(OWNER)
    anonymous = web.client()
    e, p = quote(EVIL), f"/p/{web.pid}"
    reflected = [
        (anonymous, f"/login?next={e}"),
        (anonymous, f"/invite/{e}"),
        (owner, f"{p}/audit?actor={e}&action={e}&since={e}"),
        (owner, f"{p}/compare?a={e}&b=sam&document={e}&layer={e}"),
        (owner, f"{p}/analysis/matrix?name={e}"),
        (owner, f"{p}/analysis/prevalence?by={e}&coder={e}&of={e}&unit={e}"),
        (owner, f"{p}/analysis/cooccurrence?mode={e}&coder={e}&levels={e}"),
        (owner, f"{p}/analysis/saturation?order_by={e}&coder={e}&unit={e}"),
        (owner, f"{p}/analysis/participants?unit={e}"),
        (owner, f"{p}/read/{e}"),
    ]
    for c, url in reflected:
        r = c.get(url, headers={"Accept": "text/html"})
        assert r.status_code < 500, (url, r.status_code)
        check_page(r, url)
    r = anonymous.post("/login", data={"user": EVIL, "password": "wrong password"})
    assert r.status_code == 401
    check_page(r, "sign-in error")


def test_member_forms_address_the_member_they_show(web_sqlite: Any) -> None:
    """A name that would point a form at another member is refused outright, and every form
    on the page names its member as one path segment."""
    web = web_sqlite
    owner = web.client(OWNER)
    before = [m.user for m in web.as_user(OWNER).members.list()]
    r = owner.post(f"/api/p/{web.pid}/members", json={"user": "../members/vera", "role": "viewer"})
    assert r.status_code == 400 and "/" in r.json()["error"]
    assert [m.user for m in web.as_user(OWNER).members.list()] == before
    page_url = f"http://testserver/p/{web.pid}/members"
    doc = check_page(owner.get(page_url), "members")
    actions = [f.get("action") for f in doc.iter("form") if "/members/" in f.get("action", "")]
    assert actions
    for action in actions:  # as the browser resolves them
        path = urlsplit(urljoin(page_url, action)).path
        assert path.startswith(f"/p/{web.pid}/members/") and path.count("/") == 5, action
    named = {unquote(urlsplit(urljoin(page_url, a)).path.split("/")[4]) for a in actions}
    assert named <= set(before) and "vera" in named


#: elements the page's scripts made from data that would run: an ``on…`` attribute, an image
#: from the payload, a script that is neither a file nor JSON data
INJECTED = """() => [...document.querySelectorAll('*')].filter((e) =>
  [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on'))
  || (e.tagName === 'IMG' && e.getAttribute('src') === 'x')
  || (e.tagName === 'SCRIPT' && !e.src && e.type !== 'application/json')).length"""


def test_a_browser_runs_none_of_it(page: Any, web_sqlite: Any) -> None:
    """The reader, the codebook, the matrix, the comparison and the members page with the
    payloads, after their scripts have drawn them: no dialog, nothing injected, the text on
    screen as typed."""
    web = web_sqlite
    made = poison(web)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, OWNER)
    p = f"/p/{web.pid}"
    visits = {
        f"{p}/read/{quote(DOC)}?coder=alex": [SCRIPT, IMG, ATTR, TEXTAREA, TEMPLATE],
        f"{p}/codebook?code={made['code']}": [NAME, "alert(2)"],
        f"{p}/analysis/matrix?name={quote(NAME)}": [NAME, TEMPLATE],
        f"{p}/compare?document=P01-interview": [NAME],
        f"{p}/members": [f"mallory {IMG}"],
    }
    for url, expected in visits.items():
        page.goto(url)
        for payload in expected:  # drawn by the page's script, maybe after a fetch
            page.wait_for_function("t => document.body.innerText.includes(t)", arg=payload)
        text = page.locator("body").inner_text()
        for payload in expected:
            assert payload in text, (url, payload)
        assert page.evaluate(INJECTED) == 0, url
        hostile = page.locator("text=onmouseover").filter(visible=True)
        if hostile.count():  # where a broken-open attribute would fire
            hostile.first.hover()
    assert not dialogs, dialogs
