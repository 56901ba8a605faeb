// The code picker: search-as-you-type over the codebook (names first, then paths, then
// definitions, with the matching words shown), recent codes on 1-9, and -- only when asked for
// explicitly, by a click or Ctrl+Enter -- a new code (created, or proposed to the owners) or an
// in-vivo code named after the selected words. Enter applies the highlighted existing code and
// never creates one.

import { el } from "/static/js/common.js";

const SEP = " › ";

// How well a code matches the search terms: [tier, rank] (lower first) or null.
// Tier 0: every term in the name; 1: in the path (a parent's name); 2: in the definition too.
export function match(code, terms) {
  const name = code.name.toLowerCase();
  const path = code.path.toLowerCase();
  const first = terms[0];
  if (terms.every((t) => name.includes(t))) {
    if (name === terms.join(" ")) return [0, 0];
    if (name.startsWith(first)) return [0, 1];
    if (name.split(/[\s/-]+/).some((w) => w.startsWith(first))) return [0, 2];
    return [0, 3];
  }
  if (terms.every((t) => path.includes(t))) return [1, 0];
  const all = `${path} ${(code.definition || "").toLowerCase()}`;
  if (terms.every((t) => all.includes(t))) return [2, 0];
  return null;
}

// The text with the first occurrence of each search term in bold (built as text nodes).
function marked(text, terms) {
  const lower = text.toLowerCase();
  const spans = [];
  for (const t of terms) {
    const at = lower.indexOf(t);
    if (at >= 0) spans.push([at, at + t.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const out = [];
  let pos = 0;
  for (const [s, e] of spans) {
    if (s < pos) continue;
    if (s > pos) out.push(text.slice(pos, s));
    out.push(el("b", {}, text.slice(s, e)));
    pos = e;
  }
  out.push(text.slice(pos));
  return out;
}

// The words of a definition around the first search term found in it, with "…" where cut.
export function snippet(text, terms, before = 38, after = 70) {
  const lower = text.toLowerCase();
  const hits = terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0);
  if (!hits.length) return text.length > before + after ? text.slice(0, before + after) + "…" : text;
  const at = Math.min(...hits);
  let s = Math.max(0, at - before);
  let e = Math.min(text.length, at + after);
  if (s > 0) { const space = text.indexOf(" ", s); if (space >= 0 && space < at) s = space + 1; }
  if (e < text.length) { const space = text.lastIndexOf(" ", e); if (space > at) e = space; }
  return `${s > 0 ? "…" : ""}${text.slice(s, e)}${e < text.length ? "…" : ""}`;
}

export class Picker {
  constructor({ codes, mayCreate, recent }) {
    this.codes = codes;
    this.mayCreate = mayCreate;
    this.recent = recent;
    this.items = [];
    this.active = -1;
    this.input = el("input", {
      type: "text", class: "picker-input", placeholder: "Type part of a code's name or definition…",
      "aria-label": "Find a code", role: "combobox", "aria-expanded": "true",
      "aria-controls": "picker-list", autocomplete: "off", spellcheck: "false",
    });
    this.list = el("ul", { class: "picker-list", id: "picker-list", role: "listbox", "aria-label": "Codes" });
    this.definition = el("div", { class: "picker-def", "aria-live": "polite" });
    this.hint = el("div", { class: "picker-hint", id: "picker-hint", role: "status", hidden: true });
    this.title = el("div", { class: "picker-title" });
    this.inVivo = el("button", { type: "button", class: "small invivo", id: "picker-invivo", hidden: true, onclick: () => this.doInVivo() }, "❝ In vivo");
    this.excerpt = el("div", { class: "picker-excerpt" });
    this.box = el(
      "div",
      { class: "picker", id: "picker", role: "dialog", "aria-label": "Code picker", hidden: true },
      el("div", { class: "picker-head" }, this.title, this.inVivo),
      this.excerpt, this.input, this.hint, this.list, this.definition,
      el("div", { class: "picker-keys" }, "↑↓ choose · Enter apply · Ctrl+Enter new code · 1–9 recent · Esc close"),
    );
    document.body.append(this.box);
    this.input.addEventListener("input", () => { this.refresh(true); });
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    this.box.addEventListener("mousedown", (event) => {
      if (event.target !== this.input) event.preventDefault(); // keep focus in the input
    });
  }

  get isOpen() { return !this.box.hidden; }

  // options: {title, excerpt, anchor: DOMRect, create: bool, inVivo: string|null, exclude: id,
  //           onChoose(item), onClose()}
  open(options) {
    this.options = options;
    this.title.textContent = options.title;
    this.excerpt.textContent = options.excerpt || "";
    this.excerpt.hidden = !options.excerpt;
    const vivo = Boolean(options.inVivo && options.create);
    this.inVivo.hidden = !vivo;
    if (vivo) {
      this.inVivo.title = this.mayCreate
        ? `A new code named after the selected words: “${options.inVivo}”`
        : `Propose to the owners a code named after the selected words: “${options.inVivo}”`;
    }
    this.input.value = "";
    this.box.hidden = false;
    this.refresh(true);
    this.place(options.anchor);
    this.input.focus();
  }

  close() {
    if (this.box.hidden) return;
    this.box.hidden = true;
    if (this.options && this.options.onClose) this.options.onClose();
  }

  // Below the passage when there is room, else above it, growing upwards from it, so the
  // picker never covers the words being coded.
  place(anchor) {
    const box = this.box;
    const width = box.offsetWidth || 460;
    const rect = anchor || { left: window.innerWidth / 2 - width / 2, top: 100, bottom: 100 };
    const below = window.innerHeight - rect.bottom - 16;
    const above = rect.top - 16;
    box.style.left = `${Math.min(Math.max(8, rect.left), window.innerWidth - width - 8)}px`;
    if (below >= 460 || below >= above) {
      box.style.top = `${rect.bottom + 8}px`;
      box.style.bottom = "auto";
      box.style.maxHeight = `${Math.min(560, below)}px`;
    } else {
      box.style.top = "auto";
      box.style.bottom = `${window.innerHeight - rect.top + 8}px`;
      box.style.maxHeight = `${Math.min(560, above)}px`;
    }
  }

  // (the page adds codes made while it is open to the same list)
  recentCodes() {
    const byId = new Map(this.codes.map((c) => [c.id, c]));
    return this.recent().map((id) => byId.get(id)).filter(Boolean);
  }

  query() { return this.input.value.trim().replace(/\s+/g, " "); }

  // reset: choose the default highlight again (after typing, on opening)
  refresh(reset = false) {
    const query = this.query();
    const terms = query.toLowerCase().split(" ").filter(Boolean);
    const items = [];
    const exclude = this.options && this.options.exclude;
    if (!terms.length) {
      this.recentCodes().forEach((code, i) => { if (code.id !== exclude) items.push({ kind: "code", code, key: String(i + 1), recent: true }); });
      for (const code of this.codes) if (code.id !== exclude) items.push({ kind: "code", code, tree: true });
    } else {
      const found = [];
      this.codes.forEach((code, order) => {
        const m = code.id === exclude ? null : match(code, terms);
        if (m) found.push([m[0], m[1], order, code]);
      });
      found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
      for (const [tier, , , code] of found.slice(0, 60)) items.push({ kind: "code", code, tier });
      const exact = this.codes.some((c) => c.name.toLowerCase() === query.toLowerCase() && !c.parent_id);
      if (this.options.create && !exact && query.length <= 300) items.push({ kind: "create", name: query });
    }
    this.items = items;
    if (reset) {
      this.hideHint();
      // the default highlight: a recent code, or the best match for what was typed; never a
      // category (nor a new code) the person did not ask for
      const parents = new Set(this.codes.map((c) => c.parent_id));
      const category = (code) => !code.parent_id && parents.has(code.id);
      const first = items.findIndex((x) => x.kind === "code" && (terms.length || (x.recent && !category(x.code))));
      this.active = first;
    }
    this.active = Math.min(this.active, items.length - 1);
    this.draw(terms);
  }

  draw(terms) {
    const rows = [];
    const hasRecent = this.items.some((x) => x.recent);
    let section = null;
    this.items.forEach((item, i) => {
      let heading = null;
      if (item.kind === "code") {
        if (item.recent) heading = "Recent";
        else if (item.tree) heading = hasRecent ? "All codes" : null;
        else if (item.tier === 1) heading = "Found in a parent's name";
        else if (item.tier === 2) heading = "Found in definitions";
      }
      if (heading && heading !== section) rows.push(el("li", { class: "sep", role: "presentation" }, heading));
      if (item.kind === "code") section = heading;
      rows.push(this.row(item, i, terms));
    });
    if (!this.items.some((x) => x.kind === "code")) {
      const q = this.query();
      rows.unshift(el("li", { class: "none" }, q ? `No code matches “${q}”.` : "No code to choose."));
    }
    this.list.replaceChildren(...rows);
    this.mark();
  }

  row(item, i, terms) {
    let body;
    if (item.kind === "code") {
      const code = item.code;
      const parents = code.path.split("/").slice(0, -1);
      const showPath = parents.length && !item.tree;
      body = [
        item.key ? el("kbd", { class: "num" }, item.key) : null,
        el("span", { class: `sw code-${code.id}`, "aria-hidden": "true" }),
        el(
          "span",
          { class: "txt" },
          el("span", { class: "nm" }, terms.length ? marked(code.name, terms) : code.name),
          showPath ? el("span", { class: "pp" }, item.tier === 1 ? marked(parents.join(SEP), terms) : parents.join(SEP)) : null,
          item.tier === 2 && code.definition ? el("span", { class: "dd" }, marked(snippet(code.definition, terms), terms)) : null,
        ),
      ];
    } else {
      body = [
        el("span", { class: "plus", "aria-hidden": "true" }, "+"),
        el("span", { class: "nm" }, this.mayCreate ? `Create code “${item.name}”` : `Propose “${item.name}” to the owners`),
        el("kbd", { class: "num keys" }, "Ctrl+Enter"),
      ];
    }
    const indent = item.tree ? ` depth-${Math.min(item.code.depth, 4)}` : "";
    return el(
      "li",
      {
        id: `picker-opt-${i}`, role: "option", class: `opt opt-${item.kind}${item.recent ? " opt-recent" : ""}${indent}`,
        "aria-selected": i === this.active ? "true" : "false",
        title: item.kind === "code" ? item.code.path.split("/").join(SEP) : "",
        onmousemove: () => { if (this.active !== i) { this.active = i; this.mark(); } },
        onclick: () => { this.active = i; this.done(item); },
      },
      body,
    );
  }

  mark() {
    const options = this.list.querySelectorAll("[role=option]");
    options.forEach((node, i) => node.setAttribute("aria-selected", i === this.active ? "true" : "false"));
    const current = options[this.active];
    if (current) {
      this.input.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
    const item = this.items[this.active];
    if (item && item.kind === "code") {
      const def = item.code.definition;
      this.definition.replaceChildren(
        el("div", { class: "def-path" }, item.code.path.split("/").join(SEP)),
        def ? el("div", { class: "def-text" }, def) : el("div", { class: "def-text muted" }, "No definition yet."),
      );
    } else if (item) {
      this.definition.replaceChildren(el("div", { class: "def-text muted" },
        this.mayCreate ? "A new inductive code at the top of the codebook; an owner can move it later. Click it or press Ctrl+Enter."
          : "Only owners add codes in this project: they will see your proposal with this passage. Click it or press Ctrl+Enter."));
    } else if (this.query()) {
      this.definition.replaceChildren();
    } else {
      this.definition.replaceChildren(el("div", { class: "def-text muted" }, "Type to find a code by its name, a parent's name or words of its definition."));
    }
  }

  showHint(text) {
    this.hint.textContent = text;
    this.hint.hidden = false;
  }

  hideHint() { this.hint.hidden = true; }

  createItem() { return this.items.find((x) => x.kind === "create"); }

  onKey(event) {
    const n = this.items.length;
    if (event.key === "ArrowDown") { this.active = n ? (this.active + 1) % n : -1; this.mark(); event.preventDefault(); }
    else if (event.key === "ArrowUp") { this.active = n ? (this.active <= 0 ? n - 1 : this.active - 1) : -1; this.mark(); event.preventDefault(); }
    else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.createByKey(); }
    else if (event.key === "Enter") { event.preventDefault(); this.choose(); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); this.close(); }
    else if (/^[1-9]$/.test(event.key) && !this.input.value && !event.ctrlKey && !event.metaKey) {
      const code = this.recentCodes()[Number(event.key) - 1];
      if (code) { event.preventDefault(); this.done({ kind: "code", code }); }
    }
  }

  // Enter: the highlighted existing code, and nothing else
  choose() {
    const item = this.items[this.active];
    if (item && item.kind === "code") { this.done(item); return; }
    const create = this.createItem();
    if (create) {
      const what = this.mayCreate ? "Create code …" : "Propose …";
      this.showHint(`No code matches — choose “${what}” (or press Ctrl+Enter) to ${this.mayCreate ? "add" : "propose"} one.`);
    } else if (!this.query()) {
      this.showHint("Type part of a code's name, or choose one with ↑↓, then press Enter.");
    } else {
      this.showHint("No code matches.");
    }
  }

  // Ctrl+Enter: a new code with the name typed
  createByKey() {
    const create = this.createItem();
    if (create) { this.done(create); return; }
    if (!this.options.create) this.showHint("Only an existing code can be chosen here.");
    else if (!this.query()) this.showHint("Type the new code's name first, then press Ctrl+Enter.");
    else this.showHint(`“${this.query()}” is already a code: press Enter to apply it.`);
  }

  doInVivo() {
    if (this.options && this.options.inVivo) this.done({ kind: "invivo", name: this.options.inVivo });
  }

  done(item) {
    const options = this.options;
    this.box.hidden = true;
    options.onChoose(item);
  }
}
