"""The backup and restore procedures of docs/central.md, run for real on both databases."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from central_harness import make_tenant
from central_samples import drives, machines, report_payload, signed, unit_report
from sqlalchemy import text

from central_inventory.db import make_engine, make_sessionmaker
from central_inventory.ingest import count_rows, ingest_report
from central_inventory.migrate import upgrade
from tests.support.requirements import postgres_url, require_program


def _fill(url: str) -> dict[str, int]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    tenant = make_tenant(sessions, "GR")
    bench = tenant.benches[0]
    for machine, drive in zip(machines()[:3], drives()[:3], strict=True):
        report = unit_report(machine, drive, bench_id=bench.name)
        ingest_report(engine, bench.token, signed(bench.key, report_payload(report)))
    with sessions() as session:
        counts = count_rows(session)
    engine.dispose()
    return counts


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        counts = count_rows(session)
    engine.dispose()
    return counts


def test_sqlite_online_backup_and_restore(tmp_path: Path) -> None:
    live = tmp_path / "central-inventory.db"
    expected = _fill(f"sqlite:///{live}")
    assert expected["reports"] == 3
    # Documented: the online backup API (safe while the service runs, WAL included).
    backup = tmp_path / "backup.db"
    with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(backup)) as target:
        source.backup(target)
    # Documented alternative with the sqlite3 command-line tool.
    sqlite_cli = require_program("sqlite3")
    cli_backup = tmp_path / "backup-cli.db"
    subprocess.run([sqlite_cli, str(live), f".backup {cli_backup}"], check=True)
    for copy in (backup, cli_backup):
        restored = tmp_path / f"restored-{copy.stem}.db"
        restored.write_bytes(copy.read_bytes())  # restore = put the file back, service stopped
        assert _counts(f"sqlite:///{restored}") == expected
        with closing(sqlite3.connect(restored)) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.postgres
def test_postgresql_dump_and_restore(tmp_path: Path) -> None:
    base = postgres_url()
    pg_dump, pg_restore = require_program("pg_dump"), require_program("pg_restore")
    schema = f"central_backup_{secrets.token_hex(4)}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        expected = _fill(url)
        # libpq takes the same URL without SQLAlchemy's driver suffix.
        libpq_url = base.replace("postgresql+psycopg://", "postgresql://")
        dump = tmp_path / "central.dump"
        subprocess.run(
            [pg_dump, "--format=custom", f"--schema={schema}", f"--file={dump}", libpq_url],
            check=True,
        )
        with admin.begin() as connection:  # the disaster
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        subprocess.run(
            [pg_restore, "--exit-on-error", f"--dbname={libpq_url}", str(dump)], check=True
        )
        assert _counts(url) == expected
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
