"""The running-service harness shared by the central service's tests and benchmark."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from central_inventory.admin import create_tenant, create_token, register_bench
from central_inventory.ingest import count_rows
from wipe.signing import BenchKey


@dataclass
class Running:
    """A service listening on 127.0.0.1 and direct access to its database."""

    backend: str
    base_url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def counts(self) -> dict[str, int]:
        with self.sessions() as session:
            return count_rows(session)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


def serve_in_thread(app: object) -> tuple[str, object, threading.Thread]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="none",
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start on 127.0.0.1")
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


@dataclass
class BenchSetup:
    name: str
    key: BenchKey
    token: str
    token_id: int


@dataclass
class TenantSetup:
    slug: str
    tenant_id: int
    benches: list[BenchSetup]
    staff_token: str
    staff_token_id: int


def make_tenant(
    sessions: sessionmaker[Session], site: str = "GR", n_benches: int = 1
) -> TenantSetup:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(sessions, slug, f"Atelier {slug}")
    benches = []
    for i in range(n_benches):
        key = BenchKey.generate()
        name = f"{slug}-bench-{i}"
        register_bench(sessions, slug, name, key.public_raw, site=site)
        issued = create_token(sessions, "bench", bench=name)
        benches.append(BenchSetup(name, key, issued.token, issued.token_pk))
    staff = create_token(sessions, "staff", tenant=slug)
    return TenantSetup(slug, tenant_id, benches, staff.token, staff.token_pk)


def postgres_only(test: Any) -> Any:
    """Collected for the PostgreSQL server only (conftest deselects the SQLite variant)."""
    test.postgres_only = True
    return test
