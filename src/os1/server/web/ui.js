// Small DOM helpers shared by the views: element building, toasts, dates, error text.

export const $ = (selector, root = document) => root.querySelector(selector);

/** h("button", {class: "x", onclick: f}, "text", child) — attributes, then children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Show an error (ApiError or any Error) in an element with role=alert. */
export function showError(el, error) {
  el.replaceChildren(error.message || String(error));
  if (error.hint) el.append(h("span", { class: "hint" }, error.hint));
  el.hidden = false;
}

export function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
}

/** A toast; `action` is {label, run}. Errors stay until dismissed, the rest fade after a while. */
export function toast(text, { kind = "", error = false, action = null, hint = "" } = {}) {
  const box = document.getElementById("toasts");
  const close = () => item.remove();
  const item = h(
    "div",
    // The container is the polite live region; errors interrupt as alerts.
    { class: "toast" + (error ? " error" : ""), role: error ? "alert" : null },
    h(
      "div",
      { class: "body" },
      kind ? h("span", { class: "kind" }, kind) : null,
      kind ? " " : null,
      text,
      hint ? h("div", { class: "hint" }, hint) : null,
    ),
    action
      ? h("button", { type: "button", class: "secondary", onclick: () => { close(); action.run(); } }, action.label)
      : null,
    h("button", { type: "button", class: "ghost", "aria-label": "Dismiss", onclick: close }, "×"),
  );
  box.append(item);
  if (!error) setTimeout(close, 9000);
  return item;
}

export function when(iso) {
  if (!iso) return "";
  iso = iso.replace(" ", "T");
  const date = new Date(iso.endsWith("Z") || /[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
  if (Number.isNaN(date.getTime())) return iso;
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { day: "numeric", month: "short", year: date.getFullYear() === now.getFullYear() ? undefined : "numeric" });
}

let viewTitle = "Chat";
let unseen = 0;

/** "Chat · Samantha", with "(2) " in front while notifications wait unseen. */
export function titleView(view = viewTitle) {
  viewTitle = view;
  document.title = `${unseen ? `(${unseen}) ` : ""}${view} · ${document.body.dataset.companion || "OS1"}`;
}

/** Count what the companion said while the user looked away (0: all seen). */
export function setUnseen(count) {
  unseen = count;
  titleView();
}

export function addUnseen() {
  setUnseen(unseen + 1);
}
