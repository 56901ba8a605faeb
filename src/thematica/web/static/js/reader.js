// The reading and coding page: select a passage (mouse or Shift+arrows), pick a code by typing
// part of its name, see it highlighted with a stripe in the margin; click a highlight to change,
// refit, annotate or remove it; Ctrl+Z undoes. Every change goes through the JSON API, and the
// codings are fetched again and redrawn afterwards (a reload shows the same).

import { api, el, projectId, toast } from "/static/js/common.js";
import { Caret, TextView, assignTracks } from "/static/js/reader-text.js";
import { Picker } from "/static/js/reader-picker.js";
import { Popover, describeSpan, drawCodingDetail, drawSummary, excerpt, memoItems } from "/static/js/reader-panel.js";
import { drawMargin } from "/static/js/reader-stripes.js";
import { PassageMark, drawShown, drawTally } from "/static/js/reader-layers.js";
import { Suggestions } from "/static/js/reader-suggestions.js";

const data = JSON.parse(document.getElementById("reader-data").textContent);
const pid = projectId();
const base = `/api/p/${pid}`;
const $ = (id) => document.getElementById(id);
const textEl = $("text");
const view = new TextView(textEl, $("text-wrap"), $("stripes"), data.bands);
const caret = new Caret(view);
const popover = new Popover();
const goto = new PassageMark(view, $("scroll"));
const where = (s, e) => describeSpan(data.turns, s, e);
const codes = data.codes;
const codeById = new Map(codes.map((c) => [c.id, c]));
const shown = new Set(data.shown);
if (data.canCode) shown.add(data.user);
let shownWhy = data.shownWhy; // why these layers (until the person changes the ticks)
// the page sends each coding as [id, code id, coder, start, end, memo]
let codings = data.codings.map(([id, codeId, coder, start, end, memo]) => {
  const code = codeById.get(codeId);
  return { id, code_id: codeId, code: code.name, path: code.path, coder, start, end, memo };
});
let tracks = new Map();
let pending = null; // the passage the picker will code: {start, end} or {turn} or {whole}
let fit = null; // a selection made while the popover is open
let selected = null; // the coding shown in the side panel
const undoStack = [];
const highlights = window.CSS && CSS.highlights ? CSS.highlights : null;

// --- recent codes ------------------------------------------------------------------------------
const recentKey = `thematica-recent-${pid}-${data.user}`;
function recent() {
  try {
    return JSON.parse(localStorage.getItem(recentKey) || "[]").filter((id) => codeById.has(id)).slice(0, 9);
  } catch { return []; }
}
function remember(codeId) {
  const ids = [codeId, ...recent().filter((id) => id !== codeId)].slice(0, 9);
  localStorage.setItem(recentKey, JSON.stringify(ids));
  drawRecent();
}
function drawRecent() {
  const box = $("recent");
  if (!box) return;
  const ids = recent();
  box.replaceChildren(
    ids.length ? el("span", { class: "recent-label" }, "Recent") : el("span", { class: "recent-empty" }, "Recent codes will appear here (keys 1–9)"),
    ...ids.map((id, i) => {
      const c = codeById.get(id);
      return el(
        "button",
        { type: "button", class: `chip code-${id}`, title: `${c.path} — key ${i + 1}`, onclick: () => applyRecent(i) },
        el("kbd", {}, String(i + 1)), el("span", { class: "sw" }), el("span", { class: "nm" }, c.name),
      );
    }),
  );
}

// --- drawing -------------------------------------------------------------------------------------
const visible = () => codings.filter((c) => shown.has(c.coder));
const slice = (c) => view.slice(c.start, c.end);
const canWrite = (c) => data.canCode && (data.role === "owner" || c.coder === data.user);

function draw(rerender = true) {
  const list = visible();
  tracks = assignTracks(list);
  view.render(list, tracks, { onlyRemember: !rerender });
  const layersHere = new Set(list.map((c) => c.coder));
  drawMargin(view, list, {
    order: [data.user, ...data.layers.map((l) => l.name)],
    heads: layersHere.size > 1 || (layersHere.size === 1 && !layersHere.has(data.user)),
    you: data.user,
    onPick: (items, anchor) => openPopover(items, anchor.getBoundingClientRect()),
    onHover: (c) => { if (!popover.isOpen) paint("focus", c ? [view.rangeFor(c.start, c.end)] : []); },
  });
  goto.draw();
  const ticked = orderedShown().length > 0;
  const hint = $("layer-select") && !ticked
    ? "No codings shown: tick a coder layer above to see its codings."
    : $("layer-select")
      ? "The layers shown have no codings in this document yet."
      : data.canCode ? "Nothing coded yet: select a passage and press C." : "No codings to show.";
  drawSummary($("code-summary"), list, goToCode, hint);
  drawTally($("codes-count"), $("tally-what"), list);
  drawShown($("layers-shown"), orderedShown(), { you: data.user, why: shownWhy, added: shownWhy ? (data.focus?.added || []) : [] });
  if (suggestions) suggestions.layout(); // AI suggestions' outlines follow the text
}

// the shown layers that exist, in the layer list's order
function orderedShown() {
  const known = data.layers.map((l) => l.name);
  for (const c of codings) if (!known.includes(c.coder)) known.push(c.coder);
  known.sort((a, b) => (b === data.user) - (a === data.user)); // yours first
  // your own layer is always "shown" (your coding goes there); named once it has codings here
  return known.filter((n) => shown.has(n) && (n !== data.user || codings.some((c) => c.coder === n)));
}

function paint(name, ranges) {
  if (!highlights) return;
  if (!ranges.length) highlights.delete(name);
  else highlights.set(name, new Highlight(...ranges));
}

function flash(c) {
  paint("flash", [view.rangeFor(c.start, c.end)]);
  setTimeout(() => paint("flash", []), 1400);
}

function scrollToOffset(o) {
  const run = view.runs[view.runIndex(o, "start")];
  if (run) run.scrollIntoView({ block: "center" });
}

const cycle = new Map();
function goToCode(codeId) {
  const list = visible().filter((c) => c.code_id === codeId);
  if (!list.length) return;
  const i = ((cycle.get(codeId) ?? -1) + 1) % list.length;
  cycle.set(codeId, i);
  scrollToOffset(list[i].start);
  flash(list[i]);
  showDetail(list[i]);
}

async function refresh() {
  const rows = await api("GET", `${base}/codings?document=${encodeURIComponent(data.document)}`);
  codings = rows;
  for (const name of new Set(rows.map((r) => r.coder))) addLayerOption(name);
  draw();
  if (selected) {
    const again = codings.find((c) => c.id === selected.id);
    if (again) showDetail(again); else hideDetail();
  }
}

function reloadColours() {
  const link = document.querySelector('link[href*="/codes.css"]');
  if (link) link.href = `/p/${pid}/codes.css?v=${Date.now()}`;
}

// --- layers --------------------------------------------------------------------------------------
function addLayerOption(name) {
  const box = $("layer-select");
  if (!box || box.querySelector(`input[value="${CSS.escape(name)}"]`)) return;
  const input = el("input", { type: "checkbox", name: "layer", value: name, checked: shown.has(name) });
  box.append(el("label", { class: "layer" }, input, ` ${name}`, name === data.user ? el("span", { class: "muted" }, " (you)") : null));
}

$("layers").addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.name !== "layer") return;
  if (input.checked) shown.add(input.value); else shown.delete(input.value);
  shownWhy = null;
  const url = new URL(window.location.href);
  url.searchParams.set("coder", [...shown].join(","));
  history.replaceState(null, "", url);
  popover.close();
  draw();
});

function showOwnLayer() {
  shown.add(data.user);
  const box = $("layer-select");
  const input = box && box.querySelector(`input[value="${CSS.escape(data.user)}"]`);
  if (input) input.checked = true;
}

// --- undo ----------------------------------------------------------------------------------------
function pushUndo(entry) {
  undoStack.push(entry);
  if (undoStack.length > 50) undoStack.shift();
  $("undo").disabled = false;
  $("undo").title = `Undo: ${entry.label} (Ctrl+Z)`;
}

async function undo() {
  const entry = undoStack.pop();
  $("undo").disabled = !undoStack.length;
  if (!entry) { toast("Nothing to undo in this session."); return; }
  try {
    if (entry.kind === "apply") {
      await api("DELETE", `${base}/codings/${entry.id}`);
    } else if (entry.kind === "remove") {
      const r = entry.row;
      const made = await api("POST", `${base}/codings`, { document: data.document, code: r.path, start: r.start, end: r.end, coder: r.coder, memo: r.memo || undefined });
      for (const other of undoStack) if (other.id === r.id) other.id = made.id;
    } else if (entry.kind === "edit") {
      await api("PATCH", `${base}/codings/${entry.id}`, entry.before);
    }
    if (entry.after) await entry.after(); // an accepted AI suggestion opens again
    await refresh();
    toast(`Undone: ${entry.label}`);
  } catch (error) {
    toast(error.message, "error");
    await refresh();
  }
}

// --- coding --------------------------------------------------------------------------------------
async function write(fn) {
  try {
    return await fn();
  } catch (error) {
    toast(error.message, "error");
    return null;
  }
}

async function applyCode(code, target) {
  const row = await write(() =>
    target.start !== undefined
      ? api("POST", `${base}/codings`, { document: data.document, code: code.path, start: target.start, end: target.end })
      : api("POST", `${base}/codings/turn`, target.whole ? { document: data.document, code: code.path, whole: true } : { document: data.document, code: code.path, turn: target.turn }),
  );
  if (!row) return;
  remember(code.id);
  showOwnLayer();
  pushUndo({ kind: "apply", id: row.id, label: `coding with ${code.name}` });
  window.getSelection().removeAllRanges();
  await refresh();
  flash(row);
  toast(`Coded with ${code.name}`, "ok");
}

async function newCode(item, target) {
  const span = target.start !== undefined ? target : turnSpan(target);
  const body = { document: data.document, start: span.start, end: span.end };
  if (item.kind === "invivo") body.in_vivo = true; else body.name = item.name;
  const done = await write(() => api("POST", `${base}/codings/new-code`, body));
  if (!done) return;
  if (done.outcome === "proposed") {
    toast(`Proposed “${done.proposal_row ? done.proposal_row.name : item.name}” to the owners; the passage is coded in your layer when they accept it.`, "ok");
    return;
  }
  if (!codeById.has(done.code_id)) {
    const made = { id: done.code_id, path: done.path, name: done.path.split("/").pop(), depth: done.path.split("/").length - 1, parent_id: null, definition: "", sem_level: null, origin: "inductive" };
    codes.push(made);
    codeById.set(made.id, made);
    reloadColours();
  }
  remember(done.code_id);
  showOwnLayer();
  pushUndo({ kind: "apply", id: done.coding, label: `coding with ${done.path}` });
  window.getSelection().removeAllRanges();
  await refresh();
  toast(done.outcome === "created" ? `New code “${done.path}” created and applied` : `Coded with ${done.path}`, "ok");
}

function turnSpan(target) {
  if (target.whole) return { start: view.blocks[0].start, end: view.end() };
  const t = data.turns.find((x) => x.turn === target.turn);
  return { start: t.start, end: t.end };
}

async function editCoding(c, change, label) {
  const before = {};
  for (const key of Object.keys(change)) before[key] = key === "code" ? c.path : key === "memo" ? (c.memo || "") : c[key];
  const row = await write(() => api("PATCH", `${base}/codings/${c.id}`, change));
  if (!row) return null;
  pushUndo({ kind: "edit", id: c.id, before, label });
  await refresh();
  flash(row);
  return row;
}

async function removeCoding(c) {
  const row = await write(() => api("DELETE", `${base}/codings/${c.id}`));
  if (!row) return;
  pushUndo({ kind: "remove", id: c.id, row, label: `removing ${row.code}` });
  popover.close();
  if (selected && selected.id === c.id) hideDetail();
  await refresh();
  toast(`Removed ${row.code} — Ctrl+Z to undo`);
}

// --- the picker ----------------------------------------------------------------------------------
const picker = new Picker({ codes, mayCreate: data.mayCreate, recent });

function selectionAnchor() {
  const sel = window.getSelection();
  if (sel.rangeCount) {
    const rects = sel.getRangeAt(0).getClientRects();
    if (rects.length) return rects[rects.length - 1];
  }
  return textEl.getBoundingClientRect();
}

function openPicker(target, anchor) {
  if (!data.canCode) return;
  popover.close();
  pending = target;
  let title = "Code the selection";
  let words = "";
  if (target.start !== undefined) {
    words = view.slice(target.start, target.end);
    paint("pending", [view.rangeFor(target.start, target.end)]);
  } else if (target.whole) {
    title = "Code the whole document";
  } else {
    const t = data.turns.find((x) => x.turn === target.turn);
    title = `Code turn ${target.turn + 1}${t && t.speaker ? ` (${t.speaker})` : ""}`;
    paint("pending", [view.rangeFor(t.start, t.end)]);
  }
  picker.open({
    title,
    excerpt: words ? `“${excerpt(words, 120)}”` : "",
    anchor,
    create: true,
    inVivo: words ? excerpt(words, 60) : null,
    onChoose: (item) => {
      paint("pending", []);
      const where = pending;
      pending = null;
      if (item.kind === "code") applyCode(item.code, where);
      else newCode(item, where);
    },
    onClose: () => {
      paint("pending", []);
      if (pending && pending.start !== undefined) {
        textEl.focus({ preventScroll: true });
        view.select(pending.start, pending.end);
      }
      pending = null;
    },
  });
}

function openRecode(c, anchor) {
  popover.close();
  picker.open({
    title: `Change the code of this coding (${c.code})`,
    excerpt: `“${excerpt(slice(c), 120)}”`,
    anchor,
    create: false,
    exclude: c.code_id,
    onChoose: (item) => { if (item.kind === "code") editCoding(c, { code: item.code.path }, `changing ${c.code} to ${item.code.name}`); },
    onClose: () => {},
  });
}

function applyRecent(i) {
  const code = codeById.get(recent()[i]);
  const span = view.selectionOffsets();
  if (!code) return;
  if (!span) { toast("Select a passage first, then press a number for a recent code."); return; }
  applyCode(code, span);
}

// --- popover and side panel ------------------------------------------------------------------------
function openPopover(items, anchor) {
  fit = null;
  popover.open(items, {
    anchor,
    slice,
    canWrite,
    where,
    fit: null,
    select: showDetail,
    act: (action, c) => {
      if (action === "recode") openRecode(c, anchor);
      else if (action === "fit" && fit) editCoding(c, { start: fit.start, end: fit.end }, `refitting ${c.code}`).then(() => popover.close());
      else if (action === "memo") { showDetail(c); $("sec-coding").querySelector("textarea").focus(); }
      else if (action === "remove") removeCoding(c);
    },
    onClose: () => { fit = null; paint("focus", []); },
  });
  paint("focus", items.map((c) => view.rangeFor(c.start, c.end)));
}

function showDetail(c) {
  selected = c;
  $("sec-coding").hidden = false;
  drawCodingDetail($("coding-detail"), c, {
    slice,
    where,
    canWrite: canWrite(c),
    canMemo: data.canCode,
    saveMemo: async (coding, text) => {
      const row = await editCoding(coding, { memo: text }, "memo edit");
      if (row) toast("Memo saved", "ok");
    },
    codeMemos: (coding) => api("GET", `${base}/memos?target_type=code&target=${encodeURIComponent(coding.path)}`).catch(() => []),
    addCodeMemo: async (coding, text) => {
      if (!text.trim()) return false;
      return Boolean(await write(() => api("POST", `${base}/memos`, { target_type: "code", target: coding.path, text })));
    },
  });
}

function hideDetail() {
  selected = null;
  $("sec-coding").hidden = true;
}

async function loadDocMemos() {
  const list = $("doc-memos");
  try {
    const memos = await api("GET", `${base}/memos?target_type=document&target=${encodeURIComponent(data.document)}`);
    list.replaceChildren(...memoItems(memos, "No memo on this document yet."));
  } catch (error) {
    list.replaceChildren(el("li", { class: "muted" }, error.message));
  }
}

const docForm = $("doc-memo-form");
if (docForm) {
  docForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const area = docForm.querySelector("textarea");
    if (!area.value.trim()) return;
    const ok = await write(() => api("POST", `${base}/memos`, { target_type: "document", target: data.document, text: area.value }));
    if (ok) { area.value = ""; loadDocMemos(); toast("Memo added", "ok"); }
  });
}

// --- mouse ---------------------------------------------------------------------------------------
let clickTimer = null;
textEl.addEventListener("mousedown", (event) => {
  if (event.shiftKey && picker.isOpen && pending && pending.start !== undefined) {
    // Shift+click extends the passage the picker was opened on
    const keep = pending;
    pending = null;
    picker.close();
    view.select(keep.start, keep.end);
  }
});

document.addEventListener("mouseup", (event) => {
  if (picker.box.contains(event.target) || popover.box.contains(event.target)) return;
  if (!textEl.contains(event.target)) return;
  setTimeout(() => afterMouse(event), 0);
});

function afterMouse(event) {
  const span = view.selectionOffsets();
  caret.hide();
  if (span) {
    clearTimeout(clickTimer);
    if (popover.isOpen) {
      fit = span;
      popover.update({ fit: span });
      return;
    }
    if (data.canCode) openPicker(span, selectionAnchor());
    return;
  }
  if (event.detail !== 1) return;
  const mark = event.target.closest && event.target.closest("mark[data-k]");
  clearTimeout(clickTimer);
  if (!mark) { popover.close(); return; }
  const ids = mark.dataset.k.split(" ").map(Number);
  // anchor at the click: a coded run may span several lines
  const rect = { left: event.clientX - 20, right: event.clientX, top: event.clientY - 12, bottom: event.clientY + 12 };
  clickTimer = setTimeout(() => {
    if (view.selectionOffsets()) return; // it became a double-click selection
    const items = ids.map((id) => codings.find((c) => c.id === id)).filter(Boolean);
    if (items.length) openPopover(items, rect);
  }, 230);
}

textEl.addEventListener("click", (event) => {
  const button = event.target.closest(".code-turn");
  if (!button) return;
  const turn = Number(button.closest(".turn").dataset.turn);
  openPicker({ turn }, button.getBoundingClientRect());
});

const codeDoc = $("code-doc");
if (codeDoc) codeDoc.addEventListener("click", () => openPicker({ whole: true }, codeDoc.getBoundingClientRect()));
const undoButton = $("undo");
if (undoButton) undoButton.addEventListener("click", undo);
$("help-button").addEventListener("click", () => $("help").showModal());

// --- keyboard ------------------------------------------------------------------------------------
const ARROWS = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" };

// A caret in the text for the keyboard: where the selection is, else at the first line in view.
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

let pointerFocus = false; // focus by a click must not move the reader to a caret
textEl.addEventListener("pointerdown", () => { pointerFocus = true; goto.clear(); });
document.addEventListener("pointerup", () => { setTimeout(() => { pointerFocus = false; }, 0); });
textEl.addEventListener("focus", () => {
  if (pointerFocus) return;
  ensureCaret();
  caret.show();
});
textEl.addEventListener("blur", () => caret.hide());

textEl.addEventListener("keydown", (event) => {
  const sel = window.getSelection();
  if (ARROWS[event.key]) {
    ensureCaret();
    const line = event.key === "ArrowUp" || event.key === "ArrowDown";
    const unit = line ? "line" : event.ctrlKey || event.altKey ? "word" : "character";
    sel.modify(event.shiftKey ? "extend" : "move", ARROWS[event.key], unit);
    event.preventDefault();
    caret.show();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const span = view.selectionOffsets();
  if ((event.key === "Enter" || event.key === "c" || event.key === "C") && span && data.canCode) {
    event.preventDefault();
    caret.hide();
    openPicker(span, selectionAnchor());
  } else if ((event.key === "v" || event.key === "V") && span && data.canCode) {
    event.preventDefault();
    newCode({ kind: "invivo" }, span);
  } else if (/^[1-9]$/.test(event.key) && data.canCode) {
    event.preventDefault();
    applyRecent(Number(event.key) - 1);
  }
});

document.addEventListener("keydown", (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
  if ((event.ctrlKey || event.metaKey) && event.key === "z" && !typing && data.canCode) {
    event.preventDefault();
    undo();
  } else if (event.key === "Escape" && !typing) {
    popover.close();
  }
});

document.addEventListener("mousedown", (event) => {
  if (picker.isOpen && !picker.box.contains(event.target) && !event.shiftKey) picker.close();
});

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => draw(false), 120);
});

// --- AI suggestions (reader-suggestions.js): accepting one codes it in your layer at once ------------
const suggestions = new Suggestions({
  view, data, base, scroller: $("scroll"),
  busy: () => picker.isOpen || popover.isOpen,
  onAccepted: async (s, answer) => {
    showOwnLayer();
    await refresh();
    const made = codings.find((c) => c.coder === data.user && c.code_id === s.code_id && c.start === s.start && c.end === s.end);
    if (!made) return;
    flash(made);
    // Ctrl+Z removes the coding the acceptance made (not one that was there before), and the
    // suggestion is open again
    if (answer.added) pushUndo({ kind: "apply", id: made.id, label: `accepting ${made.code}`, after: () => suggestions.reload() });
  },
});

// --- start -------------------------------------------------------------------------------------------
drawRecent();
draw(false); // the server drew the text; the stripes need the layout
if (data.focus) {
  // arrived by a link to a passage ("go to source"): scroll there and mark it; a coding of
  // exactly that passage opens in the side panel
  goto.show(data.focus.start, data.focus.end);
  const exact = visible().find((c) => c.start === data.focus.start && c.end === data.focus.end);
  if (exact) showDetail(exact);
}
loadDocMemos();
document.body.classList.add("reader-ready");
