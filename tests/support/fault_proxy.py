"""A loopback HTTP proxy in front of a real service that fails on demand: down, 500/503
(with Retry-After), a reset before or after the request reached the service, an answer
slower than the client's timeout. Requests go through to the real service otherwise."""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("pass", "500", "503", "reset-before", "reset-after", "slow")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[str] = []
        """Applied to the next requests in order, then ``pass``."""
        self.retry_after: str | None = None
        self.slow_s = 2.0
        self.on_request: Callable[[int], None] | None = None
        """Called with the request's number (1, 2...) before it is handled."""
        self.requests = 0
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def up(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                proxy.handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests += 1
            number = self.requests
            fault = self.faults.pop(0) if self.faults else "pass"
        if self.on_request is not None:
            self.on_request(number)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if fault == "reset-before":
            _reset(handler)
            return
        if fault in ("500", "503"):
            content = b'{"error": {"code": "unavailable", "message": "busy"}}'
            handler.send_response(int(fault))
            if self.retry_after is not None:
                handler.send_header("Retry-After", self.retry_after)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
            return
        status, headers, content = self._forward(handler, body)
        if fault == "reset-after":  # the service has it; the answer never arrives whole
            handler.wfile.write(b"HTTP/1.1 201 Created\r\nContent-Length: 500\r\n\r\n{")
            handler.wfile.flush()
            _reset(handler)
            return
        if fault == "slow":
            time.sleep(self.slow_s)
        handler.send_response(status)
        for name, value in headers:
            if name.lower() in ("content-type", "retry-after"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (timeout)
            handler.wfile.write(content)

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            headers = {
                k: v
                for k, v in handler.headers.items()
                if k.lower() in ("authorization", "content-type", "user-agent")
            }
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed server or a middlebox does."""
    handler.close_connection = True
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
