"""A scriptable HTTP file server on 127.0.0.1 for the download tests.

Each path is served by a :class:`Route` whose ``plan`` lists what to do on the
1st, 2nd, ... request (the last entry repeats): ``"ok"`` sends the file (a
``Range`` request gets 206 when ``ranges`` is on), ``"500"``/``"404"`` answer
with that status, ``"truncate"`` promises the whole file but closes the
connection halfway, ``"stall"`` sends headers and then waits past the client's
timeout, ``"garbage"`` sends the right number of wrong bytes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    payload: bytes
    plan: tuple[str, ...] = ("ok",)
    ranges: bool = True
    stall_seconds: float = 2.0
    requests: list = field(default_factory=list)  # the Range header of each request (None when absent)

    def next_action(self) -> str:
        return self.plan[min(len(self.requests) - 1, len(self.plan) - 1)]


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Route] = {}

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        route.requests.append(self.headers.get("Range"))
        action = route.next_action()
        if action in ("500", "404"):
            self.send_error(int(action))
            return
        body, status, start = route.payload, 200, 0
        rng = self.headers.get("Range")
        if rng and route.ranges and action == "ok":
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_error(416)
                return
            status = 206
        chunk = body[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(chunk)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        if action == "truncate":
            self.wfile.write(chunk[: len(chunk) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if action == "stall":
            self.wfile.write(chunk[:10])
            self.wfile.flush()
            time.sleep(route.stall_seconds)
            return
        if action == "garbage":
            chunk = bytes(255 - b for b in chunk)
        self.wfile.write(chunk)


class FileServer:
    """``with FileServer({"/a.bin": Route(b"...")}) as server: server.url("/a.bin")``."""

    def __init__(self, routes: dict[str, Route]):
        handler = type("Handler", (_Handler,), {"routes": routes})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
