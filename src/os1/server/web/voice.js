// Voice: push-to-talk with the browser's microphone, or an audio file, sent as one voice turn;
// or a hands-free conversation over /api/voice/live (the server listens, answers and stops when
// talked over).

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

// ---------- hands-free conversation ----------

const call = {
  socket: null,
  stream: null,
  context: null, // 16 kHz: the microphone, resampled by the browser
  player: null, // the reply's voice
  playing: [], // scheduled sources, stopped at once on a barge-in
  playhead: 0,
  heard: "",
};

function toInt16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i]));
    out[i] = x < 0 ? x * 0x8000 : x * 0x7fff;
  }
  return out;
}

function playChunk(data) {
  // A uint32 sample rate, then int16 PCM: queued right after what is already playing.
  const rate = new DataView(data).getUint32(0, true);
  const pcm = new Int16Array(data, 4);
  if (!pcm.length) return;
  const buffer = call.player.createBuffer(1, pcm.length, rate);
  const channel = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
  const source = call.player.createBufferSource();
  source.buffer = buffer;
  source.connect(call.player.destination);
  call.playhead = Math.max(call.playhead, call.player.currentTime + 0.03);
  source.start(call.playhead);
  call.playhead += buffer.duration;
  call.playing.push(source);
  source.addEventListener("ended", () => {
    call.playing = call.playing.filter((s) => s !== source);
  });
}

function silence() {
  for (const source of call.playing) {
    try { source.stop(); } catch { /* already ended */ }
  }
  call.playing = [];
  call.playhead = 0;
}

function onCallEvent(event) {
  if (event.type === "listening") status("Conversation on: just talk. Press again to hang up.");
  else if (event.type === "speech_started") status("Listening…");
  else if (event.type === "partial") status(`Listening… ${event.text}`);
  else if (event.type === "heard") { call.heard = event.text; status(`You said: ${event.text}`); }
  else if (event.type === "reply") {
    showVoiceTurn({ transcript: call.heard, reply: event.text, conversation_id: event.conversation_id });
  } else if (event.type === "interrupted") {
    silence();
    if (event.spoken) showVoiceTurn({ transcript: call.heard, reply: event.spoken });
  } else if (event.type === "error") status(`${event.message}${event.hint ? " " + event.hint : ""}`, true);
}

async function startCall(button) {
  if (!navigator.mediaDevices || !window.AudioContext) {
    status(micError(null), true);
    return;
  }
  try {
    // The browser's echo cancellation keeps most of OS1's own voice out of what the server
    // hears; the server ignores what leaks through by its words (os1/voice/echo.py).
    call.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
  } catch (error) {
    status(micError(error), true);
    return;
  }
  call.context = new AudioContext({ sampleRate: 16000 });
  call.player = new AudioContext();
  const conversation = currentConversation();
  const query = conversation !== null ? `?conversation_id=${conversation}` : "";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/voice/live${query}`);
  socket.binaryType = "arraybuffer";
  call.socket = socket;
  socket.addEventListener("message", (message) => {
    if (typeof message.data === "string") onCallEvent(JSON.parse(message.data));
    else playChunk(message.data);
  });
  socket.addEventListener("close", () => stopCall(button));
  const source = call.context.createMediaStreamSource(call.stream);
  // ScriptProcessor, not an AudioWorklet: a worklet module would need its own script file.
  const tap = call.context.createScriptProcessor(2048, 1, 1);
  tap.addEventListener("audioprocess", (event) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(toInt16(event.inputBuffer.getChannelData(0)).buffer);
    }
  });
  source.connect(tap);
  tap.connect(call.context.destination); // (silent: the output buffer is left empty)
  button.setAttribute("aria-pressed", "true");
  $("#talk").disabled = true;
}

function stopCall(button) {
  if (!call.socket && !call.stream) return;
  const socket = call.socket;
  call.socket = null;
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: "stop" }));
    socket.close();
  }
  silence();
  if (call.stream) call.stream.getTracks().forEach((t) => t.stop());
  call.stream = null;
  for (const context of [call.context, call.player]) if (context) context.close();
  call.context = call.player = null;
  button.setAttribute("aria-pressed", "false");
  $("#talk").disabled = false;
  status("");
}

function initCall(talk) {
  const button = document.createElement("button");
  button.type = "button";
  button.id = "call";
  button.className = "talk";
  button.setAttribute("aria-pressed", "false");
  button.textContent = "Conversation";
  button.title = "Hands-free: talk whenever you like; talk over the reply to interrupt it.";
  talk.insertAdjacentElement("afterend", button);
  button.addEventListener("click", () => {
    if (call.socket || call.stream) stopCall(button);
    else startCall(button);
  });
}

export function initVoice() {
  const talk = $("#talk");
  initCall(talk);
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
