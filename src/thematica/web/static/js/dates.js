// One way to show a date and time across the app: "6 Dec 2026, 10:01", in the reader's own
// time zone. The server sends UTC (SQLite's times come without an offset: they are UTC too).

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const DATE_ONLY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" });

export function parseUtc(iso) {
  if (!iso) return null;
  const text = String(iso).trim().replace(" ", "T");
  const plain = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text); // a date alone: that day, wherever you are
  if (plain) return new Date(Number(plain[1]), Number(plain[2]) - 1, Number(plain[3]));
  const zoned = /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`;
  const date = new Date(zoned);
  return Number.isNaN(date.getTime()) ? null : date;
}

// "6 Dec 2026, 10:01" (or the text as given when it is no date)
export function when(iso) {
  const date = parseUtc(iso);
  return date ? DATE_TIME.format(date) : String(iso || "");
}

// "6 Dec 2026"
export function day(iso) {
  const date = parseUtc(iso);
  return date ? DATE_ONLY.format(date) : String(iso || "");
}

// how long ago, in words: "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago"
export function ago(iso) {
  const date = parseUtc(iso);
  if (!date) return "";
  const minutes = Math.round((Date.now() - date.getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? "yesterday" : `${days} days ago`;
}

// Every <time datetime="..."> under root shown the same way; data-format="day" for dates.
export function formatTimes(root = document) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    const iso = node.getAttribute("datetime");
    if (!parseUtc(iso)) continue;
    if (/[T ]\d/.test(iso)) node.title = `${iso.slice(0, 16).replace("T", " ")} UTC`;
    node.textContent = node.dataset.format === "day" ? day(iso) : when(iso);
  }
}
