"""A strict emulator of tec.tech's equipment API on 127.0.0.1, for the sink's tests.

The contract (``../shared/reference/network-practice.md`` and the network's client
``emmausconnect/audit-linux`` ``tectech.py``), enforced as a real server would:

- ``POST /api/auth-token`` ``{"client_id", "client_secret"}`` → 200 ``access_token``,
  ``token_type``, ``expires_in``; wrong credentials → 401;
- ``GET /api/materiel?idEsn=|numeroSerie=…&page=1&limit=2`` → ``{"total", "data"}``;
- ``PUT /api/materiel`` with a JSON array of records, each with the ``id`` of an existing
  equipment → 201 with the updated records;
- missing, invalid or expired token → 401; a method the path does not take → 405; a body
  that is not an array, an unknown field, a read-only field, a value outside a closed
  vocabulary or of the wrong type → 400 naming the field; an unknown ``id`` → 404.

The closed vocabularies are written out here from the reference, not read from the
sink's data file, so a wrong data file is caught (the brand list, 77 names, is the one
exception: it is read from the data file, whose source the tests check).

Faults for the tests (:meth:`TectechEmulator.fail`): ``status`` (500, 503 with
Retry-After...), ``reset`` (the connection is cut mid-answer, after the request was
applied), ``slow`` (the answer waits longer than the client's timeout), each for one
path and a number of requests; :meth:`TectechEmulator.expire_tokens` makes every token
issued so far expire now; "down" is a port where nothing listens (:func:`closed_port`).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

VOCABULARY_FILE = (
    Path(__file__).resolve().parents[2]
    / "bench_agent"
    / "sync"
    / "sinks"
    / "tectech_vocabulary.json"
)
FIELDS = frozenset(
    {
        "id", "statut", "typeMateriel", "numeroSerie", "IMEI1", "IMEI2",
        "idMaterielReconditionneur", "idEsn", "model", "marque", "processeur",
        "typeDisqueDur1", "tailleDisqueDur1", "typeDisqueDur2", "tailleDisqueDur2", "RAM",
        "categorie", "lecteurDVD", "webcam", "commentaire", "idLot", "systemeExploitation",
        "idStock", "idGroupe", "createdAt", "updatedAt", "reconditionneur",
    }
)  # fmt: skip
READ_ONLY = frozenset(
    {"id", "idLot", "idStock", "idGroupe", "reconditionneur", "createdAt", "updatedAt"}
)
NUMBERS = frozenset({"tailleDisqueDur1", "tailleDisqueDur2", "RAM"})
CLOSED: dict[str, frozenset[str]] = {
    "typeMateriel": frozenset({"ORDINATEUR_FIXE", "ORDINATEUR_PORTABLE", "SMARTPHONE", "TABLETTE"}),
    "statut": frozenset(
        {
            "A_TRAITER",
            "EN_COURS_DE_TRAITEMENT",
            "NON_REEMPLOYABLE",
            "PRET_A_COMMANDER",
            "EN_COURS_DE_LIVRAISON",
            "PRET_A_DISTRIBUER",
            "DISTRIBUE",
            "SAV",
        }
    ),
    "systemeExploitation": frozenset({"Android", "iOS", "Linux", "MacOS", "Windows"}),
    "categorie": frozenset({"PREMIUM", "A", "B", "C", "D"}),
    "webcam": frozenset({"OUI", "NON"}),
    "lecteurDVD": frozenset({"OUI", "NON"}),
}


def brands() -> frozenset[str]:
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return frozenset(data["vocabularies"]["marque"])


def closed_port() -> int:
    """A loopback port where nothing listens (a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Fault:
    kind: str
    """``status``, ``reset`` or ``slow``."""
    method: str | None = None
    path: str | None = None
    """``/auth-token`` or ``/materiel``; None: any."""
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    delay_s: float = 2.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and (self.path in (None, path))


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None
    body: Any = None
    authorization: str | None = None


@dataclass
class TectechEmulator:
    client_id: str = "bench-client"
    client_secret: str = "s3cr3t-not-in-logs"
    token_ttl_s: int = 3600
    equipment: dict[str, dict[str, Any]] = field(default_factory=dict)
    """tec.tech's records by id."""
    calls: list[Call] = field(default_factory=list)
    puts: list[dict[str, Any]] = field(default_factory=list)
    """Every record a PUT applied, in order."""
    faults: list[Fault] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    """Issued token → monotonic expiry."""
    release: threading.Event = field(default_factory=threading.Event)
    """Set at shutdown: a ``slow`` answer stops waiting."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _brands: frozenset[str] = field(default_factory=brands)

    # -- set-up

    def add_equipment(self, **values: Any) -> str:
        ident = f"M-{len(self.equipment) + 1000}"
        now = "2026-01-05T10:00:00.000Z"
        self.equipment[ident] = {
            "id": ident,
            "statut": "A_TRAITER",
            "typeMateriel": "ORDINATEUR_PORTABLE",
            "idLot": "L-0048",
            "idStock": "S-0094",
            "idGroupe": None,
            "reconditionneur": "ESN Grenoble",
            "createdAt": now,
            "updatedAt": now,
            **values,
        }
        return ident

    def fail(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        self.faults.append(fault)
        return fault

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    # -- server

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api"

    def start(self) -> TectechEmulator:
        emulator = self

        class Handler(_Handler):
            pass

        Handler.emulator = emulator
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> TectechEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the handler asks

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def token_valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self._lock:
            until = self.tokens.get(header[len("Bearer ") :])
        return until is not None and time.monotonic() < until

    def issue_token(self) -> dict[str, Any]:
        token = uuid.uuid4().hex
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_s
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s}

    def search(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        keys = {"idEsn", "numeroSerie", "idMaterielReconditionneur", "page", "limit"}
        unknown = set(query) - keys
        if unknown:
            return 400, {"message": f"paramètre inconnu : {sorted(unknown)[0]}"}
        try:
            page = int(query.get("page", ["1"])[0])
            limit = int(query.get("limit", ["10"])[0])
        except ValueError:
            return 400, {"message": "page et limit doivent être des nombres"}
        if page < 1 or not 1 <= limit <= 100:
            return 400, {"message": "page ou limit hors bornes"}
        filters = {k: v[0] for k, v in query.items() if k not in ("page", "limit")}
        with self._lock:
            found = [
                dict(e)
                for e in self.equipment.values()
                if all(str(e.get(k) or "") == v for k, v in filters.items())
            ]
        start = (page - 1) * limit
        return 200, {"total": len(found), "data": found[start : start + limit]}

    def check_record(self, record: Any) -> str | None:
        """Why tec.tech would refuse ``record`` (naming the field), None when valid."""
        if not isinstance(record, dict):
            return "chaque élément doit être un objet"
        if "id" not in record:
            return "id : champ obligatoire"
        for name, value in record.items():
            if name not in FIELDS:
                return f"{name} : champ inconnu"
            if name in READ_ONLY and name != "id":
                return f"{name} : champ en lecture seule"
            if name in NUMBERS:
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    return f"{name} : doit être un nombre"
            elif name != "id" and value is not None and not isinstance(value, str):
                return f"{name} : doit être une chaîne"
            elif name in CLOSED and value is not None and value not in CLOSED[name]:
                return f"{name} : valeur « {value} » non autorisée"
            elif name == "marque" and value is not None and value not in self._brands:
                return f"marque : valeur « {value} » non autorisée"
        return None

    def update(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, list):
            return 400, {"message": "le corps doit être un tableau de matériels"}
        if not body:
            return 400, {"message": "tableau vide"}
        for record in body:
            problem = self.check_record(record)
            if problem:
                return 400, {"message": problem}
        with self._lock:
            missing = [r["id"] for r in body if r["id"] not in self.equipment]
            if missing:
                return 404, {"message": f"matériel {missing[0]} introuvable"}
            updated = []
            for record in body:
                self.equipment[record["id"]].update(record)
                self.equipment[record["id"]]["updatedAt"] = "2026-01-06T10:00:00.000Z"
                self.puts.append(dict(record))
                updated.append(dict(self.equipment[record["id"]]))
        return 201, updated


class _Handler(BaseHTTPRequestHandler):
    emulator: TectechEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        em = self.emulator
        url = urlsplit(self.path)
        path = url.path.removeprefix("/api")
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        call = Call(method, path, query, None, authorization=self.headers.get("Authorization"))
        em.calls.append(call)
        fault = em.take_fault(method, path)
        if fault is not None and fault.kind == "slow":
            em.release.wait(fault.delay_s)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._answer(call, fault.status, {"message": "erreur serveur"}, headers)
        status, answer = self._route(method, path, query, raw, call)
        if fault is not None and fault.kind == "reset":
            return self._reset(call, status, answer)
        return self._answer(call, status, answer)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, call: Call
    ) -> tuple[int, Any]:
        em = self.emulator
        allowed = {"/auth-token": {"POST"}, "/materiel": {"GET", "PUT"}}.get(path)
        if allowed is None:
            return 404, {"message": "Not Found"}
        if method not in allowed:
            return 405, {"message": "Method Not Allowed"}
        body: Any = None
        if method in ("POST", "PUT"):
            if "application/json" not in (self.headers.get("Content-Type") or ""):
                return 415, {"message": "Content-Type application/json attendu"}
            try:
                body = json.loads(raw)
            except ValueError:
                return 400, {"message": "JSON invalide"}
            call.body = body
        if path == "/auth-token":
            if (
                not isinstance(body, dict)
                or body.get("client_id") != em.client_id
                or body.get("client_secret") != em.client_secret
            ):
                return 401, {"message": "identifiants invalides"}
            return 200, em.issue_token()
        if not em.token_valid(self.headers.get("Authorization")):
            return 401, {"message": "jeton absent, invalide ou expiré"}
        if method == "GET":
            return em.search(query)
        return em.update(body)

    def _answer(
        self, call: Call, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        call.status = status
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self, call: Call, status: int, body: Any) -> None:
        """The request was applied; the answer is cut after its first bytes with a TCP
        reset (SO_LINGER 0), as when a proxy or the server dies mid-response."""
        call.status = None
        data = json.dumps(body).encode("utf-8")
        self.wfile.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[: len(data) // 2]
        )
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
