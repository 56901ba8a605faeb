// The analysis pages: code queries and keyword-in-context search, framework matrices, and the
// report and exports as background jobs. Every number and refusal comes from the JSON API.

import { api, ApiError, el, projectId, toast } from "/static/js/common.js";

const pid = projectId();
const base = `/api/p/${pid}/analysis`;
const PAGE = 200;

function codeNames() {
  const node = document.getElementById("code-names");
  return node ? JSON.parse(node.textContent) : {};
}
const NAMES = codeNames();

// A code's own name (its full path on hover).
function codeTag(path) {
  return el("span", { class: "code-tag", title: path }, NAMES[path] || path);
}

function readerLink(document_, start, end) {
  const href = `/p/${pid}/read/${encodeURIComponent(document_)}?start=${start}&end=${end}`;
  return el("a", { href, title: `open ${document_} at this passage` }, document_);
}

function lines(textarea) {
  return textarea.value.split("\n").map((s) => s.trim()).filter(Boolean);
}

function message(error) {
  return error instanceof ApiError ? error.message : String(error);
}

// -- attribute filter help: a value chip adds a filter line ----------------------------------
document.addEventListener("click", (event) => {
  const chip = event.target.closest("[data-insert-filter]");
  if (!chip) return;
  const box = document.getElementById(chip.dataset.target);
  const value = chip.dataset.value;
  const bare = /^[\w .+-]+$/u.test(value) && value.trim() === value;
  const line = `${chip.dataset.insertFilter} = ${bare ? value : JSON.stringify(value)}`;
  box.value = box.value.trim() ? `${box.value.trim()}\n${line}` : line;
  box.focus();
});

// -- paged result tables (query and search) ---------------------------------------------------
function pagedSearch({ form, url, params, render, prefix, describe }) {
  const panel = document.getElementById(`${prefix}-results`);
  const tbody = panel.querySelector("tbody");
  const more = document.getElementById(`${prefix}-more`);
  const count = document.getElementById(`${prefix}-count`);
  const error = document.getElementById(`${prefix}-error`);
  const csv = document.getElementById(`${prefix}-csv`);
  let current = null;
  let shown = 0;

  async function load(offset) {
    const query = new URLSearchParams(current);
    query.set("limit", PAGE);
    query.set("offset", offset);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const data = await api("GET", `${url}?${query}`);
      if (offset === 0) tbody.replaceChildren();
      data.rows.forEach((row, i) => tbody.append(render(row, offset + i + 1)));
      shown = offset + data.rows.length;
      count.textContent = describe(data);
      more.hidden = shown >= data.total;
      more.textContent = `Show more (${shown} of ${data.total})`;
      const download = new URLSearchParams(current);
      download.set("format", "csv");
      csv.href = `${url}?${download}`;
      csv.hidden = data.total === 0;
      error.hidden = true;
      panel.querySelector("table").hidden = data.total === 0;
    } catch (err) {
      error.textContent = message(err);
      error.hidden = false;
      count.textContent = "";
      csv.hidden = true;
      more.hidden = true;
      panel.querySelector("table").hidden = true;
    } finally {
      button.disabled = false;
      panel.hidden = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    current = params();
    load(0);
  });
  more.addEventListener("click", () => load(shown));
}

// -- code query -------------------------------------------------------------------------------
function setupQuery(form) {
  const picker = document.getElementById("code-picker");
  const input = form.elements.expression;
  picker.addEventListener("change", () => {
    if (!picker.value) return;
    const term = `"${picker.value.replace(/["\\]/g, "\\$&")}"`;
    const at = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, at).replace(/\s+$/, "");
    const after = input.value.slice(input.selectionEnd ?? at).replace(/^\s+/, "");
    input.value = [before, term, after].filter(Boolean).join(" ");
    picker.value = "";
    input.focus();
  });
  pagedSearch({
    form,
    url: `${base}/query`,
    prefix: "query",
    params() {
      const q = new URLSearchParams();
      q.set("expression", input.value.trim());
      const coders = [...form.querySelectorAll("input[name=coder]:checked")].map((c) => c.value);
      if (coders.length) q.set("coder", coders.join(","));
      lines(form.elements.where).forEach((w) => q.append("where", w));
      if (form.elements.document.value) q.set("document", form.elements.document.value);
      form.elements.speaker.value.split(",").map((v) => v.trim()).filter(Boolean)
        .forEach((v) => q.append("speaker", v));
      q.set("subcodes", form.elements.subcodes.checked ? "true" : "false");
      return q;
    },
    describe(data) {
      const n = data.total;
      const layers = data.coder ? ` · coder layer ${data.coder.replaceAll(",", ", ")}` : "";
      return `${n} passage${n === 1 ? "" : "s"} for ${data.expression}${layers}`;
    },
    render(row, n) {
      return el(
        "tr",
        {},
        el("td", { class: "num muted" }, n),
        el("td", {}, readerLink(row.document, row.start, row.end)),
        el("td", {}, row.case || ""),
        el("td", {}, row.speaker || ""),
        el("td", { class: "passage" }, row.text),
        el("td", { class: "codes" }, row.codes.map(codeTag)),
        el("td", {}, row.coders.join(", ")),
      );
    },
  });
}

// -- keyword in context -----------------------------------------------------------------------
function setupSearch(form) {
  pagedSearch({
    form,
    url: `${base}/search`,
    prefix: "search",
    params() {
      const q = new URLSearchParams();
      q.set("q", form.elements.q.value.trim());
      lines(form.elements.where).forEach((w) => q.append("where", w));
      if (form.elements.document.value) q.set("document", form.elements.document.value);
      form.elements.speaker.value.split(",").map((v) => v.trim()).filter(Boolean)
        .forEach((v) => q.append("speaker", v));
      q.set("width", form.elements.width.value);
      return q;
    },
    describe(data) {
      const n = data.total;
      return `${n} hit${n === 1 ? "" : "s"} for ${data.query}`;
    },
    render(row) {
      return el(
        "tr",
        {},
        el("td", {}, readerLink(row.document, row.start, row.end), row.case && row.case !== row.document ? el("div", { class: "muted" }, row.case) : null),
        el("td", { class: "speaker" }, row.speaker || ""),
        el("td", { class: "kwic-left" }, el("div", {}, el("span", {}, row.left))),
        el("td", { class: "kwic-match" }, el("mark", {}, row.match)),
        el("td", { class: "kwic-right" }, el("div", {}, row.right)),
      );
    },
  });
}

// -- framework matrices: list and create ------------------------------------------------------
function setupMatrices(view) {
  const form = document.getElementById("matrix-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        name: form.elements.name.value.trim(),
        rows: form.elements.rows.value,
        columns: form.elements.columns.value,
        coder: form.elements.coder ? form.elements.coder.value || null : null,
      };
      try {
        const made = await api("POST", `${base}/matrices`, body);
        location.href = `/p/${pid}/analysis/matrix?name=${encodeURIComponent(made.name)}`;
      } catch (err) {
        toast(message(err), "error");
      }
    });
  }
  view.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-delete-matrix]");
    if (!button) return;
    const name = button.dataset.deleteMatrix;
    if (!window.confirm(`Delete the matrix "${name}" and its cell summaries?`)) return;
    try {
      await api("DELETE", `${base}/matrix?name=${encodeURIComponent(name)}`);
      button.closest("tr").remove();
      toast(`Deleted ${name}`, "ok");
    } catch (err) {
      toast(message(err), "error");
    }
  });
}

// -- route by page ----------------------------------------------------------------------------
const queryForm = document.getElementById("query-form");
if (queryForm) setupQuery(queryForm);
const searchForm = document.getElementById("search-form");
if (searchForm) setupSearch(searchForm);
const matricesView = document.getElementById("matrices-view");
if (matricesView) setupMatrices(matricesView);
const matrixView = document.getElementById("matrix-view");
if (matrixView && document.getElementById("matrix-grid")) {
  import("/static/js/analysis-matrix.js").then((m) => m.setupMatrix(matrixView));
}
const downloads = document.getElementById("downloads-view");
if (downloads) import("/static/js/analysis-jobs.js").then((m) => m.setupDownloads(downloads));
