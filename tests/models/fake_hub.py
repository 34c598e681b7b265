"""Real HTTP servers on loopback that behave like the model sources OS1 talks to.

`FakeHub` serves files the way the Hugging Face hub does: /OWNER/REPO/resolve/main/FILE
answers 302 to a CDN-like path with X-Linked-Etag (the sha256) and X-Linked-Size, and the CDN
path honours Range requests. It can drop the connection part-way, or publish a wrong checksum.
`FakeModelServer` answers like Ollama (/api/tags) or like llama-server (/v1/models only).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class HubState:
    files: dict[str, Path] = field(default_factory=dict)  # "OWNER/REPO/FILE" -> local file
    drops: int = 0  # how many GETs still break off part-way
    drop_after: int = 0  # bytes sent before such a GET breaks off
    wrong_sha: bool = False
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Range

    def sha(self, key: str) -> str:
        return hashlib.sha256(self.files[key].read_bytes()).hexdigest()


class HubHandler(BaseHTTPRequestHandler):
    state: HubState

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        try:
            self._serve(body=True)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _serve(self, body: bool) -> None:
        state = self.state
        state.requests.append((self.command, self.path, self.headers.get("Range")))
        hub = re.fullmatch(r"/([^/]+/[^/]+)/resolve/main/(.+)", self.path)
        if hub:
            key = f"{hub.group(1)}/{hub.group(2)}"
            if key not in state.files:
                self._empty(404)
                return
            sha = "0" * 64 if state.wrong_sha else state.sha(key)
            self.send_response(302)
            self.send_header("Location", f"/cdn/{key}")
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(state.files[key].stat().st_size))
            self.send_header("ETag", '"a1b2c3-git-blob"')  # the pointer's git hash, not the file's
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        key = self.path.removeprefix("/cdn/")
        if not self.path.startswith("/cdn/") or key not in state.files:
            self._empty(404)
            return
        data = state.files[key].read_bytes()
        start = 0
        wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if wanted:
            start = int(wanted.group(1))
            if start >= len(data):
                self._empty(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if not body:
            return
        if state.drops > 0:
            state.drops -= 1
            self.wfile.write(data[start : start + state.drop_after])
            self.wfile.flush()
            self.close_connection = True  # the rest never comes
            return
        view = memoryview(data)[start:]
        for i in range(0, len(view), 1 << 20):
            self.wfile.write(view[i : i + (1 << 20)])

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def fake_hub(files: dict[str, Path]) -> Iterator[tuple[str, HubState]]:
    state = HubState(files=dict(files))
    handler = type("Hub", (HubHandler,), {"state": state})
    with serve(handler) as url:
        yield url, state


def model_server(tags: list[dict[str, Any]] | None, ids: list[str] | None = None) -> Any:
    """A handler answering like Ollama (`tags`) or like llama-server (`ids` only)."""

    class ModelServer(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/api/tags" and tags is not None:
                self._json({"models": tags})
            elif self.path == "/v1/models":
                names = ids if ids is not None else [t["name"] for t in tags or []]
                self._json({"object": "list", "data": [{"id": n} for n in names]})
            else:
                self._json({"error": "not found"}, 404)

        def _json(self, body: object, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return ModelServer
