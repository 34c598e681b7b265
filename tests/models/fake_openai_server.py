"""A real HTTP server on loopback that speaks (and mis-speaks) the OpenAI streaming API.

The first path segment picks its behaviour: /ok/v1, /slow/v1, /broken/v1, /garbage/v1,
/cutoff/v1 (closes without [DONE]), /missing/v1 (404 for every model). /agent/v1 is an
obedient tool-calling model: it calls whatever `CALL name {json}` the latest message asks for,
when tools are offered; /rogue/v1 does so even when no tools are offered.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _chunk(text: str, finish: str | None = None) -> bytes:
    body = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    requests: list[dict[str, object]] = []
    slow_seconds = 3.0

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/v1/models"):
            self._json(200, {"object": "list", "data": [{"id": "tiny"}, {"id": "big"}]})
        else:
            self._json(404, {"error": "no such route"})

    def do_POST(self) -> None:
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to report

    def _post(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        Handler.requests.append({"mode": mode, "body": body, "auth": self.headers["Authorization"]})
        if mode == "missing":
            self._json(404, {"error": {"message": f"model {body['model']} not found"}})
            return
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if body.get("stream") is False:
            self._json(200, _tool_answer(body, rogue=mode == "rogue"))
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        last = body["messages"][-1]["content"]
        if mode == "memory":  # a capable model asked to extract facts or reflect
            system = body["messages"][0]["content"]
            last = (
                '{"kind": "fact", "subject": "user", "attribute": "hometown", '
                '"value": "Tromso", "text": "They grew up in Tromso."}\nnot json\n'
                if "extract" in system
                else "They light up when they talk about the north."
            )
            self.wfile.write(_chunk(last))
            self.wfile.write(_chunk("", "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self.wfile.write(b": keep-alive comment\n\n")
        self.wfile.write(_chunk("Echo: "))
        self.wfile.flush()
        if mode == "broken":
            self.wfile.write(b'data: {"choices": [{"delta": {"content": "half')
            self.wfile.flush()
            return
        if mode == "garbage":
            self.wfile.write(b"data: this is not json\n\n")
            return
        self.wfile.write(_chunk(last))
        if mode == "cutoff":
            return
        self.wfile.write(_chunk("", "stop"))
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


_CALL = re.compile(r"CALL (\w+) (\{.*?\})")


def _tool_answer(body: dict[str, Any], rogue: bool) -> dict[str, Any]:
    """Obey the last `CALL name {json}` in the latest message (user's or a tool's)."""
    last = body["messages"][-1]
    match = _CALL.search(str(last.get("content") or ""))
    if match and (body.get("tools") or rogue):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"c{len(body['messages'])}",
                    "type": "function",
                    "function": {"name": match.group(1), "arguments": match.group(2)},
                }
            ],
        }
    else:
        message = {"role": "assistant", "content": f"Final: {last.get('content')}"}
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


@contextmanager
def serve() -> Iterator[str]:
    """Yield the server's root URL, e.g. http://127.0.0.1:PORT."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
