// The memory page: list, search, correct and forget what the companion remembers.

import { api } from "./api.js";
import { $, h, toast, when } from "./ui.js";

const PAGE = 50;
const KIND_NAMES = { fact: "fact", preference: "preference", event: "event", reflection: "reflection", episode: "conversation" };
const state = { offset: 0, query: "", kind: "" };

function status(text) {
  $("#memory-status").textContent = text;
}

function sourcesText(sources) {
  if (!sources || !sources.length) return "";
  return `from ${sources.length} source${sources.length === 1 ? "" : "s"}`;
}

function memoryItem(m) {
  const text = h("p", { class: "text", id: `memory-${m.id}-text` }, m.text);
  const actions = h("div", { class: "actions" });
  const item = h(
    "li",
    { class: "memory", "data-memory-id": m.id, "aria-labelledby": `memory-${m.id}-text` },
    text,
    h(
      "div",
      { class: "about" },
      h("span", { class: "kind" }, KIND_NAMES[m.kind] || m.kind),
      m.said_at || m.created_at ? h("span", {}, when(m.said_at || m.created_at)) : null,
      m.sources && m.sources.length ? h("span", { title: m.sources.join(", ") }, sourcesText(m.sources)) : null,
    ),
    actions,
  );

  const showButtons = () => {
    actions.replaceChildren(
      h("button", { type: "button", class: "secondary", onclick: edit, "aria-describedby": text.id }, "Edit"),
      h("button", { type: "button", class: "secondary", onclick: askForget, "aria-describedby": text.id }, "Forget"),
    );
  };

  const edit = () => {
    const id = `memory-${m.id}-edit`;
    const area = h("textarea", { id, rows: 3 });
    area.value = m.text;
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const save = async (event) => {
      event.preventDefault();
      try {
        const updated = await api(`/api/memories/${m.id}`, { method: "PATCH", body: { text: area.value } });
        m.text = (updated && updated.text) || area.value;
        text.textContent = m.text;
        text.hidden = false;
        showButtons();
        actions.querySelector("button").focus();
        status("Saved.");
      } catch (err) {
        error.textContent = `${err.message} ${err.hint || ""}`.trim();
        error.hidden = false;
      }
    };
    const cancel = () => {
      text.hidden = false;
      showButtons();
      actions.querySelector("button").focus();
    };
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel();
    });
    text.hidden = true;
    actions.replaceChildren(
      h(
        "form",
        { class: "edit", onsubmit: save },
        h("label", { for: id, class: "visually-hidden" }, "Memory text"),
        area,
        error,
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
      ),
    );
    area.focus();
  };

  const askForget = () => {
    const keep = h("button", { type: "button", class: "secondary", onclick: () => { showButtons(); actions.querySelectorAll("button")[1].focus(); } }, "Keep it");
    const yes = h("button", { type: "button", class: "danger", onclick: forget }, "Yes, forget it");
    actions.replaceChildren(h("p", { class: "ask", role: "alert" }, "Forget this for good? I won't be able to recall it again."), yes, keep);
    keep.focus(); // the safe choice has focus, so a stray Enter keeps the memory
  };

  const forget = async () => {
    actions.querySelectorAll("button").forEach((b) => (b.disabled = true));
    let gone = [m.id];
    try {
      const answer = await api(`/api/memories/${m.id}`, { method: "DELETE" });
      // Forgetting a memory also forgets what was derived from it: take those off the page too.
      if (answer && Array.isArray(answer.forgotten)) gone = gone.concat(answer.forgotten);
    } catch (err) {
      toast(err.message, { error: true, hint: err.hint });
      showButtons();
      return;
    }
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    for (const id of gone) {
      const other = document.querySelector(`.memory[data-memory-id="${id}"]`);
      if (other) other.remove();
    }
    state.offset = Math.max(0, state.offset - 1);
    status("Forgotten.");
    if (next && next.isConnected) next.querySelector("button").focus();
    else $("#memory-query").focus();
    if (!$("#memory-list").childElementCount) status("Forgotten. Nothing else to show here.");
  };

  showButtons();
  return item;
}

async function load({ more = false } = {}) {
  const list = $("#memory-list");
  if (!more) {
    state.offset = 0;
    list.replaceChildren();
  }
  status("Looking…");
  let memories;
  try {
    if (state.query) {
      const found = await api(`/api/memories/search?q=${encodeURIComponent(state.query)}`);
      memories = found.map((r) => r.memory || r).filter((m) => !state.kind || m.kind === state.kind);
    } else {
      const params = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
      if (state.kind) params.set("kind", state.kind);
      memories = await api(`/api/memories?${params}`);
    }
  } catch (error) {
    status("");
    list.replaceChildren(h("li", { class: "error", role: "alert" }, error.message, error.hint ? h("span", { class: "hint" }, error.hint) : null));
    return;
  }
  list.append(...memories.map(memoryItem));
  state.offset += memories.length;
  $("#memory-more").hidden = Boolean(state.query) || memories.length < PAGE;
  const shown = list.childElementCount;
  if (!shown) status(state.query ? `Nothing matches “${state.query}”.` : "Nothing remembered yet. Talk to me and I'll keep what matters.");
  else status(state.query ? `${shown} memor${shown === 1 ? "y matches" : "ies match"} “${state.query}”.` : `${shown} memor${shown === 1 ? "y" : "ies"}.`);
}

export function showMemories() {
  return load();
}

export function initMemories() {
  $("#memory-search").addEventListener("submit", (event) => {
    event.preventDefault();
    state.query = $("#memory-query").value.trim();
    state.kind = $("#memory-kind").value;
    load();
  });
  $("#memory-kind").addEventListener("change", () => {
    state.kind = $("#memory-kind").value;
    load();
  });
  $("#memory-more").addEventListener("click", () => load({ more: true }));
}
