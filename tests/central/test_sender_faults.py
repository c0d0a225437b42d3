"""The sender and the central sink against the real central service on loopback (SQLite
and PostgreSQL), through a proxy that fails on demand: down, 500/503 with Retry-After, a
reset after the service stored the report, an answer slower than the timeout, a token
revoked mid-batch. Nothing is lost, nothing is stored twice, the status says why; an
older revision never becomes the unit's current report; the background sender sends by
itself when the service comes up."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

import pytest
from central_harness import Running, TenantSetup, make_tenant
from central_samples import drives, machines, report_payload, unit_report
from sqlalchemy import func, select

from bench_agent.bench import sending
from bench_agent.bench.paths import BenchPaths
from bench_agent.sync.outbox import Outbox
from bench_agent.sync.sender import Sender, drain
from bench_agent.sync.sinks.central import CentralConfig, CentralSink
from central_inventory.admin import create_token, revoke_token
from central_inventory.db import Report, Unit
from tests.support.fault_proxy import FaultProxy

MACHINES, DRIVES = machines(), drives()


@pytest.fixture
def tenant(server: Running) -> TenantSetup:
    return make_tenant(server.sessions)


@pytest.fixture
def proxy(server: Running) -> FaultProxy:
    running = FaultProxy(server.base_url).up()
    yield running  # type: ignore[misc]
    running.down()


def _envelope(
    tenant: TenantSetup,
    i: int,
    report_id: str | None = None,
    revision: int = 1,
    category: str = "B",
) -> dict[str, object]:
    bench = tenant.benches[0]
    report = unit_report(
        MACHINES[i % len(MACHINES)],
        DRIVES[i % len(DRIVES)],
        bench_id=bench.name,
        report_id=report_id or str(uuid.uuid4()),
        revision=revision,
        category=category,
    )
    return bench.key.sign(report_payload(report))


def _queue(box: Outbox, tenant: TenantSetup, n: int) -> list[str]:
    ids = []
    for i in range(n):
        envelope = _envelope(tenant, i)
        box.add(envelope)
        ids.append(envelope["payload"]["report_id"])  # type: ignore[index]
    return ids


def _sink(url: str, token: str, timeout_s: float = 30.0) -> CentralSink:
    return CentralSink(CentralConfig(url, token, timeout_s=timeout_s))


def _stored(server: Running, report_ids: list[str]) -> dict[str, int]:
    """How many rows the service holds per report id."""
    with server.sessions() as session:
        rows = session.execute(
            select(Report.report_id, func.count())
            .where(Report.report_id.in_(report_ids))
            .group_by(Report.report_id)
        ).all()
    return {rid: n for rid, n in rows}


def _state(box: Outbox) -> tuple[int, int, int]:
    (central,) = [s for s in box.sink_states() if s.name == "central"]
    return central.counts["pending"], central.counts["sent"], central.counts["rejected"]


def test_service_down_then_up_loses_nothing(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path
) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = _queue(box, tenant, 6)
    proxy.down()
    token = tenant.benches[0].token
    report = drain(box, [_sink(proxy.url, token)])
    assert report.sent == [] and len(report.retry) == 1  # one attempt, then the pass stops
    assert _state(box) == (6, 0, 0)
    (central,) = box.sink_states()
    assert central.last_error_fr is not None and "injoignable" in central.last_error_fr
    assert central.next_attempt_at > time.time() + 10
    assert _stored(server, ids) == {}
    proxy.up()
    report = drain(box, [_sink(proxy.url, token)], include_waiting=True)
    assert sorted(report.sent) == sorted(f"{i}#1" for i in ids)
    assert _state(box) == (0, 6, 0)
    assert _stored(server, ids) == dict.fromkeys(ids, 1)
    assert all(item.compacted for item in box.items())


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_wait_and_retry_after_is_honoured(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path, status: str
) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = _queue(box, tenant, 4)
    proxy.faults = [status]
    proxy.retry_after = "120" if status == "503" else None
    token = tenant.benches[0].token
    before = time.time()
    report = drain(box, [_sink(proxy.url, token)], base_s=10.0)
    assert report.sent == [] and report.retry[0][0] == f"{ids[0]}#1"
    assert "indisponible" in (report.sinks["central"].stopped or "")
    (waiting,) = [i for i in box.items("pending") if i.attempts]
    (central,) = box.sink_states()
    if status == "503":  # the service's own delay, for the item and the sink
        assert before + 119 <= waiting.next_attempt_at <= time.time() + 121
        assert before + 119 <= central.next_attempt_at <= time.time() + 121
    else:  # the sender's backoff: half to all of the base delay
        assert before + 5 <= waiting.next_attempt_at <= time.time() + 10
    # Not due yet: the other items go, the one waiting does not.
    assert sorted(drain(box, [_sink(proxy.url, token)]).sent) == sorted(f"{i}#1" for i in ids[1:])
    assert drain(box, [_sink(proxy.url, token)], include_waiting=True).sent == [f"{ids[0]}#1"]
    assert _stored(server, ids) == dict.fromkeys(ids, 1)


@pytest.mark.parametrize("fault", ["reset-after", "slow"])
def test_a_lost_answer_is_resent_and_stored_once(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path, fault: str
) -> None:
    """The service stored the report, the answer was cut (reset) or came after the
    timeout: the bench keeps the item, sends it again, the service says it has it."""
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = _queue(box, tenant, 3)
    proxy.faults = ["pass", fault]
    proxy.slow_s = 2.0
    token = tenant.benches[0].token
    report = drain(box, [_sink(proxy.url, token, timeout_s=0.5)])
    assert report.sent[:1] == [f"{ids[0]}#1"] and len(report.retry) == 1
    retried = report.retry[0][0]
    stopped = report.sinks["central"].stopped or ""
    assert ("ne répond pas dans les 0.5 s" if fault == "slow" else "interrompu") in stopped
    assert _state(box)[0] >= 1  # the third may have gone on the sink's other connection
    time.sleep(proxy.slow_s if fault == "slow" else 0)  # the slow answer's server side ends
    report = drain(box, [_sink(proxy.url, token)], include_waiting=True)
    assert retried in report.already  # stored by the first try
    assert _state(box) == (0, 3, 0)
    assert _stored(server, ids) == dict.fromkeys(ids, 1)


@pytest.mark.parametrize("lanes", [1, 4])
def test_a_token_revoked_mid_batch_stops_and_loses_nothing(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path, lanes: int
) -> None:
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = _queue(box, tenant, 12)
    bench = tenant.benches[0]

    def revoke_at_fourth(number: int) -> None:
        if number == 4:
            revoke_token(server.sessions, bench.token_id)

    proxy.on_request = revoke_at_fourth
    sink = _sink(proxy.url, bench.token)
    sink.parallel = lanes  # one connection: each answer comes before the next request
    report = drain(box, [sink])
    # Revoked while the 4th request came in (the sink's other connections may have
    # requests on their way: how many were accepted before depends on their race).
    assert report.retry and "jeton" in (report.sinks["central"].stopped or "")
    # What the bench counts as sent is exactly what the service holds, each once, and
    # the rest waits: nothing lost, nothing sent twice, whatever the race.
    held = _stored(server, ids)
    assert set(held.values()) <= {1}
    assert sorted(i.split("#")[0] for i in report.sent) == sorted(held)
    pending, sent, rejected = _state(box)
    assert (sent, pending, rejected) == (len(held), 12 - len(held), 0)
    # Revoked when the 4th request arrived: at most the three before it were accepted
    # (the service never takes a request after the revocation); on one connection each
    # of them was answered before the 4th left, so exactly those three.
    assert len(held) == 3 if lanes == 1 else len(held) <= 3
    status = sending.SendResult(report, box.counts()).lines()
    assert any("401" in line.fr for line in status)
    # A new token: everything arrives, once.
    proxy.on_request = None
    fresh = create_token(server.sessions, "bench", bench=bench.name).token
    drain(box, [_sink(proxy.url, fresh)], include_waiting=True)
    assert _state(box) == (0, 12, 0)
    assert _stored(server, ids) == dict.fromkeys(ids, 1)


def _current(server: Running, report_id: str) -> int:
    with server.sessions() as session:
        unit_id = session.scalar(select(Report.unit_id).where(Report.report_id == report_id))
        unit = session.get(Unit, unit_id)
        assert unit is not None
        current = session.scalar(
            select(Report.revision).where(
                Report.unit_id == unit.id, Report.version == unit.latest_version
            )
        )
        assert current is not None
        return current


def test_revisions_queued_out_of_order_end_with_the_newest_current(
    server: Running, tenant: TenantSetup, tmp_path: Path
) -> None:
    """Ten units with revisions 1, 3 and 4, queued in a shuffled order and sent over the
    sink's parallel connections; then revision 2 of one, queued after 4 was sent: every
    unit's current report is its newest revision, the late one is skipped."""
    box = Outbox(tmp_path / "outbox.sqlite")
    units = [str(uuid.uuid4()) for _ in range(10)]
    queued = [(u, rev, i) for i, u in enumerate(units) for rev in (1, 3, 4)]
    random.Random(13).shuffle(queued)
    for report_id, revision, i in queued:
        box.add(_envelope(tenant, i, report_id, revision, category="ABCD"[revision - 1]))
    token = tenant.benches[0].token
    drain(box, [_sink(server.base_url, token)])
    assert [_current(server, u) for u in units] == [4] * 10
    late = box.add(_envelope(tenant, 99, units[0], 2, category="C"))
    assert late.new
    report = drain(box, [_sink(server.base_url, token)])
    assert report.sent == []
    (skipped,) = [d for d in box.deliveries("central", "skipped")]
    assert (skipped.item_id, skipped.note) == (f"{units[0]}#2", "superseded")
    assert _current(server, units[0]) == 4


def _until(condition: object, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_the_background_sender_sends_by_itself_when_the_service_comes_up(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Items queued while the service is down; the app's sender retries with a short
    backoff (set for the test) and sends everything once the service is up, with no
    `sync now`; a document saved afterwards wakes it at once."""
    paths = BenchPaths(tmp_path / "home")
    paths.home.mkdir()
    bench = tenant.benches[0]
    sending.configure(paths, proxy.url, bench.token)
    box = Outbox(paths.outbox)
    ids = _queue(box, tenant, 5)
    proxy.down()
    sender = sending.start_sender(paths, {}, base_s=0.2, cap_s=0.5, poll_s=0.05)
    try:
        assert _until(lambda: (box.sink_states()[0].failures or 0) >= 1)
        assert _stored(server, ids) == {}
        proxy.up()
        assert _until(lambda: box.counts()["pending"] == 0)
        assert _stored(server, ids) == dict.fromkeys(ids, 1)
        envelope = _envelope(tenant, 7)
        assert sending.enqueue(paths, envelope) is None  # wakes the sender
        assert _until(lambda: box.counts() == {"pending": 0, "sent": 6, "rejected": 0})
        assert sender.wait_idle(10)
    finally:
        sender.stop()
    assert not sender.running
    state = sending.outbox_state(paths)
    assert state.sinks[0].last_success_at is not None and state.sinks[0].waiting == 0


def test_a_link_that_comes_up_sends_what_waits_at_once(
    server: Running, tenant: TenantSetup, proxy: FaultProxy, tmp_path: Path
) -> None:
    """After a failure the backoff is an hour; a network interface whose link comes up
    makes everything due now."""
    box = Outbox(tmp_path / "outbox.sqlite")
    ids = _queue(box, tenant, 3)
    proxy.down()
    links: set[str] = set()
    token = tenant.benches[0].token
    sender = Sender(
        box.path,
        lambda: [_sink(proxy.url, token)],
        links=lambda: frozenset(links),
        base_s=3600.0,
        poll_s=0.05,
    ).start()
    try:
        assert _until(lambda: box.sink_states()[0].failures >= 1)
        assert sender.wait_idle(10)
        proxy.up()
        assert box.counts()["pending"] == 3  # an hour to wait...
        links.add("eth0")  # ...until the cable is plugged in
        assert _until(lambda: box.counts()["pending"] == 0)
    finally:
        sender.stop()
    assert _stored(server, ids) == dict.fromkeys(ids, 1)
