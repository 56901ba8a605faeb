// The codebook page's other views: frozen versions and their comparison, the whole
// codebook's history, and (owners) the codes coders proposed, to accept or decline.
import { api, toast, el } from "/static/js/common.js";

const $ = (sel, root = document) => root.querySelector(sel);

export function shortTime(iso) {
  return (iso || "").replace("T", " ").slice(0, 16);
}

// One codebook-history row in words ("renamed it from 'A' to 'B'").
export function describeChange(r) {
  const q = (v) => `“${v}”`;
  const short = (v) => { const t = (v || "").replace(/\s+/g, " ").trim(); return t.length > 80 ? `${t.slice(0, 79)}…` : t; };
  switch (r.action) {
    case "create": return "created it";
    case "rename": return `renamed it from ${q(r.old)} to ${q(r.new)}`;
    case "move": return r.new ? `moved it under ${q(r.new)}` : "moved it to the top level";
    case "merge": return `merged ${q(r.old)} into it (${r.new})`;
    case "split": return `split ${r.old} off into ${q(r.new)}`;
    case "delete": return "removed it";
    case "update":
      if (r.field === "exclusive") return /^(true|1)$/i.test(r.new || "") ? "marked its subcodes mutually exclusive" : "unmarked its subcodes as exclusive";
      return r.new ? `set its ${r.field} to ${q(short(r.new))}` : `cleared its ${r.field}`;
    default: return r.action;
  }
}

function showView(name) {
  for (const tab of document.querySelectorAll(".cb-views [role=tab]")) {
    const on = tab.dataset.view === name;
    tab.setAttribute("aria-selected", String(on));
    const panel = document.getElementById(tab.getAttribute("aria-controls"));
    if (panel) panel.hidden = !on;
  }
}

export function initPanels({ pid, base, canEdit, onCodebookChanged }) {
  const tabs = document.querySelectorAll(".cb-views [role=tab]");
  tabs.forEach((tab) => tab.addEventListener("click", () => {
    showView(tab.dataset.view);
    history.replaceState(null, "", `${location.pathname}${location.search}${tab.dataset.view === "codes" ? "" : `#${tab.dataset.view}`}`);
    if (tab.dataset.view === "versions") loadVersions(base);
    if (tab.dataset.view === "proposals") loadProposals(pid, onCodebookChanged);
  }));
  const wanted = location.hash.slice(1);
  if ([...tabs].some((t) => t.dataset.view === wanted)) {
    showView(wanted);
    if (wanted === "versions") loadVersions(base);
  }
  const freeze = $("#freeze-form");
  if (freeze) {
    freeze.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const made = await api("POST", `${base}/versions`, { name: freeze.elements.name.value, note: freeze.elements.note.value });
        toast(`Froze version “${made.version}” (${made.codes} codes).`, "ok");
        freeze.reset();
        await loadVersions(base);
      } catch (err) {
        toast(err.message, "error");
      }
    });
  }
  $("#compare-form").addEventListener("submit", (event) => { event.preventDefault(); compare(base); });
  $("#load-history").addEventListener("click", () => loadAllHistory(base));
  if (canEdit) loadProposals(pid, onCodebookChanged);
}

// -- versions -------------------------------------------------------------------------------

async function loadVersions(base) {
  let rows;
  try {
    rows = await api("GET", `${base}/versions`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  $("#version-count").textContent = String(rows.length);
  const body = $("#versions-table tbody");
  body.replaceChildren(...(rows.length
    ? rows.map((v) => el("tr", {}, el("td", {}, v.version), el("td", {}, shortTime(v.created_at)), el("td", { class: "num" }, String(v.codes)), el("td", {}, v.note)))
    : [el("tr", { class: "empty" }, el("td", { colspan: "4", class: "muted" }, "No version frozen yet."))]));
  const names = rows.map((v) => v.version);
  const fill = (select, choices, current) => select.replaceChildren(...choices.map((n) =>
    el("option", { value: n, selected: n === current }, n === "current" ? "current codebook" : n)));
  const oldSel = $("#compare-old");
  const newSel = $("#compare-new");
  fill(oldSel, names.length ? names : ["current"], oldSel.value || names[names.length - 1]);
  fill(newSel, [...names, "current"], newSel.value || "current");
}

async function compare(base) {
  const out = $("#compare-result");
  const old = $("#compare-old").value;
  const now = $("#compare-new").value;
  try {
    const result = await api("GET", `${base}/compare?${new URLSearchParams({ old, new: now })}`);
    const label = (n) => (n === "current" ? "the current codebook" : `version “${n}”`);
    if (!result.changes.length) {
      out.replaceChildren(el("p", { class: "notice" }, `No differences between ${label(old)} and ${label(now)}.`));
      return;
    }
    out.replaceChildren(
      el("p", { class: "hint" }, `${result.changes.length} difference${result.changes.length === 1 ? "" : "s"} from ${label(old)} to ${label(now)}:`),
      el("table", { class: "grid compare-table" },
        el("thead", {}, el("tr", {}, ...["Change", "Code", "Field", "Before", "After"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...result.changes.map((c) => el("tr", { class: `chg-${c.change}` },
          el("td", {}, el("span", { class: `chg chg-${c.change}` }, c.change)), el("td", {}, c.path),
          el("td", {}, c.field || ""), el("td", { class: "old" }, c.old ?? ""), el("td", { class: "new" }, c.new ?? ""))))));
  } catch (err) {
    out.replaceChildren(el("p", { class: "error-message" }, err.message));
  }
}

async function loadAllHistory(base) {
  const box = $("#all-history");
  try {
    const rows = (await api("GET", `${base}/history`)).reverse();
    box.replaceChildren(el("table", { class: "grid history-table" },
      el("thead", {}, el("tr", {}, ...["When (UTC)", "Who", "Code", "What"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows.slice(0, 500).map((r) => el("tr", {},
        el("td", { class: "nowrap" }, shortTime(r.at)), el("td", {}, r.actor || ""), el("td", {}, r.path), el("td", {}, describeChange(r)))))),
    rows.length > 500 ? el("p", { class: "hint" }, `The newest 500 of ${rows.length} changes.`) : "");
  } catch (err) {
    box.replaceChildren(el("p", { class: "error-message" }, err.message));
  }
}

// -- proposals ------------------------------------------------------------------------------

async function loadProposals(pid, onCodebookChanged) {
  const box = $("#proposals");
  const badge = $("#proposal-count");
  if (!box) return;
  let rows;
  try {
    rows = await api("GET", `/api/p/${pid}/proposals`);
  } catch (err) {
    box.replaceChildren(el("p", { class: "muted" }, err.status === 404 || err.status === 405
      ? "Proposals are not available on this server yet." : err.message));
    return;
  }
  badge.textContent = String(rows.length);
  badge.hidden = !rows.length;
  if (!rows.length) {
    box.replaceChildren(el("p", { class: "notice" }, "No open proposals."));
    return;
  }
  const decide = async (p, verb, body) => {
    try {
      await api("POST", `/api/p/${pid}/proposals/${p.id}/${verb}`, body);
      toast(verb === "accept" ? `Added “${p.name}” to the codebook.` : `Declined “${p.name}”.`, "ok");
      await loadProposals(pid, onCodebookChanged);
      if (verb === "accept") await onCodebookChanged();
    } catch (err) {
      toast(err.message, "error");
      throw err;
    }
  };
  const decline = (p) => {
    const dialog = $("#dlg-decline");
    const form = dialog.querySelector("form");
    form.reset();
    $(".dlg-text", dialog).textContent = `Decline ${p.proposed_by}'s proposal “${p.name}”?`;
    const error = dialog.querySelector(".dlg-error");
    error.hidden = true;
    form.onsubmit = async (event) => {
      if (event.submitter && event.submitter.value === "cancel") return;
      event.preventDefault();
      try {
        await decide(p, "decline", { note: form.elements.note.value });
        dialog.close();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    };
    dialog.showModal();
  };
  box.replaceChildren(el("table", { class: "grid proposals-table" },
    el("thead", {}, el("tr", {}, ...["Proposed code", "Under", "Definition", "Proposed by", "Passage", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((p) => el("tr", { dataset: { id: p.id } },
      el("td", {}, el("strong", {}, p.name)),
      el("td", {}, (p.parent_path ?? p.parent) || el("span", { class: "muted" }, "top level")),
      el("td", {}, p.definition || el("span", { class: "muted" }, "—")),
      el("td", {}, p.proposed_by, el("br"), el("small", { class: "muted" }, shortTime(p.proposed_at))),
      el("td", { class: "passage" }, p.document
        ? [el("a", { href: `/p/${pid}/read/${encodeURIComponent(p.document)}?coder=${encodeURIComponent(p.proposed_by)}` }, `${p.document} ${p.start}–${p.end}`),
          p.text ? el("q", {}, p.text.length > 160 ? `${p.text.slice(0, 159)}…` : p.text) : null]
        : el("span", { class: "muted" }, "—")),
      el("td", { class: "nowrap" },
        el("button", { type: "button", class: "primary small", onclick: () => decide(p, "accept").catch(() => {}) }, "Accept"), " ",
        el("button", { type: "button", class: "small danger", onclick: () => decline(p) }, "Decline")))))));
}
