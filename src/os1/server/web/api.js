// Talking to the OS1 server: JSON in and out, errors as ApiError with a message and a hint.

export class ApiError extends Error {
  constructor(status, code, message, hint = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

let onUnauthorized = () => {};

/** Called whenever the server says the session is gone (401), so the app can show the login. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy page, a crash): fall back to the status line below.
  }
  const e = body && body.error;
  if (e && e.message) return new ApiError(response.status, e.code || "error", e.message, e.hint || "");
  const detail = body && typeof body.detail === "string" ? body.detail : "";
  return new ApiError(
    response.status,
    "http_" + response.status,
    detail || `The server answered ${response.status} ${response.statusText}.`.trim(),
    response.status >= 500 ? "Try again in a moment; if it keeps happening, check the server log." : "",
  );
}

/** fetch + JSON; throws ApiError. `body` may be an object (sent as JSON) or FormData. */
export async function api(path, { method = "GET", body, quiet401 = false } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "offline", "I can't reach the server.", "Check that OS1 is running and your connection is up.");
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !quiet401) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}
