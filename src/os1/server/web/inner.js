// The "Us" page: our story, the companion's journal, the self it has grown (yours to edit and
// reset), what it means to ask you about, and a piece of music of our time.

import { api, ApiError } from "./api.js";
import { $, h, showError, toast, when } from "./ui.js";

const KINDS = ["interest", "opinion", "curiosity", "relationship"];
const KIND_NAMES = {
  interest: "What I find interesting",
  opinion: "What I think",
  curiosity: "What I wonder about",
  relationship: "How I see us",
};
let lastAudio = null; // the object URL of the last piece, freed when a new one comes

/** The page's section: in index.html once it is there, else made here inside <main>. */
function view() {
  let section = $("#us-view");
  if (!section) {
    section = h("section", { id: "us-view", class: "view page", "aria-labelledby": "us-title", hidden: true });
    $("#main").append(section);
  }
  return section;
}

function card(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function failed(error) {
  toast(error.message, { error: true, hint: error.hint });
}

async function storyCard() {
  const moments = await api("/api/inner/story");
  return card(
    "us-story-title",
    "Our story",
    h("ol", { class: "timeline" }, moments.map((m) => h("li", { "data-kind": m.kind }, h("time", { datetime: m.day }, m.day), " ", m.text))),
  );
}

async function journalCard() {
  let entries = [];
  try {
    entries = await api("/api/inner/journal");
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    return card("us-journal-title", "My journal", h("p", { class: "muted" }, error.message));
  }
  const list = h("ul", { class: "journal" });
  const item = (e) => {
    const li = h(
      "li",
      { "data-entry-id": e.id },
      h("h3", {}, h("time", { datetime: e.day }, e.day)),
      h("p", {}, e.text),
      h("button", {
        type: "button",
        class: "secondary",
        onclick: async () => {
          try {
            await api(`/api/inner/journal/${e.id}`, { method: "DELETE" });
            li.remove();
          } catch (error) {
            failed(error);
          }
        },
      }, "Delete"),
    );
    return li;
  };
  list.append(...entries.slice().reverse().map(item));
  return card(
    "us-journal-title",
    "My journal",
    entries.length ? list : h("p", { class: "muted" }, "Nothing yet: I write a few lines once a day we talked has ended."),
  );
}

async function threadsCard() {
  const threads = await api("/api/inner/threads");
  const list = h(
    "ul",
    { class: "threads" },
    threads.map((t) => {
      const li = h(
        "li",
        { "data-thread-id": t.id },
        h("span", {}, t.question),
        h("span", { class: "muted" }, ` after ${t.due.slice(0, 10)}`),
        h("button", {
          type: "button",
          class: "secondary",
          onclick: async () => {
            try {
              await api(`/api/inner/threads/${t.id}/close`, { method: "POST" });
              li.remove();
            } catch (error) {
              failed(error);
            }
          },
        }, "Don't ask"),
      );
      return li;
    }),
  );
  return card("us-threads-title", "What I mean to ask you", threads.length ? list : h("p", { class: "muted" }, "Nothing for now."));
}

function claimItem(c, refresh) {
  const text = h("p", { class: "text" }, c.text, c.why ? h("span", { class: "muted" }, ` (because ${c.why})`) : null);
  const where = c.conversation_id ? `from conversation ${c.conversation_id}` : "written by you";
  const actions = h("div", { class: "actions" });
  const li = h("li", { "data-claim-id": c.id }, text, h("p", { class: "muted small" }, `${where}, ${when(c.since)}`), actions);
  const buttons = () =>
    actions.replaceChildren(
      h("button", { type: "button", class: "secondary", onclick: edit }, "Edit"),
      h("button", { type: "button", class: "secondary", onclick: remove }, "Remove"),
    );
  const edit = () => {
    const area = h("input", { value: c.text, maxlength: 300, "aria-label": "What I hold" });
    const why = h("input", { value: c.why, maxlength: 300, "aria-label": "Why" });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    actions.replaceChildren(
      h(
        "form",
        {
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              await api(`/api/inner/self/claims/${c.id}`, { method: "PATCH", body: { text: area.value, why: why.value } });
              await refresh();
            } catch (err) {
              showError(error, err);
            }
          },
        },
        area,
        why,
        error,
        h("button", { type: "submit", class: "primary" }, "Save"),
        h("button", { type: "button", class: "ghost", onclick: buttons }, "Cancel"),
      ),
    );
    area.focus();
  };
  const remove = async () => {
    try {
      await api(`/api/inner/self/claims/${c.id}`, { method: "DELETE" });
      await refresh();
    } catch (error) {
      failed(error);
    }
  };
  buttons();
  return li;
}

async function selfCard() {
  const body = h("div");
  const refresh = async () => {
    const [me, history] = await Promise.all([api("/api/inner/self"), api("/api/inner/self/history")]);
    const groups = KINDS.map((kind) => {
      const mine = me.claims.filter((c) => c.kind === kind);
      return mine.length ? [h("h3", {}, KIND_NAMES[kind]), h("ul", { class: "claims" }, mine.map((c) => claimItem(c, refresh)))] : null;
    });
    const kind = h("select", { "aria-label": "Kind" }, KINDS.map((k) => h("option", { value: k }, KIND_NAMES[k])));
    const text = h("input", { maxlength: 300, required: true, "aria-label": "What I hold", placeholder: "e.g. Rainy evenings suit long talks" });
    const why = h("input", { maxlength: 300, "aria-label": "Why", placeholder: "why (optional)" });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const add = h(
      "form",
      {
        class: "row",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await api("/api/inner/self/claims", { method: "POST", body: { kind: kind.value, text: text.value, why: why.value } });
            await refresh();
          } catch (err) {
            showError(error, err);
          }
        },
      },
      kind,
      text,
      why,
      h("button", { type: "submit", class: "secondary" }, "Add"),
      error,
    );
    const versions = h(
      "ol",
      { class: "versions", reversed: true },
      history
        .slice()
        .reverse()
        .map((v) =>
          h(
            "li",
            { "data-version": v.number },
            `v${v.number} · ${when(v.at)} · ${v.by === "user" ? "you" : "me"}: ${v.change} (${v.reason}) `,
            v.number < me.version
              ? h("button", {
                  type: "button",
                  class: "ghost",
                  onclick: async () => {
                    try {
                      await api("/api/inner/self/reset", { method: "POST", body: { version: v.number } });
                      await refresh();
                    } catch (err) {
                      failed(err);
                    }
                  },
                }, "Go back to this")
              : null,
          ),
        ),
    );
    body.replaceChildren(
      me.claims.length ? h("div", {}, groups.flat()) : h("p", { class: "muted" }, "Nothing yet: I grow from what you share with me."),
      add,
      history.length ? h("details", {}, h("summary", {}, `Every change (${history.length})`), versions) : null,
    );
  };
  await refresh();
  return card("us-self-title", "Who I've become with you", h("p", { class: "muted small" }, "Yours to see, correct and reset."), body);
}

function musicCard() {
  const player = h("div", { class: "piece", role: "status", "aria-live": "polite" });
  const make = async (button) => {
    button.disabled = true;
    player.replaceChildren("Composing…");
    try {
      const response = await fetch("/api/inner/compose", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "audio/wav, audio/midi, application/json" },
        body: "{}",
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const e = body && body.error;
        throw new ApiError(response.status, (e && e.code) || "error", (e && e.message) || "I couldn't compose it.", (e && e.hint) || "");
      }
      if (lastAudio) URL.revokeObjectURL(lastAudio);
      lastAudio = URL.createObjectURL(await response.blob());
      const wav = (response.headers.get("Content-Type") || "").startsWith("audio/wav");
      const about = `${response.headers.get("X-OS1-Key") || ""}, ${response.headers.get("X-OS1-Tempo") || "?"} bpm`;
      player.replaceChildren(
        h("p", {}, `A piece of our time: ${about}.`),
        wav ? h("audio", { controls: true, src: lastAudio }) : h("p", { class: "muted" }, response.headers.get("X-OS1-Not-Rendered") || ""),
        h("a", { href: lastAudio, download: wav ? "our-time.wav" : "our-time.mid" }, wav ? "Download" : "Download the MIDI file"),
      );
    } catch (error) {
      player.replaceChildren();
      failed(error);
    } finally {
      button.disabled = false;
    }
  };
  const button = h("button", { type: "button", class: "primary", onclick: () => make(button) }, "Compose");
  return card("us-music-title", "A photograph in music", h("p", { class: "muted small" }, "A short piano piece that follows how you felt. The same time together always gives the same piece."), button, player);
}

export function initInner() {
  view();
}

/** Called by the router when #/us is shown. */
export async function showInner() {
  const section = view();
  const parts = await Promise.all([storyCard(), selfCard(), journalCard(), threadsCard()]).catch((error) => {
    failed(error);
    return [];
  });
  section.replaceChildren(h("h1", { id: "us-title", class: "page-title" }, "Us"), ...parts, musicCard());
}
