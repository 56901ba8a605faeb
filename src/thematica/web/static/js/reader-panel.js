// The reader's popover (the codings at a place in the text, with their actions) and its side
// panel (the selected coding with its memo and its code's memos, the codes in the document,
// the document's memos). Everything is built with el(): text a person typed stays text.

import { el } from "/static/js/common.js";

const SEP = " › ";

export function pathLabel(path) {
  const parts = path.split("/");
  const name = parts.pop();
  return [
    parts.length ? el("span", { class: "pp" }, parts.join(SEP) + SEP) : null,
    el("strong", {}, name),
  ];
}

export function excerpt(text, max = 180) {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : flat;
}

// Where a passage is, in a researcher's words: "turn 12, Participant 1 · 84 characters".
// turns: [{turn, start, end, speaker}] (turn is 0-based; people count from 1).
export function describeSpan(turns, start, end) {
  const n = end - start;
  const size = `${n.toLocaleString()} character${n === 1 ? "" : "s"}`;
  const first = turns.find((t) => t.end > start);
  const last = [...turns].reverse().find((t) => t.start < end);
  if (!first || !last || first.start >= end) return size;
  if (last.turn !== first.turn) return `turns ${first.turn + 1}–${last.turn + 1} · ${size}`;
  return `turn ${first.turn + 1}${first.speaker ? `, ${first.speaker}` : ""} · ${size}`;
}

function when(iso) {
  return iso ? iso.replace("T", " ").slice(0, 16) : "";
}

export class Popover {
  constructor() {
    this.box = el("div", { class: "popover", id: "popover", role: "dialog", "aria-label": "Codings here", hidden: true });
    document.body.append(this.box);
    this.box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.stopPropagation(); this.close(); }
    });
  }

  get isOpen() { return !this.box.hidden; }

  // items: codings; ctx: {anchor, slice(c), canWrite(c), fit: {start,end}|null, act(action, c), select(c)}
  open(items, ctx) {
    this.items = items;
    this.ctx = ctx;
    this.draw();
    this.box.hidden = false;
    this.place(ctx.anchor);
  }

  update(ctx) {
    if (!this.isOpen) return;
    Object.assign(this.ctx, ctx);
    this.draw();
  }

  close() {
    if (this.box.hidden) return;
    this.box.hidden = true;
    if (this.ctx && this.ctx.onClose) this.ctx.onClose();
  }

  place(anchor) {
    const width = this.box.offsetWidth || 380;
    const height = this.box.offsetHeight || 200;
    let left = Math.min(Math.max(8, anchor.left), window.innerWidth - width - 8);
    let top = anchor.bottom + 6;
    if (top + height > window.innerHeight - 8) top = Math.max(8, anchor.top - height - 6);
    this.box.style.left = `${left}px`;
    this.box.style.top = `${top}px`;
  }

  draw() {
    const { ctx } = this;
    const n = this.items.length;
    const rows = this.items.map((c) => {
      const writable = ctx.canWrite(c);
      const actions = writable
        ? el(
            "div",
            { class: "acts" },
            el("button", { type: "button", class: "small", "data-act": "recode", onclick: () => ctx.act("recode", c) }, "Change code"),
            el(
              "button",
              {
                type: "button", class: "small", "data-act": "fit", disabled: !ctx.fit,
                title: ctx.fit ? "Make this coding cover the passage now selected" : "Select a passage in the text first, then fit the coding to it",
                onclick: () => ctx.act("fit", c),
              },
              "Fit to selection",
            ),
            el("button", { type: "button", class: "small", "data-act": "memo", onclick: () => ctx.act("memo", c) }, c.memo ? "Edit memo" : "Memo"),
            el("button", { type: "button", class: "small danger", "data-act": "remove", onclick: () => ctx.act("remove", c) }, "Remove"),
          )
        : null;
      return el(
        "li",
        { class: `pc code-${c.code_id}`, dataset: { id: c.id } },
        el(
          "div",
          { class: "pc-head", onclick: () => ctx.select(c), title: "Show in the side panel" },
          el("span", { class: `sw code-${c.code_id}`, "aria-hidden": "true" }),
          el("span", { class: "pc-path" }, pathLabel(c.path)),
        ),
        el("div", { class: "pc-meta" }, el("span", { class: "coder-name", title: `in ${c.coder}'s coder layer` }, `coded by ${c.coder}`), ` · ${ctx.where(c.start, c.end)}`),
        el("blockquote", { class: "pc-text" }, excerpt(ctx.slice(c))),
        c.memo ? el("div", { class: "pc-memo" }, el("span", { class: "memo-icon", "aria-hidden": "true" }, "✎ "), c.memo) : null,
        actions,
      );
    });
    const parts = [
      el(
        "div",
        { class: "pop-head" },
        el("span", {}, n === 1 ? "1 coding here" : `${n} codings here`),
        el("button", { type: "button", class: "icon close", "aria-label": "Close", onclick: () => this.close() }, "×"),
      ),
      el("ul", { class: "pop-list" }, rows),
      ctx.fit
        ? el("div", { class: "pop-foot" }, `Selected now: ${ctx.where(ctx.fit.start, ctx.fit.end)} — “Fit to selection” moves a coding there`)
        : el("div", { class: "pop-foot" }, "To move a coding, select the passage it should cover, then “Fit to selection”."),
    ];
    this.box.replaceChildren(...parts);
  }
}

// The side panel's sections.
export function drawCodingDetail(box, c, { slice, where, canWrite, saveMemo, codeMemos, addCodeMemo, canMemo }) {
  const memo = el("textarea", { rows: 3, class: "coding-memo", "aria-label": "Memo on this coding", placeholder: "Why this passage, doubts, links…" }, c.memo || "");
  memo.disabled = !canWrite;
  const codeList = el("ul", { class: "memo-list" }, el("li", { class: "muted" }, "Loading…"));
  const codeForm = canMemo
    ? el(
        "form",
        { class: "memo-form", onsubmit: async (event) => {
          event.preventDefault();
          const area = event.target.querySelector("textarea");
          if (await addCodeMemo(c, area.value)) { area.value = ""; fill(); }
        } },
        el("textarea", { name: "text", rows: 2, "aria-label": "New memo on this code", placeholder: "A memo on this code…" }),
        el("button", { type: "submit", class: "small" }, "Add code memo"),
      )
    : null;
  async function fill() {
    const memos = await codeMemos(c);
    codeList.replaceChildren(...memoItems(memos, "No memo on this code yet."));
  }
  box.replaceChildren(...[
    el("div", { class: `detail-code code-${c.code_id}` }, el("span", { class: `sw code-${c.code_id}` }), el("span", {}, pathLabel(c.path))),
    el("div", { class: "pc-meta" }, `coded by ${c.coder} · ${where(c.start, c.end)}`),
    el("blockquote", { class: "detail-text" }, slice(c)),
    el("h3", {}, "Memo on this coding"),
    memo,
    canWrite
      ? el("button", { type: "button", class: "small", id: "save-coding-memo", onclick: () => saveMemo(c, memo.value) }, "Save memo")
      : null,
    el("h3", {}, "Memos on the code"),
    codeList,
    codeForm,
  ].filter(Boolean));
  fill();
}

export function memoItems(memos, empty) {
  if (!memos.length) return [el("li", { class: "muted" }, empty)];
  return memos.map((m) =>
    el("li", { class: "memo" }, el("div", { class: "memo-text" }, m.text), el("div", { class: "memo-meta" }, `${m.author || "—"} · ${when(m.created_at)}`)),
  );
}

export function drawSummary(list, visible, onPick, empty = "No codings shown.") {
  const counts = new Map();
  for (const c of visible) {
    const entry = counts.get(c.code_id) || { c, n: 0, by: new Map() };
    entry.n++;
    entry.by.set(c.coder, (entry.by.get(c.coder) || 0) + 1);
    counts.set(c.code_id, entry);
  }
  const several = new Set(visible.map((c) => c.coder)).size > 1;
  const entries = [...counts.values()].sort((a, b) => a.c.path.localeCompare(b.c.path));
  if (!entries.length) {
    list.replaceChildren(el("li", { class: "muted" }, empty));
    return;
  }
  list.replaceChildren(
    ...entries.map(({ c, n, by }) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: `summary-item code-${c.code_id}`, title: `${c.path}: go to the next passage`, onclick: () => onPick(c.code_id) },
          el("span", { class: `sw code-${c.code_id}`, "aria-hidden": "true" }),
          el("span", { class: "nm", title: `${c.path.split("/").join(SEP)} — click to go to its next passage` }, c.code),
          el(
            "span",
            { class: "count", title: several ? [...by].map(([who, k]) => `${who}: ${k}`).join(" · ") : `${n} passage${n === 1 ? "" : "s"}` },
            String(n),
          ),
        ),
      ),
    ),
  );
}
