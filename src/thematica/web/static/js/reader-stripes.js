// The margin beside the transcript: one stripe per coding beside the lines it covers and, to
// its right, a lane of horizontal labels naming each stripe's code (cut with an ellipsis; the
// full path on hover). When several coders' layers are shown, the stripes are grouped in
// columns by coder, each group headed by the coder's name (the heading stays in view while
// the text scrolls), so whose coding a stripe is can be seen at a glance.

import { assignTracks } from "/static/js/reader-text.js";

const LANE = 156; // the labels' lane (px)
const LABEL_H = 17; // one label's height (px); a text line is about 32px
const HEAD_MIN = 40; // a coder group's least width when headed by the coder's name
const GAP = 7; // between coder groups

function button(cls, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.title = title;
  return b;
}

// codings: the visible codings; order: coder names in the order their groups appear;
// heads: group by coder and head each group with its name;
// onPick(codings, element), onHover(coding | null).
export function drawMargin(view, codings, { order = [], heads = false, you = "", onPick, onHover = () => {} }) {
  const box = view.stripeBox;
  const base = view.wrap.getBoundingClientRect();
  // the groups: one per coder when headed, else one for every coding
  const groups = new Map();
  for (const c of codings) {
    const key = heads ? c.coder : "";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  const rank = (name) => { const i = order.indexOf(name); return i < 0 ? order.length : i; };
  const keys = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const layout = keys.map((key) => {
    const list = groups.get(key);
    const tracks = assignTracks(list);
    return { key, list, tracks, columns: Math.max(0, ...tracks.values()) + 1 };
  });
  const all = layout.reduce((n, g) => n + g.columns, 0);
  // stripes narrow when many codings overlap, so the margin never crowds the text out
  const step = Math.max(5, Math.min(14, Math.floor(104 / Math.max(1, all))));
  let x = 4;
  for (const g of layout) {
    g.x = x;
    g.width = Math.max(g.columns * step, heads ? HEAD_MIN : 0);
    x += g.width + GAP;
  }
  const stripesWidth = Math.max(16, x - GAP + 4);
  // the margin's width first: the text reflows to it, and the stripes are measured after
  box.style.width = `${stripesWidth + (codings.length ? LANE : 0)}px`;

  const frag = document.createDocumentFragment();
  if (heads) {
    for (const g of layout) {
      const band = document.createElement("div");
      band.className = "margin-group";
      band.style.left = `${g.x - 2}px`;
      band.style.width = `${g.width + 4}px`;
      frag.append(band);
    }
  }
  const placed = []; // [coding, top, bottom, stripe]
  for (const g of layout) {
    for (const c of g.list) {
      const [first, end] = view.runsOf(c);
      const r1 = first && first.getClientRects()[0];
      const rs = end ? end.getClientRects() : [];
      const r2 = rs[rs.length - 1];
      if (!r1 || !r2) continue;
      const top = r1.top - base.top;
      const bottom = r2.bottom - base.top;
      const column = g.tracks.get(c.id);
      const bar = button(`stripe code-${c.code_id}${step < 10 ? " thin" : ""}`, `${c.path.split("/").join(" › ")} — coded by ${c.coder}`);
      bar.dataset.id = c.id;
      bar.setAttribute("aria-label", `${c.code}, coded by ${c.coder}`);
      bar.style.top = `${top}px`;
      bar.style.height = `${Math.max(10, bottom - top)}px`;
      bar.style.left = `${g.x + column * step}px`;
      bar.style.width = `${Math.max(3, step - 3)}px`;
      bar.addEventListener("click", (event) => { event.stopPropagation(); onPick([c], bar); });
      bar.addEventListener("mouseenter", () => onHover(c));
      bar.addEventListener("mouseleave", () => onHover(null));
      frag.append(bar);
      placed.push([c, top, bottom, bar]);
    }
  }

  // the labels: at the top of their stripe, pushed down below the one before when lines
  // crowd; one that would land beyond its stripe joins the label above as "+N"
  placed.sort((a, b) => a[1] - b[1] || rank(a[0].coder) - rank(b[0].coder) || a[0].id - b[0].id);
  const labels = [];
  let floor = -Infinity;
  for (const [c, top, bottom, bar] of placed) {
    const y = Math.max(top, floor);
    const last = labels[labels.length - 1];
    if (last && y + LABEL_H > Math.max(bottom, top + LABEL_H) + 2) {
      last.extra.push(c);
      continue;
    }
    // a plain block (a flex button costs much more layout, and a page may have thousands):
    // the stripe beside it is the button for keyboards and screen readers
    const label = document.createElement("div");
    label.className = `mlabel code-${c.code_id}`;
    label.title = `${c.path.split("/").join(" › ")} — coded by ${c.coder}`;
    label.setAttribute("aria-hidden", "true");
    const entry = { c, extra: [], label };
    label.dataset.id = c.id;
    label.style.top = `${y}px`;
    label.style.left = `${stripesWidth + 4}px`;
    label.style.width = `${LANE - 8}px`;
    if (heads) {
      const who = document.createElement("span");
      who.className = "coder-name";
      who.textContent = c.coder === you ? "you" : c.coder;
      label.append(who);
    }
    label.append(c.code);
    label.addEventListener("click", (event) => { event.stopPropagation(); onPick([c, ...entry.extra], label); });
    label.addEventListener("mouseenter", () => { bar.classList.add("hover"); onHover(c); });
    label.addEventListener("mouseleave", () => { bar.classList.remove("hover"); onHover(null); });
    frag.append(label);
    labels.push(entry);
    floor = y + LABEL_H + 1;
  }
  for (const entry of labels) {
    if (!entry.extra.length) continue;
    const more = document.createElement("span");
    more.className = "more";
    more.textContent = `+${entry.extra.length}`;
    entry.label.classList.add("has-more");
    entry.label.title += `\nand here too: ${entry.extra.map((c) => `${c.code} (${c.coder})`).join(", ")}`;
    entry.label.append(more);
  }

  // the coder groups' headings
  if (heads && layout.length) {
    const row = document.createElement("div");
    row.className = "margin-heads";
    for (const g of layout) {
      const head = document.createElement("span");
      head.className = "margin-head";
      head.textContent = g.key === you ? "you" : g.key;
      head.title = `${g.key === you ? `Your coding (${g.key})` : `${g.key}'s coding`}: ${g.list.length} passage${g.list.length === 1 ? "" : "s"} in this document`;
      head.dataset.coder = g.key;
      head.style.left = `${g.x}px`;
      head.style.width = `${g.width}px`;
      row.append(head);
    }
    frag.prepend(row);
  }
  box.classList.toggle("headed", heads && layout.length > 0);
  box.replaceChildren(frag);
}
