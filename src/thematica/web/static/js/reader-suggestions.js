// AI suggestions in the reader. Each open suggestion (a coding in an "ai" layer, with a
// calibrated score) is drawn as a dashed outline in its code's colour over the text -- never
// filled like a person's coding -- and listed in the side panel. ] and [ (or N and P) move
// between them, A accepts the one in focus (the same passage and code, coded at once in the
// person's own layer), X or R rejects it, Enter opens its card (score, evidence, Accept and
// Reject). A viewer sees them read-only. "Suggest codes…" runs a suggest job for this document
// and polls its progress, as imports and reports do.
//
// The outlines are boxes on a layer above the text that lets the mouse through, so selecting
// text under a suggestion works as anywhere else; hovering or clicking finds the suggestions
// at the point from the text offset there.

import { api, el, toast } from "/static/js/common.js";
import { cpLen, cpToUtf16 } from "/static/js/reader-text.js";
import { describeSpan, excerpt, pathLabel } from "/static/js/reader-panel.js";
import { SuggestRun } from "/static/js/reader-suggest-run.js";

const LIST_MAX = 300; // side-panel items (the outlines show every one)

export const percent = (score) => `${Math.round(score * 100)}%`;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const RANKS = ["", "best", "second", "third"];

// The boxes of [s, e)'s letters, one per line (a range's own rectangles would include the
// boxes of whole turns it spans), relative to the page.
export function lineRects(view, s, e) {
  const rects = [];
  const last = view.runIndex(e, "end");
  for (let i = view.runIndex(s, "start"); i <= last; i++) {
    const node = view.runs[i] && view.runs[i].firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    const from = view.offs[i];
    const a = Math.max(s, from);
    const b = Math.min(e, from + cpLen(node.data));
    if (a >= b) continue;
    const range = document.createRange();
    range.setStart(node, cpToUtf16(node.data, a - from));
    range.setEnd(node, cpToUtf16(node.data, b - from));
    for (const r of range.getClientRects()) if (r.width > 1) rects.push(r);
  }
  const lines = [];
  for (const r of rects) {
    const line = lines.find((l) => Math.abs(l.top - r.top) < r.height / 2);
    if (line) {
      line.left = Math.min(line.left, r.left);
      line.right = Math.max(line.right, r.right);
      line.bottom = Math.max(line.bottom, r.bottom);
    } else lines.push({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  }
  return lines;
}

export class Suggestions {
  // view: the TextView; data: the page's data (suggestions, canCode, codes, turns, document);
  // base: "/api/p/ID"; scroller: the scrolling box; busy(): the picker or a popover is open;
  // onAccepted(suggestion): the reader fetches the codings again and marks the new one.
  constructor({ view, data, base, scroller, busy, onAccepted }) {
    this.view = view;
    this.data = data;
    this.base = base;
    this.scroller = scroller;
    this.busy = busy;
    this.onAccepted = onAccepted;
    this.codeById = new Map(data.codes.map((c) => [c.id, c]));
    this.rows = this.order(data.suggestions || []);
    this.focusId = null;
    this.showKey = `thematica-suggestions-${data.user}`;
    this.shown = localStorage.getItem(this.showKey) !== "off";
    this.layer = el("div", { class: "sg-layer", id: "sg-layer", "aria-hidden": "true" });
    // the one in focus, named in a bar kept in view at the top of the text (a tag beside
    // the passage would cover the lines around it)
    this.bar = el("div", { class: "sg-bar", id: "sg-bar", hidden: true });
    this.tip = el("div", { class: "sg-tip", hidden: true });
    view.wrap.append(this.layer);
    scroller.prepend(this.bar);
    document.body.append(this.tip);
    this.card = el("div", { class: "sg-card", id: "sg-card", role: "dialog", "aria-label": "AI suggestion", hidden: true });
    document.body.append(this.card);
    this.live = document.getElementById("sg-live");
    this.tools = document.getElementById("sg-tools");
    this.side = document.getElementById("sg-side");
    this.section = document.getElementById("sec-suggestions");
    this.runner = new SuggestRun({ base, document: data.document, onDone: (state) => this.finished(state) });
    this.listen();
    this.drawControls();
    this.drawSide();
  }

  order(rows) {
    return [...rows].sort((a, b) => a.start - b.start || a.end - b.end || a.rank - b.rank || b.score - a.score || a.id - b.id);
  }

  get focused() {
    return this.rows.find((r) => r.id === this.focusId) || null;
  }

  code(row) {
    return this.codeById.get(row.code_id) || { id: row.code_id, name: row.code.split("/").pop(), path: row.code, definition: "" };
  }

  // --- drawing --------------------------------------------------------------------------------
  // the outlines: called after every redraw of the text (and after a resize)
  layout() {
    const wrap = this.view.wrap.getBoundingClientRect();
    const boxes = [];
    if (this.shown) {
      // the codes suggested for one passage (a sentence's best three) nest, the best one
      // outermost; they spread mostly into the space between lines, little to the sides
      const level = new Map();
      const count = new Map();
      for (const r of [...this.rows].sort((a, b) => a.score - b.score)) {
        const key = `${r.start}:${r.end}`;
        const k = count.get(key) || 0;
        count.set(key, k + 1);
        level.set(r.id, Math.min(k, 2));
      }
      for (const r of this.rows) {
        const lines = lineRects(this.view, r.start, r.end);
        const k = level.get(r.id);
        const padX = 3 + 3 * k;
        const padY = 2 + 3 * k;
        lines.forEach((l, i) => {
          const box = el("div", {
            class: `sg-box code-${r.code_id}${i === 0 ? " first" : ""}${i === lines.length - 1 ? " last" : ""}${r.id === this.focusId ? " focus" : ""}`,
            dataset: { id: r.id },
          });
          box.style.left = `${l.left - wrap.left - (i === 0 ? padX : 0)}px`;
          box.style.top = `${l.top - wrap.top - padY}px`;
          box.style.width = `${l.right - l.left + (i === 0 ? padX : 0) + (i === lines.length - 1 ? padX : 0)}px`;
          box.style.height = `${l.bottom - l.top + 2 * padY}px`;
          boxes.push(box);
        });
      }
    }
    this.layer.replaceChildren(...boxes);
    this.layer.hidden = !this.shown;
    this.drawBar();
  }

  // the bar naming the suggestion in focus, with its actions and keys
  drawBar() {
    const r = this.focused;
    if (!r || !this.shown) { this.bar.hidden = true; return; }
    const c = this.code(r);
    const i = this.rows.indexOf(r) + 1;
    const key = (k) => el("kbd", {}, k);
    const acts = this.data.canCode
      ? [
        el("button", { type: "button", class: "small primary sg-bar-accept", title: "Accept (A): code it in your layer", onclick: () => this.review(r, "accept") }, "Accept ", key("A")),
        el("button", { type: "button", class: "small sg-bar-reject", title: "Reject (X)", onclick: () => this.review(r, "reject") }, "Reject ", key("X")),
      ]
      : [el("span", { class: "muted" }, "read only")];
    this.bar.className = `sg-bar code-${r.code_id}`;
    this.bar.replaceChildren(
      el("span", { class: "sg-dash", "aria-hidden": "true" }),
      el("span", { class: "sg-bar-n" }, `${i}/${this.rows.length}`),
      el("span", { class: "sg-bar-code", title: c.path.split("/").join(" › ") }, c.name),
      el("span", { class: "sg-bar-score" }, percent(r.score)),
      ...acts,
      el("button", { type: "button", class: "small", title: "Score, evidence and the code's definition (Enter)", onclick: () => this.openCard(true) }, "Details ", key("Enter")),
      el("span", { class: "sg-bar-keys muted" }, key("["), " ", key("]"), " move · ", key("Esc"), " done"),
    );
    this.bar.hidden = false;
  }

  drawControls() {
    if (!this.tools) return;
    const n = this.rows.length;
    const models = [...new Set(this.rows.map((r) => r.model))];
    const parts = [];
    const toggle = el("button", {
      type: "button",
      id: "sg-toggle",
      class: `sg-toggle${n && this.shown ? " on" : ""}`,
      "aria-pressed": String(Boolean(n && this.shown)),
      disabled: !n,
      title: n
        ? `${plural(n, "open AI suggestion")} from ${models.join(", ")}: dashed outlines in the text. ] and [ move between them${this.data.canCode ? ", A accepts, X rejects" : ""}.`
        : "No open AI suggestions in this document",
      onclick: () => this.setShown(!this.shown),
    },
    el("span", { class: "sg-dash", "aria-hidden": "true" }),
    n ? `Suggestions ${n}` : "No suggestions",
    n ? el("span", { class: "sg-model" }, models.length === 1 ? models[0] : `${models.length} models`) : null);
    parts.push(toggle);
    if (this.data.canCode) {
      parts.push(el("button", { type: "button", id: "sg-run-open", title: "Let a model propose codes from the codebook for this document", onclick: () => this.runner.open() }, "Suggest codes…"));
    }
    this.tools.replaceChildren(...parts);
  }

  drawSide() {
    if (!this.side) return;
    const n = this.rows.length;
    this.section.hidden = !n;
    document.getElementById("sg-count").textContent = n ? String(n) : "";
    if (!n) { this.side.replaceChildren(); return; }
    const models = [...new Set(this.rows.map((r) => `${r.model} (${r.layer})`))];
    const show = el("input", { type: "checkbox", id: "sg-show", checked: this.shown, onchange: (e) => this.setShown(e.target.checked) });
    const items = this.rows.slice(0, LIST_MAX).map((r) => {
      const c = this.code(r);
      const open = el("button", {
        type: "button",
        class: `sg-item code-${r.code_id}`,
        "aria-current": r.id === this.focusId ? "true" : null,
        title: `${c.path.split("/").join(" › ")} — ${percent(r.score)}`,
        onclick: () => { this.focus(r.id); this.openCard(false); },
      },
      el("span", { class: "sw" }),
      el("span", { class: "nm" }, c.name),
      el("span", { class: "sc" }, percent(r.score)),
      el("span", { class: "ex" }, `“${excerpt(r.text, 70)}”`));
      const acts = this.data.canCode
        ? el("span", { class: "sg-acts" },
          el("button", { type: "button", class: "small sg-yes", title: "Accept (A)", "aria-label": `Accept ${c.name}`, onclick: () => this.review(r, "accept") }, "✓"),
          el("button", { type: "button", class: "small sg-no", title: "Reject (X)", "aria-label": `Reject ${c.name}`, onclick: () => this.review(r, "reject") }, "✕"))
        : null;
      return el("li", { dataset: { id: r.id } }, open, acts);
    });
    this.side.replaceChildren(
      el("p", { class: "sg-from" }, `From ${models.join(", ")}. `, this.data.canCode ? "Nothing is coded until you accept." : "Read only."),
      el("label", { class: "sg-show" }, show, " Show them in the text (dashed outlines)"),
      el("ul", { class: "sg-list", id: "sg-list" }, ...items),
      ...(n > LIST_MAX ? [el("p", { class: "muted" }, `The first ${LIST_MAX} are listed; ] and [ reach every one.`)] : []),
    );
  }

  redraw() {
    this.drawControls();
    this.drawSide();
    this.layout();
  }

  setShown(on) {
    this.shown = Boolean(on) && this.rows.length > 0;
    localStorage.setItem(this.showKey, on ? "on" : "off");
    if (!this.shown) this.closeCard();
    this.redraw();
  }

  // --- focus and moving ---------------------------------------------------------------------
  focus(id, { scroll = true } = {}) {
    this.focusId = id;
    if (!this.shown) this.setShown(true);
    for (const box of this.layer.children) box.classList.toggle("focus", Number(box.dataset.id) === id);
    this.drawBar();
    if (this.side) {
      for (const item of this.side.querySelectorAll(".sg-item")) item.removeAttribute("aria-current");
      const mine = this.side.querySelector(`li[data-id="${id}"] .sg-item`);
      if (mine) { mine.setAttribute("aria-current", "true"); mine.scrollIntoView({ block: "nearest" }); }
    }
    const r = this.focused;
    if (!r) return;
    if (scroll) this.scrollTo(r);
    const i = this.rows.indexOf(r) + 1;
    const c = this.code(r);
    const keys = this.data.canCode ? " A accepts, X rejects, Enter opens its card." : " Enter opens its card.";
    this.say(`Suggestion ${i} of ${this.rows.length}: ${c.name}, ${percent(r.score)}, ${describeSpan(this.data.turns, r.start, r.end)}: “${excerpt(r.text, 100)}”.${keys}`);
  }

  unfocus() {
    this.focusId = null;
    for (const box of this.layer.querySelectorAll(".focus")) box.classList.remove("focus");
    if (this.side) for (const item of this.side.querySelectorAll(".sg-item")) item.removeAttribute("aria-current");
    this.drawBar();
    this.say("");
  }

  scrollTo(r) {
    const lines = lineRects(this.view, r.start, r.end);
    if (!lines.length) return;
    const view = this.scroller.getBoundingClientRect();
    const top = lines[0].top;
    const bottom = lines[lines.length - 1].bottom;
    if (top < view.top + 40 || bottom > view.bottom - 20) {
      this.scroller.scrollTop += top - view.top - Math.min(view.height / 3, 220);
    }
  }

  // the next (step 1) or previous (-1) suggestion: from the one in focus, else from the view
  move(step) {
    if (!this.rows.length) { this.say("No open AI suggestions in this document."); return; }
    let i = this.rows.findIndex((r) => r.id === this.focusId);
    if (i < 0) {
      const top = this.scroller.getBoundingClientRect().top;
      i = this.rows.findIndex((r) => { const l = lineRects(this.view, r.start, r.end)[0]; return l && l.bottom > top; });
      if (i < 0) i = 0;
      if (step < 0) i = Math.max(0, i - 1);
    } else {
      i = (i + step + this.rows.length) % this.rows.length;
    }
    this.closeCard();
    this.focus(this.rows[i].id);
  }

  say(text) {
    if (this.live) this.live.textContent = text;
  }

  // --- the card -----------------------------------------------------------------------------
  openCard(byKeyboard) {
    const r = this.focused;
    if (!r) return;
    const c = this.code(r);
    const i = this.rows.indexOf(r) + 1;
    const close = el("button", { type: "button", class: "close", "aria-label": "Close", title: "Close (Esc)", onclick: () => this.closeCard(true) }, "×");
    const same = this.rows.filter((x) => x.start === r.start && x.end === r.end);
    const rank = r.rank >= 1 && r.rank <= 3 && same.length > 1 ? `${RANKS[r.rank]} of ${same.length} codes suggested here` : "";
    const parts = [
      el("div", { class: "sg-card-head" }, el("span", {}, `AI suggestion ${i} of ${this.rows.length}`), close),
      el("div", { class: `sg-card-body code-${r.code_id}` },
        el("div", { class: "sg-card-code" }, el("span", { class: "sw" }), el("span", {}, ...pathLabel(c.path))),
        el("div", { class: "sg-score" },
          el("meter", { min: 0, max: 1, value: r.score, "aria-label": "score" }),
          el("strong", {}, percent(r.score)),
          el("span", { class: "muted" }, " estimated chance a coder would apply this code here")),
        rank ? el("div", { class: "muted sg-rank" }, rank) : null,
        el("blockquote", { class: "sg-quote" }, excerpt(r.text, 400)),
        el("div", { class: "muted" }, describeSpan(this.data.turns, r.start, r.end)),
        c.definition ? el("div", { class: "sg-def" }, el("span", { class: "muted" }, "Definition: "), c.definition) : null,
        this.evidence(r),
        el("div", { class: "sg-model-line muted" }, `Suggested by ${r.model} (layer ${r.layer})`)),
    ];
    if (this.data.canCode) {
      parts.push(el("div", { class: "sg-card-acts" },
        el("button", { type: "button", class: "primary sg-accept", onclick: () => this.review(r, "accept") }, "Accept ", el("kbd", {}, "A")),
        el("button", { type: "button", class: "sg-reject", onclick: () => this.review(r, "reject") }, "Reject ", el("kbd", {}, "X")),
        el("span", { class: "muted sg-hint" }, el("kbd", {}, "]"), " next")));
    } else {
      parts.push(el("div", { class: "sg-card-acts muted" }, "Read only: owners and coders accept or reject suggestions."));
    }
    this.card.replaceChildren(...parts);
    this.card.hidden = false;
    this.placeCard(r);
    if (byKeyboard) (this.card.querySelector(".sg-accept") || close).focus();
  }

  // why the model suggested it, as the suggest run stored it: the code description it was
  // nearest to and, once the team has coded, how near the team's own examples were
  evidence(r) {
    const ev = r.evidence;
    if (!ev || typeof ev !== "object") return null;
    const items = [];
    const near = (x) => (typeof x === "number" ? ` (similarity ${x.toFixed(2)})` : "");
    if (ev.label && ev.label.text) {
      const words = { name: "code name", inclusion: "inclusion criterion", example: "codebook example" };
      const kind = ev.label.kind ? `${words[ev.label.kind] || String(ev.label.kind).replace(/_/g, " ")}: ` : "";
      items.push(el("li", {}, el("span", { class: "muted" }, `Nearest ${kind}`), `“${excerpt(ev.label.text, 200)}”${near(ev.label.similarity)}`));
    }
    if (ev.example) items.push(el("li", {}, `Like a passage the team coded with this code${near(ev.example.similarity)}`));
    if (!items.length) {
      for (const [k, v] of Object.entries(ev).slice(0, 5)) {
        if (v !== null && typeof v !== "object") items.push(el("li", {}, el("span", { class: "muted" }, `${k.replace(/_/g, " ")}: `), String(v)));
      }
    }
    return items.length ? el("div", { class: "sg-evidence" }, el("div", { class: "muted" }, "Why:"), el("ul", {}, ...items)) : null;
  }

  placeCard(r) {
    const lines = lineRects(this.view, r.start, r.end);
    const anchor = lines.length ? lines[lines.length - 1] : this.view.root.getBoundingClientRect();
    const width = this.card.offsetWidth || 380;
    const height = this.card.offsetHeight || 240;
    const left = Math.min(Math.max(8, anchor.left), window.innerWidth - width - 8);
    let top = anchor.bottom + 10;
    if (top + height > window.innerHeight - 8) top = Math.max(8, (lines[0] || anchor).top - height - 30);
    this.card.style.left = `${left}px`;
    this.card.style.top = `${top}px`;
  }

  get cardOpen() { return !this.card.hidden; }

  closeCard(refocus = false) {
    if (this.card.hidden) return;
    this.card.hidden = true;
    if (refocus) this.view.root.focus({ preventScroll: true });
  }

  // --- reviewing ----------------------------------------------------------------------------
  async review(r, action) {
    if (!this.data.canCode) return;
    const c = this.code(r);
    const wasCard = this.cardOpen;
    const index = this.rows.indexOf(r);
    let answer;
    try {
      answer = await api("POST", `${this.base}/suggestions/${r.id}/${action}`, action === "accept" ? {} : undefined);
    } catch (error) {
      toast(error.message, "error");
      await this.reload();
      return;
    }
    this.rows = this.rows.filter((x) => x.id !== r.id);
    const next = this.rows[Math.min(index, this.rows.length - 1)];
    this.focusId = next ? next.id : null;
    this.closeCard();
    if (action === "accept") {
      await this.onAccepted(r, answer); // the reader redraws the text and the outlines
      toast(`Accepted: ${c.name} is now coded in your layer${answer.added ? " — Ctrl+Z to undo" : ""}`, "ok");
    } else {
      toast(`Rejected: ${c.name}`);
    }
    this.redraw();
    if (next) {
      this.focus(next.id, { scroll: false });
      this.say(`${action === "accept" ? "Accepted" : "Rejected"} ${c.name}. ${this.live ? this.live.textContent : ""}`);
      if (wasCard) this.view.root.focus({ preventScroll: true });
    } else {
      this.say(`${action === "accept" ? "Accepted" : "Rejected"} ${c.name}. No open suggestions left in this document.`);
      this.view.root.focus({ preventScroll: true });
    }
  }

  async reload() {
    try {
      const rows = await api("GET", `${this.base}/suggestions?document=${encodeURIComponent(this.data.document)}`);
      this.rows = this.order(rows);
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    if (!this.focused) this.focusId = null;
    this.redraw();
  }

  // --- after a suggest run (reader-suggest-run.js) --------------------------------------------
  async finished(state) {
    await this.reload();
    toast(state.message || "Suggestions ready", "ok");
    if (this.rows.length) {
      this.setShown(true);
      this.focus(this.rows[0].id);
    }
  }

  // --- mouse and keyboard -------------------------------------------------------------------
  // the suggestions at a point of the text (best first)
  at(x, y) {
    let node = null;
    let offset = 0;
    if (document.caretPositionFromPoint) {
      const p = document.caretPositionFromPoint(x, y);
      if (p) { node = p.offsetNode; offset = p.offset; }
    } else if (document.caretRangeFromPoint) {
      const range = document.caretRangeFromPoint(x, y);
      if (range) { node = range.startContainer; offset = range.startOffset; }
    }
    if (!node || !this.view.root.contains(node)) return [];
    const o = this.view.pointToOffset(node, offset, "start");
    return this.rows.filter((r) => r.start <= o && o < r.end).sort((a, b) => b.score - a.score);
  }

  listen() {
    const root = this.view.root;
    let frame = 0;
    root.addEventListener("mousemove", (event) => {
      if (!this.shown || !this.rows.length || frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        this.hover(this.at(event.clientX, event.clientY), event);
      });
    });
    root.addEventListener("mouseleave", () => this.hover([], null));
    root.addEventListener("click", (event) => {
      if (!this.shown || !this.rows.length) return;
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;
      if (event.target.closest("mark[data-k], button")) return; // a coding: its own popover
      const here = this.at(event.clientX, event.clientY);
      if (!here.length) return;
      this.focus(here[0].id, { scroll: false });
      this.openCard(false);
    });
    document.addEventListener("keydown", (event) => this.key(event));
    document.addEventListener("mousedown", (event) => {
      if (this.cardOpen && !this.card.contains(event.target)) this.closeCard();
    });
    this.card.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.stopPropagation(); this.closeCard(true); }
    });
  }

  hover(list, event) {
    for (const box of this.layer.querySelectorAll(".hover")) box.classList.remove("hover");
    if (!list.length) { this.tip.hidden = true; return; }
    const ids = new Set(list.map((r) => r.id));
    for (const box of this.layer.children) if (ids.has(Number(box.dataset.id))) box.classList.add("hover");
    this.tip.replaceChildren(
      el("div", { class: "muted" }, "AI suggests"),
      ...list.slice(0, 4).map((r) => el("div", { class: `sg-tip-row code-${r.code_id}` }, el("span", { class: "sw" }), el("span", {}, this.code(r).name), el("strong", {}, percent(r.score)))),
      el("div", { class: "muted sg-tip-keys" }, "Click for the card"),
    );
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(event.clientX + 14, window.innerWidth - 280)}px`;
    this.tip.style.top = `${event.clientY + 18}px`;
  }

  key(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target && target.isContentEditable)) return;
    if (document.querySelector("dialog[open]") || this.busy()) return;
    const k = event.key;
    if (k === "]" || k === "n" || k === "N") { event.preventDefault(); this.move(1); return; }
    if (k === "[" || k === "p" || k === "P") { event.preventDefault(); this.move(-1); return; }
    if (k === "Escape" && this.cardOpen) { this.closeCard(true); return; }
    if (k === "Escape" && this.focusId !== null) { this.unfocus(); return; }
    const r = this.focused;
    if (!r || !this.shown) {
      if (/^[axrAXR]$/.test(k) && this.rows.length && this.shown) this.say("Press ] to go to a suggestion first.");
      return;
    }
    if (k === "Enter") {
      if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return;
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed) return;
      event.preventDefault();
      this.openCard(true);
    } else if (k === "a" || k === "A" || k === "x" || k === "X" || k === "r" || k === "R") {
      event.preventDefault();
      if (!this.data.canCode) { this.say("Read only: owners and coders accept or reject suggestions."); return; }
      this.review(r, k === "a" || k === "A" ? "accept" : "reject");
    }
  }
}
