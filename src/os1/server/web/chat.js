// The chat view: conversation list, message thread, streaming replies, tools and confirmations.

import { api } from "./api.js";
import { speakReplies } from "./settings.js";
import { renderMarkdown } from "./markdown.js";
import { plainArgs, plainQuestion } from "./plain.js";
import { $, h, setUnseen, toast, when } from "./ui.js";

const state = {
  socket: null,
  conversationId: null,
  conversations: [],
  turn: null, // {item, bubble, text}: the assistant reply being streamed
  busy: false,
  stopped: false, // the user pressed Stop: what still arrives for that turn is dropped
  tools: new Map(), // call_id -> tool line element
  confirms: new Map(), // call_id -> confirmation card
  unread: new Set(),
  unseen: new Map(), // conversation id -> notifications the user hasn't looked at yet
  queued: null, // the user's message waiting for the connection
  lastSaid: "",
  maxChars: 32000,
};

const thread = () => $("#thread");

// ---------- rendering ----------

function scrollDown(force = false) {
  const el = thread();
  const near = el.scrollHeight - el.scrollTop - el.clientHeight < 160;
  // Forced (a thread opened, a message sent): straight to the end, not a slow glide.
  if (force) el.scrollTo({ top: el.scrollHeight, behavior: "instant" });
  else if (near) el.scrollTop = el.scrollHeight;
}

/** The thread at its latest message: called once the view is on screen (a hidden thread has
 * no height to scroll). */
export function scrollToLatest() {
  scrollDown(true);
}

function append(node, force = false) {
  $("#empty-thread").hidden = true;
  thread().append(node);
  scrollDown(force);
  return node;
}

function messageItem(role, text, { meta = "", extraClass = "", busy = false } = {}) {
  const label = role === "user" ? "You" : companionName();
  const bubble = h("div", { class: "bubble" });
  const item = h(
    "li",
    { class: `msg ${role} ${extraClass}`.trim(), "aria-busy": busy ? "true" : null },
    h("span", { class: "visually-hidden" }, label + ": "),
    bubble,
    meta ? h("div", { class: "meta" }, meta) : null,
  );
  setBubble(item, text);
  if (!busy) addActions(item);
  return item;
}

/** The words of a message: the companion's as markdown (built as nodes), the user's as typed. */
function setBubble(item, text) {
  item.rawText = text;
  const bubble = item.querySelector(".bubble");
  if (item.classList.contains("assistant")) bubble.replaceChildren(...renderMarkdown(text));
  else bubble.textContent = text;
}

// Labels come from CSS (::before), so a message's text stays only what was said.
function actionButton(name, run) {
  return h("button", { type: "button", class: `ghost msg-action ${name.toLowerCase().replace(/\s+/g, "-")}`, "aria-label": name, onclick: run });
}

/** Copy on every reply; edit-and-resend on the user's messages; regenerate on the last reply. */
function addActions(item) {
  if (item.querySelector(".msg-actions") || !item.rawText) return;
  const buttons = [];
  if (item.classList.contains("assistant")) {
    const copy = actionButton("Copy", async () => {
      try {
        await navigator.clipboard.writeText(item.rawText);
        copy.classList.add("done");
        copy.setAttribute("aria-label", "Copied");
        setTimeout(() => {
          copy.classList.remove("done");
          copy.setAttribute("aria-label", "Copy");
        }, 2000);
      } catch {
        toast("I couldn't copy that.", { error: true, hint: "Your browser refused access to the clipboard." });
      }
    });
    buttons.push(copy);
    buttons.push(actionButton("Regenerate", () => regenerate(item)));
  } else if (item.classList.contains("user")) {
    buttons.push(actionButton("Edit and resend", () => editAndResend(item)));
  }
  item.append(h("div", { class: "msg-actions" }, buttons));
}

/** Ask the same question again: the words the user wrote before this reply. */
function regenerate(item) {
  if (state.busy) return;
  let before = item.previousElementSibling;
  while (before && !before.classList.contains("user")) before = before.previousElementSibling;
  if (before && before.rawText) say(before.rawText);
}

/** Put a message back in the composer, to change it and send it again. */
function editAndResend(item) {
  const input = $("#message");
  input.value = item.rawText;
  input.dispatchEvent(new Event("input"));
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function companionName() {
  return document.body.dataset.companion || "OS1";
}

function argsText(args) {
  if (!args || typeof args !== "object") return "";
  return Object.entries(args)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("\n");
}

function toolLine(name, { status = "running", args = null, output = "", sideEffect = false } = {}) {
  const statusText = { running: "running…", pending: "waiting for you", done: "done" }[status] || status;
  const body = [argsText(args), output].filter(Boolean).join("\n\n");
  return h(
    "li",
    { class: "tool", "data-tool": name },
    h(
      "details",
      {},
      h(
        "summary",
        {},
        h("span", { "aria-hidden": "true" }, sideEffect ? "✎ " : "⚙ "),
        h("span", { class: "name" }, name),
        h("span", { class: `status ${status}` }, statusText),
      ),
      body ? h("pre", {}, body) : h("pre", {}, "(no details)"),
    ),
  );
}

function updateTool(el, { status, output, ok = true }) {
  const statusEl = el.querySelector(".status");
  const shown = status === "done" && !ok ? "failed" : status;
  statusEl.className = `status ${shown}`;
  statusEl.textContent = shown === "done" ? "done" : shown;
  if (output) {
    const pre = el.querySelector("pre");
    pre.textContent = pre.textContent === "(no details)" ? output : `${pre.textContent}\n\n${output}`;
  }
}

/** A confirmation card: nothing happens until the user presses one of the two buttons. */
function confirmCard({ callId, summary, name, args, decide }) {
  const outcome = h("p", { class: "outcome", role: "status" });
  const yes = h("button", { type: "button", class: "primary" }, "Confirm");
  const no = h("button", { type: "button", class: "secondary" }, "Cancel");
  const question = plainQuestion(summary, name);
  const card = h(
    "li",
    { class: "confirm-card", role: "group", "aria-label": "Needs your confirmation", "data-call-id": callId },
    h("p", { class: "question" }, question),
    args && Object.keys(args).length ? h("details", {}, h("summary", {}, "Details"), h("pre", {}, plainArgs(args))) : null,
    h("div", { class: "buttons" }, yes, no),
    outcome,
  );
  const choose = async (approve) => {
    yes.disabled = true;
    no.disabled = true;
    outcome.textContent = approve ? "Confirmed. Working on it…" : "Cancelling…";
    try {
      await decide(approve);
    } catch (error) {
      outcome.textContent = `${error.message} ${error.hint || ""}`.trim();
      yes.disabled = false;
      no.disabled = false;
    }
  };
  yes.addEventListener("click", () => choose(true));
  no.addEventListener("click", () => choose(false));
  return card;
}

function settleConfirm(callId, status, ok) {
  const card = state.confirms.get(callId);
  if (!card) return;
  const buttons = card.querySelector(".buttons");
  // Decided once: the buttons go, so nobody can press them again; focus stays in the thread.
  if (buttons && buttons.contains(document.activeElement)) $("#message").focus();
  if (buttons) buttons.remove();
  const text = {
    done: ok ? "Done." : "It didn't work.",
    declined: "Cancelled. Nothing was done.",
    expired: "This request expired; nothing was done.",
    failed: "It didn't work.",
  }[status] || status;
  card.querySelector(".outcome").textContent = text;
  card.classList.add("settled");
}

function recalledNote(memories) {
  if (!memories || !memories.length) return null;
  const texts = memories.map((m) => m.text || (m.memory && m.memory.text) || "").filter(Boolean);
  return h(
    "li",
    { class: "recalled" },
    h(
      "details",
      {},
      h("summary", {}, `remembering ${texts.length} thing${texts.length === 1 ? "" : "s"}`),
      h("ul", {}, texts.map((t) => h("li", {}, t))),
    ),
  );
}

function errorItem(message, hint) {
  return h("li", { class: "msg-error", role: "alert" }, message, hint ? h("span", { class: "hint" }, hint) : null);
}

function renderHistory(messages) {
  const list = thread();
  list.replaceChildren();
  state.tools.clear();
  state.confirms.clear();
  for (const m of messages) {
    const meta = m.meta || {};
    if (m.role === "tool") {
      const name = meta.name || meta.tool || "tool";
      const status = meta.status || m.status || "done";
      const el = toolLine(name, { status, args: meta.arguments, output: m.content, sideEffect: !!meta.side_effect });
      if (meta.call_id) state.tools.set(meta.call_id, el);
      list.append(el);
      continue;
    }
    if (m.role !== "user" && m.role !== "assistant") continue;
    const notes = [when(m.created_at)];
    if (m.status === "cancelled") notes.push("stopped");
    const proactive = meta.proactive || meta.kind;
    if (proactive) notes.push(proactive);
    list.append(
      messageItem(m.role, m.content, {
        meta: notes.filter(Boolean).join(" · "),
        extraClass: m.role === "assistant" && proactive ? "notification" : "",
      }),
    );
  }
  $("#empty-thread").hidden = messages.length > 0;
  scrollDown(true);
}

// ---------- conversations ----------

function renderConversations() {
  const list = $("#conversation-list");
  list.replaceChildren(
    ...state.conversations.map((c) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            "aria-current": c.id === state.conversationId ? "true" : null,
            "data-conversation": c.id,
            onclick: () => {
              location.hash = `#/chat/${c.id}`;
              closeSidebar();
            },
          },
          h("span", { class: "title" + (state.unread.has(c.id) ? " unread" : "") }, c.title || "Untitled"),
          h("span", { class: "when" }, when(c.updated_at) + (state.unread.has(c.id) ? " · new" : "")),
        ),
      ),
    ),
  );
  if (!state.conversations.length) list.append(h("li", { class: "muted" }, "No conversations yet."));
  const current = state.conversations.find((c) => c.id === state.conversationId);
  $("#chat-title").textContent = current ? current.title || "Untitled" : "New conversation";
  $("#conversation-menu").hidden = !current;
  if (!current) closeConversationTools();
}

// ---------- rename and delete ----------

function closeConversationTools() {
  $("#conversation-tools").hidden = true;
  $("#conversation-ask").hidden = true;
  $("#conversation-menu").setAttribute("aria-expanded", "false");
}

function toggleConversationTools() {
  const tools = $("#conversation-tools");
  if (!tools.hidden) {
    closeConversationTools();
    return;
  }
  const current = state.conversations.find((c) => c.id === state.conversationId);
  $("#conversation-name").value = (current && current.title) || "";
  tools.hidden = false;
  $("#conversation-menu").setAttribute("aria-expanded", "true");
  $("#conversation-name").focus();
  $("#conversation-name").select();
}

async function renameConversation(event) {
  event.preventDefault();
  const title = $("#conversation-name").value.trim();
  if (!title || state.conversationId === null) return;
  try {
    await api(`/api/conversations/${state.conversationId}`, { method: "PATCH", body: { title } });
  } catch (error) {
    toast(error.message, { error: true, hint: error.hint });
    return;
  }
  closeConversationTools();
  await loadConversations();
  $("#conversation-menu").focus();
}

/** Delete asks first, in words, and the safe choice has focus. */
function askDelete() {
  const ask = $("#conversation-ask");
  const keep = h("button", { type: "button", class: "secondary", onclick: closeConversationTools }, "Keep it");
  const yes = h("button", { type: "button", class: "danger", onclick: deleteConversation }, "Yes, delete it");
  ask.replaceChildren("Delete this conversation and what I learnt from it? This can't be undone. ", yes, " ", keep);
  ask.hidden = false;
  keep.focus();
}

async function deleteConversation() {
  const id = state.conversationId;
  try {
    await api(`/api/conversations/${id}`, { method: "DELETE" });
  } catch (error) {
    toast(error.message, { error: true, hint: error.hint });
    return;
  }
  closeConversationTools();
  state.conversations = state.conversations.filter((c) => c.id !== id);
  toast("Conversation deleted.");
  location.hash = "#/chat";
  if (state.conversationId === id) await openConversation(null);
  $("#message").focus();
}

export async function loadConversations() {
  try {
    state.conversations = await api("/api/conversations");
  } catch (error) {
    toast(error.message, { error: true, hint: error.hint });
    return;
  }
  renderConversations();
}

async function loadPendingActions() {
  const box = $("#pending-actions");
  box.replaceChildren();
  box.hidden = true;
  if (state.conversationId === null) return;
  let actions = [];
  try {
    actions = await api(`/api/actions?status=pending&conversation_id=${state.conversationId}`);
  } catch {
    return; // The thread still shows; the live card appears on the next turn.
  }
  const mine = actions.filter((a) => a.conversation_id === undefined || a.conversation_id === state.conversationId);
  for (const a of mine) {
    const id = a.call_id || a.id;
    if (state.confirms.has(id)) continue;
    const card = confirmCard({
      callId: id,
      summary: a.summary,
      name: a.name,
      args: a.arguments,
      decide: async (approve) => {
        const verb = approve ? "confirm" : "decline";
        const outcome = await api(`/api/actions/${encodeURIComponent(id)}/${verb}`, { method: "POST" });
        settleConfirm(id, (outcome && outcome.status) || (approve ? "done" : "declined"), true);
        await openConversation(state.conversationId, { keepPending: true });
      },
    });
    state.confirms.set(id, card);
    box.append(h("ul", { class: "thread-like", role: "list" }, card));
  }
  box.hidden = box.childElementCount === 0;
}

export async function openConversation(id, { keepPending = false } = {}) {
  if (state.busy && id === state.conversationId) {
    // A reply is streaming into this very thread (e.g. sent while the page was still
    // loading): reloading the history now would cut it off.
    renderConversations();
    return;
  }
  state.conversationId = id;
  state.unread.delete(id);
  markSeen();
  renderConversations();
  if (id === null) {
    thread().replaceChildren();
    $("#empty-thread").hidden = false;
    if (!keepPending) loadPendingActions();
    return;
  }
  try {
    renderHistory(await api(`/api/conversations/${id}/messages`));
  } catch (error) {
    thread().replaceChildren(errorItem(error.message, error.hint));
    return;
  }
  if (!keepPending) await loadPendingActions();
}

async function newConversation() {
  try {
    const c = await api("/api/conversations", { method: "POST" });
    state.conversations.unshift(c);
    location.hash = `#/chat/${c.id}`;
  } catch (error) {
    toast(error.message, { error: true, hint: error.hint });
  }
  closeSidebar();
  $("#message").focus();
}

// ---------- the turn ----------

function setBusy(busy) {
  state.busy = busy;
  $("#send").disabled = busy;
  $("#stop").hidden = !busy;
  // On a phone, Stop takes the file button's place so Send stays on screen.
  $("#composer").classList.toggle("busy", busy);
}

// ---------- message length ----------

/** The server's limit (from /api/me); a longer message is kept in the composer, not sent. */
export function setMaxMessage(chars) {
  if (Number.isInteger(chars) && chars > 0) state.maxChars = chars;
  countChars();
}

function countChars() {
  const length = $("#message").value.length;
  const count = $("#composer-count");
  const over = length > state.maxChars;
  // Shown near the limit only: a counter on every short message is noise.
  count.hidden = length < state.maxChars * 0.8;
  count.textContent = `${length.toLocaleString()} / ${state.maxChars.toLocaleString()}`;
  count.classList.toggle("over", over);
  $("#message").setAttribute("aria-invalid", over ? "true" : "false");
  return !over;
}

function tooLong(length) {
  const error = $("#composer-error");
  error.replaceChildren(
    `That's ${length.toLocaleString()} characters; I can take ${state.maxChars.toLocaleString()} at most.`,
    h("span", { class: "hint" }, "It's still here: shorten it or split it into several messages."),
  );
  error.hidden = false;
}

function startReply() {
  if (state.turn) return state.turn;
  const item = messageItem("assistant", "", { busy: true });
  state.turn = { item, bubble: item.querySelector(".bubble"), text: "" };
  append(item);
  return state.turn;
}

function finishReply(text, note = "") {
  const turn = state.turn;
  state.turn = null;
  if (!turn) {
    if (text) append(messageItem("assistant", text, { meta: note }));
    return;
  }
  if (text && text !== turn.text) setBubble(turn.item, text);
  else setBubble(turn.item, turn.text);
  if (!turn.bubble.textContent) turn.item.remove();
  turn.item.removeAttribute("aria-busy");
  if (note) turn.item.append(h("div", { class: "meta" }, note));
  addActions(turn.item);
}

function say(text) {
  if (!text.trim() || state.busy) return;
  const item = append(messageItem("user", text), true);
  state.stopped = false;
  state.lastSaid = text;
  setBusy(true);
  const sent = state.socket.send({ type: "say", text, conversation_id: state.conversationId, new: false });
  if (sent) {
    startReply();
    return;
  }
  // Offline: the message waits in the socket's queue and goes out when it reconnects.
  state.queued = item;
  item.classList.add("queued");
  item.append(h("div", { class: "meta queued-note" }, "Waiting for the connection; it goes out as soon as I'm back."));
}

/** The socket is open again: what was queued has just been sent. */
export function connectionBack() {
  if (!state.queued) return;
  state.queued.classList.remove("queued");
  const note = state.queued.querySelector(".queued-note");
  if (note) note.remove();
  state.queued = null;
  if (state.busy) startReply();
}

function onTurnStarted(e) {
  if (state.conversationId !== e.conversation_id) {
    state.conversationId = e.conversation_id;
    history.replaceState(null, "", `#/chat/${e.conversation_id}`);
  }
  loadConversations();
}

/** One event from the socket, rendered. */
export function handleEvent(e) {
  if (state.stopped && ["text_delta", "done", "memory_recalled"].includes(e.type)) {
    if (e.type === "done") state.stopped = false;
    return;
  }
  switch (e.type) {
    case "turn_started":
      onTurnStarted(e);
      break;
    case "text_delta": {
      const turn = startReply();
      turn.text += e.text;
      setBubble(turn.item, turn.text);
      scrollDown();
      break;
    }
    case "memory_recalled": {
      const note = recalledNote(e.memories);
      if (note) {
        // Before the reply it belongs to, so the reply stays the last thing read.
        if (state.turn) thread().insertBefore(note, state.turn.item);
        else append(note);
      }
      break;
    }
    case "tool_call": {
      const el = toolLine(e.name, { status: e.side_effect ? "pending" : "running", args: e.arguments, sideEffect: e.side_effect });
      state.tools.set(e.call_id, el);
      if (state.turn) thread().insertBefore(el, state.turn.item);
      else append(el);
      break;
    }
    case "confirm": {
      const card = confirmCard({
        callId: e.call_id,
        summary: e.summary,
        name: e.name,
        args: e.arguments,
        decide: async (approve) => {
          state.stopped = false;
          setBusy(true);
          state.socket.send({ type: "confirm", call_id: e.call_id, approve });
        },
      });
      state.confirms.set(e.call_id, card);
      // After the reply that asks "Shall I…?", so the buttons follow the question.
      append(card, true);
      break;
    }
    case "tool_result": {
      const el = state.tools.get(e.call_id);
      if (el) updateTool(el, e);
      else append(toolLine(e.name || "tool", { status: e.ok ? e.status : "failed", output: e.output }));
      settleConfirm(e.call_id, e.status, e.ok);
      break;
    }
    case "safety":
      append(
        h(
          "li",
          { class: "notice" },
          e.kind === "crisis" ? "If you're in danger, please reach out to someone now — I've shared where to find help." : "A note about what I am.",
        ),
      );
      break;
    case "done":
      finishReply(e.text, e.status === "cancelled" ? "stopped" : "");
      if (speakReplies && e.text && e.status !== "cancelled") speak(e.text);
      setBusy(false);
      if (e.conversation_id !== undefined && e.conversation_id !== state.conversationId) {
        state.conversationId = e.conversation_id;
      }
      loadConversations();
      break;
    case "error":
      finishReply("");
      append(errorItem(e.message || "Something went wrong.", e.hint), true);
      setBusy(false);
      if (["too_large", "input_too_long"].includes(e.code) && !$("#message").value && state.lastSaid) {
        // Refused, not stored: the words go back where they were written.
        $("#message").value = state.lastSaid;
        $("#message").dispatchEvent(new Event("input"));
      }
      break;
    case "notification":
      onNotification(e);
      break;
    default:
      break; // Newer servers may send more; ignoring keeps the app usable.
  }
}

function onNotification(e) {
  const here = e.conversation_id === state.conversationId;
  if (here) {
    append(messageItem("assistant", e.text, { meta: [e.kind, e.late ? "late" : ""].filter(Boolean).join(" · "), extraClass: "notification" }));
  } else {
    state.unread.add(e.conversation_id);
  }
  if (!here || document.hidden) {
    state.unseen.set(e.conversation_id, (state.unseen.get(e.conversation_id) || 0) + 1);
    showUnseen();
  }
  const open = () => (location.hash = `#/chat/${e.conversation_id}`);
  if (document.hidden || !document.hasFocus()) systemNotification(e, open);
  toast(e.text, {
    kind: e.kind,
    action: here ? null : { label: "Open", run: open },
  });
  loadConversations();
}

function showUnseen() {
  let total = 0;
  for (const count of state.unseen.values()) total += count;
  setUnseen(total);
}

/** The conversation on screen has been seen: its notifications leave the tab-title count. */
function markSeen() {
  if (document.hidden || !state.unseen.has(state.conversationId)) return;
  state.unseen.delete(state.conversationId);
  showUnseen();
}

/** A notification from the browser, when the user allowed it (asked only on a click). */
function systemNotification(e, open) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const note = new Notification(companionName(), { body: e.text, tag: `os1-${e.message_id || e.text}` });
    note.addEventListener("click", () => {
      window.focus();
      open();
      note.close();
    });
  } catch {
    // Some browsers allow notifications only from a service worker; the toast still shows.
  }
}

/** Read a typed reply aloud (a preference); failures are told, never in the way. */
async function speak(text) {
  try {
    const response = await fetch("/api/voice/speak", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    if (!response.ok) throw new Error(`the voice answered ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const audio = h("audio", { controls: true, src: url, "aria-label": "Spoken reply" });
    const last = [...thread().querySelectorAll(".msg.assistant")].pop();
    if (last) last.append(audio);
    await audio.play();
  } catch (error) {
    if (error && error.name === "NotAllowedError") return; // autoplay refused; controls remain
    toast("I couldn't read that aloud.", { error: true, hint: String(error.message || error) });
  }
}

/** A finished voice turn (from the microphone or a file), shown like a typed one plus audio. */
export function showVoiceTurn(result) {
  if (result.conversation_id !== undefined && result.conversation_id !== state.conversationId) {
    state.conversationId = result.conversation_id;
    history.replaceState(null, "", `#/chat/${result.conversation_id}`);
    thread().replaceChildren();
  }
  append(messageItem("user", result.transcript || "(nothing heard)", { meta: "spoken" }), true);
  const item = messageItem("assistant", result.reply || "");
  if (result.audio) {
    const audio = h("audio", { controls: true, src: result.audio, preload: "auto", "aria-label": "Spoken reply" });
    item.append(audio);
    audio.play().catch(() => {
      // Autoplay refused (no user gesture left): the controls are there to press.
    });
  }
  append(item, true);
  loadConversations();
}

/** The companion's first words after onboarding: its chosen name and why. */
export function showIntroduction(text) {
  append(messageItem("assistant", text, { extraClass: "introduction" }), true);
}

/** The socket dropped: a reply in flight won't finish, so say so instead of waiting forever. */
export function connectionLost() {
  // A queued message is not lost: it goes out on reconnection, so there is nothing to redo.
  if (!state.busy || state.queued) return;
  finishReply("");
  append(errorItem("The connection dropped before my reply finished.", "Your message is saved. I'm reconnecting; once I'm back, Regenerate asks me again."), true);
  setBusy(false);
}

export function currentConversation() {
  return state.conversationId;
}

// ---------- small screens ----------

function closeSidebar() {
  $("#conversations").classList.remove("open");
  $("#toggle-conversations").setAttribute("aria-expanded", "false");
}

// ---------- wiring ----------

export function initChat(socket) {
  state.socket = socket;
  const input = $("#message");
  const form = $("#composer");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || state.busy) return;
    if (!countChars()) {
      tooLong(text.length);
      input.focus();
      return;
    }
    $("#composer-error").hidden = true;
    input.value = "";
    grow();
    countChars();
    say(text);
  });
  input.addEventListener("input", () => {
    if (countChars()) $("#composer-error").hidden = true;
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const grow = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 192)}px`;
  };
  input.addEventListener("input", grow);

  $("#stop").addEventListener("click", () => {
    socket.send({ type: "cancel" });
    // The server keeps what was written as a stopped reply; show the same here at once.
    state.stopped = true;
    finishReply("", "stopped");
    setBusy(false);
    input.focus();
  });
  $("#new-conversation").addEventListener("click", newConversation);
  $("#conversation-menu").addEventListener("click", toggleConversationTools);
  $("#conversation-tools").addEventListener("submit", renameConversation);
  $("#delete-conversation").addEventListener("click", askDelete);
  $("#conversation-tools").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeConversationTools();
      $("#conversation-menu").focus();
    }
  });
  document.addEventListener("visibilitychange", markSeen);
  $("#toggle-conversations").addEventListener("click", () => {
    const sidebar = $("#conversations");
    const open = !sidebar.classList.contains("open");
    sidebar.classList.toggle("open", open);
    $("#toggle-conversations").setAttribute("aria-expanded", String(open));
    if (open) (sidebar.querySelector("button") || sidebar).focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !$("#conversations").classList.contains("open")) return;
    const inside = $("#conversations").contains(document.activeElement);
    closeSidebar();
    if (inside) $("#toggle-conversations").focus();
  });
  // A tap beside the open drawer closes it, as on any phone.
  document.querySelector(".chat").addEventListener("pointerdown", (event) => {
    if ($("#conversations").classList.contains("open") && !event.target.closest("#toggle-conversations")) {
      closeSidebar();
    }
  });
}

export function resetChat() {
  state.conversationId = null;
  state.conversations = [];
  state.turn = null;
  state.unread.clear();
  state.unseen.clear();
  state.queued = null;
  setUnseen(0);
  setBusy(false);
  thread().replaceChildren();
}
