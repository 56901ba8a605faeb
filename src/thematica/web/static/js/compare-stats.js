// Agreement statistics and the decision log of the compare page, recomputed through the API
// (a separate request after the page has loaded: agreement can take seconds on a big project).
import { api, el } from "/static/js/common.js";
import { leaf, quote } from "/static/js/compare-text.js";
import { fixed, percent, measureCell } from "/static/js/compare-words.js";
import { when } from "/static/js/dates.js";

// ctx: { pid, coders(): [A, B], layer(), document(), documents(), chars(), kindLabel(k),
//        actionDone(a), select(id) }
export function makeStats(ctx) {
  const state = { scope: "document", unit: "character", run: 0 };
  const A = () => ctx.coders()[0];
  const B = () => ctx.coders()[1];
  const layer = () => ctx.layer();
  const pid = ctx.pid;

  // -- statistics ------------------------------------------------------------------------------------
  const fmt = (v) => fixed(v, 2);
  const pct = (v) => percent(v, 1);

  function agreementUrl(coders) {
    const q = new URLSearchParams({ coders: coders.join(","), unit: state.unit, bootstrap: "0" });
    if (state.scope === "document") q.append("documents", ctx.document());
    return `/api/p/${pid}/agreement?${q}`;
  }

  async function refreshStats() {
    const run = ++state.run;
    const spinner = document.getElementById("stats-spinner");
    spinner.hidden = false;
    const summary = document.getElementById("stats-summary");
    try {
      const [pair, withLayer, status] = await Promise.all([
        api("GET", agreementUrl([A(), B()])),
        layer() ? api("GET", agreementUrl([A(), B(), layer()])) : null,
        layer() ? api("GET", `/api/p/${pid}/consensus/status?name=${encodeURIComponent(layer())}`) : null,
      ]);
      if (run !== state.run) return;
      summary.replaceChildren(...statsSummary(pair, withLayer, status));
      renderCodeStats(pair);
    } catch (err) {
      if (run !== state.run) return;
      summary.replaceChildren(el("p", { class: "error-message" }, err.message));
      document.getElementById("code-stats").replaceChildren(el("p", { class: "error-message" }, err.message));
    } finally {
      if (run === state.run) spinner.hidden = true;
    }
  }

  function statsSummary(pair, withLayer, status) {
    const out = [];
    const scope = state.scope === "document" ? ctx.document() : "the whole project";
    const doc = ctx.documents().find((d) => d.document === ctx.document());
    if (status) {
      out.push(el("h3", {}, "Reconciliation"),
        el("div", { class: "tally", id: "tally" },
          el("span", { class: "t-open" }, el("b", { id: "status-open" }, String(status.open)), " open"),
          el("span", { class: "t-decided" }, el("b", { id: "status-decided" }, String(status.decided)), " decided"),
          el("span", { class: "t-agreed" }, el("b", {}, String(status.agreed)), " identical")),
        el("p", { class: "hint" }, `Whole project, layer “${status.layer}”: ${status.consensus_codings} consensus codings` +
          (doc ? `; this document: ${doc.open} open, ${doc.decided} decided.` : ".")));
      const total = status.open + status.decided;
      if (total) out.push(el("progress", { class: "reconciled", max: String(total), value: String(status.decided), title: `${status.decided} of ${total} decided` }));
    }
    out.push(el("h3", {}, `${A()} vs ${B()}`, el("span", { class: "muted" }, ` · ${state.unit}, ${scope}`)));
    const t = el("table", { class: "grid compact", id: "overall-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Measure"), el("th", { class: "num" }, "Value"), el("th", { class: "num", title: "how many units (characters, passages …) were compared" }, "n"))));
    const body = el("tbody");
    for (const r of pair.overall) {
      body.append(el("tr", {},
        measureCell(r.measure, r.note),
        el("td", { class: "num", dataset: { measure: r.measure } }, r.measure.startsWith("percent") ? pct(r.value) : fmt(r.value)),
        el("td", { class: "num" }, String(r.n_units))));
    }
    t.append(body);
    out.push(t);
    if (withLayer) {
      out.push(el("h3", {}, "Each coder against the consensus"));
      const rows = withLayer.pairs.filter((p) => p.coder_b === layer() || p.coder_a === layer());
      const tt = el("table", { class: "grid compact", id: "layer-table" },
        el("thead", {}, el("tr", {}, el("th", {}, "Coder"), el("th", { class: "num", title: "percent agreement" }, "%"),
        el("th", { class: "num", title: "Cohen's kappa: agreement corrected for chance" }, "κ"),
        el("th", { class: "num", title: "Krippendorff's alpha" }, "α"))));
      const tb = el("tbody");
      for (const p of rows) {
        const who = p.coder_a === layer() ? p.coder_b : p.coder_a;
        tb.append(el("tr", { dataset: { coder: who }, title: p.note || "" },
          el("td", {}, who), el("td", { class: "num" }, pct(p.percent)), el("td", { class: "num kappa" }, fmt(p.kappa)), el("td", { class: "num" }, fmt(p.alpha))));
      }
      tt.append(tb);
      out.push(tt, el("p", { class: "hint" }, "Rises as decisions bring the consensus closer to a coder's reading."));
    }
    for (const note of pair.notes || []) out.push(el("p", { class: "hint" }, note));
    return out;
  }

  function renderCodeStats(pair) {
    const box = document.getElementById("code-stats");
    document.getElementById("code-stats-scope").textContent = `(${state.unit}, ${state.scope === "document" ? ctx.document() : "whole project"})`;
    const used = pair.codes.filter((r) => Object.values(r.coded || {}).some((n) => n > 0));
    if (!used.length) { box.replaceChildren(el("p", { class: "hint" }, "Neither coder used a code here.")); return; }
    const t = el("table", { class: "grid", id: "code-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Code"), el("th", { class: "num" }, A()), el("th", { class: "num" }, B()),
        el("th", { class: "num" }, "% agreement"),
        el("th", { class: "num", title: "Cohen's kappa: agreement corrected for chance (1 perfect, 0 chance)" }, "Cohen's κ"),
        el("th", { class: "num", title: "Krippendorff's alpha (unitised, this code against the rest of the text)" }, "α"),
        el("th", {}, "Note"))));
    const body = el("tbody");
    for (const r of used) {
      body.append(el("tr", {},
        el("td", { title: r.code }, r.code),
        el("td", { class: "num" }, String(r.coded[A()] ?? 0)), el("td", { class: "num" }, String(r.coded[B()] ?? 0)),
        el("td", { class: "num" }, pct(r.percent)), el("td", { class: `num ${r.kappa !== null && r.kappa < 0.6 ? "low" : ""}` }, fmt(r.kappa)),
        el("td", { class: "num" }, fmt(r.alpha)), el("td", { class: "hint" }, r.note || r.label || "")));
    }
    t.append(body);
    box.replaceChildren(t, el("p", { class: "hint" }, `coded: each coder's codings (${state.unit === "character" || state.unit === "segment" ? "codings" : "units marked"}); κ below 0.6 is marked.`));
  }

  // -- the decision log ---------------------------------------------------------------------------
  // the passage a decision is about: its text quoted, the characters only as a detail
  function passageOf(r) {
    const refs = [...(r.source_codings || []), ...(r.result_codings || [])];
    if (!refs.length) return el("span", { class: "muted" }, "—");
    const start = Math.min(...refs.map((x) => x.start));
    const end = Math.max(...refs.map((x) => x.end));
    const text = ctx.chars().slice(start, end).join("");
    return el("button", { type: "button", class: "link passage", title: "Show it above", onclick: () => ctx.select(r.disagreement) },
      `“${quote(text, 80)}”`, el("span", { class: "hint chars" }, ` characters ${start}–${end}`));
  }

  function resultOf(r) {
    const refs = r.result_codings || [];
    if (!refs.length) return el("td", { class: "hint" }, "nothing in the consensus");
    return el("td", {}, ...refs.map((x, i) => el("div", { title: x.code },
      i ? "" : "in the consensus: ", leaf(x.code), el("span", { class: "hint chars" }, ` characters ${x.start}–${x.end}`))));
  }

  async function refreshLog() {
    const box = document.getElementById("log-box");
    if (!box || !box.open) return;
    const q = new URLSearchParams({ document: ctx.document(), include_agreed: "false", name: layer() });
    try {
      const rows = await api("GET", `/api/p/${pid}/consensus/log?${q}`);
      const t = el("table", { class: "grid log-table", id: "log-table" }, el("thead", {}, el("tr", {},
        ...["#", "When", "Decided by", "Decision", "Passage", "Code", "Reason", "Result"].map((h) => el("th", {}, h)))));
      const body = el("tbody");
      for (const r of rows.reverse()) {
        const replaced = r.superseded_by ? el("div", { class: "hint" }, `replaced by #${r.superseded_by}`) : null;
        body.append(el("tr", { class: r.superseded_by ? "superseded" : "", dataset: { disagreement: r.disagreement } },
          el("td", {}, String(r.decision)), el("td", { class: "when" }, when(r.decided_at)), el("td", {}, r.decided_by || ""),
          el("td", {}, ctx.actionDone(r.action), el("div", { class: "hint" }, ctx.kindLabel(r.kind)), replaced),
          el("td", { class: "passage-cell" }, passageOf(r)),
          el("td", {}, r.code.split(" | ").map(leaf).join(" | ")), el("td", {}, r.reason), resultOf(r)));
      }
      t.append(body);
      document.getElementById("log").replaceChildren(rows.length ? t : el("p", { class: "hint" }, "No decisions yet for this document."));
    } catch (err) {
      document.getElementById("log").replaceChildren(el("p", { class: "error-message" }, err.message));
    }
  }

  return {
    refreshStats,
    refreshLog,
    setScope(v) { state.scope = v; refreshStats(); },
    setUnit(v) { state.unit = v; refreshStats(); },
  };
}
