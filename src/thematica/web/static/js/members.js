// The members page: a role change applies at once (without JavaScript a "Set" button does
// it), the invitation link has a Copy button, and dates read as everywhere else.
import { toast } from "/static/js/common.js";
import { formatTimes } from "/static/js/dates.js";

for (const form of document.querySelectorAll("form.role-form")) {
  const select = form.querySelector("select[name=role]");
  const set = form.querySelector(".role-set");
  if (set) set.hidden = true;
  select.addEventListener("change", () => form.requestSubmit());
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // plain http on a network address: the clipboard API is not offered there
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.left = "-9999px";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copying is not allowed here");
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await copyText(source.textContent.trim());
      button.textContent = "Copied ✓";
      toast("Invitation link copied: paste it into your message.", "ok");
      setTimeout(() => { button.textContent = "Copy link"; }, 2500);
    } catch {
      window.getSelection().selectAllChildren(source);
      toast("Could not copy: the link is selected, press Ctrl+C (⌘C on a Mac).", "error");
    }
  });
}

formatTimes();
