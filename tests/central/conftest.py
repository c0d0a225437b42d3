"""A running central service on loopback, over SQLite and PostgreSQL.

``server`` is parametrized over both databases: every test using it runs twice. The
PostgreSQL database gets a fresh schema per test session (dropped afterwards), so the
suite needs only a role that may create schemas in BENCH_TEST_POSTGRES_URL's database.
"""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# Imported before any other test package can shadow the name ``wipe`` on sys.path.
import wipe.signing  # noqa: F401

try:
    from tests.support.requirements import postgres_url
except ModuleNotFoundError:  # pytest run without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.support.requirements import postgres_url

from central_inventory.admin import create_tenant, create_token, register_bench
from central_inventory.app import create_app
from central_inventory.config import Settings
from central_inventory.db import make_engine, make_sessionmaker
from central_inventory.ingest import count_rows
from central_inventory.migrate import upgrade
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
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


def _postgres_schema_url(schema: str) -> str:
    base = postgres_url()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"
        return
    schema = f"central_test_{secrets.token_hex(6)}"
    admin = make_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _serve(app: object) -> tuple[str, object, threading.Thread]:
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


@pytest.fixture(scope="session")
def server(database_url: str, request: pytest.FixtureRequest) -> Iterator[Running]:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    engine = make_engine(database_url, pool_size=10, max_overflow=20)
    upgrade(engine)
    settings = Settings(database_url=database_url, max_body_bytes=256 * 1024)
    base_url, uv_server, thread = _serve(create_app(settings, engine=engine))
    try:
        yield Running(backend, base_url, engine, make_sessionmaker(engine))
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


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


@pytest.fixture
def tenant_a(server: Running) -> TenantSetup:
    return make_tenant(server.sessions, "GR", n_benches=2)


@pytest.fixture
def tenant_b(server: Running) -> TenantSetup:
    return make_tenant(server.sessions, "LY")
