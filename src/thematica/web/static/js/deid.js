// Reviewing a document's de-identification: the proposed redactions drawn on the text and
// listed beside it; accept (A), reject (R) or edit (E) each, redact a selected passage
// yourself, then commit, which rewrites the text for everyone. Offsets are code points, mapped
// to the DOM by reader-text.js's TextView (the reader's own mapping); a length compared with
// an offset is counted in code points too (cpLen: "😀".length is 2). Everything a person
// typed or a document holds is set as text, never as HTML. An encrypted key's passphrase is
// typed once into one field (#dz-passphrase), sent with "Find identifiers" and with the
// commit, and never shown or stored.

import { api, el, toast } from "/static/js/common.js";
import { Caret, TextView, cpLen } from "/static/js/reader-text.js";

const $ = (id) => document.getElementById(id);
const data = JSON.parse($("deid-data").textContent);
const base = `/api/p/${document.body.dataset.project}`;
const STATUSES = ["proposed", "accepted", "rejected", "committed"];
const RANK = { rejected: 0, proposed: 1, accepted: 2, committed: 3 };
const POLL_MS = 600;
const DONE_KEY = `deid-done:${document.body.dataset.project}:${data.document}`;

const textEl = $("text");
const view = new TextView(textEl, $("text-wrap"), null, 1);
const caret = new Caret(view);
const listEl = $("dz-list");
let rows = data.proposals;
let focusId = null;
let editingId = null;
let addSpan = null;
let busy = false;

const byText = (a, b) => a.start - b.start || a.end - b.end || a.id - b.id;
const open = () => rows.filter((r) => r.status !== "committed").sort(byText);
const find = (id) => rows.find((r) => r.id === id);

// --- the text: the server's render, redrawn after a change ------------------------------------
// PHONE_NUMBER reads "PHONE NUMBER"
const typeWords = (kind) => kind.replaceAll("_", " ");

function tagOf(r) {
  if (r.status === "rejected") return `${typeWords(r.entity_type)} · kept`;
  if (r.status === "committed") return ""; // the text reads as the placeholder now
  return `${typeWords(r.entity_type)} → ${r.placeholder}`;
}

// open proposals inside the text; a committed one where its span reads as its placeholder
function drawn() {
  return rows.filter((r) => 0 <= r.start && r.start < r.end && r.end <= data.length
    && (r.status !== "committed" || view.slice(r.start, r.end) === r.placeholder));
}

function renderBlock(b, here) {
  const cuts = new Set([b.start, b.end]);
  if (b.label) cuts.add(b.start + b.label);
  for (const r of here) for (const p of [r.start, r.end]) if (p > b.start && p < b.end) cuts.add(p);
  const points = [...cuts].sort((x, y) => x - y);
  if (!b.chars) b.chars = Array.from(b.text);
  const frag = document.createDocumentFragment();
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i], z = points[i + 1];
    const piece = b.chars.slice(a - b.start, z - b.start).join("");
    const label = a < b.start + b.label;
    const over = here.filter((r) => r.start <= a && r.end >= z).sort((x, y) => x.id - y.id);
    if (!over.length) {
      const span = el("span", { class: label ? "lbl" : null }, piece);
      span.dataset.o = a;
      frag.append(span);
      continue;
    }
    const top = over.reduce((m, r) => ((RANK[r.status] ?? 0) > (RANK[m.status] ?? 0) || ((RANK[r.status] ?? 0) === (RANK[m.status] ?? 0) && r.id > m.id) ? r : m));
    const ending = over.filter((r) => r.end === z).map(tagOf).filter(Boolean);
    const mark = el("mark", {
      class: `dz st-${top.status}${ending.length ? " end" : ""}${over.length > 1 ? " n2" : ""}${over.some((r) => r.id === focusId) ? " focus" : ""}`,
    }, piece);
    mark.dataset.p = over.map((r) => r.id).join(" ");
    mark.dataset.o = a;
    if (label) mark.dataset.l = "1";
    if (ending.length) mark.dataset.tag = ending.join(" · ");
    frag.append(mark);
  }
  return frag;
}

function drawText() {
  const shown = drawn();
  for (const b of view.blocks) {
    const here = shown.filter((r) => r.start < b.end && r.end > b.start);
    b.tt.replaceChildren(renderBlock(b, here));
  }
  view.index();
}

function markFocus() {
  for (const m of textEl.querySelectorAll("mark.dz")) {
    m.classList.toggle("focus", focusId !== null && m.dataset.p.split(" ").includes(String(focusId)));
  }
}

// --- counts and the list ---------------------------------------------------------------------
function drawCounts() {
  const n = Object.fromEntries(STATUSES.map((s) => [s, rows.filter((r) => r.status === s).length]));
  for (const pill of document.querySelectorAll(".dz-count")) {
    pill.querySelector("b").textContent = n[pill.dataset.status];
    pill.classList.toggle("zero", n[pill.dataset.status] === 0);
  }
  $("dz-commit-n").textContent = n.accepted;
  $("dz-commit").disabled = n.accepted === 0;
  $("dz-accept-all").disabled = n.proposed === 0;
  $("dz-list-count").textContent = open().length || "";
  $("dz-empty").hidden = open().length > 0 || n.committed > 0;
}

// the words around a redaction, cut at whole words (the service sends ~40 characters a side)
function context(r) {
  const quote = r.status === "committed" ? r.placeholder : r.text;
  let before = r.before.replace(/\s+/g, " ");
  let after = r.after.replace(/\s+/g, " ");
  if (r.start > cpLen(r.before)) before = `…${before.replace(/^\S*\s/, "")}`;
  if (r.end + cpLen(r.after) < data.length) after = `${after.replace(/\s\S*$/, "")}…`;
  return el("p", { class: "dz-ctx" }, before, el("b", {}, quote), after);
}

function item(r) {
  const li = el("li", { class: `dz-item st-${r.status}${r.id === focusId ? " focus" : ""}`, id: `dz-${r.id}` });
  li.dataset.id = r.id;
  const score = r.recogniser === "reviewer" ? "added by hand" : `${Math.round(r.score * 100)}%`;
  li.append(
    el("div", { class: "dz-head" }, el("span", { class: "dz-type" }, typeWords(r.entity_type)),
      el("span", { class: "muted", title: `found by ${r.recogniser}` }, score),
      el("span", { class: "dz-status" }, r.status)),
    r.status === "committed"
      ? el("div", { class: "dz-what" }, el("span", { class: "dz-ph" }, r.placeholder))
      : el("div", { class: "dz-what" }, el("span", { class: "dz-orig" }, r.text),
        r.status === "rejected"
          ? el("span", { class: "dz-kept" }, " stays as it is")
          : [el("span", { class: "dz-arrow", "aria-label": "becomes" }, "→"), el("span", { class: "dz-ph" }, r.placeholder)]),
    context(r));
  if (r.status === "committed") return li;
  if (r.id === editingId) {
    li.append(editForm(r));
    return li;
  }
  li.append(el("div", { class: "dz-acts" },
    r.status !== "accepted" ? el("button", { type: "button", class: "dz-accept", onclick: () => review(r.id, "accept") }, "Accept") : null,
    r.status !== "rejected" ? el("button", { type: "button", class: "dz-reject", onclick: () => review(r.id, "reject") }, "Reject") : null,
    el("button", { type: "button", class: "dz-edit-button", onclick: () => startEdit(r.id) }, "Edit")));
  return li;
}

function drawList() {
  const items = open().map(item);
  const done = rows.filter((r) => r.status === "committed").sort(byText);
  if (done.length) items.push(el("li", { class: "dz-group" }, `Committed (${done.length})`), ...done.map(item));
  listEl.replaceChildren(...items);
}

function redraw({ text = true } = {}) {
  if (text) drawText(); else markFocus();
  drawCounts();
  drawList();
}

// --- focus: the list and the text move together -----------------------------------------------
function setFocus(id, { scrollText = false, scrollList = true } = {}) {
  focusId = id;
  markFocus();
  for (const li of listEl.querySelectorAll(".dz-item")) li.classList.toggle("focus", li.dataset.id === String(id));
  const li = $(`dz-${id}`);
  if (li && scrollList) li.scrollIntoView({ block: "nearest" });
  if (scrollText) {
    const mark = [...textEl.querySelectorAll("mark.dz")].find((m) => m.dataset.p.split(" ").includes(String(id)));
    if (mark) mark.scrollIntoView({ block: "center" });
  }
}

function move(step) {
  const list = open();
  if (!list.length) return;
  const at = list.findIndex((r) => r.id === focusId);
  const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
  setFocus(list[next].id, { scrollText: true });
}

// after a decision, on to the next one still proposed (else the next one)
function advance(fromId) {
  const list = open();
  const at = list.findIndex((r) => r.id === fromId);
  const next = list.slice(at + 1).find((r) => r.status === "proposed") || list[at + 1];
  if (next) setFocus(next.id, { scrollText: true });
}

// --- reviewing ------------------------------------------------------------------------------
async function call(method, url, body) {
  if (busy) return null;
  busy = true;
  try {
    return await api(method, url, body);
  } catch (error) {
    toast(error.message, "error");
    return null;
  } finally {
    busy = false;
  }
}

async function review(id, verb) {
  const answer = await call("POST", `${base}/deid/proposals/${id}/${verb}`);
  if (!answer) return;
  find(id).status = answer.status;
  redraw();
  advance(id);
}

function startEdit(id) {
  editingId = id;
  setFocus(id);
  drawList();
  const form = listEl.querySelector(".dz-edit");
  if (form) form.elements.placeholder.focus();
}

function editForm(r) {
  const select = el("select", { name: "entity_type" },
    ...typeNames(r.entity_type).map((t) => el("option", { value: t, selected: t === r.entity_type }, t)));
  const form = el("form", { class: "dz-edit" },
    el("label", {}, "Type", select),
    el("label", {}, "Placeholder", el("input", { name: "placeholder", value: r.placeholder, maxlength: 200 })),
    el("div", { class: "form-actions" },
      el("button", { type: "submit", class: "primary small", title: "Saving accepts it" }, "Save"),
      el("button", { type: "button", class: "small dz-fit", title: "Redact the passage selected in the text instead", onclick: () => fit(r.id) }, "Use selection"),
      el("button", { type: "button", class: "small", onclick: stopEdit }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    if (form.elements.entity_type.value !== r.entity_type) body.entity_type = form.elements.entity_type.value;
    const ph = form.elements.placeholder.value.trim();
    if (ph && ph !== r.placeholder) body.placeholder = ph;
    if (!Object.keys(body).length) body.entity_type = r.entity_type; // saving as it is accepts it
    await save(r.id, body);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); stopEdit(); }
  });
  return form;
}

function typeNames(current) {
  const names = data.types.map((t) => t.entity_type);
  return names.includes(current) ? names : [current, ...names];
}

async function save(id, body) {
  const row = await call("PATCH", `${base}/deid/proposals/${id}`, body);
  if (!row) return;
  rows = rows.map((r) => (r.id === id ? row : r));
  editingId = null;
  await reload(); // other proposals' predicted numbers may have changed too
  setFocus(id);
  listEl.focus();
}

async function fit(id) {
  const span = view.selectionOffsets() || addSpan;
  if (!span) { toast("Select the passage in the text first", "error"); return; }
  await save(id, { start: span.start, end: span.end });
  hideAdd();
}

function stopEdit() {
  editingId = null;
  drawList();
  listEl.focus();
}

// --- redacting a selection ----------------------------------------------------------------------
const addForm = $("dz-add-form");

function showAdd(span) {
  addSpan = span;
  $("dz-add-text").textContent = view.slice(span.start, span.end);
  $("dz-add").hidden = false;
  templateHint();
}

function hideAdd() {
  addSpan = null;
  $("dz-add").hidden = true;
}

function templateHint() {
  const t = data.types.find((x) => x.entity_type === $("dz-add-type").value);
  $("dz-add-template").textContent = t ? t.template.replaceAll("{n}", "N") : "";
}

$("dz-add-type").addEventListener("change", templateHint);
$("dz-add-cancel").addEventListener("click", hideAdd);
addForm.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); hideAdd(); textEl.focus(); }
});
addForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!addSpan) return;
  const body = { document: data.document, entity_type: $("dz-add-type").value };
  if ($("dz-add-every").checked) body.text = view.slice(addSpan.start, addSpan.end);
  else Object.assign(body, addSpan);
  const ph = $("dz-add-placeholder").value.trim();
  if (ph) body.placeholder = ph;
  const made = await call("POST", `${base}/deid/proposals`, body);
  if (!made) return;
  const fresh = new Set(made.map((r) => r.id));
  rows = [...rows.filter((r) => !fresh.has(r.id)), ...made];
  hideAdd();
  $("dz-add-placeholder").value = "";
  $("dz-add-every").checked = false;
  window.getSelection().removeAllRanges();
  await reload(); // the placeholders as the key numbers them now, for every proposal
  if (made.length) setFocus(made[0].id);
  const one = made.length === 1 ? find(made[0].id) : null;
  toast(one && one.placeholder ? `Redacted: becomes ${one.placeholder}` : `${made.length} passage${made.length === 1 ? "" : "s"} redacted`);
});

function afterSelecting() {
  const span = view.selectionOffsets();
  if (span) showAdd(span);
  return span;
}

textEl.addEventListener("mouseup", (event) => {
  setTimeout(() => {
    if (afterSelecting()) return;
    hideAdd();
    const mark = event.target.closest && event.target.closest("mark.dz");
    if (!mark) return;
    const ids = mark.dataset.p.split(" ").map(Number);
    const pick = ids.map(find).filter((r) => r && r.status !== "committed");
    if (pick.length) setFocus(pick[pick.length - 1].id);
  }, 0);
});

// the keyboard in the text: a caret, Shift+arrows select, Enter opens the form
const ARROWS = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" };
function ensureCaret() {
  const sel = window.getSelection();
  if (sel.rangeCount && textEl.contains(sel.focusNode)) return;
  const top = $("scroll").getBoundingClientRect().top;
  const first = view.runs.find((run) => run.getBoundingClientRect().bottom > top) || view.runs[0];
  if (!first) return;
  sel.removeAllRanges();
  const range = document.createRange();
  range.setStart(first.firstChild || first, 0);
  sel.addRange(range);
}
let pointerFocus = false;
textEl.addEventListener("pointerdown", () => { pointerFocus = true; });
document.addEventListener("pointerup", () => { setTimeout(() => { pointerFocus = false; }, 0); });
textEl.addEventListener("focus", () => { if (!pointerFocus) { ensureCaret(); caret.show(); } });
textEl.addEventListener("blur", () => caret.hide());
textEl.addEventListener("keydown", (event) => {
  if (ARROWS[event.key]) {
    ensureCaret();
    const line = event.key === "ArrowUp" || event.key === "ArrowDown";
    window.getSelection().modify(event.shiftKey ? "extend" : "move", ARROWS[event.key], line ? "line" : event.ctrlKey || event.altKey ? "word" : "character");
    event.preventDefault();
    event.stopPropagation();
    caret.show();
    if (event.shiftKey) afterSelecting();
  } else if (event.key === "Enter" && addSpan) {
    event.preventDefault();
    event.stopPropagation();
    $("dz-add-type").focus();
  }
});

// --- the page's keys ----------------------------------------------------------------------------
document.addEventListener("keydown", (event) => {
  const t = event.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
  if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  const inList = listEl.contains(t);
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (key === "j" || (inList && key === "ArrowDown")) move(1);
  else if (key === "k" || (inList && key === "ArrowUp")) move(-1);
  else if (key === "a" && focusId !== null) review(focusId, "accept");
  else if (key === "r" && focusId !== null) review(focusId, "reject");
  else if (key === "e" && focusId !== null) startEdit(focusId);
  else if (key === "Enter" && focusId !== null && !(t instanceof HTMLButtonElement)) setFocus(focusId, { scrollText: true });
  else if (key === "?") $("dz-help").showModal();
  else if (key === "Escape") hideAdd();
  else return;
  event.preventDefault();
});

listEl.addEventListener("click", (event) => {
  const li = event.target.closest(".dz-item");
  if (!li || event.target.closest("button, input, select, form")) return;
  const r = find(Number(li.dataset.id));
  if (r && r.status !== "committed") setFocus(r.id, { scrollText: true, scrollList: false });
});

// --- the key's passphrase: one field, in the bar, moved into the commit dialog while it is open
const passField = $("dz-passphrase");
const passBox = $("dz-pass");
const passHome = passBox.parentNode;
const passNext = passBox.nextSibling;
const wantsPassphrase = (error) => Boolean(error && error.body && error.body.detail && error.body.detail.hint === "passphrase");

function askPassphrase() {
  passBox.hidden = false;
  passField.focus();
}

// --- finding identifiers, accepting all, committing -------------------------------------------
async function reload() {
  let fresh = null;
  try {
    fresh = await api("GET", `${base}/deid/proposals?document=${encodeURIComponent(data.document)}`);
  } catch (error) {
    toast(error.message, "error");
  }
  if (!fresh) { redraw(); return; }
  rows = fresh;
  if (focusId !== null && !find(focusId)) focusId = null;
  redraw();
}

$("dz-detect").addEventListener("click", async () => {
  const button = $("dz-detect");
  const line = $("dz-job-line");
  const bar = $("dz-progress");
  button.disabled = true;
  $("dz-job").hidden = false;
  line.textContent = "Starting…";
  bar.removeAttribute("value");
  try {
    const body = { documents: [data.document] };
    const pass = passField.value;
    if (pass) body.passphrase = pass;
    const { job } = await api("POST", `${base}/deid/detect`, body);
    for (;;) {
      const state = await api("GET", `${base}/jobs/${job}`);
      if (state.total) { bar.max = state.total; bar.value = state.done; }
      line.textContent = state.message ? state.message.charAt(0).toUpperCase() + state.message.slice(1) : "Working…";
      if (state.status === "done") break;
      if (state.status === "failed") throw new Error(state.message || "finding identifiers failed");
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await reload();
    toast(line.textContent);
    if (focusId === null) move(1);
  } catch (error) {
    toast(error.message, "error");
    if (wantsPassphrase(error)) askPassphrase();
  } finally {
    button.disabled = false;
    $("dz-job").hidden = true;
  }
});

$("dz-accept-all").addEventListener("click", async () => {
  const answer = await call("POST", `${base}/deid/accept-all?document=${encodeURIComponent(data.document)}`);
  if (!answer) return;
  await reload();
  toast(answer.accepted === 1 ? "1 more redaction accepted" : `${answer.accepted} more redactions accepted`);
});

const confirmBox = $("dz-confirm");
$("dz-commit").addEventListener("click", () => {
  const n = rows.filter((r) => r.status === "accepted").length;
  $("dz-confirm-n").textContent = `${n} accepted passage${n === 1 ? "" : "s"}`;
  $("dz-confirm-error").hidden = true;
  if (!passBox.hidden) $("dz-pass-slot").append(passBox);
  confirmBox.showModal();
  $("dz-confirm-no").focus();
});
confirmBox.addEventListener("close", () => passHome.insertBefore(passBox, passNext));

$("dz-confirm-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value !== "commit") return;
  event.preventDefault();
  const body = { documents: [data.document] };
  const pass = passField.value;
  if (pass) body.passphrase = pass;
  const yes = $("dz-confirm-yes");
  yes.disabled = true;
  try {
    const report = await api("POST", `${base}/deid/commit`, body);
    sessionStorage.setItem(DONE_KEY, JSON.stringify(report));
    window.location.reload();
  } catch (error) {
    const box = $("dz-confirm-error");
    box.textContent = error.message;
    box.hidden = false;
    yes.disabled = false;
    if (wantsPassphrase(error)) {
      $("dz-pass-slot").append(passBox);
      askPassphrase();
    }
  }
});

$("dz-help-button").addEventListener("click", () => $("dz-help").showModal());

// what the last commit did, said once after the page shows the new text
function sayCommitted() {
  const saved = sessionStorage.getItem(DONE_KEY);
  if (!saved) return;
  sessionStorage.removeItem(DONE_KEY);
  const r = JSON.parse(saved);
  const parts = [`Committed: ${r.replaced} passage${r.replaced === 1 ? "" : "s"} replaced by placeholders`];
  const kinds = Object.entries(r.placeholders || {}).map(([ph, n]) => (n > 1 ? `${ph} ×${n}` : ph));
  if (kinds.length) parts[0] += ` (${kinds.join(", ")})`;
  if (r.codings_moved || r.codings_touched || r.codings_lost) {
    parts.push(`codings moved ${r.codings_moved}, shortened or joined ${r.codings_touched}, removed ${r.codings_lost}`);
  }
  const box = $("dz-done");
  box.replaceChildren(el("span", {}, `${parts.join("; ")}.`), ...(r.warnings || []).map((w) => el("span", { class: "dz-note" }, ` ${w}`)));
  box.hidden = false;
}

// --- start ------------------------------------------------------------------------------------
redraw({ text: false });
sayCommitted();
const first = open().find((r) => r.status === "proposed") || open()[0];
if (first) setFocus(first.id, { scrollList: false });
document.body.classList.add("deid-ready");
