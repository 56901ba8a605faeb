// The report and exports: each starts a background job; the page polls its progress and shows
// a download link when the file is ready (the page never waits on one long request).

import { api, ApiError, el, projectId, toast } from "/static/js/common.js";
import { when } from "/static/js/dates.js";

const pid = projectId();
const POLL_MS = 600;

function message(error) {
  return error instanceof ApiError ? error.message : String(error);
}

const names = (list) => (list.length > 1 ? `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}` : list.join(""));
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// Whether the report can be written, before starting it: the services' answer for the chosen
// layer (open consensus disagreements; a layer this person may not read while blind).
function setupReadiness(form) {
  const box = document.getElementById("report-readiness");
  const allowLabel = document.getElementById("allow-open-label");
  const allow = form.elements.allow_open;
  const button = document.getElementById("report-submit");
  const why = document.getElementById("report-why");
  const source = document.getElementById("report-readiness-data");
  let current = source ? JSON.parse(source.textContent) : null;

  function render() {
    const r = current;
    if (!r || !box) return;
    const parts = [];
    let blocked = null;
    const open = r.consensus ? r.consensus.open : 0;
    allowLabel.hidden = !(open > 0) || Boolean(r.refused);
    if (r.refused) {
      const whose = r.refused_layer || r.layer;
      parts.push(el("p", { class: "readiness-refused" },
        el("strong", {}, "Only an owner can write this report while coding is blind. "),
        r.compares.length >= 2
          ? `Its agreement section compares ${names(r.compares)}, and you may not read ${whose}'s coding until comparison is opened.`
          : `It reads ${whose}'s coding, which you may not read until comparison is opened.`),
      el("p", { class: "hint" }, "Ask an owner to write it, or to open comparison to everyone (Members → Settings)."));
      blocked = "coding is blind";
    } else if (r.consensus && open > 0) {
      const c = r.consensus;
      parts.push(el("p", { class: "readiness-open" },
        el("strong", {}, plural(open, "open disagreement")),
        ` in the consensus layer “${r.layer}” (${c.decided} of ${c.compared} compared passages decided). Decide them on the `,
        el("a", { href: `/p/${pid}/compare?layer=${encodeURIComponent(r.layer)}` }, "Compare"),
        " tab, or write a provisional report."));
      if (!allow.checked) blocked = "decide the open disagreements first, or tick “provisional” above";
    } else if (r.consensus) {
      parts.push(el("p", { class: "readiness-ok" }, `Ready: the consensus layer “${r.layer}” of ${names(r.consensus.coders)} has no open disagreement.`));
    } else if (r.layer) {
      parts.push(el("p", { class: "readiness-ok" }, `Ready. The findings come from ${r.layer}'s own coding, not from a consensus layer.`));
    }
    if (!r.refused && r.compares.length >= 2) parts.push(el("p", { class: "hint" }, `Agreement in the report: ${names(r.compares)}.`));
    box.replaceChildren(...parts);
    button.disabled = Boolean(blocked);
    button.textContent = open > 0 && allow.checked && !r.refused ? "Write a provisional report" : "Write the report";
    why.textContent = blocked ? `Not yet: ${blocked}.` : "";
  }

  async function refresh() {
    const coder = form.elements.coder ? form.elements.coder.value : "";
    try {
      current = await api("GET", `/api/p/${pid}/analysis/report/check?${new URLSearchParams({ coder })}`);
    } catch (err) {
      toast(message(err), "error");
      return;
    }
    render();
  }

  if (form.elements.coder) form.elements.coder.addEventListener("change", refresh);
  allow.addEventListener("change", render);
  render();
  return { refresh, render };
}

function title(kind) {
  if (kind === "report") return "Results report";
  return kind.replace(/^export /, "Export: ");
}

export function setupDownloads(view) {
  const list = document.getElementById("jobs");
  const reportForm = document.getElementById("report-form");
  const allowLabel = document.getElementById("allow-open-label");
  const readiness = setupReadiness(reportForm);

  function entry(job) {
    let item = list.querySelector(`[data-job="${job.id}"]`);
    if (!item) {
      item = el("li", { class: "job", dataset: { job: job.id } });
      list.prepend(item);
    }
    const status = job.status === "running" ? "working" : job.status;
    const bar = el("progress", { max: job.total || 1, value: job.total ? job.done : 0, "aria-label": "progress" });
    if (!job.total && job.status === "running") bar.removeAttribute("value"); // indeterminate
    const parts = [
      el("div", { class: "job-head" }, el("strong", {}, title(job.kind)), " ", el("span", { class: `job-status status-${job.status}` }, status), el("span", { class: "muted" }, ` · started ${when(job.created_at)}`)),
    ];
    if (job.status === "running") parts.push(bar);
    if (job.message) {
      parts.push(el("div", { class: job.status === "failed" ? "error-message job-message" : "hint job-message" }, job.message));
    }
    if (job.status === "done" && job.result_name) {
      parts.push(
        el("a", { class: "button primary download", href: `/api/p/${pid}/jobs/${job.id}/download`, download: job.result_name }, `Download ${job.result_name}`),
      );
    }
    item.replaceChildren(...parts);
    return item;
  }

  async function follow(id) {
    for (;;) {
      let job;
      try {
        job = await api("GET", `/api/p/${pid}/jobs/${id}`);
      } catch (err) {
        toast(message(err), "error");
        return;
      }
      entry(job);
      if (job.status === "done" || job.status === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async function start(url, body, button) {
    button.disabled = true;
    try {
      const { job } = await api("POST", url, body);
      entry({ id: job, kind: url.endsWith("/report") ? "report" : `export ${body.what}`, status: "running", done: 0, total: null, message: "starting…", created_at: new Date().toISOString() });
      return await follow(job);
    } catch (err) {
      toast(message(err), "error");
      return null;
    } finally {
      button.disabled = false;
    }
  }

  reportForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = reportForm.elements;
    allowLabel.classList.remove("attention");
    const job = await start(
      `/api/p/${pid}/analysis/report`,
      {
        fmt: f.fmt.value,
        coder: f.coder ? f.coder.value || null : null,
        title: f.title.value.trim() || null,
        allow_open: f.allow_open.checked,
      },
      reportForm.querySelector("button[type=submit]"),
    );
    if (job && job.status === "failed") {
      allowLabel.classList.add("attention"); // the usual refusal: open disagreements
      toast("The report was not written: see the message below.", "error");
    }
    readiness.refresh();
  });

  view.addEventListener("click", (event) => {
    const button = event.target.closest("[data-export]");
    if (!button) return;
    const row = button.closest("tr");
    const coder = row.querySelector("select[name=coder]");
    start(
      `/api/p/${pid}/analysis/export`,
      { what: row.dataset.what, fmt: row.querySelector("select[name=fmt]").value, coder: coder ? coder.value || null : null },
      button,
    );
  });

  // earlier reports and exports of this person (a reload keeps following unfinished ones)
  api("GET", `/api/p/${pid}/jobs`)
    .then((jobs) => {
      const me = document.body.dataset.user;
      const mine = jobs
        .filter((j) => j.actor === me && (j.kind === "report" || j.kind.startsWith("export ")))
        .reverse();
      for (const job of mine) {
        entry(job);
        if (job.status === "running") follow(job.id);
      }
      if (!mine.length && !list.children.length) list.append(el("li", { class: "muted none" }, "Nothing yet."));
    })
    .catch((err) => toast(message(err), "error"));
  new MutationObserver(() => {
    const none = list.querySelector(".none");
    if (none && list.querySelector(".job")) none.remove();
  }).observe(list, { childList: true });
}
