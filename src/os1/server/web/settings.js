// Persona and settings: names, the companion's manner, voice, colours.

import { api } from "./api.js";
import { $, clearError, showError, toast } from "./ui.js";

let onPersonaSaved = () => {};

function speedText(value) {
  return `${Number(value).toFixed(1)}×`;
}

/** Colours: "auto" follows the device; the choice is kept on the server with the preferences. */
export function applyTheme(theme) {
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

export async function loadPreferences() {
  const data = await api("/api/settings");
  const prefs = (data && data.preferences) || {};
  applyTheme(prefs.theme);
  return data;
}

export async function showSettings() {
  showNotifyState();
  const personaError = $("#persona-form .error");
  const settingsError = $("#settings-form .error");
  clearError(personaError);
  clearError(settingsError);
  // Marked while loading: what arrives from the server must not overwrite what the user has
  // typed meanwhile, and tests wait for `data-loaded` before typing.
  delete $("#persona-form").dataset.loaded;
  delete $("#settings-form").dataset.loaded;
  try {
    const persona = await api("/api/persona");
    $("#companion-name").value = persona.companion_name || "";
    $("#user-name").value = persona.user_name || "";
    $("#persona-text").value = persona.persona_text || "";
    $("#persona-rendered").textContent = persona.rendered || "";
    if (persona.voice) $("#voice-style").value = persona.voice;
  } catch (error) {
    showError(personaError, error);
  }
  $("#persona-form").dataset.loaded = "true";
  try {
    const data = await loadPreferences();
    const prefs = data.preferences || {};
    if (prefs.voice_speed !== undefined) {
      $("#voice-speed").value = prefs.voice_speed;
      $("#voice-speed-value").textContent = speedText(prefs.voice_speed);
    }
    $("#theme").value = prefs.theme || "auto";
    $("#speak-replies").checked = Boolean(prefs.speak_replies);
    const model = data.settings && data.settings.model;
    $("#model-info").textContent = model ? `Thinking with ${model}.` : "";
  } catch (error) {
    showError(settingsError, error);
  }
  $("#settings-form").dataset.loaded = "true";
}

/** Whether reminders and messages I start can reach you through the browser. */
function showNotifyState() {
  const supported = "Notification" in window;
  const permission = supported ? Notification.permission : "unsupported";
  $("#notify-allow").hidden = permission !== "default";
  $("#notify-state").textContent = {
    granted: "Reminders and messages I start reach you as notifications, even in another tab.",
    denied: "Notifications are blocked for this site; your browser's site settings can allow them.",
    default: "Reminders reach you as notifications only if you allow them.",
    unsupported: "This browser can't show notifications; reminders appear here.",
  }[permission];
}

export function initSettings({ onPersona }) {
  onPersonaSaved = onPersona;
  showNotifyState();
  // Asked only on this click: browsers ignore (and users dislike) a request on page load.
  $("#notify-allow").addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      showNotifyState();
    }
  });
  $("#voice-speed").addEventListener("input", (event) => {
    $("#voice-speed-value").textContent = speedText(event.target.value);
  });
  $("#persona-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#persona-form .error");
    clearError(error);
    const body = { persona_text: $("#persona-text").value };
    const companion = $("#companion-name").value.trim();
    const user = $("#user-name").value.trim();
    // Empty names are left out: the server keeps the old one rather than storing nothing.
    if (companion) body.companion_name = companion;
    if (user) body.user_name = user;
    try {
      const saved = await api("/api/persona", { method: "PUT", body });
      if (saved) {
        $("#persona-text").value = saved.persona_text || "";
        $("#persona-rendered").textContent = saved.rendered || "";
      }
      onPersonaSaved(saved || {});
      toast("Persona saved.");
    } catch (err) {
      showError(error, err);
    }
  });
  $("#settings-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#settings-form .error");
    clearError(error);
    try {
      await api("/api/persona", { method: "PUT", body: { voice: $("#voice-style").value } });
      const data = await api("/api/settings", {
        method: "PATCH",
        body: {
          voice_speed: Number($("#voice-speed").value),
          theme: $("#theme").value,
          speak_replies: $("#speak-replies").checked,
        },
      });
      applyTheme(data && data.preferences ? data.preferences.theme : $("#theme").value);
      speakReplies = $("#speak-replies").checked;
      toast("Saved.");
    } catch (err) {
      showError(error, err);
    }
  });
}

/** Whether typed replies are also spoken (a user preference). */
export let speakReplies = false;

export function setSpeakReplies(value) {
  speakReplies = Boolean(value);
}
