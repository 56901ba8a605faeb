// Words and numbers of the compare page: pairings and decisions in words, the "Decided by"
// field of the decision forms, numbers without a negative zero, and the agreement measures as
// a researcher reads them.
import { el } from "/static/js/common.js";
import { leaf } from "/static/js/compare-text.js";

// -- pairings and decisions in words (A, B: the two coders' names) -------------------------------
export function kindLabel(kind, A, B) {
  return {
    agreed: "identical",
    boundary: "span differs",
    only_a: `only ${A}`,
    only_b: `only ${B}`,
    different_code: "different code",
    added: "added by the team",
  }[kind] || kind;
}

export function kindSentence(item, A, B) {
  const a = item.a, b = item.b;
  switch (item.kind) {
    case "agreed": return `Both coders applied ${leaf(item.code)} to exactly this passage.`;
    case "boundary": return `Both coded ${leaf(a.code)}, over different spans.`;
    case "only_a": return `Only ${A} coded ${leaf(a.code)} here.`;
    case "only_b": return `Only ${B} coded ${leaf(b.code)} here.`;
    case "different_code":
      return `${A} coded ${leaf(a.code)}, ${B} coded ${leaf(b.code)}: the codebook says only one can apply.`;
    case "added": return `The team added ${leaf(item.code)} here; neither coder had it.`;
    default: return item.kind;
  }
}

export function actionDone(action, A, B) {
  return {
    keep_a: `kept ${A}'s`,
    keep_b: `kept ${B}'s`,
    keep_both: "kept both",
    merge: "merged",
    edit: "span adjusted",
    drop: "left out",
    overturn: "overturned",
    add: "added",
    agreed: "identical",
  }[action] || action;
}

export function actionChoices(item, A, B) {
  const sameCode = item.a && item.b && item.a.code_id === item.b.code_id;
  const choices = [];
  if (item.kind === "added") {
    choices.push(["edit", "Adjust the span or code"], ["drop", "Remove it from the consensus"]);
    return choices;
  }
  if (item.a) choices.push(["keep_a", item.b ? `Keep ${A}'s coding` : `Keep it (${A}'s coding)`]);
  if (item.b) choices.push(["keep_b", item.a ? `Keep ${B}'s coding` : `Keep it (${B}'s coding)`]);
  if (item.a && item.b) {
    choices.push(["keep_both", "Keep both codings"]);
    choices.push(["merge", sameCode ? "Merge: one coding over both spans" : "Merge: one coding over both spans, with the code chosen below"]);
  }
  choices.push(["edit", "Adjust: give the span (and code) yourself"]);
  choices.push(["drop", item.a && item.b ? "Drop both: not coded in the consensus" : "Drop: not coded in the consensus"]);
  if (sameCode) choices.push(["overturn", "Overturn: the code does not apply here (reason required)"]);
  return choices;
}

// -- who decides ----------------------------------------------------------------------------------

const me = () => document.body.dataset.user || "";
const KEY = () => `thematica.decided_by.${document.body.dataset.project || ""}`;

// Who decides: the signed-in person, or what was typed last on this page (e.g. "alex+sam" for
// a whole meeting), so a meeting types it once.
export function decidedBy() {
  try {
    return sessionStorage.getItem(KEY()) || me();
  } catch {
    return me();
  }
}

export function rememberDecidedBy(value) {
  try {
    if (value && value !== me()) sessionStorage.setItem(KEY(), value);
    else sessionStorage.removeItem(KEY());
  } catch {
    // private browsing: the name lasts for this form only
  }
}

export function decidedByField() {
  return el("label", { class: "decided-by" }, "Decided by",
    el("input", { name: "decided_by", maxlength: "200", value: decidedBy(), autocomplete: "off", required: true }),
    el("span", { class: "hint" }, "Your name, or e.g. alex+sam for a team meeting"));
}

// the value to send: what the form says (the server takes the signed-in person when empty)
export function decidedByOf(form) {
  const field = form.elements.decided_by;
  const value = field ? field.value.trim() : "";
  rememberDecidedBy(value);
  return value || null;
}

// 0.00, never -0.00 (a tiny negative rounds to zero)
export function fixed(value, places = 2) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  const text = Number(value).toFixed(places);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

export function percent(value, places = 1) {
  return value === null || value === undefined ? "—" : `${fixed(100 * value, places)}%`;
}

// Each agreement measure: a short label and what it tells you (the full name and reference
// stay in the tooltip).
const MEASURES = [
  [/^percent agreement/i, () => "Percent agreement",
    "Share of the text (or units) on which the two coders agree, with no correction for chance."],
  [/^(Cohen|Fleiss|Light)'s kappa/, (m) => `${m[1]}'s kappa (κ)`,
    "Agreement corrected for chance: 1 is perfect, 0 no better than chance. Below 0.6 is usually read as weak."],
  [/^Krippendorff's alpha/, () => "Krippendorff's alpha (α)",
    "Agreement corrected for chance: 1 is perfect, 0 no better than chance; 0.8 or more is reliable, 0.667 to 0.8 tentative."],
  [/^αU/, () => "Same passages, same codes",
    "Krippendorff's unitised alpha (αU): do the coders mark the same stretches of text with the same codes? Each code counts on its own."],
  [/^\|u-alpha/, () => "Coded vs not coded",
    "|uα: do both coders code the same stretches of text at all, whatever the code?"],
  [/^cu-alpha/, () => "Same code where both coded",
    "cuα: where both coders coded a stretch of text, did they choose the same code (among the codes compared)?"],
  [/^Cu-alpha/, () => "Same SEM level where both coded",
    "Cuα: as the line above, but only asks whether the codes fall under the same top-level code (SEM level)."],
];

export function measureLabel(measure) {
  for (const [pattern, label, explain] of MEASURES) {
    const m = pattern.exec(measure);
    if (m) return { label: label(m), explain: `${explain}\n(${measure})` };
  }
  return { label: measure, explain: measure };
}

export function measureCell(measure, note) {
  const { label, explain } = measureLabel(measure);
  return el("td", {}, el("span", { class: "measure", title: note ? `${explain}\n${note}` : explain, tabindex: "0" }, label));
}
