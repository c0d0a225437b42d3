"""The sender: hands every due outbox item to every sink, by itself or when asked.

:func:`drain` is one pass: for each sink, its due items in order (see
:meth:`Outbox.due`), bodies read one at a time (memory stays flat however long the
queue), states written in batches (a crash between a send and its record only means a
resend, which every sink answers "already there"). A ``retry`` ends that sink's pass
(a server that is down will not answer the next item either) and backs the sink off:
``Retry-After`` when the sink passed one, else an exponential delay with jitter.

:class:`Sender` runs passes in a thread: at start, when an item is added (:meth:`wake`,
or another process's add seen by polling), when a backoff ends, and at once when a
network link comes up (an interface whose carrier appears), after which everything
waiting is due. ``stop()`` ends it cleanly (the pass in progress stops between two items
and records what it did).

Only one pass runs at a time per outbox file, across processes (``flock`` on a lock file
beside it): ``sync now`` while the app's sender is running waits for it, never sends the
same item twice at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_agent.sync.outbox import Due, Outbox, Result
from bench_agent.sync.sinks.base import Delivery, Document, Sink

RETRY_BASE_S = 30.0
RETRY_MAX_S = 3600.0
FLUSH_EVERY = 64
"""Outcomes written per transaction (one fsync for many sends)."""
FLUSH_AFTER_S = 1.0
POLL_S = 5.0
"""How often the running sender looks at the links and for items added by other processes."""

Log = Callable[[str, str], None]
"""(sink name, technical detail) → the bench log."""


def backoff_s(
    attempts: int,
    *,
    base_s: float = RETRY_BASE_S,
    cap_s: float = RETRY_MAX_S,
    rng: Callable[[], float] = random.random,
) -> float:
    """Exponential delay after ``attempts`` failures, capped, with jitter: between half
    and all of ``base · 2^attempts`` (benches that lost the network together do not all
    come back in the same second)."""
    full = float(min(cap_s, base_s * 2 ** min(attempts, 30)))
    return full / 2 + rng() * full / 2


@dataclass
class SinkReport:
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    retry: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None
    """Why this sink's pass stopped before the end (French, for the technician)."""
    stopped_en: str | None = None
    stopped_status: int | None = None
    """The HTTP status that stopped it (401/403: the token, not the network)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "already_stored": self.already,
            "skipped": self.skipped,
            "rejected": [{"id": i, "reason": r} for i, r in self.rejected],
            "retry": [{"id": i, "reason": r} for i, r in self.retry],
            "stopped": self.stopped,
        }


@dataclass
class DrainReport:
    """What one pass did, per sink."""

    sinks: dict[str, SinkReport] = field(default_factory=dict)

    def _all(self, attribute: str) -> list[Any]:
        seen: list[Any] = []
        for report in self.sinks.values():
            seen += [x for x in getattr(report, attribute) if x not in seen]
        return seen

    @property
    def sent(self) -> list[str]:
        return self._all("sent")

    @property
    def already(self) -> list[str]:
        return self._all("already")

    @property
    def rejected(self) -> list[tuple[str, str]]:
        return self._all("rejected")

    @property
    def retry(self) -> list[tuple[str, str]]:
        return self._all("retry")

    @property
    def stopped(self) -> str | None:
        reasons = [f"{n} : {r.stopped}" for n, r in self.sinks.items() if r.stopped]
        if not reasons:
            return None
        return (
            reasons[0]
            if len(self.sinks) > 1
            else next(r.stopped for r in self.sinks.values() if r.stopped)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "already_stored": self.already,
            "rejected": [{"id": i, "reason": r} for i, r in self.rejected],
            "retry": [{"id": i, "reason": r} for i, r in self.retry],
            "stopped": self.stopped,
            "sinks": {name: r.as_dict() for name, r in self.sinks.items()},
        }


@contextlib.contextmanager
def exclusive(outbox_path: Path) -> Iterator[None]:
    """One pass at a time on this outbox file, across threads and processes."""
    lock_path = outbox_path.with_name(outbox_path.name + ".send-lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def drain(
    outbox: Outbox,
    sinks: list[Sink],
    *,
    include_waiting: bool = False,
    respect_sink_backoff: bool = False,
    stop: threading.Event | None = None,
    log: Log | None = None,
    base_s: float = RETRY_BASE_S,
    cap_s: float = RETRY_MAX_S,
) -> DrainReport:
    """One pass over every sink (see the module docstring). ``include_waiting`` sends
    items still within their retry delay; ``respect_sink_backoff`` leaves a sink alone
    until its own backoff ends (the background sender; a human asking does not wait)."""
    report = DrainReport()
    if not sinks:
        return report
    with exclusive(outbox.path), outbox.held():
        outbox.use_sinks([s.name for s in sinks])
        for sink in sinks:
            sink_report = report.sinks[sink.name] = SinkReport()
            if stop is not None and stop.is_set():
                break
            if respect_sink_backoff and outbox.sink_failures(sink.name)[1] > time.time():
                continue
            _drain_sink(outbox, sink, sink_report, include_waiting, stop, log, base_s, cap_s)
    return report


def _drain_sink(  # noqa: PLR0917 - one pass's settings, passed down from drain()
    outbox: Outbox,
    sink: Sink,
    report: SinkReport,
    include_waiting: bool,
    stop: threading.Event | None,
    log: Log | None,
    base_s: float,
    cap_s: float,
) -> None:
    batch: list[Result] = []
    flushed_at = time.monotonic()
    sink_retry: tuple[float, str | None, str | None, int | None] | None = None
    due_items = outbox.due(sink.name, include_waiting=include_waiting)
    for due, delivery in _deliveries(outbox, sink, due_items, stop):
        if delivery.detail and log is not None and delivery.outcome != "sent":
            log(sink.name, f"{due.item_id}: {delivery.detail}")
        fr = delivery.reason.fr if delivery.reason else None
        en = delivery.reason.en if delivery.reason else None
        if delivery.outcome == "sent":
            batch.append(Result(due.seq, "sent", delivery.status))
            (report.already if delivery.status == 200 else report.sent).append(due.item_id)
        elif delivery.outcome == "skipped":
            batch.append(Result(due.seq, "skipped", delivery.status, fr, en))
            report.skipped.append(due.item_id)
        elif delivery.outcome == "rejected":
            fr = fr or f"refusé (HTTP {delivery.status})"
            batch.append(Result(due.seq, "rejected", delivery.status, fr, en or fr))
            report.rejected.append((due.item_id, fr))
        else:
            fr = fr or "nouvel essai plus tard"
            en = en or "will try again later"
            hint = delivery.retry_after_s
            item_delay = (
                hint if hint is not None else backoff_s(due.attempts, base_s=base_s, cap_s=cap_s)
            )
            batch.append(Result(due.seq, "retry", delivery.status, fr, en, item_delay))
            report.retry.append((due.item_id, fr))
            if sink_retry is None:
                failures = outbox.sink_failures(sink.name)[0]
                sink_delay = (
                    hint if hint is not None else backoff_s(failures, base_s=base_s, cap_s=cap_s)
                )
                sink_retry = (sink_delay, fr, en, delivery.status)
                report.stopped, report.stopped_en = fr, en
                report.stopped_status = delivery.status
        if len(batch) >= FLUSH_EVERY or time.monotonic() - flushed_at > FLUSH_AFTER_S:
            outbox.record(sink.name, batch)
            batch, flushed_at = [], time.monotonic()
    if batch or sink_retry is not None:
        outbox.record(sink.name, batch, sink_retry=sink_retry)


LANE_DEPTH = 4
"""Items read ahead per connection of a parallel sink (bodies in memory: a few)."""


def _deliveries(
    outbox: Outbox, sink: Sink, due_items: list[Due], stop: threading.Event | None
) -> Iterator[tuple[Due, Delivery]]:
    """(item, what the sink did) as they come. A sink with ``parallel`` > 1 (safe to
    call from several threads) gets that many lanes, a report's revisions always in the
    same lane, in order. A ``retry`` halts every lane before its next item: what was not
    handed to the sink stays pending, untouched."""
    lanes = max(1, int(getattr(sink, "parallel", 1)))
    halt = threading.Event()

    def halted() -> bool:
        return halt.is_set() or (stop is not None and stop.is_set())

    # The first item alone, then the lanes: a sink that is down costs one attempt.
    first = 1 if lanes > 1 else len(due_items)
    for due in due_items[:first]:
        if halted():
            return
        delivery = _deliver(sink, _document(outbox, due))
        if delivery.outcome == "retry":
            halt.set()
        yield due, delivery
    due_items = due_items[first:]
    if not due_items or halted():
        return

    done: queue.Queue[tuple[Due, Delivery] | None] = queue.Queue()
    inboxes: list[queue.Queue[tuple[Due, Document] | None]] = [
        queue.Queue(LANE_DEPTH) for _ in range(lanes)
    ]

    def work(inbox: queue.Queue[tuple[Due, Document] | None]) -> None:
        try:
            while (task := inbox.get()) is not None:
                due, document = task
                if halted():
                    continue  # not handed to the sink: stays pending
                delivery = _deliver(sink, document)
                if delivery.outcome == "retry":
                    halt.set()  # before this lane takes its next item
                done.put((due, delivery))
        finally:
            done.put(None)

    threads = [
        threading.Thread(target=work, args=(inbox,), name=f"sender-{sink.name}-{n}", daemon=True)
        for n, inbox in enumerate(inboxes)
    ]
    for thread in threads:
        thread.start()
    running = lanes
    try:
        for due in due_items:
            if halted():
                break
            inbox = inboxes[zlib.crc32(due.document_id.encode()) % lanes]
            task = (due, _document(outbox, due))
            while not halted():
                try:
                    inbox.put(task, timeout=0.05)
                    placed = True
                except queue.Full:
                    placed = False
                while not done.empty():  # what came back meanwhile, recorded as it comes
                    result = done.get()
                    if result is None:
                        running -= 1
                    else:
                        yield result
                if placed:
                    break
    finally:
        for inbox in inboxes:
            inbox.put(None)
        while running:
            result = done.get()
            if result is None:
                running -= 1
            else:
                yield result
        for thread in threads:
            thread.join()


def _document(outbox: Outbox, due: Due) -> Document:
    return Document(
        kind="certificate" if due.kind == "certificate" else "report",
        item_id=due.item_id,
        document_id=due.document_id,
        revision=due.revision,
        body=outbox.body(due.seq),
    )


def _deliver(sink: Sink, document: Document) -> Delivery:
    """A sink that raises instead of answering does not stop the sender: a retry."""
    from bench_agent.i18n import _t

    try:
        return sink.deliver(document)
    except Exception as exc:
        return Delivery(
            "retry",
            _t("Erreur interne du connecteur {sink} (détail dans le journal)", sink=sink.name),
            detail=f"{type(exc).__name__}: {exc}"[:500],
        )


# -- links -----------------------------------------------------------------------------

LinkReader = Callable[[], frozenset[str]]


def links_up(host: Any) -> frozenset[str]:
    """Network interfaces with a link (carrier), through the host seam; loopback and
    virtual interfaces do not count."""
    net = "/sys/class/net"
    up = set()
    for iface in host.list_dir(net) or []:
        if iface == "lo" or host.realpath(f"{net}/{iface}/device") is None:
            continue
        carrier = host.read_text(f"{net}/{iface}/carrier")
        operstate = host.read_text(f"{net}/{iface}/operstate")
        # carrier is unreadable (EINVAL) while the interface is administratively down.
        if carrier == "1" or (carrier is None and operstate == "up"):
            up.add(iface)
    return frozenset(up)


# -- the background sender -------------------------------------------------------------


class Sender:
    """A thread draining the outbox by itself; see the module docstring."""

    def __init__(
        self,
        outbox_path: Path,
        make_sinks: Callable[[], list[Sink]],
        *,
        links: LinkReader | None = None,
        log: Log | None = None,
        base_s: float = RETRY_BASE_S,
        cap_s: float = RETRY_MAX_S,
        poll_s: float = POLL_S,
        config_stamp: Callable[[], object] = lambda: None,
    ) -> None:
        self.outbox_path = Path(outbox_path)
        self._make_sinks = make_sinks
        self._links = links
        self._log = log
        self.base_s, self.cap_s, self.poll_s = base_s, cap_s, poll_s
        self._config_stamp = config_stamp
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._urgent = False
        self._idle = threading.Condition()
        self._is_idle = False
        self._thread: threading.Thread | None = None
        self.last_report: DrainReport | None = None
        self.problem: str | None = None
        """Why no sink could be built (configuration missing or wrong), for the screen."""

    def start(self) -> Sender:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="bench-agent-sender", daemon=True
            )
            self._thread.start()
        return self

    def wake(self, *, everything: bool = False) -> None:
        """Run a pass now (an item was added); ``everything``: also items and sinks
        still within their backoff (the network came back, a human asked)."""
        with self._idle:
            self._is_idle = False
            self._urgent = self._urgent or everything
            self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the item in progress; returns when the thread has ended (or
        ``timeout``)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """True once a pass ended with nothing left due (sent, or waiting for a backoff)
        and no wake pending; False after ``timeout`` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._is_idle or not self.running, timeout)

    def _run(self) -> None:
        outbox = Outbox(self.outbox_path)
        sinks: list[Sink] = []
        stamp: object = object()
        last_links = self._links() if self._links else frozenset()
        generation = -1
        try:
            while not self._stop.is_set():
                with self._idle:
                    self._wake.clear()
                    urgent, self._urgent = self._urgent, False
                now_stamp = self._config_stamp()
                if not sinks or now_stamp != stamp:
                    for sink in sinks:
                        sink.close()
                    sinks, stamp = self._build_sinks(), now_stamp
                if urgent:
                    outbox.reset_backoff()
                generation = outbox.generation()
                if sinks:
                    try:
                        self.last_report = drain(
                            outbox,
                            sinks,
                            respect_sink_backoff=True,
                            stop=self._stop,
                            log=self._log,
                            base_s=self.base_s,
                            cap_s=self.cap_s,
                        )
                    except Exception as exc:  # a full disk, a locked file: try again later
                        if self._log is not None:
                            self._log("sender", f"{type(exc).__name__}: {exc}")
                deadline = self._next_wake(outbox, sinks)
                with self._idle:
                    if not self._wake.is_set():
                        self._is_idle = True
                        self._idle.notify_all()
                # Sleep until the next due time, a wake, a link that comes up, or an item
                # another process added.
                while not self._stop.is_set():
                    remaining = deadline - time.time()
                    if remaining <= 0 or self._wake.wait(min(remaining, self.poll_s)):
                        break
                    if self._links is not None:
                        current = self._links()
                        came_up = current - last_links
                        last_links = current
                        if came_up:
                            self.wake(everything=True)
                            break
                    if outbox.generation() != generation:
                        break
                with self._idle:
                    self._is_idle = False
        finally:
            for sink in sinks:
                sink.close()
            with self._idle:
                self._is_idle = True
                self._idle.notify_all()

    def _build_sinks(self) -> list[Sink]:
        try:
            sinks = self._make_sinks()
        except Exception as exc:  # no configuration yet: looked at again next pass
            self.problem = str(exc)
            if self._log is not None:
                self._log("sender", f"no sink: {type(exc).__name__}: {exc}")
            return []
        self.problem = None
        return sinks

    def _next_wake(self, outbox: Outbox, sinks: list[Sink]) -> float:
        """When the first sink's first item is due again (a poll interval when nothing
        waits or no sink could be built)."""
        now = time.time()
        soonest = now + self.cap_s
        for sink in sinks:
            item_at = outbox.next_due_at(sink.name)
            if item_at is None:
                continue
            sink_at = outbox.sink_failures(sink.name)[1]
            soonest = min(soonest, max(item_at, sink_at))
        if not sinks:
            soonest = now + self.poll_s
        return max(soonest, now + 0.01)
