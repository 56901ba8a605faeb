// A framework matrix: the grid of rows x columns; a cell opens a panel with its summary
// (owners edit it in place; saved when the box loses focus, the last save wins) and the
// passages linked to it, with the coded passages that may be linked.

import { api, ApiError, el, projectId, toast } from "/static/js/common.js";
import { when } from "/static/js/dates.js";

const pid = projectId();
const base = `/api/p/${pid}/analysis`;
const NAMES = JSON.parse(document.getElementById("code-names")?.textContent || "{}");

function message(error) {
  return error instanceof ApiError ? error.message : String(error);
}

function readerLink(doc, start, end) {
  const href = `/p/${pid}/read/${encodeURIComponent(doc)}?start=${start}&end=${end}`;
  return el("a", { href }, doc);
}

let LABELS = {};

// A column's heading: the theme's or code's own name (its full path on hover).
function label(column) {
  return LABELS[column] || NAMES[column] || column;
}

export async function setupMatrix(view) {
  const name = view.dataset.matrix;
  const editable = view.dataset.editable === "1";
  const grid = document.getElementById("matrix-grid");
  const panel = document.getElementById("cell-panel");
  const summary = document.getElementById("cell-summary");
  const saved = document.getElementById("cell-saved");
  let matrix = null;
  let cells = new Map();
  let open = null; // the cell shown in the panel
  const key = (row, column) => `${row}\u0000${column}`;

  async function load() {
    try {
      matrix = await api("GET", `${base}/matrix?name=${encodeURIComponent(name)}`);
    } catch (err) {
      toast(message(err), "error");
      return;
    }
    cells = new Map(matrix.cells.map((c) => [key(c.row, c.column), c]));
    LABELS = Object.fromEntries(matrix.columns.map((c) => [c.key, c.label]));
    const what = matrix.rows_spec === "cases" ? "cases" : matrix.rows_spec.replace("attribute:", "values of ");
    document.getElementById("matrix-meta").textContent =
      `Rows: ${what} · columns: ${matrix.columns_spec} · coder layer: ${matrix.coder || "default"}` +
      (matrix.notes.length ? ` · ${matrix.notes.join("; ")}` : "");
    draw();
  }

  function cellBody(cell) {
    const counts = el(
      "span",
      { class: "counts", title: `${cell.coded} passage(s) coded, ${cell.links.length} linked` },
      `${cell.coded}`,
      el("span", { class: "sep" }, " · "),
      `${cell.links.length}`,
    );
    const text = cell.summary
      ? el("div", { class: "summary" }, cell.summary)
      : el("div", { class: "summary empty" }, editable ? "+ summary" : "");
    return [counts, text];
  }

  function draw() {
    const head = el("thead");
    if (matrix.groups.length > 1) {
      const groups = el("tr", { class: "groups" }, el("th", { class: "corner" }));
      let last = null;
      for (const col of matrix.columns) {
        if (last && last.dataset.group === col.group) {
          last.colSpan += 1;
        } else {
          last = el("th", { class: "group", dataset: { group: col.group }, scope: "colgroup" }, col.group);
          groups.append(last);
        }
      }
      head.append(groups);
    }
    const titles = el("tr", {}, el("th", { class: "corner" }, matrix.rows_spec === "cases" ? "Case" : matrix.rows_spec.replace("attribute:", "")));
    for (const col of matrix.columns) {
      titles.append(el("th", { class: `col${col.sub ? " sub" : ""}`, title: col.key, scope: "col" }, col.sub ? "↳ " : "", label(col.key)));
    }
    head.append(titles);
    const body = el("tbody");
    for (const row of matrix.rows) {
      const tr = el("tr", {}, el("th", { scope: "row", class: "row-key" }, row));
      for (const col of matrix.columns) {
        const cell = cells.get(key(row, col.key));
        const td = el(
          "td",
          {
            class: `cell${cell.coded ? "" : " uncoded"}${open === cell ? " open" : ""}`,
            tabindex: "0",
            role: "button",
            "aria-label": `${row} × ${label(col.key)}`,
            dataset: { row, column: col.key },
          },
          cellBody(cell),
        );
        tr.append(td);
      }
      body.append(tr);
    }
    grid.replaceChildren(head, body);
    scrollHint();
  }

  // a matrix wider than the page scrolls sideways in its frame: say so when it does
  function scrollHint() {
    const wrap = grid.closest(".matrix-wrap");
    const hint = document.getElementById("matrix-scroll-hint");
    if (wrap && hint) hint.hidden = wrap.scrollWidth <= wrap.clientWidth + 1;
  }
  window.addEventListener("resize", scrollHint);

  function excerptItem(ex, action) {
    return el(
      "li",
      {},
      el("blockquote", {}, ex.text),
      el(
        "div",
        { class: "excerpt-meta" },
        readerLink(ex.document, ex.start, ex.end),
        ex.speaker ? ` · ${ex.speaker}` : "",
        " · ",
        el("span", { class: "code-tag", title: ex.code }, NAMES[ex.code] || ex.code),
        action,
      ),
    );
  }

  async function change(body) {
    const cell = await api("PUT", `${base}/matrix/cell`, {
      matrix: name,
      row: open.row,
      column: open.column,
      ...body,
    });
    Object.assign(open, {
      summary: cell.summary,
      links: cell.links,
      excerpts: cell.excerpts,
      author: cell.author,
      updated_at: cell.updated_at,
    });
    return cell;
  }

  async function showPanel(cell) {
    open = cell;
    panel.hidden = false;
    document.getElementById("cell-title").textContent = `${cell.row} × ${label(cell.column)}`;
    summary.value = cell.summary;
    saved.textContent = cell.author ? `Last written by ${cell.author}${cell.updated_at ? `, ${when(cell.updated_at)}` : ""}.` : "";
    renderLinks();
    draw();
    panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
    if (editable) await renderCandidates();
  }

  function renderLinks() {
    const list = document.getElementById("cell-linked");
    document.getElementById("cell-linked-count").textContent = `(${open.excerpts.length})`;
    list.replaceChildren(
      ...open.excerpts.map((ex) =>
        excerptItem(
          ex,
          editable
            ? el("button", { type: "button", class: "small link-action", onclick: () => relink([], [ex.coding_id]) }, "Unlink")
            : null,
        ),
      ),
    );
    if (!open.excerpts.length) list.append(el("li", { class: "muted none" }, "No passage linked yet."));
  }

  async function renderCandidates() {
    const list = document.getElementById("cell-candidates");
    const count = document.getElementById("cell-candidate-count");
    list.replaceChildren(el("li", { class: "muted none" }, "Loading…"));
    const q = new URLSearchParams({ name, row: open.row, column: open.column });
    try {
      const data = await api("GET", `${base}/matrix/candidates?${q}`);
      const free = data.rows.filter((c) => !c.linked);
      count.textContent = `(${free.length})`;
      list.replaceChildren(
        ...free.map((c) =>
          excerptItem(c, el("button", { type: "button", class: "small link-action", onclick: () => relink([c.coding_id], []) }, "Link")),
        ),
      );
      if (!free.length) list.append(el("li", { class: "muted none" }, "No other coded passage in this cell."));
    } catch (err) {
      list.replaceChildren(el("li", { class: "error-message" }, message(err)));
    }
  }

  async function relink(link, unlink) {
    try {
      await change({ link, unlink });
      renderLinks();
      draw();
      await renderCandidates();
    } catch (err) {
      toast(message(err), "error");
    }
  }

  async function saveSummary() {
    if (!editable || !open || summary.value.trim() === (open.summary || "")) return;
    try {
      const cell = await change({ summary: summary.value });
      saved.textContent = `Saved (${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}).`;
      draw();
    } catch (err) {
      saved.textContent = "";
      toast(message(err), "error");
    }
  }

  grid.addEventListener("click", (event) => {
    const td = event.target.closest("td.cell");
    if (td) openCell(td);
  });
  grid.addEventListener("keydown", (event) => {
    const td = event.target.closest("td.cell");
    if (td && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      openCell(td);
    }
  });
  async function openCell(td) {
    await saveSummary();
    showPanel(cells.get(key(td.dataset.row, td.dataset.column)));
  }
  summary.addEventListener("blur", saveSummary);
  document.getElementById("cell-close").addEventListener("click", async () => {
    await saveSummary();
    panel.hidden = true;
    open = null;
    draw();
  });
  await load();
}
