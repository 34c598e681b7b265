// OS1 web app entry: session (login/logout), the hash router and the chat socket.

import { api, setUnauthorizedHandler } from "./api.js";
import { $, clearError, showError, titleView, toast } from "./ui.js";
import { ChatSocket } from "./socket.js";
import {
  connectionBack,
  connectionLost,
  handleEvent,
  initChat,
  loadConversations,
  openConversation,
  resetChat,
  scrollToLatest,
  setMaxMessage,
  showIntroduction,
} from "./chat.js";
import { initOnboarding, offerOnboarding } from "./onboarding.js";
import { initMemories, showMemories } from "./memories.js";
import { initInner, showInner } from "./inner.js";
import { initSettings, loadPreferences, setSpeakReplies, showSettings } from "./settings.js";
import { initVoice } from "./voice.js";

const VIEWS = ["chat", "memories", "us", "settings"];
let signedIn = false;

const socket = new ChatSocket({
  onEvent: handleEvent,
  onState: (connection) => {
    const el = $("#connection");
    el.dataset.state = connection;
    el.classList.toggle("offline", connection === "closed" || connection === "unauthorized");
    el.textContent = { open: "", connecting: "Connecting…", closed: "Offline, reconnecting…", unauthorized: "" }[connection] ?? "";
    document.body.classList.toggle("offline", connection === "closed");
    if (connection === "closed") connectionLost();
    if (connection === "open") connectionBack();
    if (connection === "unauthorized") checkSession();
  },
});

function showOnly(id) {
  for (const view of ["booting", "login-view", "app-view"]) $("#" + view).hidden = view !== id;
}

function showLogin() {
  signedIn = false;
  socket.close();
  resetChat();
  showOnly("login-view");
  $("#login-username").focus();
}

async function enter(me) {
  signedIn = true;
  $("#whoami").textContent = me.username || "";
  $("#logout").hidden = Boolean(me.single_user);
  setMaxMessage(me.max_message_chars);
  socket.open();
  loadCompanionName();
  loadPreferences()
    .then((data) => setSpeakReplies(data && data.preferences && data.preferences.speak_replies))
    .catch(() => {}); // defaults are fine; the settings page shows any error
  // The view appears once its data is in, so nothing typed early is wiped by a late load.
  await route();
  showOnly("app-view");
  scrollToLatest();
  if (!location.hash.startsWith("#/memories") && !location.hash.startsWith("#/settings")) {
    $("#message").focus();
  }
}

async function loadCompanionName() {
  try {
    const persona = await api("/api/persona");
    setCompanion(persona);
    await offerOnboarding(persona);
  } catch {
    // The default name is fine if this fails; the settings page shows the error.
  }
}

function setCompanion(persona) {
  const name = (persona && persona.companion_name) || "OS1";
  document.body.dataset.companion = name;
  $("#message").placeholder = `Write to ${name}…`;
  $("#brand-name").textContent = name;
  titleView();
}

async function checkSession() {
  try {
    const me = await api("/api/me", { quiet401: true });
    if (!signedIn) await enter(me);
  } catch (error) {
    if (error.status === 401) showLogin();
    else {
      showOnly("login-view");
      showError($("#login-error"), error);
    }
  }
}

async function route() {
  if (!signedIn) return;
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "c") parts[0] = "chat"; // #/c/12, the short form of #/chat/12
  const view = VIEWS.includes(parts[0]) ? parts[0] : "chat";
  for (const name of VIEWS) $(`#${name}-view`).hidden = name !== view;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  titleView({ chat: "Chat", memories: "Memories", us: "Us", settings: "Settings" }[view]);
  if (view === "chat") {
    const id = parts[1] ? Number(parts[1]) : null;
    await loadConversations();
    await openConversation(Number.isInteger(id) ? id : null);
  } else if (view === "memories") {
    await showMemories();
  } else if (view === "us") {
    await showInner();
  } else {
    await showSettings();
  }
}

function initLogin() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#login-error");
    clearError(error);
    const username = $("#login-username").value.trim();
    const password = $("#login-password").value;
    if (!username || !password) {
      showError(error, { message: "Please enter your username and password." });
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("/api/login", { method: "POST", body: { username, password }, quiet401: true });
      $("#login-password").value = "";
      const me = await api("/api/me");
      await enter(me);
    } catch (err) {
      showError(error, err.status === 401 && !err.message ? { message: "Wrong username or password." } : err);
      $("#login-password").select();
    } finally {
      button.disabled = false;
    }
  });
  $("#logout").addEventListener("click", async () => {
    try {
      await api("/api/logout", { method: "POST", quiet401: true });
    } catch (error) {
      if (error.status !== 401) toast(error.message, { error: true, hint: error.hint });
    }
    location.hash = "";
    showLogin();
  });
}

setUnauthorizedHandler(() => {
  if (signedIn) {
    toast("Your session ended. Please sign in again.", { error: true });
    showLogin();
  }
});

initLogin();
initChat(socket);
initVoice();
initMemories();
initInner();
initSettings({ onPersona: setCompanion });
initOnboarding({
  onMet: (met) => {
    setCompanion(met.persona);
    showIntroduction(met.intro);
  },
});
window.addEventListener("hashchange", async () => {
  await route();
  // Keyboard and screen-reader users land where the new view starts.
  if (location.hash.startsWith("#/chat") || location.hash.startsWith("#/c/") || !location.hash) $("#message").focus({ preventScroll: true });
  else $("#main").focus({ preventScroll: true });
});
// A link to a conversation as ?c=12 opens it like #/chat/12.
const linked = new URLSearchParams(location.search).get("c");
if (linked && /^\d+$/.test(linked)) history.replaceState(null, "", `${location.pathname}#/chat/${linked}`);
checkSession();
