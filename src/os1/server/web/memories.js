// The memory page: list, search, correct and forget what the companion remembers.

import { api } from "./api.js";
import { $, h, toast, when } from "./ui.js";

const PAGE = 50;
const KIND_NAMES = { fact: "fact", preference: "preference", event: "event", reflection: "reflection", episode: "conversation" };
const state = { offset: 0, query: "", kind: "", excerpts: false, generation: 0 };

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
    {
      class: "memory",
      "data-memory-id": m.id,
      "data-memory-ids": (m.ids || [m.id]).join(" "),
      "aria-labelledby": `memory-${m.id}-text`,
    },
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
      // One line may stand for several memories that say the same thing: forget them all.
      for (const id of m.ids || [m.id]) {
        if (gone.includes(id) && id !== m.id) continue;
        const answer = await api(`/api/memories/${id}`, { method: "DELETE" });
        // Forgetting a memory also forgets what was derived from it: take those off the page too.
        if (answer && Array.isArray(answer.forgotten)) gone = gone.concat(answer.forgotten);
      }
    } catch (err) {
      toast(err.message, { error: true, hint: err.hint });
      showButtons();
      return;
    }
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    for (const id of gone) {
      const other = document.querySelector(`.memory[data-memory-ids~="${id}"]`);
      if (other) other.remove();
    }
    for (const group of document.querySelectorAll(".memory-group")) {
      if (!group.querySelector(".memory")) group.remove();
    }
    state.offset = Math.max(0, state.offset - 1);
    status("Forgotten.");
    if (next && next.isConnected) next.querySelector("button").focus();
    else $("#memory-query").focus();
    if (!shownCount()) status("Forgotten. Nothing else to show here.");
  };

  showButtons();
  return item;
}

function shownCount() {
  return $("#memory-list").querySelectorAll(".memory").length;
}

/** The list a line goes in: one per person ("You" first), or one ranked list for a search. */
function groupList(person) {
  const key = state.query ? "search" : person === null ? "you" : `person:${person}`;
  const box = $("#memory-list");
  const existing = [...box.children].find((g) => g.dataset.group === key);
  if (existing) return existing.querySelector("ul");
  const title = state.query ? "Best matches" : person === null ? "You" : person;
  const id = `memory-group-${box.childElementCount}`;
  const list = h("ul", { class: "memory-items", "aria-labelledby": id });
  box.append(h("section", { class: "memory-group", "data-group": key }, h("h2", { id, class: "memory-group-title" }, title), list));
  return list;
}

async function load({ more = false } = {}) {
  const box = $("#memory-list");
  if (!more) {
    state.offset = 0;
    box.replaceChildren();
  }
  status("Looking…");
  // A newer load (a filter changed while this one waited) wins; this one's answer is dropped.
  const generation = ++state.generation;
  let lines;
  try {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset) });
    if (state.query) params.set("q", state.query);
    if (state.kind) params.set("kind", state.kind);
    if (state.excerpts) params.set("excerpts", "true");
    lines = await api(`/api/memories/about?${params}`);
  } catch (error) {
    if (generation !== state.generation) return;
    status("");
    box.replaceChildren(h("p", { class: "error", role: "alert" }, error.message, error.hint ? h("span", { class: "hint" }, error.hint) : null));
    return;
  }
  if (generation !== state.generation) return;
  if (!more) box.replaceChildren();
  for (const line of lines) groupList(line.person).append(memoryItem(line));
  state.offset += lines.length;
  $("#memory-more").hidden = Boolean(state.query) || lines.length < PAGE;
  const shown = shownCount();
  if (!shown) status(state.query ? `Nothing matches “${state.query}”.` : "Nothing remembered yet. Talk to me and I'll keep what matters.");
  else status(state.query ? `${shown} memor${shown === 1 ? "y matches" : "ies match"} “${state.query}”, best first.` : `${shown} memor${shown === 1 ? "y" : "ies"}.`);
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
  $("#memory-excerpts").addEventListener("change", () => {
    state.excerpts = $("#memory-excerpts").checked;
    load();
  });
  $("#memory-more").addEventListener("click", () => load({ more: true }));
}
