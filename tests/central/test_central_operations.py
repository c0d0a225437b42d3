"""Operations: the service fails safe and recovers by itself.

Storage faults answer 503 with Retry-After (never 500), ``/healthz`` says what is wrong,
and once storage takes writes again the same server process serves again (no restart):
a read-only database (SQLite file made immutable; PostgreSQL database set
``default_transaction_read_only`` with its sessions cut, as a failover does), a full disk
(SQLite on a full tmpfs; PostgreSQL's real ``disk_full`` error raised by a trigger).
Concurrent creations answer 409, never 500; links come from the configured address,
never from the Host header; tokens expire and rotate.
"""

from __future__ import annotations

import io
import json
import secrets
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_harness import Running, TenantSetup, make_tenant, serve_in_thread
from central_samples import drives, machines, report_payload, signed, unit_report
from fastapi import FastAPI
from sqlalchemy import make_url, text

from central_inventory.admin import AdminError, create_tenant, create_token, rotate_token
from central_inventory.app import create_app
from central_inventory.cli import Console, main
from central_inventory.config import ConfigError, Settings
from central_inventory.db import ApiToken, as_utc, make_engine, make_sessionmaker, utcnow
from central_inventory.migrate import upgrade
from tests.support.requirements import postgres_url, require_program, require_root

MACHINES, DRIVES = machines(), drives()


@dataclass
class Own:
    """A server of its own (its storage is broken on purpose) and its app."""

    running: Running
    app: FastAPI
    tenant: TenantSetup

    def report(self, i: int) -> bytes:
        bench = self.tenant.benches[0]
        report = unit_report(
            MACHINES[i % len(MACHINES)], DRIVES[i % len(DRIVES)], bench_id=bench.name
        )
        return signed(bench.key, report_payload(report))

    def post(self, body: bytes) -> httpx.Response:
        with self.running.client(self.tenant.benches[0].token) as client:
            return client.post("/api/v1/reports", content=body)

    def health(self) -> httpx.Response:
        with self.running.client() as client:
            return client.get("/healthz")


@contextmanager
def own_server(url: str, **settings: Any) -> Iterator[Own]:
    engine = make_engine(url, pool_size=4, max_overflow=4)
    upgrade(engine)
    app = create_app(Settings(database_url=url, **settings), engine=engine)
    # Probe often so the test sees the recovery quickly (production: every 5 s).
    app.state.services.health.interval_s = 0.2
    base_url, uv_server, thread = serve_in_thread(app)
    backend = "sqlite" if url.startswith("sqlite") else "postgres"
    running = Running(backend, base_url, engine, make_sessionmaker(engine))
    try:
        yield Own(running, app, make_tenant(running.sessions))
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


def assert_storage_503(response: httpx.Response, reasons: set[str]) -> str:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    error = response.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert error["message"]["fr"] and error["message"]["en"]
    assert error["detail"]["reason"] in reasons
    reason: str = error["detail"]["reason"]
    return reason


def wait_healthy(own: Own) -> None:
    deadline = time.monotonic() + 5
    while (health := own.health()).status_code != 200:
        assert time.monotonic() < deadline, health.text
        time.sleep(0.1)
    assert health.json()["database"] == "ok"


# -- PostgreSQL: a database of its own (its settings and sessions are changed) ---------


@contextmanager
def postgres_database() -> Iterator[tuple[str, str]]:
    name = f"central_ops_{secrets.token_hex(5)}"
    admin = make_engine(postgres_url()).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_url()).set(database=name)
        yield url.render_as_string(hide_password=False), name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_admin(sql: str, **params: Any) -> None:
    admin = make_engine(postgres_url()).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(sql), params)
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_postgres_read_only_answers_503_then_recovers_without_restart() -> None:
    with postgres_database() as (url, name), own_server(url) as own:
        assert own.post(own.report(0)).status_code == 201
        # A failover to a read-only database: new sessions are read-only, old ones cut.
        _postgres_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        _postgres_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()",
            name=name,
        )
        waiting = own.report(1)
        assert_storage_503(own.post(waiting), {"read_only"})
        health = own.health()
        assert health.status_code == 503 and health.json()["database"] == "read_only"
        assert "retry-after" in health.headers
        # Reads are still served.
        with own.running.client(own.tenant.staff_token) as client:
            assert client.get("/api/v1/units").status_code == 200
        # Writable again, no session cut this time: the pool must drop its read-only
        # sessions by itself, or every request would keep failing.
        _postgres_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        assert own.post(waiting).status_code == 201
        with own.running.client(own.tenant.staff_token) as client:
            created = client.post("/api/v1/batches", json={"code": "L1", "donor_name": "D"})
            assert created.status_code == 201, created.text
        wait_healthy(own)


@pytest.mark.postgres
def test_postgres_disk_full_error_answers_503_and_recovers(tmp_path: Path) -> None:
    """PostgreSQL's own disk_full error (SQLSTATE 53100), raised by the server from a
    trigger on the reports table: filling a real PostgreSQL disk is out of reach here."""
    with postgres_database() as (url, _name), own_server(url) as own:
        with own.running.engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; "
                    "END $$"
                )
            )
            for table, event in (("reports", "INSERT"), ("service_health", "UPDATE")):
                connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_as_full BEFORE {event} ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                    )
                )
        body = own.report(2)
        assert_storage_503(own.post(body), {"disk_full"})
        assert own.health().json()["database"] == "disk_full"
        with own.running.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_as_full ON reports"))
            connection.execute(text("DROP TRIGGER refuse_as_full ON service_health"))
        assert own.post(body).status_code == 201
        wait_healthy(own)


# -- SQLite: a file made immutable, a full filesystem -----------------------------------


def _chattr(flag: str, *paths: Path) -> None:
    subprocess.run(
        ["chattr", flag, *[str(p) for p in paths if p.exists()]],
        check=True,
        capture_output=True,
    )


@pytest.mark.root
def test_sqlite_read_only_answers_503_then_recovers_without_restart(tmp_path: Path) -> None:
    require_root()
    require_program("chattr")
    db = tmp_path / "central.db"
    # The database and its WAL immutable: writes fail, and a connection opened meanwhile
    # opens read-only and stays so (the -shm file is left alone: SQLite maps it).
    files = (db, db.with_name("central.db-wal"))
    with own_server(f"sqlite:///{db}") as own:
        assert own.post(own.report(0)).status_code == 201
        waiting = own.report(1)
        try:
            _chattr("+i", *files)
            assert_storage_503(own.post(waiting), {"read_only", "io_error"})
            # A second request opens a fresh connection: read-only, still 503 (not 500).
            assert_storage_503(own.post(waiting), {"read_only", "io_error"})
            health = own.health()
            assert health.status_code == 503
            assert health.json()["database"] in {"read_only", "io_error"}
        finally:
            _chattr("-i", *files)
        assert own.post(waiting).status_code == 201
        wait_healthy(own)
        assert own.running.counts()["reports"] == 2


@contextmanager
def small_filesystem(where: Path, size: str = "2m") -> Iterator[None]:
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb") as fh, suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    return filler


@pytest.mark.root
def test_sqlite_disk_full_answers_503_then_recovers_without_restart(tmp_path: Path) -> None:
    require_root()
    small = tmp_path / "small"
    with small_filesystem(small), own_server(f"sqlite:///{small / 'central.db'}") as own:
        assert own.post(own.report(0)).status_code == 201
        filler = _fill(small)
        waiting = own.report(1)
        assert_storage_503(own.post(waiting), {"disk_full"})
        assert own.health().json()["database"] == "disk_full"
        filler.unlink()
        assert own.post(waiting).status_code == 201
        wait_healthy(own)


def test_healthz_says_unreachable_when_the_database_is_gone(tmp_path: Path) -> None:
    """A database that cannot even be opened (its folder replaced by a file)."""
    folder = tmp_path / "data"
    with own_server(f"sqlite:///{folder / 'central.db'}") as own:
        own.running.engine.dispose()
        (folder / "central.db").unlink()
        for extra in folder.iterdir():
            extra.unlink()
        folder.rmdir()
        folder.write_text("not a folder")
        time.sleep(0.25)
        health = own.health()
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        assert_storage_503(own.post(own.report(0)), {"unreachable"})


def test_healthz_probes_again_after_a_passing_fault(tmp_path: Path) -> None:
    """A cut connection is replaced at once: the fault a request met is checked by the
    next health probe rather than reported for the whole probe interval."""
    with own_server(f"sqlite:///{tmp_path / 'central.db'}") as own:
        health = own.app.state.services.health
        health.interval_s = 60.0
        assert own.health().status_code == 200
        health.record("unreachable")
        assert own.health().status_code == 200


# -- Concurrency ---------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(5))
def test_twenty_concurrent_batch_creations_give_one_201_and_409s(
    server: Running, tenant_a: TenantSetup, round_: int
) -> None:
    """Twenty clients create one code at once (five rounds: the race is not met every
    time; without the fix PostgreSQL answered 500 in most runs of five)."""
    code = f"LOT-{round_}-{uuid.uuid4().hex[:8]}"
    clients = [server.client(tenant_a.staff_token) for _ in range(20)]
    for client in clients:  # connections open before the start: the posts start together
        client.get("/openapi.json").raise_for_status()
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def create(client: httpx.Client) -> None:
        barrier.wait()
        status = client.post("/api/v1/batches", json={"code": code, "donor_name": "D"})
        with lock:
            statuses.append(status.status_code)

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for client in clients:
        client.close()
    assert sorted(statuses) == [201] + [409] * 19


def test_concurrent_tenant_creations_give_one_success_and_clear_refusals(
    server: Running,
) -> None:
    slug = f"t-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            create_tenant(server.sessions, slug, "Atelier")
            outcomes.append("created")
        except AdminError as exc:
            outcomes.append("exists" if "already exists" in str(exc) else str(exc))

    threads = [threading.Thread(target=create) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["created"] + ["exists"] * 9


# -- Public links ----------------------------------------------------------------------


def test_production_refuses_to_start_without_a_public_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CENTRAL_PUBLIC_URL"):
        Settings(database_url="sqlite://", environment="production")
    with pytest.raises(ConfigError, match="https"):
        Settings(
            database_url="sqlite://", environment="production", public_url="http://inv.example"
        )
    with pytest.raises(ConfigError, match="CENTRAL_PUBLIC_URL"):
        Settings(database_url="sqlite://", public_url="inventaire.example.org")
    console = Console(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={
            "CENTRAL_ENV": "production",
            "CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "LANG": "fr_FR.UTF-8",
        },
    )
    assert main(["serve"], console) == 3
    message = console.stderr.getvalue()
    assert "Configuration invalide" in message and "CENTRAL_PUBLIC_URL" in message
    assert not (tmp_path / "c.db").exists()  # refused before touching anything


def test_links_never_come_from_the_host_header(server: Running, tenant_a: TenantSetup) -> None:
    hostile = {"Host": "evil.example"}
    # Development: the configured host and port.
    with server.client(tenant_a.staff_token) as client:
        created = client.post(
            "/api/v1/batches",
            json={"code": f"L-{uuid.uuid4().hex[:6]}", "donor_name": "D"},
            headers=hostile,
        )
    assert created.status_code == 201, created.text
    assert created.json()["donor_url"].startswith("http://127.0.0.1:8080/donor/")
    # A public URL: every link uses it, the donor's CSV too.
    settings = Settings(
        database_url=str(server.engine.url), public_url="https://inventaire.example.org"
    )
    base_url, uv_server, thread = serve_in_thread(create_app(settings, engine=server.engine))
    try:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {tenant_a.staff_token}"}
        ) as client:
            created = client.post(
                "/api/v1/batches",
                json={"code": f"L-{uuid.uuid4().hex[:6]}", "donor_name": "D"},
                headers=hostile,
            )
            donor_url = created.json()["donor_url"]
            assert donor_url.startswith("https://inventaire.example.org/donor/")
            path = donor_url.removeprefix("https://inventaire.example.org")
            page = client.get(path, headers=hostile)
            assert page.status_code == 200
            assert "evil.example" not in page.text
            csv = client.get(path + "/report.csv", headers=hostile)
            assert csv.status_code == 200 and "evil.example" not in csv.text
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)


# -- Tokens ----------------------------------------------------------------------------


def _expire(server: Running, token_pk: int) -> None:
    with server.sessions.begin() as session:
        row = session.get(ApiToken, token_pk)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)


def test_tokens_expire_with_a_clear_401(server: Running) -> None:
    tenant = make_tenant(server.sessions)
    bench = tenant.benches[0]
    with server.sessions() as session:
        row = session.get(ApiToken, bench.token_id)
        assert row is not None and row.expires_at is not None
        lifetime = as_utc(row.expires_at) - as_utc(row.created_at)
    assert timedelta(days=364) < lifetime <= timedelta(days=365)
    body = signed(
        bench.key, report_payload(unit_report(MACHINES[0], DRIVES[0], bench_id=bench.name))
    )
    with server.client(bench.token) as client:
        assert client.post("/api/v1/reports", content=body).status_code == 201
        _expire(server, bench.token_id)
        # On PostgreSQL the token was cached by the first request: still refused.
        refused = client.post("/api/v1/reports", content=body)
    assert refused.status_code == 401, refused.text
    error = refused.json()["error"]
    assert error["code"] == "token_expired"
    assert "rotate-token" in error["message"]["fr"] and "rotate-token" in error["message"]["en"]
    _expire(server, tenant.staff_token_id)
    with server.client(tenant.staff_token) as client:
        assert client.get("/api/v1/units").json()["error"]["code"] == "token_expired"


def test_rotation_revokes_at_once_or_after_an_overlap(server: Running) -> None:
    tenant = make_tenant(server.sessions, n_benches=2)
    first, second = tenant.benches
    at_once = rotate_token(server.sessions, first.token_id)
    overlapping = rotate_token(server.sessions, second.token_id, overlap_hours=2)
    with server.client(first.token) as client:
        assert client.get("/api/v1/units").json()["error"]["code"] == "token_revoked"
    for token in (at_once.token, second.token, overlapping.token):
        with server.client(token) as client:
            assert client.get("/api/v1/units").status_code == 200
    with server.sessions() as session:
        old = session.get(ApiToken, second.token_id)
        assert old is not None and old.expires_at is not None
        assert old.replaced_by == overlapping.token_pk
        assert as_utc(old.expires_at) <= utcnow() + timedelta(hours=2)
    with pytest.raises(AdminError, match="already revoked or rotated"):
        rotate_token(server.sessions, second.token_id)
    with pytest.raises(AdminError, match="unknown token"):
        rotate_token(server.sessions, 2**31 - 1)


def test_rotate_token_command(server: Running, tmp_path: Path) -> None:
    tenant = make_tenant(server.sessions)
    console = Console(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={
            "CENTRAL_DATABASE_URL": str(server.engine.url.render_as_string(False)),
            "LANG": "en",
        },
    )
    code = main(
        ["--json", "rotate-token", str(tenant.benches[0].token_id), "--overlap-hours", "24"],
        console,
    )
    assert code == 0, console.stderr.getvalue()
    issued = json.loads(console.stdout.getvalue())
    assert issued["token"].startswith("cit_") and issued["expires_at"]
    assert "still valid for 24 h" in console.stderr.getvalue()
    with server.client(issued["token"]) as client:
        assert client.get("/api/v1/units").status_code == 200
    again = Console(stdout=io.StringIO(), stderr=io.StringIO(), environ=console.environ)
    assert main(["rotate-token", str(tenant.benches[0].token_id)], again) == 1
    assert "already revoked or rotated" in again.stderr.getvalue()
    issued_token = create_token(server.sessions, "staff", tenant=tenant.slug, valid_days=0)
    assert issued_token.expires_at is None
