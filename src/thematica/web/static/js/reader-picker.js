// The code picker: search-as-you-type over the codebook tree (paths shown, the highlighted
// code's definition below), recent codes on 1-9, and a new code (created, or proposed to the
// owners) or an in-vivo code when nothing fits.

import { el } from "/static/js/common.js";

const SEP = " › ";

function score(code, terms) {
  const name = code.name.toLowerCase();
  const path = code.path.toLowerCase();
  if (!terms.every((t) => path.includes(t))) return null;
  const first = terms[0];
  if (name === terms.join(" ")) return 0;
  if (name.startsWith(first)) return 1;
  if (name.split(/[\s/-]+/).some((w) => w.startsWith(first))) return 2;
  if (name.includes(first)) return 3;
  return 4;
}

// The name with the first occurrence of each search term in bold (built as text nodes).
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

export class Picker {
  constructor({ codes, mayCreate, recent }) {
    this.codes = codes;
    this.byId = new Map(codes.map((c) => [c.id, c]));
    this.mayCreate = mayCreate;
    this.recent = recent;
    this.items = [];
    this.active = 0;
    this.input = el("input", {
      type: "text", class: "picker-input", placeholder: "Type part of a code's name…",
      "aria-label": "Find a code", role: "combobox", "aria-expanded": "true",
      "aria-controls": "picker-list", autocomplete: "off", spellcheck: "false",
    });
    this.list = el("ul", { class: "picker-list", id: "picker-list", role: "listbox", "aria-label": "Codes" });
    this.definition = el("div", { class: "picker-def", "aria-live": "polite" });
    this.title = el("div", { class: "picker-title" });
    this.excerpt = el("div", { class: "picker-excerpt" });
    this.box = el(
      "div",
      { class: "picker", id: "picker", role: "dialog", "aria-label": "Code picker", hidden: true },
      this.title, this.excerpt, this.input, this.list, this.definition,
      el("div", { class: "picker-keys" }, "↑↓ choose · Enter apply · 1–9 recent · Esc close"),
    );
    document.body.append(this.box);
    this.input.addEventListener("input", () => { this.active = 0; this.refresh(); });
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
    this.input.value = "";
    this.active = 0;
    this.box.hidden = false;
    this.refresh();
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

  recentCodes() {
    return this.recent().map((id) => this.byId.get(id)).filter(Boolean);
  }

  refresh() {
    const query = this.input.value.trim();
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    const items = [];
    const exclude = this.options && this.options.exclude;
    if (!terms.length) {
      this.recentCodes().forEach((code, i) => items.push({ kind: "code", code, key: String(i + 1), recent: true }));
      for (const code of this.codes) if (code.id !== exclude) items.push({ kind: "code", code, tree: true });
    } else {
      const found = [];
      this.codes.forEach((code, order) => {
        const s = score(code, terms);
        if (s !== null && code.id !== exclude) found.push([s, order, code]);
      });
      found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [, , code] of found.slice(0, 60)) items.push({ kind: "code", code });
      const exact = this.codes.some((c) => c.name.toLowerCase() === query.toLowerCase() && !c.parent_id);
      if (this.options.create && !exact && query.length <= 300) {
        items.push({ kind: "create", name: query.replace(/\s+/g, " ") });
      }
    }
    if (this.options.inVivo && this.options.create) items.push({ kind: "invivo", name: this.options.inVivo });
    this.items = items;
    this.active = Math.min(this.active, Math.max(0, items.length - 1));
    this.draw(terms);
  }

  draw(terms) {
    const rows = this.items.map((item, i) => {
      const id = `picker-opt-${i}`;
      let body;
      if (item.kind === "code") {
        const parents = item.code.path.split("/").slice(0, -1);
        body = [
          item.key ? el("kbd", { class: "num" }, item.key) : null,
          el("span", { class: `sw code-${item.code.id}`, "aria-hidden": "true" }),
          el(
            "span",
            { class: "txt" },
            el("span", { class: "nm" }, terms.length ? marked(item.code.name, terms) : item.code.name),
            parents.length && !item.tree ? el("span", { class: "pp" }, parents.join(SEP)) : null,
          ),
        ];
      } else if (item.kind === "create") {
        body = [
          el("span", { class: "plus", "aria-hidden": "true" }, "+"),
          el("span", { class: "nm" }, this.mayCreate ? `Create code “${item.name}”` : `Propose “${item.name}” to the owners`),
        ];
      } else {
        body = [
          el("span", { class: "plus", "aria-hidden": "true" }, "❝"),
          el("span", { class: "nm" }, `In vivo: “${item.name}”`),
        ];
      }
      const indent = item.tree ? ` depth-${Math.min(item.code.depth, 4)}` : "";
      return el(
        "li",
        {
          id, role: "option", class: `opt opt-${item.kind}${item.recent ? " recent" : ""}${indent}`,
          "aria-selected": i === this.active ? "true" : "false",
          onmousemove: () => { if (this.active !== i) { this.active = i; this.mark(); } },
          onclick: () => { this.active = i; this.choose(); },
        },
        body,
      );
    });
    if (!rows.length) rows.push(el("li", { class: "none" }, "No code matches."));
    if (this.items.some((x) => x.recent)) {
      const at = this.items.findIndex((x) => x.tree);
      if (at > 0) rows.splice(at, 0, el("li", { class: "sep", role: "presentation" }, "All codes"));
      rows.unshift(el("li", { class: "sep", role: "presentation" }, "Recent"));
    }
    this.list.replaceChildren(...rows);
    this.mark();
  }

  mark() {
    const options = this.list.querySelectorAll("[role=option]");
    options.forEach((node, i) => node.setAttribute("aria-selected", i === this.active ? "true" : "false"));
    const current = options[this.active];
    if (current) {
      this.input.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    }
    const item = this.items[this.active];
    if (item && item.kind === "code") {
      const def = item.code.definition;
      this.definition.replaceChildren(
        el("div", { class: "def-path" }, item.code.path.split("/").join(SEP)),
        def ? el("div", { class: "def-text" }, def) : el("div", { class: "def-text muted" }, "No definition yet."),
      );
    } else if (item && item.kind === "create") {
      this.definition.replaceChildren(el("div", { class: "def-text muted" },
        this.mayCreate ? "A new inductive code at the top of the codebook; an owner can move it later."
          : "Only owners add codes in this project: they will see your proposal with this passage."));
    } else if (item) {
      this.definition.replaceChildren(el("div", { class: "def-text muted" }, "A new code named after the selected words."));
    } else {
      this.definition.replaceChildren();
    }
  }

  onKey(event) {
    const n = this.items.length;
    if (event.key === "ArrowDown") { this.active = n ? (this.active + 1) % n : 0; this.mark(); event.preventDefault(); }
    else if (event.key === "ArrowUp") { this.active = n ? (this.active - 1 + n) % n : 0; this.mark(); event.preventDefault(); }
    else if (event.key === "Enter") { event.preventDefault(); this.choose(); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); this.close(); }
    else if (/^[1-9]$/.test(event.key) && !this.input.value && !event.ctrlKey && !event.metaKey) {
      const code = this.recentCodes()[Number(event.key) - 1];
      if (code) { event.preventDefault(); this.done({ kind: "code", code }); }
    }
  }

  choose() {
    const item = this.items[this.active];
    if (item) this.done(item);
  }

  done(item) {
    const options = this.options;
    this.box.hidden = true;
    options.onChoose(item);
  }
}
