// "Suggest codes…" in the reader: a small form (which unit of text, which of this server's
// models, how many codes per passage, the lowest score) that starts a suggest run for the
// document as a background job and shows its progress, polling the jobs API as imports and
// reports do; when it is done the reader shows the new suggestions.

import { api, el, toast } from "/static/js/common.js";

const POLL_MS = 600;
const UNITS = [
  ["sentence", "Sentences"],
  ["turn", "Speaker turns"],
  ["paragraph", "Paragraphs"],
  ["document", "The whole document"],
];

export class SuggestRun {
  // base: "/api/p/ID"; document: its name; onDone(job): the run finished
  constructor({ base, document, onDone }) {
    this.base = base;
    this.document = document;
    this.onDone = onDone;
    this.backendsLoaded = false;
  }

  open() {
    let dialog = document.getElementById("sg-run");
    if (!dialog) dialog = this.build();
    dialog.querySelector(".sg-run-status").replaceChildren();
    dialog.querySelector("button[type=submit]").disabled = false;
    dialog.showModal();
    if (!this.backendsLoaded) this.loadBackends(dialog.querySelector("select[name=backend]"));
  }

  // the models this server has, installed ones first; "automatic" names the one it picks
  async loadBackends(select) {
    let list;
    try {
      list = await api("GET", `${this.base}/suggestions/backends`);
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    this.backendsLoaded = true;
    const best = list.find((b) => b.default);
    const options = [el("option", { value: "" }, `Automatic: ${best ? best.model : "the best installed"}`)];
    for (const b of [...list.filter((x) => x.installed), ...list.filter((x) => !x.installed)]) {
      const label = `${b.model} — ${b.quality}${b.installed ? "" : " (not installed)"}`;
      options.push(el("option", { value: b.name, disabled: !b.installed, title: `${b.speed}. ${b.detail}` }, label));
    }
    const chosen = select.value;
    select.replaceChildren(...options);
    if ([...select.options].some((o) => o.value === chosen && !o.disabled)) select.value = chosen;
  }

  build() {
    const select = (name, options, label) => el("label", {}, label,
      el("select", { name }, ...options.map(([value, text]) => el("option", { value }, text))));
    const form = el("form", { class: "sg-run-form", method: "dialog" },
      el("h2", {}, "Suggest codes for this document"),
      el("p", { class: "hint" }, "A model on this server proposes codes from the codebook (names, definitions, examples) and, once the team has coded, from your accepted codings. Nothing leaves the server unless an owner configured a team AI server, and nothing is coded until someone accepts a suggestion."),
      select("unit", UNITS, "Suggest for"),
      select("backend", [["", "Automatic: the best installed model"]], "Model"),
      el("label", {}, "Codes per passage (at most)", el("input", { type: "number", name: "top", min: 1, max: 10, value: 3 })),
      el("label", {}, "Lowest score shown (0–1, blank: the model's default)", el("input", { type: "number", name: "min_score", min: 0, max: 1, step: 0.05 })),
      el("div", { class: "sg-run-status", role: "status", "aria-live": "polite" }),
      el("div", { class: "sg-run-acts" },
        el("button", { type: "submit", class: "primary" }, "Suggest"),
        el("button", { type: "button", class: "sg-run-cancel", onclick: () => form.closest("dialog").close() }, "Close")));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.run(form); });
    const dialog = el("dialog", { id: "sg-run", class: "sg-run" }, form);
    document.body.append(dialog);
    return dialog;
  }

  async run(form) {
    const status = form.querySelector(".sg-run-status");
    const submit = form.querySelector("button[type=submit]");
    const body = {
      documents: [this.document],
      unit: form.elements.unit.value,
      top: Number(form.elements.top.value) || 3,
    };
    if (form.elements.backend.value) body.backend = form.elements.backend.value;
    if (form.elements.min_score.value !== "") body.min_score = Number(form.elements.min_score.value);
    const bar = el("progress", { "aria-label": "progress" });
    const line = el("div", { class: "hint" }, "Starting…");
    status.replaceChildren(bar, line);
    submit.disabled = true;
    let job;
    try {
      job = (await api("POST", `${this.base}/suggestions/run`, body)).job;
      for (;;) {
        const state = await api("GET", `${this.base}/jobs/${job}`);
        if (state.total) { bar.max = state.total; bar.value = state.done; } else bar.removeAttribute("value");
        line.textContent = state.message ? state.message.charAt(0).toUpperCase() + state.message.slice(1) : "Working…";
        if (state.status === "done") { form.closest("dialog").close(); await this.onDone(state); return; }
        if (state.status === "failed") {
          status.replaceChildren(el("div", { class: "error-message" }, state.message || "the run failed"));
          submit.disabled = false;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      status.replaceChildren(el("div", { class: "error-message" }, error.message));
      submit.disabled = false;
    }
  }
}
