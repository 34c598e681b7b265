// The first meeting on the web: the same questions as `os1 setup`, one at a time, then the
// companion chooses its name and says why (the server's onboarding module does the choosing).

import { api } from "./api.js";
import { $, clearError, showError } from "./ui.js";

const SKIPPED = "os1.onboarding.skipped";
const state = { questions: [], answers: {}, step: 0, onMet: () => {} };

function showStep() {
  const q = state.questions[state.step];
  $("#onboarding-question").textContent = q.prompt;
  const answer = $("#onboarding-answer");
  answer.value = state.answers[q.key] || "";
  $("#onboarding-step").textContent = `${state.step + 1} of ${state.questions.length}`;
  $("#onboarding-next").textContent = state.step === state.questions.length - 1 ? "Meet" : "Next";
}

export function hideOnboarding() {
  $("#onboarding").hidden = true;
}

/** Offer the first meeting if it hasn't happened (and wasn't put off in this tab). */
export async function offerOnboarding(persona) {
  if (!persona || persona.onboarded || sessionStorage.getItem(SKIPPED)) return;
  let data;
  try {
    data = await api("/api/onboarding");
  } catch {
    return; // The chat works without it; the settings page still edits the names.
  }
  if (data.onboarded || !data.questions.length) return;
  state.questions = data.questions;
  state.answers = {};
  state.step = 0;
  $("#onboarding-welcome").textContent = data.welcome;
  showStep();
  $("#onboarding").hidden = false;
}

async function next(event) {
  event.preventDefault();
  const error = $("#onboarding-error");
  clearError(error);
  const q = state.questions[state.step];
  state.answers[q.key] = $("#onboarding-answer").value.trim();
  if (state.step < state.questions.length - 1) {
    state.step += 1;
    showStep();
    $("#onboarding-answer").focus();
    return;
  }
  const button = $("#onboarding-next");
  button.disabled = true;
  try {
    const met = await api("/api/onboarding", { method: "POST", body: { answers: state.answers } });
    hideOnboarding();
    state.onMet(met);
    $("#message").focus();
  } catch (err) {
    showError(error, err);
  } finally {
    button.disabled = false;
  }
}

export function initOnboarding({ onMet }) {
  state.onMet = onMet;
  $("#onboarding-form").addEventListener("submit", next);
  $("#onboarding-answer").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("#onboarding-form").requestSubmit();
    }
  });
  $("#onboarding-skip").addEventListener("click", () => {
    sessionStorage.setItem(SKIPPED, "1");
    hideOnboarding();
    $("#message").focus();
  });
}
