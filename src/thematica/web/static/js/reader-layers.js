// The reader's coder layers in words: which layers are shown and why (next to the layer
// checkboxes), how many codings each shown layer has (the side panel's tally), and a passage
// reached from a link ("go to source"), scrolled to and marked with a highlight that fades.

import { el } from "/static/js/common.js";
import { cpLen, cpToUtf16 } from "/static/js/reader-text.js";

function names(list) {
  if (list.length <= 1) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

// The line beside the layer checkboxes: "Showing alex and sam — every coder's layer, as you
// have not coded this document". why: the server's reason for the first view ("all", "mine",
// "asked", "own"), null after the person changed the ticks.
export function drawShown(box, shown, { you, why, added = [] }) {
  if (!box) return;
  const list = shown.map((n) => (n === you ? `${n} (you)` : n));
  if (!list.length) {
    box.textContent = "No layer shown — tick a coder above to see their coding.";
    box.classList.add("warn");
    return;
  }
  box.classList.remove("warn");
  let text = `Showing ${names(list)}`;
  if (added.length) text += ` (${names(added)} added for the linked passage)`;
  else if (why === "all" && list.length > 1) text += ": every coder, as you have not coded this document";
  else if (why === "mine") text += ": your own coding; tick a coder to compare";
  box.textContent = text;
}

// "53 codings shown: alex 20 · sam 18 · consensus 15" (per layer when several are shown).
export function drawTally(count, what, visible) {
  count.textContent = String(visible.length);
  const by = new Map();
  for (const c of visible) by.set(c.coder, (by.get(c.coder) || 0) + 1);
  const noun = visible.length === 1 ? "coding shown" : "codings shown";
  if (by.size <= 1) {
    what.replaceChildren(by.size ? `${noun} (${[...by.keys()][0]})` : noun);
    return;
  }
  what.replaceChildren(
    `${noun}: `,
    ...[...by].flatMap(([who, n], i) => [i ? " · " : "", el("span", { class: "by", dataset: { coder: who } }, `${who} ${n}`)]),
  );
}

// Scroll the reader so [start, end) sits in the upper third of the view, and mark it: a
// highlight that fades to an outline, removed at the next click in the text.
export class PassageMark {
  constructor(view, scroller) {
    this.view = view;
    this.scroller = scroller;
    this.span = null;
    this.box = el("div", { class: "goto", id: "goto", "aria-hidden": "true", hidden: true });
    view.wrap.append(this.box);
  }

  show(start, end, { scroll = true } = {}) {
    this.span = { start, end };
    this.draw();
    if (!scroll) return;
    const first = this.box.firstElementChild;
    if (!first) return;
    const view = this.scroller.getBoundingClientRect();
    const rect = this.textRects(start, end)[0];
    if (rect) this.scroller.scrollTop += rect.top - view.top - Math.min(view.height / 3, 220);
  }

  // the marked rectangles, one per line of the passage (redrawn after a resize or a redraw)
  draw() {
    if (!this.span) return;
    const base = this.view.wrap.getBoundingClientRect();
    const rects = this.textRects(this.span.start, this.span.end);
    const lines = [];
    for (const r of rects) {
      const line = lines.find((l) => Math.abs(l.top - r.top) < r.height / 2);
      if (line) { line.left = Math.min(line.left, r.left); line.right = Math.max(line.right, r.right); line.bottom = Math.max(line.bottom, r.bottom); }
      else lines.push({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
    }
    this.box.replaceChildren(...lines.map((l) => {
      const part = el("div", { class: "goto-line" });
      part.style.left = `${l.left - base.left - 2}px`;
      part.style.top = `${l.top - base.top - 1}px`;
      part.style.width = `${l.right - l.left + 4}px`;
      part.style.height = `${l.bottom - l.top + 2}px`;
      return part;
    }));
    this.box.dataset.start = this.span.start;
    this.box.dataset.end = this.span.end;
    this.box.hidden = false;
  }

  // the boxes of the passage's letters, run by run (a range's own rectangles would include
  // the boxes of whole turns it spans)
  textRects(s, e) {
    const { view } = this;
    const out = [];
    const last = view.runIndex(e, "end");
    for (let i = view.runIndex(s, "start"); i <= last; i++) {
      const node = view.runs[i].firstChild;
      if (!node || node.nodeType !== Node.TEXT_NODE) continue;
      const from = view.offs[i];
      const a = Math.max(s, from);
      const b = Math.min(e, from + cpLen(node.data));
      if (a >= b) continue;
      const range = document.createRange();
      range.setStart(node, cpToUtf16(node.data, a - from));
      range.setEnd(node, cpToUtf16(node.data, b - from));
      for (const r of range.getClientRects()) if (r.width > 1) out.push(r);
    }
    return out;
  }

  clear() {
    this.span = null;
    this.box.hidden = true;
    this.box.replaceChildren();
  }
}
