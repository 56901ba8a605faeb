// The transcript as the reader shows it: code-point offsets <-> DOM positions, the coded runs
// (the same cut the server makes, redrawn after every change) and a keyboard caret. The margin's
// stripes are drawn by reader-stripes.js.
//
// Offsets are Unicode code points (Python str indices). JavaScript strings are UTF-16, so
// every length and index here is converted: an emoji is one code point but two UTF-16 units.

export function cpLen(s) {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n--; i++; }
  }
  return n;
}

// The UTF-16 index of code point k of s.
export function cpToUtf16(s, k) {
  let i = 0;
  while (k > 0 && i < s.length) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    k--;
  }
  return i;
}

// Band per coding (0 nearest the text): the lowest one free at its start -- the server's rule.
export function assignTracks(codings) {
  const ends = [];
  const tracks = new Map();
  const sorted = [...codings].sort((a, b) => a.start - b.start || b.end - a.end || a.id - b.id);
  for (const c of sorted) {
    let k = ends.findIndex((end) => end <= c.start);
    if (k < 0) { k = ends.length; ends.push(c.end); } else ends[k] = c.end;
    tracks.set(c.id, k);
  }
  return tracks;
}

const SPACE = /\s/u;

export class TextView {
  constructor(root, wrap, stripes, bands) {
    this.root = root;
    this.wrap = wrap;
    this.stripeBox = stripes;
    this.bands = bands;
    this.blocks = [...root.querySelectorAll(".turn")].map((el) => {
      const tt = el.querySelector(".tt");
      return {
        el, tt,
        start: Number(el.dataset.s), end: Number(el.dataset.e),
        label: Number(el.dataset.l || 0),
        text: tt.textContent, chars: null,
      };
    });
    this.index();
  }

  index() {
    this.runs = [...this.root.querySelectorAll(".tt [data-o]")];
    this.offs = this.runs.map((r) => Number(r.dataset.o));
  }

  // --- offsets ------------------------------------------------------------------------------
  blockAt(o) {
    let lo = 0, hi = this.blocks.length - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.blocks[mid].start <= o) { found = this.blocks[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return found && o < found.end ? found : null;
  }

  charAt(o) {
    const b = this.blockAt(o);
    if (!b) return "\n"; // between turns: white space only
    if (!b.chars) b.chars = Array.from(b.text);
    return b.chars[o - b.start];
  }

  slice(s, e) {
    let out = "";
    for (const b of this.blocks) {
      if (b.end <= s || b.start >= e) continue;
      if (!b.chars) b.chars = Array.from(b.text);
      if (out) out += "\n";
      out += b.chars.slice(Math.max(s, b.start) - b.start, Math.min(e, b.end) - b.start).join("");
    }
    return out;
  }

  // Offset of a DOM point; edge "start" snaps forward to the next run, "end" back to the last.
  pointToOffset(node, offset, edge) {
    if (node.nodeType === Node.TEXT_NODE) {
      const host = node.parentElement;
      if (host && host.dataset.o !== undefined && this.root.contains(host)) {
        return Number(host.dataset.o) + cpLen(node.data.slice(0, offset));
      }
    }
    const point = document.createRange();
    point.setStart(node, offset);
    let lo = 0, hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const run = document.createRange();
      run.selectNodeContents(this.runs[mid]);
      if (point.compareBoundaryPoints(Range.START_TO_START, run) > 0) lo = mid + 1; else hi = mid;
    }
    // runs[lo] is the first run that starts at or after the point
    if (edge === "start") return lo < this.runs.length ? this.offs[lo] : this.end();
    const prev = lo - 1;
    return prev >= 0 ? this.offs[prev] + cpLen(this.runs[prev].textContent) : 0;
  }

  end() {
    const last = this.blocks[this.blocks.length - 1];
    return last ? last.end : 0;
  }

  // The selection in the text as [start, end) offsets, white space at either edge left out;
  // null when nothing (or only white space) of the text is selected.
  selectionOffsets(sel = window.getSelection()) {
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    if (!range.intersectsNode(this.root)) return null;
    let s = this.pointToOffset(range.startContainer, range.startOffset, "start");
    let e = this.pointToOffset(range.endContainer, range.endOffset, "end");
    while (s < e && SPACE.test(this.charAt(s))) s++;
    while (e > s && SPACE.test(this.charAt(e - 1))) e--;
    return s < e ? { start: s, end: e } : null;
  }

  runIndex(o, edge) {
    // the last run starting at or before o ("start"), or before o ("end")
    let lo = 0, hi = this.offs.length - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (edge === "end" ? this.offs[mid] < o : this.offs[mid] <= o) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  offsetToPoint(o, edge = "start") {
    const i = this.runIndex(o, edge);
    const run = this.runs[i];
    const node = run.firstChild || run;
    if (node.nodeType !== Node.TEXT_NODE) return [run, 0];
    const k = Math.max(0, o - this.offs[i]);
    return [node, Math.min(node.data.length, cpToUtf16(node.data, k))];
  }

  rangeFor(s, e) {
    const range = document.createRange();
    const [sn, so] = this.offsetToPoint(s, "start");
    const [en, eo] = this.offsetToPoint(e, "end");
    range.setStart(sn, so);
    range.setEnd(en, eo);
    return range;
  }

  select(s, e) {
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(this.rangeFor(s, e));
  }

  // --- drawing the codings -------------------------------------------------------------------
  // Cut every block at the codings' boundaries; each coded run is one <mark> naming its codings
  // and, per coding, the class cNbK (code N's colour on band K) -- the server's render, redone
  // after a change.
  render(codings, tracks, { onlyRemember = false } = {}) {
    // a block is redrawn only when the codings over it, or their bands, changed
    const byStart = [...codings].sort((a, b) => a.start - b.start || a.id - b.id);
    let next = 0;
    const open = new Map();
    let changed = false;
    for (const b of this.blocks) {
      while (next < byStart.length && byStart[next].start < b.end) {
        open.set(byStart[next].id, byStart[next]);
        next++;
      }
      for (const [id, c] of open) if (c.end <= b.start) open.delete(id);
      const here = [...open.values()];
      const sig = here.map((c) => `${c.id}:${c.code_id}:${c.start}:${c.end}:${tracks.get(c.id)}`).sort().join(",");
      if (sig === b.sig) continue;
      b.sig = sig;
      if (onlyRemember) continue;
      if (!b.chars) b.chars = Array.from(b.text);
      b.tt.replaceChildren(this.renderBlock(b, here, tracks));
      changed = true;
    }
    if (changed) this.index();
  }

  renderBlock(b, here, tracks) {
    const cuts = new Set([b.start, b.end]);
    if (b.label) cuts.add(b.start + b.label);
    const starts = new Map();
    const ends = new Map();
    const active = new Map();
    for (const c of here) {
      if (c.start > b.start && c.start < b.end) cuts.add(c.start);
      if (c.end > b.start && c.end < b.end) cuts.add(c.end);
      if (c.start <= b.start) active.set(c.id, c);
      else (starts.get(c.start) || starts.set(c.start, []).get(c.start)).push(c);
      if (c.end < b.end) (ends.get(c.end) || ends.set(c.end, []).get(c.end)).push(c.id);
    }
    const points = [...cuts].sort((x, y) => x - y);
    const frag = document.createDocumentFragment();
    for (let i = 0; i < points.length - 1; i++) {
      const a = points[i];
      for (const id of ends.get(a) || []) active.delete(id);
      for (const c of starts.get(a) || []) active.set(c.id, c);
      const piece = b.chars.slice(a - b.start, points[i + 1] - b.start).join("");
      const label = a < b.start + b.label;
      if (active.size === 0) {
        const span = document.createElement("span");
        span.dataset.o = a;
        if (label) span.className = "lbl";
        span.textContent = piece;
        frag.append(span);
        continue;
      }
      const here = [...active.values()].sort((x, y) => tracks.get(x.id) - tracks.get(y.id));
      const bands = here.map((c) => `c${c.code_id}b${Math.min(tracks.get(c.id), this.bands - 1)}`);
      const depth = Math.min(tracks.get(here[here.length - 1].id), this.bands - 1);
      const mark = document.createElement("mark");
      mark.className = `hl h${depth} n${Math.min(here.length, 3)} ${bands.join(" ")}`;
      mark.dataset.k = here.map((c) => c.id).join(" ");
      mark.dataset.o = a;
      if (label) mark.dataset.l = "1";
      mark.textContent = piece;
      frag.append(mark);
    }
    return frag;
  }

  // The runs a coding covers (its first and last), for stripes and scrolling.
  runsOf(c) {
    return [this.runs[this.runIndex(c.start, "start")], this.runs[this.runIndex(c.end, "end")]];
  }
}

// A thin caret for reading with the keyboard (static text shows none of its own).
export class Caret {
  constructor(view) {
    this.view = view;
    this.el = document.createElement("div");
    this.el.className = "caret";
    this.el.hidden = true;
    view.wrap.append(this.el);
  }

  show() {
    const sel = window.getSelection();
    if (!sel.rangeCount || !this.view.root.contains(sel.focusNode)) { this.el.hidden = true; return; }
    const range = document.createRange();
    range.setStart(sel.focusNode, sel.focusOffset);
    const rect = range.getClientRects()[0] || (sel.focusNode.parentElement || sel.focusNode).getBoundingClientRect();
    const base = this.view.wrap.getBoundingClientRect();
    this.el.style.top = `${rect.top - base.top}px`;
    this.el.style.left = `${rect.left - base.left}px`;
    this.el.style.height = `${Math.max(14, rect.height)}px`;
    this.el.hidden = false;
    const scroller = this.view.wrap.parentElement;
    const view = scroller.getBoundingClientRect();
    if (rect.top < view.top + 20 || rect.bottom > view.bottom - 20) {
      scroller.scrollTop += rect.top - view.top - view.height / 2;
    }
  }

  hide() { this.el.hidden = true; }
}
