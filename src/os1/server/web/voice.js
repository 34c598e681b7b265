// Voice: push-to-talk with the browser's microphone, or an audio file, sent as one voice turn.

import { api } from "./api.js";
import { $ } from "./ui.js";
import { currentConversation, showVoiceTurn } from "./chat.js";

const MIN_MS = 300; // shorter than this is a slip of the finger, not speech

const rec = {
  recorder: null,
  stream: null,
  chunks: [],
  startedAt: 0,
  wanted: false, // the button is held; false once released (maybe before the mic opened)
  sending: false,
};

function status(text, isError = false) {
  const el = $("#voice-status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function setPressed(pressed) {
  const button = $("#talk");
  // The name stays "Hold to talk"; pressed state and the status line say it is listening.
  button.setAttribute("aria-pressed", String(pressed));
}

function micError(error) {
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    return "This browser can't record audio here (it needs a secure https:// or localhost page). You can send an audio file instead.";
  }
  if (error && error.name === "NotAllowedError") {
    return "Microphone access was refused. Allow it in the browser's site settings, or send an audio file.";
  }
  if (error && error.name === "NotFoundError") return "No microphone was found. You can send an audio file instead.";
  return `The microphone could not start (${(error && error.message) || error}).`;
}

function pickType() {
  for (const type of ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

async function start() {
  if (rec.recorder || rec.sending) return;
  rec.wanted = true;
  setPressed(true);
  status("Listening… let go to send.");
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    setPressed(false);
    status(micError(null), true);
    return;
  }
  try {
    rec.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    rec.wanted = false;
    setPressed(false);
    status(micError(error), true);
    return;
  }
  const type = pickType();
  const recorder = new MediaRecorder(rec.stream, type ? { mimeType: type } : undefined);
  rec.recorder = recorder;
  rec.chunks = [];
  recorder.addEventListener("dataavailable", (event) => {
    if (event.data.size) rec.chunks.push(event.data);
  });
  recorder.addEventListener("stop", finish);
  recorder.start(250);
  rec.startedAt = performance.now();
  if (!rec.wanted) stop(); // released while the microphone was opening
}

function stop() {
  rec.wanted = false;
  setPressed(false);
  if (rec.recorder && rec.recorder.state !== "inactive") rec.recorder.stop();
}

async function finish() {
  const recorder = rec.recorder;
  const held = performance.now() - rec.startedAt;
  rec.recorder = null;
  if (rec.stream) rec.stream.getTracks().forEach((t) => t.stop()); // the mic light goes off
  rec.stream = null;
  if (held < MIN_MS || !rec.chunks.length) {
    status("Hold the button down while you speak, then let go.");
    return;
  }
  const type = recorder.mimeType || "audio/webm";
  const blob = new Blob(rec.chunks, { type });
  const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
  await sendAudio(blob, `speech.${ext}`);
}

/** POST one recording or file as a voice turn and show the result. */
export async function sendAudio(blob, filename) {
  if (rec.sending) return;
  rec.sending = true;
  $("#talk").disabled = true;
  $("#upload").disabled = true;
  status("Thinking about what you said…");
  const form = new FormData();
  form.append("audio", blob, filename);
  const conversation = currentConversation();
  if (conversation !== null) form.append("conversation_id", String(conversation));
  try {
    const result = await api("/api/voice/turn", { method: "POST", body: form });
    status("");
    showVoiceTurn(result);
  } catch (error) {
    status(`${error.message}${error.hint ? " " + error.hint : ""}`, true);
  } finally {
    rec.sending = false;
    $("#talk").disabled = false;
    $("#upload").disabled = false;
  }
}

export function initVoice() {
  const talk = $("#talk");
  talk.setAttribute("aria-pressed", "false");
  let lastKey = 0;
  talk.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    talk.setPointerCapture(event.pointerId);
    start();
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    talk.addEventListener(type, () => { if (rec.wanted || rec.recorder) stop(); });
  }
  talk.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) {
      event.preventDefault();
      lastKey = performance.now();
      start();
    }
  });
  talk.addEventListener("keyup", (event) => {
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      lastKey = performance.now();
      stop();
    }
  });
  // A screen reader's "activate" sends a bare click: let that toggle recording on and off.
  talk.addEventListener("click", (event) => {
    if (event.detail !== 0 || performance.now() - lastKey < 1000) return;
    if (rec.recorder || rec.wanted) stop();
    else start();
  });
  talk.addEventListener("contextmenu", (event) => event.preventDefault());

  const file = $("#audio-file");
  $("#upload").addEventListener("click", () => file.click());
  file.addEventListener("change", () => {
    const chosen = file.files && file.files[0];
    file.value = "";
    if (chosen) sendAudio(chosen, chosen.name);
  });
}
