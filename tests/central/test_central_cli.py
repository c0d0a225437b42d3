"""``central-inventory`` operations: migrate, tenants, benches, tokens, batches, export,
configuration errors, and ``serve`` with no set-up (embedded SQLite in WAL mode)."""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from central_harness import Running, TenantSetup
from central_samples import (
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)

from central_inventory.cli import Console, main
from central_inventory.db import Base
from central_inventory.migrate import head_revision
from wipe.signing import BenchKey, verify_envelope


def run(argv: list[str], environ: dict[str, str], lang: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Console(stdout=out, stderr=err, environ=environ, lang=lang))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'ci.db'}", "CENTRAL_PORT": "9999"}


def test_administration_flow(env: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = run(["migrate"], env)
    assert code == 0 and f"révision {head_revision()}" in out
    assert run(["migrate"], env)[0] == 0  # idempotent
    assert run(["create-tenant", "atelier-gr", "Atelier Grenoble"], env)[0] == 0
    code, _, err = run(["create-tenant", "atelier-gr", "Encore"], env)
    assert code == 1 and "Refusé" in err and "already exists" in err
    key = BenchKey.generate()
    (tmp_path / "bench.pub").write_text(key.public_b64 + "\n")
    code, out, _ = run(
        [
            "--json",
            "register-bench",
            "--tenant",
            "atelier-gr",
            "--name",
            "gr-1",
            "--public-key",
            f"@{tmp_path / 'bench.pub'}",
            "--site",
            "gr",
        ],
        env,
    )
    assert code == 0 and json.loads(out)["key_id"] == key.key_id
    for bad in ("abc", "QUJD", f"@{tmp_path / 'missing.pub'}"):
        code, _, err = run(
            ["register-bench", "--tenant", "atelier-gr", "--name", "gr-2", "--public-key", bad], env
        )
        assert code == 1, bad
        assert "public key" in err
    code, _, err = run(
        ["register-bench", "--tenant", "nope", "--name", "gr-3", "--public-key", key.public_b64],
        env,
    )
    assert code == 1 and "unknown tenant" in err
    code, out, err = run(["create-token", "--role", "bench", "--bench", "gr-1"], env)
    assert code == 0 and out.strip().startswith("cit_") and "conservez-le" in err
    code, out, _ = run(["--json", "create-token", "--role", "staff", "--tenant", "atelier-gr"], env)
    staff = json.loads(out)
    assert code == 0 and staff["role"] == "staff"
    assert run(["create-token", "--role", "staff"], env)[0] == 1
    assert run(["create-token", "--role", "bench", "--bench", "ghost"], env)[0] == 1
    code, out, err = run(["revoke-token", str(staff["token_id"])], env, lang="en")
    assert code == 0 and "revoked" in out
    assert run(["revoke-token", "999"], env)[0] == 1
    code, out, _ = run(
        ["create-batch", "--tenant", "atelier-gr", "--code", "LOT-1", "--donor", "Mairie"], env
    )
    assert code == 0 and out.startswith("http://127.0.0.1:9999/donor/")
    assert len(out.strip().rsplit("/", 1)[1]) >= 40  # unguessable: 256 random bits
    assert (
        run(["create-batch", "--tenant", "atelier-gr", "--code", "LOT-1", "--donor", "X"], env)[0]
        == 1
    )
    # Only hashes are stored: the clear token appears nowhere in the database file.
    token = staff["token"]
    assert token.encode() not in (tmp_path / "ci.db").read_bytes()
    assert run(["revoke-bench", "gr-1"], env)[0] == 0


def test_usage_and_environment_errors(env: dict[str, str], tmp_path: Path) -> None:
    assert run([], env)[0] == 2
    assert run(["create-token", "--role", "king"], env)[0] == 2
    code, _, err = run(["migrate"], {"CENTRAL_DATABASE_URL": "mysql://db/x"})
    assert code == 3 and "CENTRAL_DATABASE_URL" in err
    code, _, err = run(["migrate"], dict(env, CENTRAL_PORT="eighty"))
    assert code == 3 and "CENTRAL_PORT" in err
    # Not migrated: a clear message pointing at `migrate`, no traceback.
    code, _, err = run(
        ["create-tenant", "a", "A"],
        {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"},
        lang="en",
    )
    assert code == 3 and "central-inventory migrate" in err
    code, _, err = run(
        ["migrate"], {"CENTRAL_DATABASE_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/db"}
    )
    assert code == 3 and "secret" not in err


def test_migrations_match_the_models(server: Running) -> None:
    # The Alembic history and the ORM tables agree on this backend (no pending change).
    with server.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_export_is_verifiable_line_by_line(
    server: Running, tenant_a: TenantSetup, database_url: str, tmp_path: Path
) -> None:
    bench = tenant_a.benches[0]
    drive = drives()[0]
    certificate_id = f"cert-{tenant_a.slug}"
    report = unit_report(machines()[0], drive, bench_id=bench.name, certificate_id=certificate_id)
    with server.client(bench.token) as client:
        assert (
            client.post(
                "/api/v1/reports", content=signed(bench.key, report_payload(report))
            ).status_code
            == 201
        )
        assert (
            client.post(
                "/api/v1/certificates",
                content=sign_certificate(bench.key, certificate_payload(certificate_id, drive)),
            ).status_code
            == 201
        )
    output = tmp_path / "export.jsonl"
    code, _, err = run(
        ["export", "--tenant", tenant_a.slug, "--output", str(output)],
        {"CENTRAL_DATABASE_URL": database_url},
    )
    assert code == 0, err
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["kind"] for line in lines) == ["certificate", "report"]
    import base64

    for line in lines:
        assert line["tenant"] == tenant_a.slug
        payload: Any = verify_envelope(line["envelope"], base64.b64decode(line["bench_public_key"]))
        assert payload.get("report_id", payload.get("certificate_id")) == line["id"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_works_with_no_setup(tmp_path: Path) -> None:
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CENTRAL_")} | {
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "CENTRAL_PORT": str(port),
        "HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "central_inventory.cli", "serve"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json()["status"] == "ok"
        assert (
            httpx.get(f"http://127.0.0.1:{port}/units", follow_redirects=False).status_code == 303
        )
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    database = tmp_path / "xdg" / "central-inventory" / "central-inventory.db"
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    logs = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in logs]
    access = [r for r in records if r["logger"] == "central_inventory.access"]
    assert {"method", "path", "status", "duration_ms"} <= set(access[0])
    assert any(r["path"] == "/healthz" and r["status"] == 200 for r in access)
