// Text helpers of the compare page. Offsets are Unicode code points (Python str indices):
// a DOM selection is turned into code points through the pieces' data-s (the code point
// where each piece of text starts) and the piece's own text counted with Array.from.

export function leaf(path) {
  const parts = String(path || "").split("/");
  return parts[parts.length - 1] || path;
}

export function quote(text, width = 90) {
  const flat = String(text || "").replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length <= width ? flat : `${chars.slice(0, width - 1).join("")}…`;
}

// the segment holding code point `offset` in a pane
export function segAt(pane, offset) {
  let found = null;
  for (const seg of pane.querySelectorAll(".seg")) {
    if (Number(seg.dataset.s) <= offset) found = seg; else break;
  }
  return found;
}

// where a node sits in a pane's scrolled content (pixels from the content's top)
export function topIn(pane, node) {
  return node.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
}

export function scrollPaneTo(pane, node) {
  if (!pane || !node) return;
  pane.scrollTop = Math.max(0, topIn(pane, node) - pane.clientHeight / 3);
}

// the code point a DOM position (text node and UTF-16 offset in it) stands for
export function offsetIn(node, offset) {
  const holder = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const seg = holder ? holder.closest(".seg") : null;
  if (!seg) return null;
  const before = node.nodeType === Node.TEXT_NODE ? node.data.slice(0, offset) : "";
  return Number(seg.dataset.s) + Array.from(before).length;
}

export function selectionSpan(pane) {
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
  const range = sel.getRangeAt(0);
  if (!pane.contains(range.startContainer) || !pane.contains(range.endContainer)) return null;
  const s = offsetIn(range.startContainer, range.startOffset);
  const e = offsetIn(range.endContainer, range.endOffset);
  if (s === null || e === null || e <= s) return null;
  return [s, e];
}
