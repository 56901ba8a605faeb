// The compare page: two coders' layers side by side, the consensus layer under them, the
// disagreements of the document in a list, a decision form, and agreement that is recomputed
// after every decision. Offsets are Unicode code points (Python str indices): the text is
// handled as an array of code points, never as UTF-16 indexes.
import { api, toast, el, projectId } from "/static/js/common.js";
import { leaf, quote, segAt, topIn, scrollPaneTo, selectionSpan } from "/static/js/compare-text.js";
import { makeStats } from "/static/js/compare-stats.js";
import * as words from "/static/js/compare-words.js";
import { decidedByField, decidedByOf, decidedBy } from "/static/js/compare-words.js";
import { when } from "/static/js/dates.js";

const root = document.getElementById("compare");
const pid = projectId();

const state = {
  data: null,
  chars: [],
  selected: null,
};

// -- words ----------------------------------------------------------------------------------
const A = () => state.data.coders[0];
const B = () => state.data.coders[1];
const isOwner = () => root.dataset.owner === "1";
const layer = () => state.data.layer;

const kindLabel = (kind) => words.kindLabel(kind, A(), B());
const kindSentence = (item) => words.kindSentence(item, A(), B());
const actionDone = (action) => words.actionDone(action, A(), B());
const actionChoices = (item) => words.actionChoices(item, A(), B());

// -- loading ---------------------------------------------------------------------------------
const stats = makeStats({
  pid,
  coders: () => state.data.coders,
  layer: () => state.data.layer,
  document: () => state.data.document,
  documents: () => state.data.documents,
  chars: () => state.chars,
  kindLabel: (k) => kindLabel(k),
  actionDone: (a) => actionDone(a),
  select: (id) => select(id),
});
const refreshStats = () => stats.refreshStats();
const refreshLog = () => stats.refreshLog();

function setData(data) {
  state.data = data;
  state.chars = Array.from(data.text);
  state.items = new Map(data.items.map((it) => [it.id, it]));
}

async function reload() {
  const q = new URLSearchParams({ document: state.data.document, coders: `${A()},${B()}` });
  if (layer()) q.set("name", layer());
  setData(await api("GET", `/api/p/${pid}/consensus/comparison?${q}`));
  render();
}

// -- panes -----------------------------------------------------------------------------------
// A coding's look: its pairing's state (open kinds; decided: kept or left out; identical).
function markClass(span, pane) {
  const item = span.item ? state.items.get(span.item) : null;
  if (pane === "c") return item && item.kind === "added" ? "c-added" : "c-in";
  if (!item) return "k-none";
  if (item.state === "open") return item.kind === "only_a" || item.kind === "only_b" ? "k-only" : `k-${item.kind}`;
  if (item.state === "agreed") return "k-agreed";
  const kept = item.results.some((r) => r.code_id === span.code_id && r.start === span.start && r.end === span.end);
  return kept ? "d-kept" : "d-dropped";
}

// One pane: the text cut at every coding boundary and every line break; each piece holds
// the codings over it as nested marks, the longest outermost, so overlapping codings show as
// stacked underlines, each in its own code colour and pairing state.
function renderPane(node, spans, pane) {
  node.replaceChildren();
  const chars = state.chars;
  const cuts = new Set([0, chars.length]);
  for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
  chars.forEach((ch, i) => { if (ch === "\n") cuts.add(i + 1); });
  const points = [...cuts].filter((p) => p >= 0 && p <= chars.length).sort((x, y) => x - y);
  const frag = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i += 1) {
    const p = points[i], q = points[i + 1];
    for (const s of spans) {
      if (s.start === p) {
        frag.append(el("span", {
          class: `chip code-${s.code_id} ${markClass(s, pane)}`,
          dataset: { item: s.item || "" },
          title: `${s.code} (${paneWho(pane)})`,
          "aria-hidden": "true",
        }, leaf(s.code)));
      }
    }
    const text = chars.slice(p, q).join("");
    const covering = spans.filter((s) => s.start <= p && s.end >= q)
      .sort((x, y) => (y.end - y.start) - (x.end - x.start) || x.start - y.start || x.id - y.id);
    if (!covering.length) {
      frag.append(el("span", { class: "seg", dataset: { s: p } }, text));
      continue;
    }
    let inner = text;
    covering.slice().reverse().forEach((s, depth) => {
      inner = el("mark", {
        class: `hl code-${s.code_id} ${markClass(s, pane)} lv-${Math.min(depth, 3)}`,
        dataset: { items: s.item || "" },
        title: `${s.code} (${paneWho(pane)}; characters ${s.start}–${s.end})`,
      }, inner);
    });
    inner.classList.add("seg");
    inner.dataset.s = String(p);
    frag.append(inner);
  }
  node.append(frag);
}

function paneWho(pane) {
  return pane === "a" ? A() : pane === "b" ? B() : "consensus";
}

function renderPanes() {
  const d = state.data;
  renderPane(document.getElementById("pane-a"), d.coder_a, "a");
  renderPane(document.getElementById("pane-b"), d.coder_b, "b");
  document.getElementById("count-a").textContent = `${d.coder_a.length} codings`;
  document.getElementById("count-b").textContent = `${d.coder_b.length} codings`;
  const c = document.getElementById("pane-c");
  if (layer() && c) {
    renderPane(c, d.consensus, "c");
    document.getElementById("count-c").textContent = `${d.consensus.length} codings`;
  }
  markSelected();
}

function markSelected() {
  for (const node of root.querySelectorAll(".sel")) node.classList.remove("sel");
  const id = state.selected;
  if (!id) return;
  for (const node of root.querySelectorAll(".pane-text [data-items], .pane-text .chip")) {
    const ids = (node.dataset.items ?? node.dataset.item ?? "").split(" ");
    if (ids.includes(id)) node.classList.add("sel");
  }
  const li = document.querySelector(`#item-list li[data-id="${CSS.escape(id)}"]`);
  if (li) li.classList.add("sel");
}

// programmatic scrolling fires scroll events too: ignore them for a moment
let quietUntil = 0;
const quiet = () => { quietUntil = performance.now() + 120; };
function scrollAllTo(item) {
  quiet();
  for (const id of ["pane-a", "pane-b", "pane-c"]) {
    const pane = document.getElementById(id);
    if (!pane || !pane.classList.contains("pane-text")) continue;
    const own = [...pane.querySelectorAll("[data-items]")].find((n) => n.dataset.items.split(" ").includes(item.id));
    scrollPaneTo(pane, own || segAt(pane, item.start));
  }
}

function setupSync() {
  const panes = ["pane-a", "pane-b", "pane-c"].map((id) => document.getElementById(id)).filter((p) => p && p.classList.contains("pane-text"));
  for (const pane of panes) {
    pane.addEventListener("scroll", () => {
      if (performance.now() < quietUntil || !document.getElementById("sync").checked) return;
      const box = pane.getBoundingClientRect();
      const top = [...pane.querySelectorAll(".seg")].find((s) => s.getBoundingClientRect().bottom > box.top);
      if (!top) return;
      const shift = top.getBoundingClientRect().top - box.top;
      quiet();
      for (const other of panes) {
        if (other !== pane) {
          const seg = segAt(other, Number(top.dataset.s));
          if (seg) other.scrollTop = topIn(other, seg) - shift;
        }
      }
    });
  }
}

// -- lists -----------------------------------------------------------------------------------
function renderDocs() {
  const list = document.getElementById("doc-list");
  list.replaceChildren();
  for (const d of state.data.documents) {
    const q = new URLSearchParams({ a: A(), b: B(), document: d.document });
    if (layer()) q.set("layer", layer());
    const current = d.document === state.data.document;
    list.append(el("li", { class: current ? "current" : "" },
      el("a", { href: `/p/${pid}/compare?${q}`, "aria-current": current ? "page" : null }, d.document),
      el("span", { class: "counts" },
        el("span", { class: `n-open${d.open ? "" : " zero"}`, title: "open disagreements" }, String(d.open)),
        el("span", { class: "n-decided", title: "decided" }, String(d.decided)),
        el("span", { class: "n-agreed", title: "identical codings" }, String(d.agreed)))));
  }
}

function visibleItems() {
  const show = {
    open: document.getElementById("show-open").checked,
    decided: document.getElementById("show-decided").checked,
    agreed: document.getElementById("show-agreed").checked,
  };
  return state.data.items.filter((it) => show[it.state]);
}

function renderItems() {
  const list = document.getElementById("item-list");
  list.replaceChildren();
  const items = visibleItems();
  const open = state.data.items.filter((it) => it.state === "open").length;
  document.getElementById("item-count").textContent = `${open} open of ${state.data.items.filter((i) => i.state !== "agreed").length}`;
  for (const it of items) {
    const look = it.state === "open" ? (it.kind.startsWith("only_") ? "k-only" : `k-${it.kind}`) : it.state === "agreed" ? "k-agreed" : "decided";
    const badge = it.state === "open" ? "open" : it.state === "agreed" ? "identical" : actionDone(it.action);
    const text = (it.a && it.a.text) || (it.b && it.b.text) || state.chars.slice(it.start, it.end).join("");
    list.append(el("li", { class: `item ${look} st-${it.state}`, dataset: { id: it.id, state: it.state } },
      el("button", { type: "button", class: "item-btn", onclick: () => select(it.id) },
        el("span", { class: "item-top" },
          el("span", { class: "kind" }, kindLabel(it.kind)),
          el("span", { class: `state state-${it.state}` }, badge)),
        el("span", { class: "item-code" }, codesOf(it)),
        el("span", { class: "item-quote" }, `“${quote(text)}”`))));
  }
  if (!items.length) list.append(el("li", { class: "hint" }, "Nothing to show with these filters."));
  markSelected();
}

function codesOf(it) {
  if (it.a && it.b && it.a.code_id !== it.b.code_id) return `${leaf(it.a.code)} ≠ ${leaf(it.b.code)}`;
  return leaf(it.code);
}

// -- selecting and deciding ---------------------------------------------------------------------
function select(id, { scroll = true } = {}) {
  const item = state.items.get(id);
  if (!item) return;
  state.selected = id;
  markSelected();
  renderDecision();
  if (scroll) scrollAllTo(item);
}

function sideBox(side, who, cls) {
  if (!side) return el("div", { class: `side ${cls} empty` }, el("div", { class: "side-who" }, who), el("p", { class: "muted" }, "did not code this here"));
  return el("div", { class: `side ${cls}` },
    el("div", { class: "side-who" }, who, " ", el("span", { class: `chip code-${side.code_id}`, title: side.code }, leaf(side.code))),
    el("blockquote", {}, quote(side.text, 400)),
    el("div", { class: "hint" }, `${side.code} · characters ${side.start}–${side.end}`));
}

function codeOptions(select, preferred = []) {
  select.replaceChildren(el("option", { value: "" }, "— choose a code —"));
  const pref = preferred.filter(Boolean);
  if (pref.length) {
    const group = el("optgroup", { label: "The coders' codes" });
    for (const p of pref) group.append(el("option", { value: p }, p));
    select.append(group);
  }
  const all = el("optgroup", { label: "Codebook" });
  for (const c of state.data.codes) all.append(el("option", { value: c.path }, c.path));
  select.append(all);
}

function renderDecision() {
  const box = document.getElementById("decision");
  const item = state.items.get(state.selected);
  box.replaceChildren(el("h2", {}, "Decision"));
  if (!item) {
    box.append(el("p", { class: "hint" }, "Choose a disagreement in the list or click a highlight."));
    return;
  }
  box.append(
    el("p", { class: `kind-line ${item.state === "open" ? "" : "done"}` },
      el("span", { class: `tag tag-${item.kind}` }, kindLabel(item.kind)), " ", kindSentence(item)),
    el("div", { class: "sides" }, sideBox(item.a, A(), "side-a"), sideBox(item.b, B(), "side-b")));
  if (item.kind === "added" && !item.a && !item.b) {
    box.append(el("blockquote", {}, quote(state.chars.slice(item.start, item.end).join(""), 400)));
  }
  const related = state.data.items.filter((o) => o.id !== item.id && o.state !== "agreed" && o.start < item.end && item.start < o.end);
  if (related.length) {
    const links = [];
    for (const o of related) {
      if (links.length) links.push(", ");
      links.push(el("button", { type: "button", class: "link", onclick: () => select(o.id) }, `${kindLabel(o.kind)}: ${codesOf(o)} (${o.state === "open" ? "open" : actionDone(o.action)})`));
    }
    box.append(el("p", { class: "hint related" }, "Over the same text: ", ...links));
  }
  if (item.state !== "open") {
    const what = item.state === "agreed"
      ? el("p", { class: "verdict agreed" }, "Identical in both layers: in the consensus", item.decision ? ` (decision ${item.decision}).` : " once the layer is started.")
      : el("div", { class: "verdict decided" },
        el("p", {}, el("strong", {}, `Decided: ${actionDone(item.action)}`),
          item.decided_by ? ` by ${item.decided_by}` : "", item.decided_at ? `, ${when(item.decided_at)}` : "",
          el("span", { class: "hint" }, ` (decision #${item.decision})`)),
        item.reason ? el("p", { class: "reason" }, `“${item.reason}”`) : el("p", { class: "hint" }, "No reason given."),
        el("p", { class: "hint" }, item.results.length
          ? `In the consensus: ${item.results.map((r) => `${leaf(r.code)} (characters ${r.start}–${r.end})`).join("; ")}`
          : "Nothing of it is in the consensus."));
    box.append(what);
  }
  if (!isOwner()) {
    box.append(el("p", { class: "hint" }, "Only the project's owners record consensus decisions."));
    return;
  }
  if (!layer()) {
    box.append(el("p", { class: "hint" }, "Start the consensus layer (under the panes) to record decisions."));
    return;
  }
  if (item.state === "open") box.append(decisionForm(item, false));
  else if (item.state === "agreed") {
    if (item.decision) box.append(overturnForm(item, false));
  } else {
    const again = el("details", { class: "revise" }, el("summary", {}, "Change this decision…"), decisionForm(item, true));
    box.append(again);
  }
  const next = nextOpen(item.id);
  if (next) box.append(el("p", {}, el("button", { type: "button", class: "link", onclick: () => select(next.id) }, "Next open disagreement →")));
}

function overturnForm(item, revise) {
  const form = el("form", { class: "stack decide-form", id: "overturn-form" },
    el("label", {}, "Reason (required)", el("textarea", { name: "reason", required: true, maxlength: "10000", placeholder: "Why the code does not apply here" })),
    decidedByField(),
    el("button", { type: "submit", class: "danger" }, "Overturn: remove it from the consensus"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = form.elements.reason.value.trim();
    if (!reason) { toast("Overturning needs a reason.", "error"); return; }
    const body = { disagreement: item.id, reason, revise, name: layer(), decided_by: decidedByOf(form) };
    await submit(() => api("POST", `/api/p/${pid}/consensus/overturn`, body), form, "Overturned.");
  });
  return el("div", { class: "overturn" }, el("h3", {}, "Overturn"), form);
}

function decisionForm(item, revise) {
  const choices = actionChoices(item);
  const differ = item.a && item.b && item.a.code_id !== item.b.code_id;
  const fieldset = el("fieldset", { class: "actions" }, el("legend", {}, revise ? "New decision" : "What goes into the consensus?"));
  for (const [value, label] of choices) {
    fieldset.append(el("label", { class: "choice" }, el("input", { type: "radio", name: "action", value, required: true }), label));
  }
  const code = el("select", { name: "code", class: "code-select" });
  codeOptions(code, [item.a && item.a.code, item.b && item.b.code, item.kind === "added" ? item.code : null]);
  const start = el("input", { type: "number", name: "start", min: "0", value: String(item.start) });
  const end = el("input", { type: "number", name: "end", min: "1", value: String(item.end) });
  const extra = el("div", { class: "extra", hidden: true },
    el("div", { class: "span-inputs" }, el("label", {}, "Start", start), el("label", {}, "End", end)),
    el("p", { class: "hint" }, "Select text in the consensus pane to fill the span."),
    el("label", { class: "code-label" }, differ || item.kind === "added" ? "Code" : "Code (leave empty to keep it)", code));
  const reason = el("textarea", { name: "reason", maxlength: "10000", placeholder: "Why (goes into the decision log)" });
  const reasonLabel = el("label", {}, el("span", { class: "reason-label" }, "Reason"), reason);
  const form = el("form", { class: "stack decide-form", id: revise ? "revise-form" : "decide-form" },
    fieldset, extra, reasonLabel, decidedByField(),
    el("button", { type: "submit", class: "primary" }, revise ? "Replace the decision" : "Record decision"));
  const update = () => {
    const action = form.elements.action.value;
    extra.hidden = !(action === "edit" || (action === "merge" && differ));
    extra.querySelector(".span-inputs").hidden = action !== "edit";
    extra.querySelector(".hint").hidden = action !== "edit";
    reason.required = action === "overturn";
    reasonLabel.querySelector(".reason-label").textContent = action === "overturn" ? "Reason (required)" : "Reason";
  };
  form.addEventListener("change", update);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = form.elements.action.value;
    if (!action) { toast("Choose what goes into the consensus.", "error"); return; }
    const body = { disagreement: item.id, action, reason: reason.value.trim(), revise, name: layer(), decided_by: decidedByOf(form) };
    if (action === "edit") {
      body.start = Number(start.value);
      body.end = Number(end.value);
    }
    if ((action === "edit" || action === "merge") && code.value) body.code = code.value;
    if (action === "overturn") {
      if (!body.reason) { toast("Overturning needs a reason.", "error"); return; }
      await submit(() => api("POST", `/api/p/${pid}/consensus/overturn`, { disagreement: item.id, reason: body.reason, revise, name: layer(), decided_by: body.decided_by }), form, "Overturned.");
      return;
    }
    await submit(() => api("POST", `/api/p/${pid}/consensus/decisions`, body), form, `Decided: ${actionDone(action)}.`);
  });
  form.dataset.spanTarget = "1";
  return form;
}

async function submit(call, form, message) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await call();
    toast(message, "ok");
    await reload();
    select(state.selected);
    refreshStats();
    refreshLog();
  } catch (err) {
    toast(err.message, "error");
    button.disabled = false;
  }
}

function nextOpen(afterId, step = 1) {
  const items = state.data.items;
  const at = items.findIndex((it) => it.id === afterId);
  for (let k = 1; k <= items.length; k += 1) {
    const it = items[(at + step * k + items.length * 2) % items.length];
    if (it.state === "open") return it;
  }
  return null;
}

// -- selecting text in the consensus pane ---------------------------------------------------------
function setupSelection() {
  const pane = document.getElementById("pane-c");
  if (!pane || !pane.classList.contains("pane-text")) return;
  pane.addEventListener("mouseup", () => {
    const span = selectionSpan(pane);
    if (!span) return;
    const [s, e] = span;
    // adjusting a span: the selection is the new span; otherwise it is a coding to add
    const form = document.querySelector("form[data-span-target]");
    if (form && form.elements.action && form.elements.action.value === "edit") {
      form.elements.start.value = s;
      form.elements.end.value = e;
      return;
    }
    const add = document.getElementById("add-form");
    if (add) {
      add.elements.start.value = s;
      add.elements.end.value = e;
      openAdd();
      document.getElementById("add-selection").textContent = `Selected: “${quote(state.chars.slice(s, e).join(""), 120)}” (${s}–${e})`;
    }
  });
}

// -- clicks in the panes --------------------------------------------------------------------------
function setupPaneClicks() {
  for (const id of ["pane-a", "pane-b", "pane-c"]) {
    const pane = document.getElementById(id);
    if (!pane || !pane.classList.contains("pane-text")) continue;
    pane.addEventListener("click", (event) => {
      if (id === "pane-c" && !window.getSelection().isCollapsed) return;
      const target = event.target.closest("[data-items], .chip");
      if (!target) return;
      const ids = [];
      if (target.classList.contains("chip")) ids.push(target.dataset.item);
      for (let m = target; m && m !== pane; m = m.parentElement) {
        if (m.dataset.items) ids.push(...m.dataset.items.split(" "));
      }
      for (const m of target.querySelectorAll("[data-items]")) ids.push(...m.dataset.items.split(" "));
      ids.splice(0, ids.length, ...new Set(ids.filter(Boolean)));
      if (!ids.length) return;
      // several pairings here: cycle through them, open ones first
      ids.sort((x, y) => (state.items.get(x)?.state === "open" ? 0 : 1) - (state.items.get(y)?.state === "open" ? 0 : 1));
      const at = ids.indexOf(state.selected);
      select(ids[(at + 1) % ids.length], { scroll: false });
      const li = document.querySelector(`#item-list li[data-id="${CSS.escape(state.selected)}"]`);
      if (li) li.scrollIntoView({ block: "nearest" });
    });
  }
}

// -- adding and starting ------------------------------------------------------------------------
function openAdd() {
  const card = document.getElementById("add-card");
  if (!card) return;
  card.open = true;
  card.scrollIntoView({ block: "nearest" });
}

function setupAdd() {
  const form = document.getElementById("add-form");
  if (!form) return;
  document.getElementById("open-add").addEventListener("click", () => {
    openAdd();
    form.elements.start.focus();
  });
  codeOptions(form.elements.code);
  form.elements.decided_by.value = decidedBy();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      document: state.data.document,
      code: form.elements.code.value,
      start: Number(form.elements.start.value),
      end: Number(form.elements.end.value),
      reason: form.elements.reason.value.trim(),
      name: layer(),
      decided_by: decidedByOf(form),
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const row = await api("POST", `/api/p/${pid}/consensus/additions`, body);
      toast(`Added ${leaf(body.code)} to the consensus.`, "ok");
      form.reset();
      form.elements.decided_by.value = decidedBy();
      document.getElementById("add-selection").textContent = "Select the passage in the consensus pane, or give its span.";
      await reload();
      select(row.disagreement);
      refreshStats();
      refreshLog();
    } catch (err) {
      toast(err.message, "error");
    } finally {
      button.disabled = false;
    }
  });
}

function setupStart() {
  const form = document.getElementById("start-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const s = await api("POST", `/api/p/${pid}/consensus/start`, { coders: [A(), B()], name });
      toast(`Started “${s.layer}”: ${s.agreed} identical codings in, ${s.open} disagreements open.`, "ok");
      const q = new URLSearchParams({ a: A(), b: B(), document: state.data.document, layer: s.layer });
      window.location.assign(`/p/${pid}/compare?${q}`);
    } catch (err) {
      toast(err.message, "error");
      button.disabled = false;
    }
  });
}

// -- keys and start-up --------------------------------------------------------------------------
function setupKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const items = visibleItems();
    const at = items.findIndex((it) => it.id === state.selected);
    if (event.key === "j" && items.length) select(items[Math.min(items.length - 1, at + 1)].id);
    else if (event.key === "k" && items.length) select(items[Math.max(0, at - 1)].id);
    else if (event.key === "n") {
      const next = nextOpen(state.selected);
      if (next) select(next.id);
    } else return;
    event.preventDefault();
  });
}

function render() {
  renderDocs();
  renderItems();
  renderPanes();
  renderDecision();
}

function init() {
  setData(JSON.parse(document.getElementById("comparison-data").textContent));
  for (const id of ["show-open", "show-decided", "show-agreed"]) document.getElementById(id).addEventListener("change", renderItems);
  document.getElementById("stats-scope").addEventListener("change", (e) => stats.setScope(e.target.value));
  document.getElementById("stats-unit").addEventListener("change", (e) => stats.setUnit(e.target.value));
  const logBox = document.getElementById("log-box");
  if (logBox) logBox.addEventListener("toggle", refreshLog);
  setupPaneClicks();
  setupSelection();
  setupSync();
  setupAdd();
  setupStart();
  setupKeys();
  render();
  const first = state.data.items.find((it) => it.state === "open");
  if (first) select(first.id);
  refreshStats();
}

if (root) init();
