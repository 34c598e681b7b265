// Confirmation cards in plain words: no tool names or argument keys, and every date in one
// format, whatever format the tool or the model wrote it in.

const ISO = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g;
const CALL = /^\s*[a-z][\w.]*\s*\(.*\)\s*$/s; // "send_postcard(to='Maya')": a tool call, not words

/** One date format for the whole card: "Fri 5 Dec 2026, 09:00" (the time only if given). */
export function plainDate(iso) {
  const hasTime = /[T ]\d{2}:\d{2}/.test(iso);
  const date = new Date(hasTime ? iso.replace(" ", "T") : `${iso}T00:00:00`);
  if (Number.isNaN(date.getTime())) return iso;
  const day = date.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric" });
  if (!hasTime) return day.replace(",", "");
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return `${day.replace(",", "")}, ${time}`;
}

export function plainDates(text) {
  return String(text).replace(ISO, (iso) => plainDate(iso));
}

/** "send_postcard" -> "send a postcard"-ish words: underscores and dots become spaces. */
function words(name) {
  return String(name || "").replace(/[_.]+/g, " ").trim();
}

/** "Shall I send a postcard to Maya?" */
export function plainQuestion(summary, name) {
  const said = summary && !CALL.test(summary) ? plainDates(summary).replace(/[.?!]\s*$/, "") : "";
  return said ? `Shall I ${said}?` : `Shall I ${words(name) || "go ahead"}?`;
}

/** The details as "Label: value" lines, keys in words, dates in the one format. */
export function plainArgs(args) {
  if (!args || typeof args !== "object") return "";
  return Object.entries(args)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      const label = words(k);
      const value = typeof v === "string" ? v : Array.isArray(v) ? v.join(", ") : JSON.stringify(v);
      return `${label[0].toUpperCase()}${label.slice(1)}: ${plainDates(value)}`;
    })
    .join("\n");
}
