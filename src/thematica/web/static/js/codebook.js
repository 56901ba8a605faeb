// The codebook page: the code tree, the selected code's entry (edited by owners, with the
// revision they loaded: a save against a code someone changed meanwhile is refused and shown),
// and the owners' structural changes (add, move, merge, split, remove, exclusive subcodes).
// Versions and proposals are in codebook-panels.js.
import { api, toast, el, projectId } from "/static/js/common.js";
import { describeChange, initPanels, shortTime } from "/static/js/codebook-panels.js";

const data = JSON.parse(document.getElementById("codebook-data").textContent);
const pid = projectId();
const base = `/api/p/${pid}/codebook`;
const canEdit = Boolean(data.can_edit);
const semLevels = data.sem_levels || [];

const FIELDS = [
  ["definition", "Definition", "What the code means: the concept it captures."],
  ["inclusion", "Include when", "When to apply it."],
  ["exclusion", "Exclude when", "When not to apply it (and which code to use instead)."],
  ["example", "Example", "A typical passage."],
  ["memo", "Memo", "Notes on how the code developed."],
];

const state = {
  codes: [], byId: new Map(), collapsed: new Set(), selected: null, filter: "",
  entry: null, editing: false,
};

const $ = (sel, root = document) => root.querySelector(sel);
const nCodings = (n) => `${n} coding${n === 1 ? "" : "s"}`;
const treeBox = $("#cb-tree");
const detail = $("#cb-detail");

function setCodes(codes) {
  state.codes = codes;
  state.byId = new Map(codes.map((c) => [c.id, c]));
  const codings = codes.reduce((n, c) => n + c.codings, 0);
  const summary = $("#cb-summary");
  const extra = canEdit ? "" : " · read-only: only owners change the codebook";
  summary.textContent = `${codes.length} codes · ${codings} codings${extra}`;
}

async function reloadTree() {
  const tree = await api("GET", base);
  setCodes(tree.codes);
  if (state.selected && !state.byId.has(state.selected)) state.selected = null;
  renderTree();
}

function reloadColours() {
  const link = document.querySelector('link[href*="/codes.css"]');
  if (link) link.href = `${link.href.split("?")[0]}?v=${Date.now()}`;
}

// -- the tree ---------------------------------------------------------------------------------

function ancestors(code) {
  const out = [];
  let parent = code.parent_id;
  while (parent) {
    const p = state.byId.get(parent);
    if (!p) break;
    out.push(p);
    parent = p.parent_id;
  }
  return out;
}

function visibleCodes() {
  const term = state.filter.trim().toLowerCase();
  if (!term) return state.codes.filter((c) => !ancestors(c).some((a) => state.collapsed.has(a.id)));
  const keep = new Set();
  for (const c of state.codes) {
    if (c.name.toLowerCase().includes(term) || c.definition.toLowerCase().includes(term)) {
      keep.add(c.id);
      for (const a of ancestors(c)) keep.add(a.id);
    }
  }
  return state.codes.filter((c) => keep.has(c.id));
}

function treeRow(c) {
  const hasKids = c.subcodes > 0;
  const open = !state.collapsed.has(c.id) || Boolean(state.filter.trim());
  const selected = c.id === state.selected;
  const twisty = hasKids
    ? el("button", {
      type: "button", class: "twisty", tabindex: "-1", "aria-label": open ? "Collapse" : "Expand",
      onclick: (e) => { e.stopPropagation(); toggle(c.id); },
    }, open ? "▾" : "▸")
    : el("span", { class: "twisty-space" });
  return el("div", {
    role: "treeitem", class: `cb-row d${Math.min(c.depth, 8)}${selected ? " selected" : ""}`,
    "aria-level": String(c.depth + 1), "aria-selected": String(selected),
    "aria-expanded": hasKids ? String(open) : undefined, tabindex: selected ? "0" : "-1",
    dataset: { id: c.id },
  },
  el("span", { class: "cb-name" }, twisty,
    el("span", { class: `swatch code-${c.id}`, "aria-hidden": "true" }),
    el("span", { class: "label", title: c.path }, c.name),
    c.exclusive ? el("span", { class: "tag", title: "its subcodes are mutually exclusive" }, "exclusive") : null),
  el("span", { class: "cb-sem" }, c.sem_level ? el("span", { class: `sem sem-${c.sem_level}` }, c.sem_level) : ""),
  el("span", { class: "cb-origin muted" }, c.origin || ""),
  el("span", { class: "num" }, String(c.codings)),
  el("span", { class: "num muted" }, hasKids ? String(c.total_codings) : ""));
}

function renderTree() {
  const rows = visibleCodes().map(treeRow);
  treeBox.replaceChildren(...rows);
  if (!rows.length) {
    treeBox.append(el("p", { class: "muted cb-none" },
      state.codes.length ? "No code matches the filter." : "The codebook is empty."));
  }
  if (!treeBox.querySelector('[tabindex="0"]') && rows.length) rows[0].tabIndex = 0;
}

function toggle(id, open) {
  const isOpen = !state.collapsed.has(id);
  if (open === undefined ? isOpen : !open) state.collapsed.add(id);
  else state.collapsed.delete(id);
  renderTree();
}

treeBox.addEventListener("click", (event) => {
  const row = event.target.closest(".cb-row");
  if (row) select(Number(row.dataset.id));
});

treeBox.addEventListener("keydown", (event) => {
  const rows = [...treeBox.querySelectorAll(".cb-row")];
  const at = rows.indexOf(document.activeElement);
  if (at < 0) return;
  const id = Number(rows[at].dataset.id);
  const code = state.byId.get(id);
  let next = null;
  if (event.key === "ArrowDown") next = rows[at + 1];
  else if (event.key === "ArrowUp") next = rows[at - 1];
  else if (event.key === "ArrowRight" && code.subcodes) { toggle(id, true); focusRow(id); }
  else if (event.key === "ArrowLeft") {
    if (code.subcodes && !state.collapsed.has(id)) { toggle(id, false); focusRow(id); }
    else if (code.parent_id) next = treeBox.querySelector(`[data-id="${code.parent_id}"]`);
  } else if (event.key === "Enter" || event.key === " ") select(id);
  else return;
  event.preventDefault();
  if (next) { rows.forEach((r) => { r.tabIndex = -1; }); next.tabIndex = 0; next.focus(); select(Number(next.dataset.id)); }
});

function focusRow(id) {
  const row = treeBox.querySelector(`[data-id="${id}"]`);
  if (row) { row.tabIndex = 0; row.focus(); }
}

$("#cb-filter").addEventListener("input", (event) => { state.filter = event.target.value; renderTree(); });
$("#expand-all").addEventListener("click", () => { state.collapsed.clear(); renderTree(); });
$("#collapse-all").addEventListener("click", () => {
  for (const c of state.codes) if (c.subcodes) state.collapsed.add(c.id);
  renderTree();
});

// -- the entry ------------------------------------------------------------------------------

async function select(id, { force = false } = {}) {
  if (state.editing && formDirty() && !window.confirm("Discard your unsaved changes to this code?")) return;
  if (!force && !state.editing && state.entry && state.entry.id === id) return;
  state.selected = id;
  state.editing = false;
  history.replaceState(null, "", `${location.pathname}?code=${id}${location.hash}`);
  for (const row of treeBox.querySelectorAll(".cb-row")) {
    const on = Number(row.dataset.id) === id;
    row.classList.toggle("selected", on);
    row.setAttribute("aria-selected", String(on));
  }
  try {
    state.entry = await api("GET", `${base}/codes/${id}`);
  } catch (err) {
    toast(err.message, "error");
    await reloadTree();
    return;
  }
  renderEntry();
}

function crumbs(entry) {
  const code = state.byId.get(entry.id) || entry;
  const chain = ancestors(code).reverse();
  if (!chain.length) return el("nav", { class: "crumbs", "aria-label": "Place in the tree" }, "Top level");
  const parts = [];
  chain.forEach((a, i) => {
    if (i) parts.push(el("span", { class: "sep", "aria-hidden": "true" }, " › "));
    parts.push(el("a", { href: `?code=${a.id}`, onclick: (e) => { e.preventDefault(); select(a.id); } }, a.name));
  });
  return el("nav", { class: "crumbs", "aria-label": "Place in the tree" }, ...parts);
}

function facts(entry) {
  const items = [
    ["SEM level", entry.sem_level || "—"],
    ["Origin", entry.origin || "—"],
    ["Codings", entry.subcodes ? `${entry.codings} (${entry.total_codings} with subcodes)` : String(entry.codings)],
    ["Subcodes", entry.subcodes ? `${entry.subcodes}${entry.exclusive ? ", mutually exclusive" : ""}` : "none"],
    ["Colour", el("span", { class: "colour-fact" }, el("span", { class: `swatch code-${entry.id}` }), entry.colour || "automatic")],
  ];
  return el("dl", { class: "cb-facts" }, ...items.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function renderEntry() {
  const entry = state.entry;
  if (!entry) { detail.replaceChildren(el("p", { class: "muted cb-empty" }, "Select a code to see its entry.")); return; }
  const head = el("header", { class: "cb-entry-head" },
    el("span", { class: `swatch big code-${entry.id}`, "aria-hidden": "true" }),
    el("h2", { id: "entry-name" }, entry.name),
    canEdit ? el("button", { type: "button", class: "primary", id: "edit-entry", onclick: startEdit }, "Edit entry") : null);
  const fields = el("dl", { class: "cb-fields" }, ...FIELDS.flatMap(([key, label]) => [
    el("dt", {}, label),
    entry[key] ? el("dd", { class: `f-${key}` }, entry[key]) : el("dd", { class: "empty" }, "not written yet"),
  ]));
  detail.replaceChildren(el("article", { class: "cb-entry", "aria-labelledby": "entry-name" },
    crumbs(entry), head, facts(entry), fields, canEdit ? actions(entry) : null,
    el("section", { class: "cb-history" }, el("h3", {}, "History of this code"),
      el("ol", { id: "code-history", class: "history-list" }, el("li", { class: "muted" }, "Loading…")))));
  loadHistory(entry.id);
}

async function loadHistory(id) {
  const rows = await api("GET", `${base}/codes/${id}/history`).catch(() => []);
  const list = $("#code-history");
  if (!list || state.selected !== id) return;
  const items = rows.slice().reverse().map((r) => el("li", {},
    el("time", { datetime: r.at }, shortTime(r.at)), " ",
    el("strong", {}, r.actor || "someone"), " ", describeChange(r)));
  list.replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "No changes recorded.")]));
}

// -- editing an entry -----------------------------------------------------------------------

function options(select, values, current) {
  select.replaceChildren(...values.map(([value, label]) =>
    el("option", { value, selected: value === (current || "") }, label)));
}

function colourOf(id) {
  const swatch = detail.querySelector(`.swatch.code-${id}`) || treeBox.querySelector(`.swatch.code-${id}`);
  const value = swatch ? getComputedStyle(swatch).getPropertyValue("--code-colour").trim() : "";
  return /^#[0-9a-f]{6}$/i.test(value) ? value : "#888888";
}

function startEdit() {
  const entry = state.entry;
  state.editing = true;
  state.loaded = { ...entry };
  const sem = el("select", { name: "sem_level" });
  options(sem, [["", "—"], ...semLevels.map((l) => [l, l])], entry.sem_level);
  const origin = el("select", { name: "origin" });
  options(origin, [["", "—"], ["deductive", "deductive"], ["inductive", "inductive"]], entry.origin);
  const colour = el("input", { type: "color", name: "colour", value: entry.colour || colourOf(entry.id) });
  colour.addEventListener("input", () => { colour.dataset.touched = "1"; });
  const form = el("form", { class: "cb-edit stack", id: "edit-form", novalidate: true },
    el("label", {}, "Name", el("input", { name: "name", value: entry.name, maxlength: "300", required: true, autocomplete: "off" })),
    ...FIELDS.map(([key, label, hint]) => el("label", {}, label,
      el("textarea", { name: key, rows: key === "definition" || key === "memo" ? "3" : "2", placeholder: hint }, entry[key] || ""))),
    el("div", { class: "cb-three" },
      el("label", {}, "SEM level", sem), el("label", {}, "Origin", origin), el("label", {}, "Colour", colour)),
    el("p", { class: "error-message form-error", hidden: true }),
    el("div", { class: "dlg-buttons" },
      el("button", { type: "button", onclick: cancelEdit }, "Cancel"),
      el("button", { type: "submit", class: "primary" }, "Save")));
  form.addEventListener("submit", (e) => { e.preventDefault(); save(form); });
  const article = detail.querySelector(".cb-entry");
  article.replaceChildren(crumbs(entry), el("header", { class: "cb-entry-head" },
    el("span", { class: `swatch big code-${entry.id}` }), el("h2", { id: "entry-name" }, `Editing “${entry.name}”`)),
  el("p", { class: "hint", id: "edit-hint" }, `You are editing revision ${entry.revision}. If someone else saves this code first, you will be asked before anything is overwritten.`),
  el("div", { class: "conflict-box", hidden: true }),
  form);
  form.elements.name.focus();
}

function formChanges(form) {
  const loaded = state.loaded;
  const changes = {};
  for (const key of ["name", ...FIELDS.map((f) => f[0]), "sem_level", "origin"]) {
    const value = form.elements[key].value;
    if ((value || "") !== (loaded[key] || "")) changes[key] = key === "sem_level" || key === "origin" ? value || null : value;
  }
  const colour = form.elements.colour;
  if (colour.dataset.touched && colour.value.toLowerCase() !== (loaded.colour || "").toLowerCase()) changes.colour = colour.value;
  return changes;
}

function formDirty() {
  const form = $("#edit-form");
  return Boolean(form && Object.keys(formChanges(form)).length);
}

function cancelEdit() {
  state.editing = false;
  renderEntry();
}

function formError(form, message) {
  const box = form.querySelector(".form-error");
  box.textContent = message;
  box.hidden = !message;
}

async function save(form, changes = formChanges(form), revision = state.loaded.revision) {
  formError(form, "");
  const box = detail.querySelector(".conflict-box");
  if (box) box.hidden = true;
  if (!Object.keys(changes).length) { cancelEdit(); return; }
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const updated = await api("PATCH", `${base}/codes/${state.entry.id}`, { ...changes, revision });
    state.entry = updated;
    state.editing = false;
    toast(`Saved “${updated.name}”.`, "ok");
    if ("colour" in changes) reloadColours();
    await reloadTree();
    renderEntry();
  } catch (err) {
    buttons.forEach((b) => { b.disabled = false; });
    if (err.status === 409 && err.body && err.body.kind === "StaleEdit") await showConflict(form, err, changes);
    else if (err.status === 404) { toast(err.message, "error"); state.editing = false; await afterChange("", null); }
    else formError(form, err.message);
  }
}

const LABELS = { name: "Name", sem_level: "SEM level", origin: "Origin", colour: "Colour", ...Object.fromEntries(FIELDS.map((f) => [f[0], f[1]])) };

async function showConflict(form, err, changes) {
  let current;
  try {
    current = await api("GET", `${base}/codes/${state.entry.id}`);
  } catch (again) {
    formError(form, again.message);
    return;
  }
  const d = err.body.detail || {};
  const box = detail.querySelector(".conflict-box");
  // the form now shows what is stored, with this person's own changes kept on top
  state.loaded = { ...current };
  for (const key of ["name", ...FIELDS.map((f) => f[0]), "sem_level", "origin"]) {
    if (!(key in changes)) form.elements[key].value = current[key] || "";
  }
  $("#entry-name").textContent = `Editing “${current.name}”`;
  $("#edit-hint").textContent = `Now editing revision ${current.revision}, with your changes kept.`;
  const rows = Object.entries(changes).map(([key, mine]) => el("tr", {},
    el("th", {}, LABELS[key] || key),
    el("td", { class: "now" }, current[key] || "—"),
    el("td", { class: "mine" }, mine || "—")));
  box.replaceChildren(
    el("p", { class: "conflict-message" }, el("strong", {}, `Changed by ${d.changed_by || "someone"} meanwhile:`), ` ${d.change || "the code was changed"}.`),
    el("p", { class: "hint" }, `What is stored now (revision ${current.revision}) and what you were about to save:`),
    el("table", { class: "grid conflict-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Now stored"), el("th", {}, "Your edit"))),
      el("tbody", {}, ...rows)),
    el("div", { class: "dlg-buttons" },
      el("button", { type: "button", id: "discard-mine", onclick: () => { state.entry = current; cancelEdit(); } }, "Discard my edit"),
      el("button", { type: "button", class: "primary", id: "reapply-mine", onclick: () => save(form) }, "Re-apply my edit")));
  box.hidden = false;
  box.setAttribute("role", "alert");
  box.scrollIntoView({ block: "nearest" });
  reloadTree();
}

// -- owners' structural changes -----------------------------------------------------------

function actions(entry) {
  const box = el("div", { class: "cb-actions", role: "group", "aria-label": "Change this code" },
    el("button", { type: "button", onclick: () => openAdd(entry.id) }, "Add subcode"),
    el("button", { type: "button", onclick: () => openMove(entry) }, "Move…"),
    el("button", { type: "button", onclick: () => openMerge(entry) }, "Merge into…"),
    el("button", { type: "button", onclick: () => openSplit(entry), disabled: !entry.codings, title: entry.codings ? "" : "This code has no codings of its own to split off" }, "Split…"),
    el("button", { type: "button", class: "danger", onclick: () => openRemove(entry) }, "Remove…"));
  if (entry.subcodes || entry.exclusive) {
    const check = el("input", { type: "checkbox", id: "exclusive", checked: entry.exclusive });
    check.addEventListener("change", () => setExclusive(entry, check));
    box.append(el("label", { class: "check exclusive", title: "Coders pick one of them; reconciling treats A's X against B's Y as one disagreement" }, check, "Subcodes are mutually exclusive"));
  }
  return box;
}

async function setExclusive(entry, check) {
  try {
    state.entry = await api("PUT", `${base}/codes/${entry.id}/exclusive`, { exclusive: check.checked, revision: entry.revision });
    toast(check.checked ? "Subcodes marked mutually exclusive." : "Subcodes no longer exclusive.", "ok");
  } catch (err) {
    toast(err.message, "error");
    state.entry = await api("GET", `${base}/codes/${entry.id}`);
  }
  await reloadTree();
  renderEntry();
}

function codeOptions(select, { exclude = new Set(), top = null, current = null } = {}) {
  const opts = top ? [el("option", { value: "" }, top)] : [];
  for (const c of state.codes) {
    if (exclude.has(c.id)) continue;
    opts.push(el("option", { value: String(c.id), selected: c.id === current }, `${"\u00a0\u00a0\u00a0".repeat(c.depth)}${c.name}`));
  }
  select.replaceChildren(...opts);
}

function subtree(id) {
  const ids = new Set([id]);
  for (const c of state.codes) if (ancestors(c).some((a) => a.id === id)) ids.add(c.id);
  return ids;
}

// A dialog whose OK runs `action`; it stays open with the error when the action fails.
function runDialog(dialog, action) {
  const form = dialog.querySelector("form");
  const error = dialog.querySelector(".dlg-error");
  error.hidden = true;
  form.onsubmit = async (event) => {
    if (event.submitter && event.submitter.value === "cancel") return;
    event.preventDefault();
    const ok = form.querySelector('button[value="ok"]');
    ok.disabled = true;
    try {
      await action(form);
      dialog.close();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      ok.disabled = false;
    }
  };
  dialog.showModal();
}

async function afterChange(message, selectId) {
  if (message) toast(message, "ok");
  reloadColours();  // a new code gets its palette colour
  await reloadTree();
  if (selectId && state.byId.has(selectId)) await select(selectId, { force: true });
  else { state.entry = null; state.selected = null; history.replaceState(null, "", location.pathname); renderEntry(); }
}

function openAdd(parentId = null) {
  const dialog = $("#dlg-add");
  const form = dialog.querySelector("form");
  form.reset();
  codeOptions(form.elements.parent_id, { top: "(top level)", current: parentId });
  const parent = parentId ? state.byId.get(parentId) : null;
  options(form.elements.sem_level, [["", "—"], ...semLevels.map((l) => [l, l])], parent ? parent.sem_level : "");
  runDialog(dialog, async (f) => {
    const body = { name: f.elements.name.value, parent_id: f.elements.parent_id.value ? Number(f.elements.parent_id.value) : null, definition: f.elements.definition.value };
    if (f.elements.sem_level.value) body.sem_level = f.elements.sem_level.value;
    if (f.elements.origin.value) body.origin = f.elements.origin.value;
    const made = await api("POST", `${base}/codes`, body);
    if (made.parent_id) state.collapsed.delete(made.parent_id);
    await afterChange(`Added “${made.name}”.`, made.id);
  });
}

function openMove(entry) {
  const dialog = $("#dlg-move");
  const form = dialog.querySelector("form");
  $(".dlg-text", dialog).textContent = `Move “${entry.name}” (with its subcodes and codings) to a new place in the tree.`;
  codeOptions(form.elements.parent_id, { exclude: subtree(entry.id), top: "(top level)", current: entry.parent_id });
  runDialog(dialog, async (f) => {
    const value = f.elements.parent_id.value;
    const moved = await api("POST", `${base}/codes/${entry.id}/move`, { parent_id: value ? Number(value) : null, revision: entry.revision });
    if (moved.parent_id) state.collapsed.delete(moved.parent_id);
    await afterChange(`Moved “${moved.name}”.`, moved.id);
  });
}

function openMerge(entry) {
  const dialog = $("#dlg-merge");
  const form = dialog.querySelector("form");
  const select = form.elements.into;
  codeOptions(select, { exclude: subtree(entry.id) });
  const explain = () => {
    const target = state.byId.get(Number(select.value));
    if (!target) return;
    const subs = entry.subcodes ? ` Its ${entry.subcodes} subcode${entry.subcodes === 1 ? "" : "s"} move under “${target.name}”.` : "";
    $(".dlg-text", dialog).textContent = `All ${entry.codings} coding${entry.codings === 1 ? "" : "s"} of “${entry.name}” become codings of “${target.name}” (a passage both codes hold for the same coder is kept once, memos joined).${subs} Themes linked to “${entry.name}” are linked to “${target.name}”, and “${entry.name}” is removed.`;
  };
  select.onchange = explain;
  explain();
  runDialog(dialog, async (f) => {
    const target = Number(f.elements.into.value);
    const report = await api("POST", `${base}/codes/${entry.id}/merge`, { into: target, revision: entry.revision });
    const extra = report.collapsed ? ` (${report.collapsed} already there)` : "";
    const name = state.byId.get(target).name;
    await afterChange(`Merged “${entry.name}” into “${name}”: ${nCodings(report.moved + report.collapsed)}${extra}.`, target);
  });
}

async function openSplit(entry) {
  const dialog = $("#dlg-split");
  const form = dialog.querySelector("form");
  form.reset();
  $("#dlg-split-title").textContent = `Split “${entry.name}”`;
  const list = $(".split-list", dialog);
  const count = $(".split-count", dialog);
  const recount = () => {
    const n = list.querySelectorAll("input:checked").length;
    count.textContent = `${n} of ${list.querySelectorAll("input").length} ticked`;
  };
  list.replaceChildren(el("p", { class: "muted" }, "Loading codings…"));
  list.onchange = recount;
  $(".split-all", dialog).onclick = () => { list.querySelectorAll("input").forEach((i) => { i.checked = true; }); recount(); };
  $(".split-none", dialog).onclick = () => { list.querySelectorAll("input").forEach((i) => { i.checked = false; }); recount(); };
  runDialog(dialog, async (f) => {
    const codings = [...list.querySelectorAll("input:checked")].map((i) => Number(i.value));
    const report = await api("POST", `${base}/codes/${entry.id}/split`, {
      name: f.elements.name.value, codings, child: Boolean(f.elements.child.value),
      copy_definition: f.elements.copy_definition.checked, revision: entry.revision,
    });
    await afterChange(`Moved ${nCodings(report.moved)} to the new code “${report.new_entry.name}”.`, report.new_id);
  });
  try {
    const rows = await api("GET", `${base}/codes/${entry.id}/codings`);
    list.replaceChildren(...rows.map((r) => el("label", { class: "split-item" },
      el("input", { type: "checkbox", value: String(r.id) }),
      el("span", { class: "where" }, `${r.document} · ${r.coder} · ${r.start}–${r.end}`),
      el("q", {}, r.text))));
    recount();
  } catch (err) {
    list.replaceChildren(el("p", { class: "error-message" }, err.message));
  }
}

function openRemove(entry) {
  const dialog = $("#dlg-remove");
  const total = entry.total_codings;
  const subs = entry.subcodes ? ` and its ${entry.subcodes} subcode${entry.subcodes === 1 ? "" : "s"}` : "";
  $("#dlg-remove-title").textContent = `Remove “${entry.name}”?`;
  $(".dlg-text", dialog).textContent = total
    ? `“${entry.name}”${subs} hold${entry.subcodes ? "" : "s"} ${total} coding${total === 1 ? "" : "s"}, which will be deleted with ${entry.subcodes ? "them" : "it"}. To keep the codings, merge the code into another instead.`
    : `“${entry.name}”${subs} hold${entry.subcodes ? "" : "s"} no codings.`;
  runDialog(dialog, async () => {
    const params = new URLSearchParams({ revision: String(entry.revision), force: total ? "true" : "false" });
    await api("DELETE", `${base}/codes/${entry.id}?${params}`);
    await afterChange(`Removed “${entry.name}”${total ? ` and its ${nCodings(total)}` : ""}.`, entry.parent_id);
  });
}

// -- start ----------------------------------------------------------------------------------

setCodes(data.codes);
// a long codebook opens with its top two levels; a short one fully expanded
if (state.codes.length > 60) for (const c of state.codes) if (c.depth >= 1 && c.subcodes) state.collapsed.add(c.id);
if (data.selected) for (const a of ancestors(state.byId.get(data.selected))) state.collapsed.delete(a.id);
renderTree();
if (canEdit) {
  $("#new-code").addEventListener("click", () => openAdd(null));
}
if (data.selected) select(data.selected);
initPanels({ pid, base, canEdit, onCodebookChanged: async () => { reloadColours(); await reloadTree(); } });
