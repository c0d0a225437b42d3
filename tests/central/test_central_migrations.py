"""Schema migrations on a database holding data (SQLite and PostgreSQL): 0001 → 0002
(report revisions) keeps every stored report, takes each one's revision from its payload,
and the next revision of an old report id then lands as its unit's current report."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from central_harness import BenchSetup, TenantSetup
from central_samples import drives, machines, report_payload, unit_report
from sqlalchemy import Engine, inspect, text

from central_inventory.admin import create_tenant, register_bench
from central_inventory.auth import authenticate, hash_token, new_token
from central_inventory.db import as_utc, make_engine, make_sessionmaker
from central_inventory.ingest import ingest_report
from central_inventory.migrate import current_revision, downgrade, head_revision, upgrade
from central_inventory.storage import probe
from wipe.signing import BenchKey, canonical_json


def _old_report(
    engine: Engine,
    key: BenchKey,
    payload: dict[str, Any],
    unit_pk: int,
    version: int,
    *,
    revisions: bool = False,
) -> str:
    """A report row as 0001 stored it (report_id unique, no revision column), or as 0002
    did (``revisions``: its revision, head)."""
    envelope = json.dumps(key.sign(payload))
    columns, values = ("", "") if not revisions else (", revision, head", ", 1, true")
    with engine.begin() as connection:
        tenant_id, bench_id = connection.execute(
            text("SELECT tenant_id, id FROM benches ORDER BY id DESC LIMIT 1")
        ).one()
        connection.execute(
            text(
                "INSERT INTO reports (report_id, tenant_id, unit_id, bench_id, version, "
                f"reported_at, received_at, category, payload_sha256, envelope{columns}) "
                "VALUES (:rid, :tenant, :unit, :bench, :version, :at, CURRENT_TIMESTAMP, 'B', "
                f":sha, :envelope{values})"
            ),
            {
                "rid": payload["report_id"],
                "tenant": tenant_id,
                "unit": unit_pk,
                "bench": bench_id,
                "version": version,
                "at": payload["created_at"],
                "sha": hashlib.sha256(canonical_json(payload)).hexdigest(),
                "envelope": envelope,
            },
        )
    return envelope


def _old_tenant(engine: Engine) -> TenantSetup:
    """A tenant, a bench and its token as a pre-0004 schema stores them (no expiry)."""
    sessions = make_sessionmaker(engine)
    slug = f"t-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(sessions, slug, f"Atelier {slug}")
    key = BenchKey.generate()
    name = f"{slug}-bench-0"
    bench_pk = register_bench(sessions, slug, name, key.public_raw, site="GR")
    token = new_token()
    with engine.begin() as connection:
        token_pk = connection.execute(
            text(
                "INSERT INTO api_tokens (token_hash, role, tenant_id, bench_id, created_at) "
                "VALUES (:hash, 'bench', :tenant, :bench, :created) RETURNING id"
            ),
            {
                "hash": hash_token(token),
                "tenant": tenant_id,
                "bench": bench_pk,
                # Issued long ago: the upgrade must not expire it on the spot.
                "created": datetime.now(UTC) - timedelta(days=900),
            },
        ).scalar_one()
    return TenantSetup(slug, tenant_id, [BenchSetup(name, key, token, token_pk)], "", 0)


def test_revisions_migration_keeps_old_reports_and_takes_new_revisions(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0001")
        tenant = _old_tenant(engine)
        bench = tenant.benches[0]
        machine, drive = machines()[0], drives()[0]

        def payload(report_id: str, revision: int) -> dict[str, Any]:
            report = unit_report(
                machine, drive, bench_id=bench.name, report_id=report_id, revision=revision
            )
            return report_payload(report)

        with engine.begin() as connection:
            unit_pk = connection.execute(
                text(
                    "INSERT INTO units (tenant_id, unit_key, status, status_manual, "
                    "first_seen_at, last_report_at, latest_version) VALUES (:tenant, :key, "
                    "'EN_COURS_DE_TRAITEMENT', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 2) "
                    "RETURNING id"
                ),
                {"tenant": tenant.tenant_id, "key": f"{machine.maker}|{machine.serial}".lower()},
            ).scalar_one()
        numbered, plain = str(uuid.uuid4()), str(uuid.uuid4())
        # A payload that already carries revision 2, and one written before revisions.
        numbered_envelope = _old_report(engine, bench.key, payload(numbered, 2), unit_pk, 1)
        old = payload(plain, 1)
        old.pop("revision", None)
        _old_report(engine, bench.key, old, unit_pk, 2)

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT report_id, revision, head, version FROM reports ORDER BY version")
            ).all()
        assert [tuple(r) for r in rows] == [(numbered, 2, True, 1), (plain, 1, True, 2)]
        columns = {c["name"]: c for c in inspect(engine).get_columns("reports")}
        assert columns["version"]["nullable"] is True
        assert columns["revision"]["default"] is None and columns["head"]["default"] is None

        _, again = ingest_report(engine, bench.token, numbered_envelope.encode())
        assert again.status == "already_stored" and again.revision == 2
        _, third = ingest_report(
            engine, bench.token, json.dumps(bench.key.sign(payload(numbered, 3))).encode()
        )
        assert (third.unit_id, third.version, third.current) == (unit_pk, 3, True)
        _, first = ingest_report(
            engine, bench.token, json.dumps(bench.key.sign(payload(numbered, 1))).encode()
        )
        assert (first.version, first.current) == (None, False)

        # Down again: only each report id's highest revision survives; up again works.
        downgrade(engine, "0001")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT count(*) FROM reports")).scalar_one()
        assert kept == 2
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_token_expiry_migration_keeps_old_tokens_working_for_a_year(
    empty_database_url: str,
) -> None:
    """0002 → 0004 on a database holding a token issued 900 days ago: it gets the bench
    lifetime counted from the upgrade (not from its creation), still authenticates, the
    health probe's row exists; down to 0002 and up again works."""
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0002")
        tenant = _old_tenant(engine)
        before = datetime.now(UTC)
        upgrade(engine, "0004")
        with engine.connect() as connection:
            expires_at = connection.execute(
                text("SELECT expires_at FROM api_tokens WHERE id = :id"),
                {"id": tenant.benches[0].token_id},
            ).scalar_one()
            probe_rows = connection.execute(text("SELECT count(*) FROM service_health")).scalar()
        expires = as_utc(expires_at if isinstance(expires_at, datetime) else _dt(expires_at))
        assert before + timedelta(days=364) < expires < before + timedelta(days=366)
        assert probe_rows == 1
        with make_sessionmaker(engine)() as session:
            principal = authenticate(session, tenant.benches[0].token)
        assert principal.bench_name == tenant.benches[0].name
        assert probe(engine) is None
        downgrade(engine, "0002")
        columns = {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        assert "expires_at" not in columns
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _old_certificate(engine: Engine, key: BenchKey, payload: dict[str, Any]) -> None:
    """A certificate row as 0002 stored it (certificate id unique, no outcome)."""
    envelope = json.dumps(key.sign(payload))
    with engine.begin() as connection:
        tenant_id, bench_id = connection.execute(
            text("SELECT tenant_id, id FROM benches ORDER BY id DESC LIMIT 1")
        ).one()
        connection.execute(
            text(
                "INSERT INTO certificates (certificate_id, tenant_id, bench_id, result, "
                "disk_model, disk_serial, started_at, finished_at, received_at, "
                "payload_sha256, envelope) VALUES (:cid, :tenant, :bench, :result, :model, "
                ":serial, :started, :finished, CURRENT_TIMESTAMP, :sha, :envelope)"
            ),
            {
                "cid": payload["certificate_id"],
                "tenant": tenant_id,
                "bench": bench_id,
                "result": payload["result"],
                "model": payload["media"]["model"],
                "serial": payload["media"]["serial"],
                "started": payload["started_at"],
                "finished": payload["ended_at"],
                "sha": hashlib.sha256(canonical_json(payload)).hexdigest(),
                "envelope": envelope,
            },
        )


def test_evidence_migration_recomputes_units_from_their_certificates(
    empty_database_url: str,
) -> None:
    """0002 → 0003 on a database holding units made PRET_A_DISTRIBUER on their reports'
    word: each ends with the state its stored certificates prove (a status set by hand is
    kept), ids become per tenant, and down and up again works."""
    from central_samples import certificate_payload

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0002")
        tenant = _old_tenant(engine)  # as 0002 stores it (no token expiry yet)
        bench = tenant.benches[0]
        all_machines, all_drives = machines(), drives()
        cases = {  # unit → (certificate result, dry run, status set by hand)
            "failed": ("FAILED", False, False),
            "dry-run": ("ERASED", True, False),
            "erased": ("ERASED", False, False),
            "manual": ("FAILED", False, True),
        }
        units: dict[str, int] = {}
        cids: dict[str, str] = {}
        for i, (name, (result, dry_run, manual)) in enumerate(cases.items()):
            machine, drive = all_machines[i], all_drives[i]
            cids[name] = str(uuid.uuid4())
            certificate = certificate_payload(cids[name], drive, result)
            certificate["dry_run"] = dry_run
            _old_certificate(engine, bench.key, certificate)
            report = unit_report(
                machine, drive, bench_id=bench.name, certificate_id=cids[name]
            )  # every report claims ERASED
            with engine.begin() as connection:
                units[name] = connection.execute(
                    text(
                        "INSERT INTO units (tenant_id, unit_key, status, status_manual, "
                        "first_seen_at, last_report_at, latest_version) VALUES (:tenant, "
                        ":key, :status, :manual, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) "
                        "RETURNING id"
                    ),
                    {
                        "tenant": tenant.tenant_id,
                        "key": report.unit.key,
                        "status": "DISTRIBUE" if manual else "PRET_A_DISTRIBUER",
                        "manual": manual,
                    },
                ).scalar_one()
            _old_report(engine, bench.key, report_payload(report), units[name], 1, revisions=True)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO report_certificates (report_pk, certificate_id, unit_id) "
                        "SELECT id, :cid, unit_id FROM reports WHERE unit_id = :unit"
                    ),
                    {"cid": cids[name], "unit": units[name]},
                )

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            states = {
                name: tuple(
                    connection.execute(
                        text("SELECT status, erasure_state FROM units WHERE id = :id"),
                        {"id": pk},
                    ).one()
                )
                for name, pk in units.items()
            }
            outcomes = dict(
                connection.execute(text("SELECT certificate_id, outcome FROM certificates")).all()
            )
        assert states == {
            "failed": ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED"),
            "dry-run": ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED"),
            "erased": ("PRET_A_DISTRIBUER", "ERASED"),
            "manual": ("DISTRIBUE", "NOT_ERASED"),
        }
        assert outcomes == {
            cids["failed"]: "FAILED",
            cids["dry-run"]: "DRY_RUN",
            cids["erased"]: "ERASED",
            cids["manual"]: "FAILED",
        }
        # Ids are per tenant now: another tenant may store the same certificate id.
        other = _old_tenant(engine)  # the schema is at 0003: tokens have no expiry yet
        from central_inventory.ingest import ingest_certificate

        body = json.dumps(
            other.benches[0].key.sign(certificate_payload(cids["erased"], all_drives[2]))
        )
        _, stored = ingest_certificate(engine, other.benches[0].token, body.encode())
        assert stored.status == "stored"

        downgrade(engine, "0002")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT count(*) FROM certificates")).scalar_one()
            units_kept = connection.execute(text("SELECT count(*) FROM units")).scalar_one()
        assert (kept, units_kept) == (4, 4)  # the second tenant's copy of an id is dropped
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)
