// The audit page: times shown in the reader's own time zone (the server sends UTC), with how
// long ago; changing a filter applies it at once.

const form = document.getElementById("audit-filter");
if (form) {
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
}

const ago = (ms) => {
  const minutes = Math.round(ms / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? "yesterday" : `${days} days ago`;
};

const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const time of document.querySelectorAll("table.audit time[datetime]")) {
  const when = new Date(time.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) continue;
  time.title = time.textContent;
  time.textContent = format.format(when);
  const span = document.createElement("span");
  span.className = "ago";
  span.textContent = ` · ${ago(Date.now() - when.getTime())}`;
  time.after(span);
}
