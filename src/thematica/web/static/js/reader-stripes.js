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
    let columns = 1;
    for (const k of tracks.values()) columns = Math.max(columns, k + 1);
    return { key, list, tracks, columns };
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
  const base = view.wrap.getBoundingClientRect();
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
  // crowd; one that would land too far from its stripe's top joins the label above as "+N"
  placed.sort((a, b) => a[1] - b[1] || rank(a[0].coder) - rank(b[0].coder) || a[0].id - b[0].id);
  const slots = []; // {c, y, bar, extra}: every label's place, drawn only near the view
  let floor = -Infinity;
  for (const [c, top, bottom, bar] of placed) {
    const y = Math.max(top, floor);
    const last = slots[slots.length - 1];
    // (at most a label's height below the stripe's top, and never below its end)
    if (last && (y > top + LABEL_H + 1 || y + LABEL_H > Math.max(bottom, top + LABEL_H) + 2)) {
      last.extra.push(c);
      continue;
    }
    slots.push({ c, y, bar, extra: [] });
    floor = y + LABEL_H + 1;
  }
  const lane = document.createElement("div");
  lane.className = "mlabels";
  frag.append(lane);
  box.margin = { slots, lane, left: stripesWidth + 4, heads, you, onPick, onHover, window: null };
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
  drawLabels(view, true);
  if (!box.watching) {
    // labels are drawn for the part of the text in view (a long transcript has thousands)
    box.watching = true;
    let queued = false;
    view.wrap.parentElement.addEventListener("scroll", () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; drawLabels(view); });
    }, { passive: true });
  }
}

// The labels within two screens of the view (again only once the view leaves that band).
export function drawLabels(view, force = false) {
  const state = view.stripeBox.margin;
  if (!state) return;
  const scroller = view.wrap.parentElement.getBoundingClientRect();
  const base = view.wrap.getBoundingClientRect();
  const top = scroller.top - base.top;
  const bottom = scroller.bottom - base.top;
  const w = state.window;
  if (!force && w && top >= w[0] && bottom <= w[1]) return;
  const reach = scroller.height * 2;
  state.window = [top - reach, bottom + reach];
  const [from, to] = state.window;
  const frag = document.createDocumentFragment();
  for (const slot of state.slots) {
    if (slot.y < from - LABEL_H) continue;
    if (slot.y > to) break;
    frag.append(labelFor(slot, state));
  }
  state.lane.replaceChildren(frag);
}

function labelFor(slot, { left, heads, you, onPick, onHover }) {
  const { c, bar, extra } = slot;
  // a plain block (a flex button costs much more layout): the stripe beside it is the
  // button for keyboards and screen readers
  const label = document.createElement("div");
  label.className = `mlabel code-${c.code_id}`;
  label.title = `${c.path.split("/").join(" › ")} — coded by ${c.coder}`;
  label.setAttribute("aria-hidden", "true");
  label.dataset.id = c.id;
  label.style.top = `${slot.y}px`;
  label.style.left = `${left}px`;
  label.style.width = `${LANE - 8}px`;
  if (heads) {
    const who = document.createElement("span");
    who.className = "coder-name";
    who.textContent = c.coder === you ? "you" : c.coder;
    label.append(who);
  }
  label.append(c.code);
  if (extra.length) {
    const more = document.createElement("span");
    more.className = "more";
    more.textContent = `+${extra.length}`;
    label.classList.add("has-more");
    label.title += `\nand here too: ${extra.map((x) => `${x.code} (${x.coder})`).join(", ")}`;
    label.prepend(more); // (placed at the right by CSS)
  }
  label.addEventListener("click", (event) => { event.stopPropagation(); onPick([c, ...extra], label); });
  label.addEventListener("mouseenter", () => { bar.classList.add("hover"); onHover(c); });
  label.addEventListener("mouseleave", () => { bar.classList.remove("hover"); onHover(null); });
  return label;
}
