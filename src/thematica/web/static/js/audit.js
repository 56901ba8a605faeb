// The audit page: times shown in the reader's own time zone, as everywhere else in the app
// ("6 Dec 2026, 10:01"), with how long ago; changing a filter applies it at once.
import { ago, formatTimes } from "/static/js/dates.js";

const form = document.getElementById("audit-filter");
if (form) {
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
}

formatTimes(document.getElementById("audit-log") || document);
for (const time of document.querySelectorAll("table.audit time[datetime]")) {
  const since = ago(time.getAttribute("datetime"));
  if (!since) continue;
  const span = document.createElement("span");
  span.className = "ago";
  span.textContent = ` · ${since}`;
  time.after(span);
}
