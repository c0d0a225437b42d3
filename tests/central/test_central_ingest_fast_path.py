"""The ingestion fast path (one statement, remembered bench principal) keeps every check:
a token or bench revoked, or a key replaced, after the bench has already posted is refused
at once; refusals still say "who is calling" first; concurrent reports of one unit get
consecutive versions."""

from __future__ import annotations

import base64
import threading
from typing import Any

from central_harness import Running, TenantSetup, postgres_only
from central_samples import drives, machines, report_payload, signed, unit_report
from sqlalchemy import create_engine, text, update
from sqlalchemy.pool import NullPool

from central_inventory.admin import revoke_bench, revoke_token
from central_inventory.db import Bench
from wipe.signing import BenchKey, key_id

MACHINES = machines()
DRIVES = drives()


def _report(tenant: TenantSetup, bench: int = 0, machine: int = 0, **kwargs: Any) -> bytes:
    b = tenant.benches[bench]
    payload = report_payload(
        unit_report(MACHINES[machine % len(MACHINES)], DRIVES[0], bench_id=b.name, **kwargs)
    )
    return signed(b.key, payload)


def _post(server: Running, token: str, body: bytes) -> Any:
    with server.client(token) as client:
        return client.post("/api/v1/reports", content=body)


def _error_code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_token_revoked_after_posting_is_refused_first(
    server: Running, tenant_a: TenantSetup
) -> None:
    bench = tenant_a.benches[0]
    assert _post(server, bench.token, _report(tenant_a, machine=4)).status_code == 201
    revoke_token(server.sessions, bench.token_id)
    before = server.counts()
    assert _error_code(_post(server, bench.token, _report(tenant_a, machine=5))) == (
        401,
        "token_revoked",
    )
    # Garbage from a revoked token: the token is refused, not the body.
    assert _error_code(_post(server, bench.token, b"{not json")) == (401, "token_revoked")
    assert server.counts() == before


def test_bench_revoked_after_posting_is_refused(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[1]
    assert _post(server, bench.token, _report(tenant_a, bench=1, machine=4)).status_code == 201
    revoke_bench(server.sessions, bench.name)
    before = server.counts()
    response = _post(server, bench.token, _report(tenant_a, bench=1, machine=5))
    assert _error_code(response) == (403, "bench_revoked")
    assert server.counts() == before


def test_replaced_bench_key_takes_effect_at_once(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    assert _post(server, bench.token, _report(tenant_a, machine=6)).status_code == 201
    new_key = BenchKey.generate()
    with server.sessions.begin() as session:
        session.execute(
            update(Bench)
            .where(Bench.name == bench.name)
            .values(
                public_key_b64=base64.b64encode(new_key.public_raw).decode(),
                key_id=key_id(new_key.public_raw),
            )
        )
    before = server.counts()
    old_signed = _report(tenant_a, machine=7)
    assert _error_code(_post(server, bench.token, old_signed)) == (403, "key_mismatch")
    assert server.counts() == before
    bench.key = new_key
    assert _post(server, bench.token, _report(tenant_a, machine=7)).status_code == 201


def test_concurrent_reports_of_one_unit_get_consecutive_versions(
    server: Running, tenant_a: TenantSetup
) -> None:
    bodies = [_report(tenant_a, machine=8, category=c) for c in "ABCABC"]
    versions: list[int] = []
    lock = threading.Lock()

    def send(body: bytes) -> None:
        response = _post(server, tenant_a.benches[0].token, body)
        assert response.status_code == 201, response.text
        with lock:
            versions.append(response.json()["version"])

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]


@postgres_only
def test_connections_cut_under_load_are_retried_or_replaced(
    server: Running, tenant_a: TenantSetup
) -> None:
    """Pooled connections are pinged only after being idle: a database restart that cuts
    busy connections makes ingestion retry on a fresh one, never answer 500."""
    assert server.backend == "postgres"
    bench = tenant_a.benches[0]
    assert _post(server, bench.token, _report(tenant_a, machine=9)).status_code == 201
    held = [server.engine.raw_connection() for _ in range(3)]
    pids = []
    for connection in held:
        cursor = connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
        cursor.close()
        connection.rollback()
    for connection in held:
        connection.close()  # back to the pool, marked as just used (no ping on next use)
    # From a connection of its own (the server's pool would hand back the three above).
    admin_engine = create_engine(server.engine.url, poolclass=NullPool)
    try:
        with admin_engine.begin() as admin:
            for pid in pids:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin_engine.dispose()
    # The pool hands connections out first in, first out and the three cut ones went
    # back last: one request more than the pool holds reaches every one of them (the
    # first disconnect seen also marks the whole pool stale). Fewer requests would leave
    # dead connections behind for the next test that shares this server.
    for machine in range(10, 11 + server.engine.pool.checkedin()):  # type: ignore[attr-defined]
        response = _post(server, bench.token, _report(tenant_a, machine=machine))
        assert response.status_code == 201, response.text
