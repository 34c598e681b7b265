// The chat WebSocket: reconnects with a gentle backoff and queues what is said while it's down.

export class ChatSocket {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.queue = [];
    this.ws = null;
    this.closedByUs = false;
    this.delay = 500;
  }

  open() {
    this.closedByUs = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/ws`);
    this.ws = ws;
    this.onState("connecting");
    ws.addEventListener("open", () => {
      this.delay = 500;
      this.onState("open");
      for (const message of this.queue.splice(0)) ws.send(message);
    });
    ws.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // Not ours to render.
      }
      this.onEvent(data);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closedByUs) return;
      // 4401/1008: the server refused the session; the app checks /api/me and shows the login.
      this.onState(event.code === 4401 || event.code === 1008 ? "unauthorized" : "closed");
      setTimeout(() => { if (!this.closedByUs && !this.ws) this.open(); }, this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send now, or queue until the socket is back; true if it went out at once. */
  send(message) {
    const text = JSON.stringify(message);
    if (this.isOpen) {
      this.ws.send(text);
      return true;
    }
    this.queue.push(text);
    return false;
  }

  close() {
    this.closedByUs = true;
    this.queue = [];
    if (this.ws) this.ws.close();
    this.ws = null;
  }
}
