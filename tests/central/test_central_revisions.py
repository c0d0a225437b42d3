"""Report revisions against a running server (SQLite and PostgreSQL): a bench keeps one
report id per unit and re-signs revision n + 1 when something changes. Every revision is
stored; the unit's current report is the highest revision; an older revision arriving
last is history only; nobody appends a revision to another bench's report; hostile
revision numbers are refused."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from central_harness import Running, TenantSetup, postgres_only
from central_samples import drives, machines, report_payload, signed, unit_report
from sqlalchemy import select, text

from central_inventory.auth import authenticate
from central_inventory.db import Report, Unit
from central_inventory.ingest import (
    Stored,
    _store_report,
    ingest_report,
    parse_envelope,
    validate_report,
    verify_for_bench,
)

MACHINES = machines()
DRIVES = drives()


def _revision(
    tenant: TenantSetup,
    report_id: str,
    revision: int,
    *,
    machine: int,
    bench: int = 0,
    category: str = "B",
    **kwargs: Any,
) -> dict[str, Any]:
    report = unit_report(
        MACHINES[machine % len(MACHINES)],
        DRIVES[machine % len(DRIVES)],
        bench_id=tenant.benches[bench].name,
        report_id=report_id,
        revision=revision,
        category=category,
        **kwargs,
    )
    return report_payload(report)


def _post(server: Running, token: str, body: bytes) -> Any:
    with server.client(token) as client:
        return client.post(
            "/api/v1/reports", content=body, headers={"Content-Type": "application/json"}
        )


def _send(server: Running, tenant: TenantSetup, payload: dict[str, Any], bench: int = 0) -> Any:
    b = tenant.benches[bench]
    return _post(server, b.token, signed(b.key, payload))


def _unit(server: Running, tenant: TenantSetup, unit_id: int) -> dict[str, Any]:
    with server.client(tenant.staff_token) as client:
        response = client.get(f"/api/v1/units/{unit_id}")
    assert response.status_code == 200, response.text
    unit: dict[str, Any] = response.json()
    return unit


def _error(response: Any) -> tuple[int, str]:
    body = response.json()["error"]
    assert body["message"]["fr"] and body["message"]["en"]
    return response.status_code, body["code"]


def _rows(server: Running, report_id: str) -> list[tuple[int, bool, int | None]]:
    """(revision, head, version) of every stored row of a report id."""
    with server.sessions() as session:
        rows = session.execute(
            select(Report.revision, Report.head, Report.version)
            .where(Report.report_id == report_id)
            .order_by(Report.revision)
        ).all()
    return [(r.revision, r.head, r.version) for r in rows]


def test_two_revisions_in_order_the_higher_is_current(
    server: Running, tenant_a: TenantSetup
) -> None:
    report_id = str(uuid.uuid4())
    first = _send(server, tenant_a, _revision(tenant_a, report_id, 1, machine=0, category="C"))
    assert first.status_code == 201, first.text
    assert first.json() | {"message": None} == {
        "status": "stored",
        "report_id": report_id,
        "revision": 1,
        "unit_id": first.json()["unit_id"],
        "version": 1,
        "current": True,
        "message": None,
    }
    second = _send(server, tenant_a, _revision(tenant_a, report_id, 2, machine=0, category="A"))
    assert second.status_code == 201, second.text
    assert (second.json()["revision"], second.json()["version"]) == (2, 2)
    assert second.json()["current"] is True
    assert second.json()["unit_id"] == first.json()["unit_id"]

    unit = _unit(server, tenant_a, first.json()["unit_id"])
    assert unit["current_report"] == {"report_id": report_id, "revision": 2}
    assert unit["category"] == "A" and unit["latest_version"] == 2
    assert [(v["revision"], v["version"], v["current"]) for v in unit["versions"]] == [
        (2, 2, True),
        (1, 1, False),
    ]
    assert _rows(server, report_id) == [(1, False, 1), (2, True, 2)]
    # Both revisions stay retrievable byte for byte; the plain URL gives the highest.
    with server.client(tenant_a.staff_token) as client:
        latest = client.get(f"/api/v1/reports/{report_id}")
        older = client.get(f"/api/v1/reports/{report_id}", params={"revision": 1})
        missing = client.get(f"/api/v1/reports/{report_id}", params={"revision": 3})
        hostile = client.get(f"/api/v1/reports/{report_id}", params={"revision": 2**70})
    assert json.loads(latest.content)["payload"]["revision"] == 2
    assert latest.headers["X-Report-Revision"] == "2"
    assert json.loads(older.content)["payload"]["revision"] == 1
    assert missing.status_code == 404 and hostile.status_code == 422


def test_an_old_revision_arriving_last_is_history_never_current(
    server: Running, tenant_a: TenantSetup
) -> None:
    """The "old revision arriving last" attack (or an outbox replaying an old copy): it is
    stored as evidence but the unit keeps the newer revision and its category/status."""
    report_id = str(uuid.uuid4())
    third = _send(server, tenant_a, _revision(tenant_a, report_id, 3, machine=1, category="A"))
    assert third.status_code == 201, third.text
    unit_id = third.json()["unit_id"]
    with server.sessions() as session:
        before = session.get(Unit, unit_id)
        assert before is not None
        last_report_at = before.last_report_at
    late = _send(
        server,
        tenant_a,
        _revision(tenant_a, report_id, 1, machine=1, category="D", erasure_result="FAILED"),
    )
    assert late.status_code == 201, late.text
    assert late.json()["current"] is False and late.json()["version"] is None
    assert "historique" in late.json()["message"]["fr"]
    middle = _send(server, tenant_a, _revision(tenant_a, report_id, 2, machine=1, category="C"))
    assert middle.status_code == 201 and middle.json()["current"] is False

    unit = _unit(server, tenant_a, unit_id)
    assert unit["current_report"] == {"report_id": report_id, "revision": 3}
    assert unit["category"] == "A" and unit["latest_version"] == 1
    assert unit["last_report_at"] == last_report_at.isoformat()
    assert [(v["revision"], v["current"]) for v in unit["versions"]] == [
        (3, True),
        (2, False),
        (1, False),
    ]
    assert _rows(server, report_id) == [(1, False, None), (2, False, None), (3, True, 1)]
    # A higher revision still moves the unit forward.
    fourth = _send(server, tenant_a, _revision(tenant_a, report_id, 4, machine=1, category="B"))
    assert fourth.json()["current"] is True and fourth.json()["version"] == 2
    assert _unit(server, tenant_a, unit_id)["current_report"]["revision"] == 4


def test_same_revision_is_idempotent_and_other_content_a_conflict(
    server: Running, tenant_a: TenantSetup
) -> None:
    report_id = str(uuid.uuid4())
    bench = tenant_a.benches[0]
    body = signed(bench.key, _revision(tenant_a, report_id, 1, machine=2))
    assert _post(server, bench.token, body).status_code == 201
    second = signed(bench.key, _revision(tenant_a, report_id, 2, machine=2, category="A"))
    assert _post(server, bench.token, second).status_code == 201
    before = server.counts()
    for again in (body, second):  # an older and the newest revision, resent
        answer = _post(server, bench.token, again)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "already_stored"
    changed = dict(_revision(tenant_a, report_id, 1, machine=2), created_at="2027-01-01T00:00:00Z")
    assert _error(_post(server, bench.token, signed(bench.key, changed))) == (409, "conflict")
    changed = _revision(tenant_a, report_id, 2, machine=2, category="D")
    assert _error(_post(server, bench.token, signed(bench.key, changed))) == (409, "conflict")
    assert server.counts() == before
    assert _rows(server, report_id) == [(1, False, 1), (2, True, 2)]


def test_nobody_appends_a_revision_to_another_benchs_report(
    server: Running, tenant_a: TenantSetup
) -> None:
    report_id = str(uuid.uuid4())
    first = _send(server, tenant_a, _revision(tenant_a, report_id, 1, machine=3, category="B"))
    assert first.status_code == 201
    before = server.counts()
    for revision in (2, 2**31 - 1):
        hijack = _revision(tenant_a, report_id, revision, machine=3, bench=1, category="D")
        response = _send(server, tenant_a, hijack, bench=1)
        assert _error(response) == (409, "report_of_another_bench")
        assert response.json()["error"]["detail"] == {
            "report_id": report_id,
            "revision": revision,
        }
    # Its revision 1 is taken too: an ordinary conflict.
    copy = _revision(tenant_a, report_id, 1, machine=3, bench=1, category="D")
    assert _error(_send(server, tenant_a, copy, bench=1)) == (409, "conflict")
    assert server.counts() == before
    unit = _unit(server, tenant_a, first.json()["unit_id"])
    assert unit["current_report"] == {"report_id": report_id, "revision": 1}
    assert unit["category"] == "B"


def test_another_tenant_using_the_same_report_id_changes_nothing_for_either(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    """Report ids are a tenant's own: another tenant's bench using one gets exactly the
    answers it would get if the id were unused (201, its own unit, revision order of its
    own), and neither tenant's unit moves."""
    report_id = str(uuid.uuid4())
    first = _send(server, tenant_a, _revision(tenant_a, report_id, 2, machine=3, category="B"))
    assert first.status_code == 201
    for revision, category in ((1, "D"), (3, "C")):
        other = _send(
            server,
            tenant_b,
            _revision(tenant_b, report_id, revision, machine=3, category=category),
        )
        assert other.status_code == 201, other.text
        assert other.json()["current"] is True  # revision 2 is tenant A's, not B's
        assert other.json()["unit_id"] != first.json()["unit_id"]
    b_unit = _unit(server, tenant_b, other.json()["unit_id"])
    assert b_unit["current_report"] == {"report_id": report_id, "revision": 3}
    assert [v["revision"] for v in b_unit["versions"]] == [3, 1]
    a_unit = _unit(server, tenant_a, first.json()["unit_id"])
    assert a_unit["current_report"] == {"report_id": report_id, "revision": 2}
    assert a_unit["category"] == "B" and len(a_unit["versions"]) == 1
    # Each reads its own envelope under the shared id; a retry is "already stored" to each.
    for tenant, revision in ((tenant_a, 2), (tenant_b, 3)):
        with server.client(tenant.staff_token) as client:
            got = client.get(f"/api/v1/reports/{report_id}")
        assert got.status_code == 200 and got.headers["X-Report-Revision"] == str(revision)
    again = _send(server, tenant_a, _revision(tenant_a, report_id, 2, machine=3, category="B"))
    assert again.status_code == 200


# 2**53 - 1: the largest integer canonical JSON signs (RFC 8785); 2.5: a float (2.0 is
# the number 2 in canonical JSON, signed as such).
@pytest.mark.parametrize(
    "value", [0, -1, 2**31, 2**53 - 1, "2", True, False, 2.5, None, [2], {"n": 2}]
)
def test_hostile_revision_values_are_refused(
    server: Running, tenant_a: TenantSetup, value: object
) -> None:
    payload = _revision(tenant_a, str(uuid.uuid4()), 1, machine=4)
    payload["revision"] = value
    before = server.counts()
    response = _send(server, tenant_a, payload)  # correctly signed: the schema refuses it
    assert _error(response) == (422, "invalid_report")
    assert "revision" in json.dumps(response.json()["error"]["detail"])
    assert server.counts() == before


def test_largest_revision_is_accepted(server: Running, tenant_a: TenantSetup) -> None:
    report_id = str(uuid.uuid4())
    response = _send(server, tenant_a, _revision(tenant_a, report_id, 2**31 - 1, machine=5))
    assert response.status_code == 201, response.text
    assert _rows(server, report_id) == [(2**31 - 1, True, 1)]


def test_a_revision_that_corrects_the_serial_stays_on_its_unit(
    server: Running, tenant_a: TenantSetup
) -> None:
    """The unit key comes from the serial; a revision fixing it belongs to the unit its
    report id is on (no second unit for the same laptop)."""
    report_id = str(uuid.uuid4())
    first = _send(server, tenant_a, _revision(tenant_a, report_id, 1, machine=6))
    fixed = _revision(tenant_a, report_id, 2, machine=6)
    fixed["unit"] = dict(fixed["unit"], serial="FIXED-123", key="fixed|key|fixed-123")
    units_before = server.counts()["units"]
    second = _send(server, tenant_a, fixed)
    assert second.status_code == 201, second.text
    assert second.json()["unit_id"] == first.json()["unit_id"]
    assert server.counts()["units"] == units_before
    assert _unit(server, tenant_a, first.json()["unit_id"])["serial"] == "FIXED-123"


def test_concurrent_revisions_end_with_the_highest_current(
    server: Running, tenant_a: TenantSetup
) -> None:
    """Six revisions of one report posted at once, twice each, in shuffled order: all
    stored once; whatever the interleaving, the current one is the highest, every
    current-at-arrival row got its own version and history rows none."""
    report_id = str(uuid.uuid4())
    bench = tenant_a.benches[0]
    bodies = {
        n: signed(bench.key, _revision(tenant_a, report_id, n, machine=7, category="ABCD"[n % 4]))
        for n in range(1, 7)
    }
    order = [4, 1, 6, 2, 5, 3, 3, 6, 1, 5, 2, 4]
    statuses: list[int] = []
    unit_ids: set[int] = set()
    lock = threading.Lock()

    def send(n: int) -> None:
        response = _post(server, bench.token, bodies[n])
        with lock:
            statuses.append(response.status_code)
            if response.status_code in (200, 201):
                unit_ids.add(response.json()["unit_id"])

    threads = [threading.Thread(target=send, args=(n,)) for n in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 6 + [201] * 6
    assert len(unit_ids) == 1
    rows = _rows(server, report_id)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r[1] for r in rows] == [False] * 5 + [True]
    versions = [r[2] for r in rows if r[2] is not None]
    assert len(versions) == len(set(versions))
    (unit_id,) = unit_ids
    unit = _unit(server, tenant_a, unit_id)
    assert unit["current_report"] == {"report_id": report_id, "revision": 6}
    assert unit["latest_version"] == max(versions) == rows[-1][2]
    assert unit["category"] == "ABCD"[6 % 4]


def test_unit_page_and_export_show_the_current_revision(
    server: Running, tenant_a: TenantSetup
) -> None:
    report_id = str(uuid.uuid4())
    for n in (2, 1):  # the older one arrives last
        _send(server, tenant_a, _revision(tenant_a, report_id, n, machine=8))
    unit_id = _unit_id(server, report_id)
    with server.client() as client:
        assert client.post("/login", data={"token": tenant_a.staff_token}).status_code == 303
        page = client.get(f"/units/{unit_id}")
        plain = client.get(f"/evidence/report/{report_id}.json")
        older = client.get(f"/evidence/report/{report_id}.json", params={"revision": "1"})
        junk = client.get(f"/evidence/report/{report_id}.json", params={"revision": "-1"})
    assert page.status_code == 200
    assert 'id="current-revision">2<' in page.text
    assert f"/evidence/report/{report_id}.json?revision=1" in page.text
    assert "historique" in page.text
    assert json.loads(plain.content)["payload"]["revision"] == 2
    assert f"report-{report_id}-r2.json" in plain.headers["Content-Disposition"]
    assert json.loads(older.content)["payload"]["revision"] == 1
    assert junk.status_code == 404

    import io

    from central_inventory.admin import export

    out = io.StringIO()
    export(server.sessions, out, tenant=tenant_a.slug)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    mine = sorted(
        (line["revision"], line["current"], line["version"])
        for line in lines
        if line["kind"] == "report" and line["id"] == report_id
    )
    assert mine == [(1, False, None), (2, True, 1)]


class _HeldWrite:
    """A report written in a transaction left open (its row locks held) until released:
    the deterministic way to make another request meet it half-way."""

    def __init__(self, server: Running, token: str, body: bytes) -> None:
        self.stored = threading.Event()
        self.release = threading.Event()
        self.pid = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(server, token, body))
        self.thread.start()
        assert self.stored.wait(30), self.error

    def _run(self, server: Running, token: str, body: bytes) -> None:
        try:
            with server.engine.begin() as connection:
                self.pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
                principal = authenticate(connection, token)
                envelope, envelope_text = parse_envelope(body)
                verified = verify_for_bench(envelope, principal)
                report = validate_report(verified.payload, verified.canonical)
                _store_report(
                    connection,
                    principal,
                    report,
                    payload_sha256=verified.sha256,
                    envelope_text=envelope_text,
                    batch_code=None,
                )
                self.stored.set()
                self.release.wait(30)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
            self.stored.set()

    def commit_once_blocking(self, server: Running, other: threading.Thread) -> None:
        """Wait until another backend waits on this transaction's locks, then commit."""
        with server.engine.connect() as watcher:
            for _ in range(3000):
                waiting = watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE CAST(:pid AS INTEGER) = ANY(pg_blocking_pids(pid))"
                    ),
                    {"pid": self.pid},
                ).scalar_one()
                watcher.rollback()
                if waiting or not other.is_alive():
                    break
                threading.Event().wait(0.01)
        self.release.set()
        self.thread.join(30)
        assert self.error is None, self.error


@postgres_only
@pytest.mark.parametrize("first_seen", [True, False], ids=["new-report-id", "known-report-id"])
def test_a_lower_revision_racing_a_higher_one_ends_as_history(
    server: Running, tenant_a: TenantSetup, first_seen: bool
) -> None:
    """PostgreSQL, READ COMMITTED: revision 3 is written but not committed when revision 2
    arrives. Revision 2's statement saw the older state (no row yet, or revision 1 as
    head), waits on revision 3's locks, finds it lost (one-head index conflict or head
    already demoted), is run again and ends as history; the unit's version bump it made
    meanwhile is rolled back."""
    report_id = str(uuid.uuid4())
    bench = tenant_a.benches[0]
    if not first_seen:
        one = _send(server, tenant_a, _revision(tenant_a, report_id, 1, machine=9))
        assert one.status_code == 201
    held = _HeldWrite(
        server, bench.token, signed(bench.key, _revision(tenant_a, report_id, 3, machine=9))
    )
    answers: list[Stored] = []
    lower = signed(bench.key, _revision(tenant_a, report_id, 2, machine=9, category="D"))
    racer = threading.Thread(
        target=lambda: answers.append(ingest_report(server.engine, bench.token, lower)[1])
    )
    racer.start()
    held.commit_once_blocking(server, racer)
    racer.join(30)
    (answer,) = answers
    assert answer.current is False and answer.version is None
    rows = _rows(server, report_id)
    expected_version = 1 if first_seen else 2
    assert rows[-2:] == [(2, False, None), (3, True, expected_version)]
    unit = _unit(server, tenant_a, answer.unit_id or 0)
    assert unit["current_report"] == {"report_id": report_id, "revision": 3}
    assert unit["latest_version"] == expected_version and unit["category"] == "B"


def _unit_id(server: Running, report_id: str) -> int:
    with server.sessions() as session:
        unit_id = session.scalar(
            select(Report.unit_id).where(Report.report_id == report_id).limit(1)
        )
    assert unit_id is not None
    return unit_id
