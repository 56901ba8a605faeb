// The documents page: the table of documents with their cases, attributes, size and each
// coder's progress (sortable, filterable by case attribute), the signed-in coder's
// "Mark done" control, caption downloads for timed documents, and (owners) importing
// transcripts or transcribing recordings with a progress bar that polls the job.
import { api, ApiError, csrf, el, projectId, toast } from "/static/js/common.js";
import { when } from "/static/js/dates.js";

const pid = projectId();
const me = document.body.dataset.user || "";
const role = document.body.dataset.role || "";
const table = document.getElementById("documents");
const thead = table.querySelector("thead");
const tbody = table.querySelector("tbody");
let data = JSON.parse(document.getElementById("overview-data").textContent);

const STORE = `thematica.documents.${pid}`;
const state = loadState();

function loadState() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORE) || "{}") || {};
  } catch {
    saved = {};
  }
  return {
    sort: saved.sort && typeof saved.sort.key === "string" ? saved.sort : { key: "document", dir: 1 },
    attrs: Array.isArray(saved.attrs) ? saved.attrs : null,
    find: "",
    fattr: "",
    fvalue: null,
  };
}

function saveState() {
  try {
    localStorage.setItem(STORE, JSON.stringify({ sort: state.sort, attrs: state.attrs }));
  } catch {
    // private browsing: the choice lasts for this page only
  }
}

const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
const plural = (n, word) => `${num(n)} ${word}${n === 1 ? "" : "s"}`;
const readerUrl = (name) => `/p/${pid}/read/${encodeURIComponent(name)}`;
const captionsUrl = (name, format) =>
  `/api/p/${pid}/documents/${encodeURIComponent(name)}/captions?format=${format}`;
const human = (name) => {
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function shownAttributes() {
  const names = data.attributes.map((a) => a.name);
  // by default one or two, leaving room for the coders' columns
  if (state.attrs === null) return names.slice(0, coderGroups().readable.length > 1 ? 1 : 2);
  return names.filter((n) => state.attrs.includes(n));
}

// The coder columns: readable layers get their own group (mine first); the others (blind)
// share one compact column of counts and statuses.
function coderGroups() {
  const readable = data.coders.filter((c) => c.readable);
  readable.sort((a, b) => Number(b.mine) - Number(a.mine));
  return { readable, hidden: data.coders.filter((c) => !c.readable) };
}

function myColumn() {
  return data.coders.find((c) => c.mine && c.kind !== "consensus");
}

function canMark() {
  return (role === "coder" || role === "owner") && Boolean(myColumn());
}

const progressOf = (row, coder) => row.coders.find((c) => c.coder === coder);

// What a status cell says: the coder's own mark, else what their codings suggest.
function statusOf(p) {
  if (!p) return { text: "not started", cls: "none" };
  if (p.status === "done") return { text: "done", cls: "done" };
  if (p.status === "in progress") return { text: "in progress", cls: "progress" };
  if (p.codings > 0) return { text: "in progress", cls: "implicit", title: "not marked yet; has codings" };
  return { text: "not started", cls: "none" };
}

const STATUS_RANK = { done: 0, progress: 1, implicit: 2, none: 3 };

function attributeValue(name, value) {
  if (value === null || value === undefined || value === "") return null;
  const info = data.attributes.find((a) => a.name === name);
  if (info && info.order) {
    const at = info.order.indexOf(value);
    return at >= 0 ? at : info.order.length + value.toLowerCase();
  }
  if (info && info.type === "numeric" && !Number.isNaN(Number(value))) return Number(value);
  return value.toLowerCase();
}

function sortValue(row, key) {
  const at = key.indexOf(":");
  const kind = at < 0 ? key : key.slice(0, at);
  const arg = at < 0 ? "" : key.slice(at + 1);
  const p = arg ? progressOf(row, arg) : null;
  switch (kind) {
    case "document": return row.document.toLowerCase();
    case "case": return row.case ? row.case.toLowerCase() : null;
    case "attr": return attributeValue(arg, row.attributes[arg]);
    case "turns": return row.turns;
    case "speakers": return row.speakers.length;
    case "words": return row.words;
    case "characters": return row.characters;
    case "codings": return p ? p.codings : null;
    case "coverage": return p && p.coverage !== null ? p.coverage : null;
    case "status": return STATUS_RANK[statusOf(p).cls];
    default: return null;
  }
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function visibleRows() {
  const find = state.find.trim().toLowerCase();
  let rows = data.documents.filter((r) => {
    if (find && !r.document.toLowerCase().includes(find) && !(r.case || "").toLowerCase().includes(find)) return false;
    if (state.fattr && state.fvalue !== null) {
      const v = r.attributes[state.fattr];
      const value = v === null || v === undefined || v === "" ? "" : v;
      if (value !== state.fvalue) return false;
    }
    return true;
  });
  const { key, dir } = state.sort;
  rows = rows.slice().sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    if (va === null && vb !== null) return 1; // missing values last, whichever the direction
    if (vb === null && va !== null) return -1;
    return dir * compare(va, vb) || compare(a.document.toLowerCase(), b.document.toLowerCase());
  });
  return rows;
}

function sortHeader(label, key, attrs = {}) {
  const active = state.sort.key === key;
  const th = el("th", { ...attrs, scope: "col", "aria-sort": active ? (state.sort.dir > 0 ? "ascending" : "descending") : "none" });
  const button = el("button", { type: "button", class: "sort", dataset: { sort: key } }, label,
    el("span", { class: "arrow", "aria-hidden": "true" }, active ? (state.sort.dir > 0 ? "▲" : "▼") : ""));
  th.append(button);
  return th;
}

// Columns, left to right: the document and its case; each readable coder layer's progress
// (mine first, with my "Mark done" button in its status cell); the other coders' counts while
// blind; the document's size; then the chosen case attributes.
function renderHead() {
  const { readable, hidden } = coderGroups();
  const grouped = readable.length > 0;
  const span = grouped ? { rowspan: "2" } : {};
  const top = el("tr");
  const second = el("tr", { class: "sub" });
  top.append(sortHeader("Document", "document", span), sortHeader("Case", "case", span));
  for (const c of readable) {
    const title = c.mine ? `${c.name} (you)` : c.name;
    top.append(el("th", { colspan: "3", scope: "colgroup", class: `coder-group${c.mine ? " mine" : ""}` },
      title, c.kind !== "human" && c.kind !== c.name ? el("span", { class: "kind" }, c.kind) : null));
    second.append(
      sortHeader("Codings", `codings:${c.name}`, { class: "num group-start" }),
      sortHeader("Turns coded", `coverage:${c.name}`, {}),
      sortHeader("Status", `status:${c.name}`, { class: "group-end" }),
    );
  }
  if (hidden.length) {
    top.append(el("th", { ...span, scope: "col", class: "others group-end",
      title: "Coding is blind: counts and statuses only" }, readable.length ? "Other coders" : "Coders",
      el("span", { class: "sub-label" }, "codings · status")));
  }
  top.append(
    sortHeader("Turns", "turns", { ...span, class: "num" }),
    sortHeader("Speakers", "speakers", { ...span, class: "num" }),
    sortHeader("Words", "words", { ...span, class: "num" }),
    sortHeader("Characters", "characters", { ...span, class: "num" }),
  );
  for (const a of shownAttributes()) top.append(sortHeader(human(a), `attr:${a}`, { ...span, class: "attr" }));
  thead.replaceChildren(top);
  if (grouped) thead.append(second);
}

function coverageCell(p, row) {
  if (!p || p.coverage === null || p.coverage === undefined) {
    return el("td", { class: "coverage muted" }, row.turns ? "—" : "no turns");
  }
  const pct = Math.round(p.coverage * 100);
  const bar = el("span", { class: "bar" });
  bar.style.width = `${pct}%`;
  return el("td", { class: "coverage", title: `${p.coded_turns} of ${row.turns} turns have at least one coding` },
    el("span", { class: "meter", "aria-hidden": "true" }, bar),
    el("span", { class: "pct" }, `${pct}%`));
}

function statusPill(p) {
  const s = statusOf(p);
  return el("span", { class: `status status-${s.cls}`, title: s.title }, s.text);
}

function markButton(row, p) {
  const done = p && p.status === "done";
  return el("button", {
    type: "button", class: done ? "small mark" : "small mark mark-done",
    dataset: { mark: done ? "in progress" : "done", document: row.document },
    "aria-label": `${done ? "Mark in progress" : "Mark done"}: ${row.document}`,
  }, done ? "Mark in progress" : "Mark done");
}

function renderRow(row) {
  const { readable, hidden } = coderGroups();
  const tr = el("tr", { dataset: { document: row.document } });
  const doc = el("th", { scope: "row", class: "doc", title: `${row.format} file, imported ${when(row.imported_at)}` },
    el("a", { href: readerUrl(row.document) }, row.document));
  if (row.timed) doc.append(captionLinks(row.document));
  tr.append(
    doc,
    el("td", { class: row.case ? "case" : "case muted" }, row.case || "no case"),
  );
  for (const c of readable) {
    const p = progressOf(row, c.name);
    const status = el("td", { class: "status-cell group-end" }, statusPill(p));
    if (c.mine && canMark()) status.append(markButton(row, p));
    tr.append(el("td", { class: "num group-start" }, num(p ? p.codings : 0)), coverageCell(p, row), status);
  }
  if (hidden.length) {
    const cell = el("td", { class: "others group-end" });
    for (const c of hidden) {
      const p = progressOf(row, c.name);
      cell.append(el("span", { class: "other", title: `${c.name}: ${plural(p ? p.codings : 0, "coding")}` },
        el("span", { class: "other-name" }, c.name), " ", el("span", { class: "count" }, num(p ? p.codings : 0)), " ", statusPill(p)));
    }
    tr.append(cell);
  }
  tr.append(
    el("td", { class: "num" }, num(row.turns)),
    el("td", { class: "num", title: row.speakers.join(", ") }, num(row.speakers.length)),
    el("td", { class: "num" }, num(row.words)),
    el("td", { class: "num" }, num(row.characters)),
  );
  for (const a of shownAttributes()) {
    const v = row.attributes[a];
    tr.append(el("td", { class: v ? "attr" : "attr muted", title: v || "" }, v || "—"));
  }
  return tr;
}

// A timed document (transcribed, or imported from captions) downloads as captions again.
function captionLinks(name) {
  const link = (format, label, what) => el("a", {
    href: captionsUrl(name, format), download: "", class: "caption-link",
    title: `${what} with each turn's times`, "aria-label": `Captions of ${name} as ${label}`,
  }, label);
  return el("span", { class: "captions muted" }, " · Captions ",
    link("vtt", "VTT", "WebVTT captions"), " ", link("srt", "SRT", "SubRip captions"));
}

function renderCards() {
  const box = document.getElementById("coder-cards");
  const total = data.documents.length;
  const cards = data.coders.filter((c) => c.kind !== "consensus").map((c) => {
    const meter = el("span", { class: "bar" });
    meter.style.width = total ? `${Math.round((100 * c.documents_done) / total)}%` : "0%";
    return el("div", { class: `card${c.mine ? " mine" : ""}`, dataset: { coder: c.name } },
      el("div", { class: "card-title" }, c.mine ? `${c.name} (you)` : c.name),
      el("div", { class: "card-figure" }, `${num(c.documents_done)} of ${num(total)} done`),
      el("span", { class: "meter", "aria-hidden": "true" }, meter),
      el("div", { class: "card-note muted" }, plural(c.codings, "coding")));
  });
  box.replaceChildren(...cards);
  box.hidden = cards.length === 0 || total === 0;
}

function renderSummary() {
  const docs = data.documents;
  const cases = new Set(docs.map((d) => d.case).filter(Boolean));
  const words = docs.reduce((n, d) => n + d.words, 0);
  document.getElementById("doc-summary").textContent =
    `${plural(docs.length, "document")} · ${plural(cases.size, "case")} · ${plural(words, "word")}`;
}

function renderBody() {
  const rows = visibleRows();
  tbody.replaceChildren(...rows.map(renderRow));
  const count = document.getElementById("doc-count");
  count.textContent = rows.length === data.documents.length
    ? "" : `Showing ${rows.length} of ${data.documents.length}`;
  document.getElementById("doc-none-match").hidden = rows.length > 0 || data.documents.length === 0;
}

function renderFilters() {
  const attrSelect = document.getElementById("filter-attr");
  attrSelect.replaceChildren(el("option", { value: "" }, "Any"),
    ...data.attributes.map((a) => el("option", { value: a.name, selected: a.name === state.fattr }, human(a.name))));
  renderValues();
  const list = document.getElementById("columns-list");
  const shown = shownAttributes();
  list.replaceChildren(...data.attributes.map((a) =>
    el("label", { class: "check" },
      el("input", { type: "checkbox", value: a.name, checked: shown.includes(a.name) }),
      ` ${human(a.name)}`)));
  document.getElementById("columns-menu").hidden = data.attributes.length === 0;
  attrSelect.closest("label").hidden = data.attributes.length === 0;
  document.getElementById("filter-value").closest("label").hidden = data.attributes.length === 0;
}

function renderValues() {
  const select = document.getElementById("filter-value");
  if (!state.fattr) {
    select.replaceChildren(el("option", { value: "" }, "Any"));
    select.disabled = true;
    return;
  }
  const seen = new Set(data.documents.map((d) => d.attributes[state.fattr] || ""));
  const values = [...seen].filter((v) => v !== "");
  values.sort((a, b) => compare(attributeValue(state.fattr, a), attributeValue(state.fattr, b)));
  const options = [el("option", { value: "\u0000any" }, "Any")];
  for (const v of values) options.push(el("option", { value: v, selected: state.fvalue === v }, v));
  if (seen.has("")) options.push(el("option", { value: "", selected: state.fvalue === "" }, "(missing)"));
  select.replaceChildren(...options);
  select.disabled = false;
}

function render() {
  const empty = data.documents.length === 0;
  document.getElementById("doc-empty").hidden = !empty;
  table.hidden = empty;
  document.getElementById("doc-toolbar").hidden = empty;
  renderSummary();
  renderCards();
  renderHead();
  renderBody();
  scrollHint();
}

// A table wider than the page scrolls sideways in its frame (the document column stays put):
// say so when it does.
function scrollHint() {
  const wrap = table.closest(".table-wrap");
  const hint = document.getElementById("docs-scroll-hint");
  if (!wrap || !hint) return;
  hint.hidden = table.hidden || wrap.scrollWidth <= wrap.clientWidth + 1;
}
window.addEventListener("resize", scrollHint);

// -- events ------------------------------------------------------------------------------

thead.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-sort]");
  if (!button) return;
  const key = button.dataset.sort;
  state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: 1 };
  saveState();
  renderHead();
  renderBody();
  thead.querySelector(`button[data-sort="${CSS.escape(key)}"]`)?.focus();
});

document.getElementById("doc-find").addEventListener("input", (event) => {
  state.find = event.target.value;
  renderBody();
});

document.getElementById("filter-attr").addEventListener("change", (event) => {
  state.fattr = event.target.value;
  state.fvalue = null;
  renderValues();
  renderBody();
});

document.getElementById("filter-value").addEventListener("change", (event) => {
  const v = event.target.value;
  state.fvalue = v === "\u0000any" ? null : v;
  renderBody();
});

document.getElementById("columns-list").addEventListener("change", () => {
  state.attrs = [...document.querySelectorAll("#columns-list input:checked")].map((i) => i.value);
  saveState();
  renderHead();
  renderBody();
  scrollHint();
});

tbody.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-mark]");
  if (!button) return;
  const name = button.dataset.document;
  const status = button.dataset.mark;
  button.disabled = true;
  try {
    const result = await api("PUT", `/api/p/${pid}/documents/${encodeURIComponent(name)}/status`, { status });
    const row = data.documents.find((d) => d.document === name);
    const p = row && progressOf(row, result.coder);
    if (p) p.status = result.status;
    const col = data.coders.find((c) => c.name === result.coder);
    if (col) col.documents_done = data.documents.filter((d) => progressOf(d, col.name)?.status === "done").length;
    renderCards();
    renderBody();
    tbody.querySelector(`tr[data-document="${CSS.escape(name)}"] button[data-mark]`)?.focus();
    toast(`${name}: marked ${result.status}`, "ok");
  } catch (error) {
    button.disabled = false;
    toast(error instanceof ApiError ? error.message : String(error), "error");
  }
});

async function refresh() {
  data = await api("GET", `/api/p/${pid}/documents`);
  renderFilters();
  render();
}

// -- import (owners) ---------------------------------------------------------------------

const panel = document.getElementById("import-panel");
if (panel) {
  const toggle = document.getElementById("import-toggle");
  const form = document.getElementById("import-form");
  const status = document.getElementById("import-status");
  const stage = document.getElementById("import-stage");
  const percent = document.getElementById("import-percent");
  const bar = document.getElementById("import-bar");
  const message = document.getElementById("import-message");
  const submit = document.getElementById("import-submit");
  const picker = document.getElementById("import-files");
  const options = document.getElementById("transcribe-options");
  const AUDIO = /\.(wav|mp3|m4a|ogg|flac|webm)$/i;
  const recordingsOf = (files) => [...files].filter((f) => AUDIO.test(f.name));

  // Recordings among the chosen files: show the transcription settings and say what happens.
  const chosen = () => {
    const files = picker.files;
    const audio = recordingsOf(files).length;
    const texts = files.length - audio;
    options.hidden = audio === 0;
    document.getElementById("transcribe-count").textContent =
      audio === 1 ? "1 recording" : `${plural(audio, "recording")}`;
    submit.textContent = audio === 0 ? "Upload and import"
      : texts === 0 ? "Upload and transcribe" : "Upload, import and transcribe";
  };
  picker.addEventListener("change", chosen);

  const open = (show) => {
    panel.hidden = !show;
    toggle.setAttribute("aria-expanded", String(show));
    if (show) document.getElementById("import-files").focus();
  };
  toggle.addEventListener("click", () => open(panel.hidden));
  document.getElementById("import-cancel").addEventListener("click", () => { open(false); toggle.focus(); });

  const show = (label, fraction, text = "", kind = "") => {
    status.hidden = false;
    stage.textContent = label;
    const pct = fraction === null ? null : Math.max(0, Math.min(100, Math.round(fraction * 100)));
    percent.textContent = pct === null ? "" : `${pct}%`;
    bar.firstElementChild.style.width = `${pct === null ? 100 : pct}%`;
    bar.classList.toggle("indeterminate", pct === null);
    bar.setAttribute("aria-valuenow", String(pct ?? 0));
    message.textContent = text;
    message.className = `import-message${kind ? ` ${kind}` : ""}`;
  };

  // Upload with XMLHttpRequest: fetch cannot report how much of the body has been sent.
  const upload = (formData) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/p/${pid}/documents`);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) show("Uploading…", e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 202) resolve(xhr.response);
      else reject(new ApiError(xhr.status, xhr.response));
    });
    xhr.addEventListener("error", () => reject(new Error("the upload did not reach the server")));
    xhr.send(formData);
  });

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function follow(jobId, label) {
    let wait = 300;
    for (;;) {
      const job = await api("GET", `/api/p/${pid}/jobs/${jobId}`);
      if (job.status === "done" || job.status === "failed") return job;
      const fraction = job.total ? job.done / job.total : null;
      // no word from the job yet (a model loading): keep what the line says
      const text = job.message ? job.message.charAt(0).toUpperCase() + job.message.slice(1) : message.textContent;
      show(label, fraction, text);
      await sleep(wait);
      wait = Math.min(1500, wait + 150);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = picker.files;
    if (!files.length) return;
    const formData = new FormData(form);
    formData.delete("csrf");
    const audio = recordingsOf(files).length;
    if (!audio) for (const name of ["model", "language", "speakers"]) formData.delete(name);
    const work = audio === 0 ? "Import" : audio === files.length ? "Transcription" : "Import and transcription";
    const doing = audio === 0 ? "Importing…" : audio === files.length ? "Transcribing…" : "Importing and transcribing…";
    submit.disabled = true;
    show("Uploading…", 0, `${plural(files.length, "file")}`);
    try {
      const { job } = await upload(formData);
      show(doing, null, audio ? "Loading the speech model…" : "");
      const result = await follow(job, doing);
      if (result.status === "done") {
        show(`${work} finished`, 1, result.message, "ok");
        toast(`${work} finished`, "ok");
        form.reset();
        chosen();
        await refresh();
      } else {
        const stored = audio ? "" : " — nothing was imported"; // the message says what was kept
        show(`${work} failed${stored}`, 1, result.message, "failed");
        toast(`${work} failed`, "error");
        await refresh();
      }
    } catch (error) {
      const text = error instanceof ApiError ? error.message : String(error.message || error);
      show("Upload refused — nothing was stored", 1, text, "failed");
      toast(text, "error");
    } finally {
      submit.disabled = false;
    }
  });
}

renderFilters();
render();
