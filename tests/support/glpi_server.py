"""A loopback stand-in for a GLPI server's native inventory endpoint: it takes the agent's
``POST`` of JSON, validates it against the inventory_format schema (vendored in
tests/corpus/schemas/) and answers as GLPI's inventory endpoint does: 200
``{"status": "ok", "expiration": 24}``, or 400 ``{"status": "error", "message": …}``."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = (
    Path(__file__).resolve().parents[1] / "corpus" / "schemas" / "glpi-inventory.schema.json"
)
PATH = "/front/inventory.php"


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@dataclass
class GlpiServer:
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_status: int | None = None
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def __enter__(self) -> GlpiServer:
        owner = self
        check = validator()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(405, {"status": "error", "message": "Method not allowed"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != PATH:
                    return self._answer(404, {"status": "error", "message": "Not found"})
                if owner.fail_status:
                    return self._answer(owner.fail_status, {"status": "error", "message": "x"})
                if "application/json" not in (self.headers.get("Content-Type") or ""):
                    return self._answer(400, {"status": "error", "message": "Content-Type"})
                try:
                    document = json.loads(raw)
                except ValueError:
                    return self._answer(400, {"status": "error", "message": "JSON invalide"})
                errors = sorted(check.iter_errors(document), key=lambda e: list(e.path))
                if errors:
                    where = "/".join(str(p) for p in errors[0].absolute_path)
                    message = f"JSON does not validate: {where}: {errors[0].message}"
                    return self._answer(400, {"status": "error", "message": message})
                owner.received.append(document)
                return self._answer(200, {"status": "ok", "expiration": 24})

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
