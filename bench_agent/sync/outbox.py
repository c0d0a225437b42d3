"""The bench's outbox: signed evidence waiting to reach every sink (central service,
tec.tech, GLPI, a file on a stick).

One SQLite file (``$BENCH_AGENT_HOME/outbox.sqlite``, WAL, ``synchronous=FULL``):
an item is on disk before anything is sent, survives a crash or a power cut, and
is sent until each sink has it. Items are signed envelopes (unit reports and
erasure certificates) keyed by their own identity, which the sinks deduplicate on:
a resend after a lost answer is answered "already stored", never stored twice.

- A certificate's item id is its ``certificate_id``.
- A unit report's is ``<report_id>#<revision>``: the bench keeps one report id per
  unit and re-signs revision n + 1 when something changes, so two revisions are two
  items. The same revision with another content is refused, as any other id is.

**Per-sink state** (table ``deliveries``, one row per item and sink): ``pending``
(``next_attempt_at`` spaces out retries), ``sent`` (the sink has it), ``rejected``
(the sink refuses the content itself: kept with the reason for a human, never retried
nor dropped), ``skipped`` (nothing for this sink: a kind it does not take, or a
revision *superseded* by a newer one the sink already has). The sinks a bench sends to
are registered in table ``sinks`` (:meth:`Outbox.use_sinks`), which also keeps each
sink's last error, last success and backoff.

**Ordering, per sink**: a report's revisions go in ascending order (a revision waits
while an earlier one is pending and not due), and once revision n reached a sink, an
older revision still pending for it — or added later, e.g. by a USB import — is
``skipped`` as superseded: it never becomes the sink's current state.

**Compaction**: an item every active sink has (sent or skipped) keeps its id, hash
and states but loses its body: the evidence itself stays in the bench's folders
(reports/, certificates/, the journal), not twice; freed pages are given back to the
file system (:meth:`Outbox.reclaim`). A rejected item keeps its body.

The item's own ``state`` column sums up its sinks: ``pending`` while one is pending,
``rejected`` when one refused it, else ``sent`` (done everywhere).

Files written before revisions (user_version 0) and before per-sink state (1) are
migrated when opened, in one transaction; their items become the ``central`` sink's.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wipe.private import make_private_dir, open_private
from wipe.signing import SignatureError, canonical_json, verify_envelope

KINDS = ("report", "certificate")
ID_FIELDS = {"report": "report_id", "certificate": "certificate_id"}
MAX_BODY_BYTES = 2 << 20
"""The central service's default body limit: a larger item could never be sent."""
MAX_REVISION = 2**31 - 1
"""The central service stores a revision as a 32-bit integer and refuses anything larger."""
SCHEMA_VERSION = 2
"""``PRAGMA user_version``: 0 before report revisions, 1 before per-sink state, 2 since."""
DEFAULT_SINKS = ("central",)
"""The sinks of a new or migrated outbox until the bench's configuration says otherwise."""
DELIVERY_STATES = ("pending", "sent", "rejected", "skipped")
SUPERSEDED = "superseded"
"""``note`` of a delivery skipped because the sink already has a newer revision."""

_COLUMNS = (
    "seq, kind, item_id, body, sha256, state, attempts, next_attempt_at, last_error, "
    "last_status, document_id, revision, compacted_at"
)
_TABLE_V0 = """
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'certificate')),
    item_id TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,
    sent_at REAL
)
"""
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 → 1: report revisions. The document's own id and its revision get columns; report
    # items are renamed <report_id>#<revision> by _identify_v0_items.
    (
        "ALTER TABLE items ADD COLUMN document_id TEXT",
        "ALTER TABLE items ADD COLUMN revision INTEGER",
        "CREATE INDEX IF NOT EXISTS items_document ON items (kind, document_id, revision)",
    ),
    # 1 → 2: a state per item and sink; what was there is the central sink's.
    (
        "ALTER TABLE items ADD COLUMN compacted_at REAL",
        """CREATE TABLE deliveries (
            sink TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES items (seq),
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'rejected', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            last_status INTEGER,
            error_fr TEXT,
            error_en TEXT,
            note TEXT,
            done_at REAL,
            PRIMARY KEY (sink, seq)
        ) WITHOUT ROWID""",
        "CREATE INDEX deliveries_item ON deliveries (seq)",
        """CREATE TABLE sinks (
            name TEXT PRIMARY KEY,
            active INTEGER NOT NULL DEFAULT 1,
            failures INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            last_attempt_at REAL,
            last_success_at REAL,
            last_error_fr TEXT,
            last_error_en TEXT,
            last_error_at REAL,
            last_status INTEGER
        )""",
        "INSERT INTO sinks (name) VALUES ('central')",
        """INSERT INTO deliveries (sink, seq, state, attempts, next_attempt_at, last_status,
               error_fr, error_en, done_at)
           SELECT 'central', seq, state, attempts, next_attempt_at, last_status, last_error,
               last_error, sent_at FROM items""",
        "UPDATE items SET body = X'', compacted_at = sent_at WHERE state = 'sent'",
    ),
)


class OutboxError(ValueError):
    """An item that cannot go into the outbox (not signed, no id, another body under its id)."""


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    kind: str
    item_id: str
    """``<report_id>#<revision>`` for a report, the ``certificate_id`` for a certificate."""
    body: bytes
    """The signed envelope; empty once compacted (every sink has it)."""
    sha256: str
    state: str
    """``pending``, ``rejected`` or ``sent`` (done for every sink), see the module docstring."""
    attempts: int
    next_attempt_at: float
    last_error: str | None
    last_status: int | None
    document_id: str
    """The document's own id: ``report_id`` or ``certificate_id``."""
    revision: int | None
    """A report's revision (None for a certificate)."""
    compacted: bool = False


@dataclass(frozen=True, slots=True)
class Due:
    """An item waiting for one sink, without its body (read with :meth:`Outbox.body`)."""

    seq: int
    kind: str
    item_id: str
    document_id: str
    revision: int | None
    attempts: int
    next_attempt_at: float


@dataclass(frozen=True, slots=True)
class Result:
    """What one sink did with one item, for :meth:`Outbox.record`."""

    seq: int
    outcome: str
    """``sent``, ``retry``, ``rejected`` or ``skipped``."""
    status: int | None = None
    error_fr: str | None = None
    error_en: str | None = None
    delay_s: float = 0.0
    """For ``retry``: how long before this item is due again."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One item's state for one sink (``sync status``)."""

    sink: str
    item_id: str
    kind: str
    state: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    error_fr: str | None
    error_en: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class SinkState:
    """One sink's summary: what waits, what was refused, its last error and success."""

    name: str
    active: bool
    counts: dict[str, int]
    failures: int
    next_attempt_at: float
    last_attempt_at: float | None
    last_success_at: float | None
    last_error_fr: str | None
    last_error_en: str | None
    last_error_at: float | None
    last_status: int | None


@dataclass(frozen=True, slots=True)
class Added:
    item_id: str
    kind: str
    new: bool
    """False when the same item was already in the outbox (nothing changed)."""
    revision: int | None = None


def kind_of(payload: Any) -> str:
    """``report`` or ``certificate``, from the payload's own id field."""
    if isinstance(payload, dict):
        if isinstance(payload.get("certificate_id"), str):
            return "certificate"
        if isinstance(payload.get("report_id"), str):
            return "report"
    raise OutboxError("neither a unit report (report_id) nor a certificate (certificate_id)")


def revision_of(payload: dict[str, Any]) -> int:
    """A report's revision: 1 when absent (reports signed before revisions existed)."""
    revision = payload.get("revision", 1)
    # bool is an int in Python, not in the report's schema: True is not revision 1.
    if type(revision) is not int or not 1 <= revision <= MAX_REVISION:
        raise OutboxError(
            f"report {payload.get('report_id')}: revision must be an integer from 1 to "
            f"{MAX_REVISION}, not {json.dumps(revision)[:40]}"
        )
    return revision


def identity(payload: Any) -> tuple[str, str, int | None, str]:
    """(kind, document id, revision, item id) of a verified payload."""
    kind = kind_of(payload)
    document_id: str = payload[ID_FIELDS[kind]]
    if kind == "certificate":
        return kind, document_id, None, document_id
    revision = revision_of(payload)
    return kind, document_id, revision, f"{document_id}#{revision}"


class Outbox:
    """The outbox file; safe to use from several processes (SQLite locking).

    Each call opens its own connection, except inside ``with outbox.held():`` where one
    connection serves every call of that thread (the sender's drain: thousands of
    calls, no reconnection each time)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        make_private_dir(self.path.parent)
        self._local = threading.local()
        if not self.path.exists():
            # Reports name technicians and donors: the file is the bench user's only (SQLite
            # gives its -wal and -shm files the mode of the database file).
            os.close(open_private(self.path, os.O_WRONLY | os.O_CREAT))
        with self._connect() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                _migrate(db, self.path)

    @contextmanager
    def held(self) -> Iterator[None]:
        """One connection for every call of this thread until the block ends."""
        if getattr(self._local, "db", None) is not None:
            yield
            return
        db = self._open()
        self._local.db = db
        try:
            yield
        finally:
            self._local.db = None
            db.close()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        # A new file gives its freed pages back on request (reclaim), not only by VACUUM.
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        shared = getattr(self._local, "db", None)
        if shared is not None:
            yield shared
            return
        db = self._open()
        try:
            yield db
        finally:
            db.close()

    # -- sinks -------------------------------------------------------------------------

    def sinks(self) -> list[str]:
        """The active sinks, in the order they were registered."""
        with self._connect() as db:
            return [r[0] for r in db.execute("SELECT name FROM sinks WHERE active ORDER BY rowid")]

    def use_sinks(self, names: Sequence[str]) -> None:
        """Make ``names`` the sinks every item must reach. A new sink gets every item
        whose body is still here (not compacted); a sink no longer configured stops
        counting (its states are kept, should it come back)."""
        if not names or len(set(names)) != len(names) or not all(names):
            raise OutboxError(f"sink names must be distinct and not empty: {list(names)}")
        with self._connect() as db:
            current = [
                r[0] for r in db.execute("SELECT name FROM sinks WHERE active ORDER BY rowid")
            ]
            if current == list(names):
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE sinks SET active = 0")
                for name in names:
                    db.execute(
                        "INSERT INTO sinks (name) VALUES (?) "
                        "ON CONFLICT (name) DO UPDATE SET active = 1",
                        (name,),
                    )
                    db.execute(
                        "INSERT OR IGNORE INTO deliveries (sink, seq) SELECT ?, seq FROM items "
                        "WHERE compacted_at IS NULL",
                        (name,),
                    )
                # Every item's summary, against the new set of sinks; done ones compacted.
                _summarise(db, None, time.time())
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def sink_states(self) -> list[SinkState]:
        """Every sink ever registered, active ones first."""
        with self._connect() as db:
            counts: dict[str, dict[str, int]] = {}
            for sink, state, n in db.execute(
                "SELECT sink, state, COUNT(*) FROM deliveries GROUP BY sink, state"
            ):
                counts.setdefault(sink, dict.fromkeys(DELIVERY_STATES, 0))[state] = n
            rows = db.execute(
                "SELECT name, active, failures, next_attempt_at, last_attempt_at, "
                "last_success_at, last_error_fr, last_error_en, last_error_at, last_status "
                "FROM sinks ORDER BY active DESC, rowid"
            ).fetchall()
        return [
            SinkState(
                name,
                bool(active),
                counts.get(name, dict.fromkeys(DELIVERY_STATES, 0)),
                *rest,
            )
            for name, active, *rest in rows
        ]

    def deliveries(self, sink: str | None = None, state: str | None = None) -> list[Delivery]:
        where, args = [], []
        if sink is not None:
            where.append("d.sink = ?")
            args.append(sink)
        if state is not None:
            where.append("d.state = ?")
            args.append(state)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._connect() as db:
            rows = db.execute(
                "SELECT d.sink, i.item_id, i.kind, d.state, d.attempts, d.next_attempt_at, "
                "d.last_status, d.error_fr, d.error_en, d.note FROM deliveries d "
                f"JOIN items i ON i.seq = d.seq {clause} ORDER BY d.sink, d.seq",
                args,
            ).fetchall()
        return [Delivery(*row) for row in rows]

    # -- items -------------------------------------------------------------------------

    def add(self, envelope: Any) -> Added:
        """Put a signed envelope in the outbox (idempotent on its id).

        The signature is checked first (integrity, with its embedded key): a broken
        document never waits in the outbox for a server to refuse it. The same id
        with another content is refused: evidence is never silently replaced. A
        revision older than one a sink already has is skipped for that sink at once.
        """
        try:
            payload = verify_envelope(envelope)
        except SignatureError as exc:
            raise OutboxError(f"not a valid signed document: {exc}") from exc
        kind, document_id, revision, item_id = identity(payload)
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(body) > MAX_BODY_BYTES:
            raise OutboxError(f"{kind} {item_id}: {len(body)} bytes, over {MAX_BODY_BYTES}")
        digest = hashlib.sha256(canonical_json(envelope)).hexdigest()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT sha256 FROM items WHERE item_id = ?", (item_id,)
                ).fetchone()
                if row is not None:
                    db.execute("COMMIT")
                    if row[0] != digest:
                        raise OutboxError(
                            f"{kind} {item_id} is already in the outbox with another content"
                        )
                    return Added(item_id, kind, new=False, revision=revision)
                now = time.time()
                seq: int = (
                    db.execute(
                        "INSERT INTO items (kind, item_id, body, sha256, created_at, document_id, "
                        "revision) VALUES (?,?,?,?,?,?,?)",
                        (kind, item_id, body, digest, now, document_id, revision),
                    ).lastrowid
                    or 0
                )
                db.execute(
                    "INSERT INTO deliveries (sink, seq) SELECT name, ? FROM sinks WHERE active",
                    (seq,),
                )
                if revision is not None:
                    # A sink that already has a newer revision never gets this one.
                    db.execute(
                        "UPDATE deliveries SET state = 'skipped', note = ?, done_at = ?, "
                        "error_fr = ?, error_en = ? "
                        "WHERE seq = ? AND sink IN (SELECT d.sink FROM deliveries d "
                        "JOIN items i ON i.seq = d.seq WHERE i.kind = 'report' "
                        "AND i.document_id = ? AND i.revision > ? AND d.state = 'sent')",
                        (
                            SUPERSEDED,
                            now,
                            "une révision plus récente est déjà envoyée",
                            "a newer revision was already sent",
                            seq,
                            document_id,
                            revision,
                        ),
                    )
                    _summarise(db, [seq], now)
                db.execute("COMMIT")
            except OutboxError:
                raise
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return Added(item_id, kind, new=True, revision=revision)

    def items(self, state: str | None = None) -> list[Item]:
        with self._connect() as db:
            if state is None:
                rows = db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY seq").fetchall()
            else:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM items WHERE state = ? ORDER BY seq", (state,)
                ).fetchall()
        return [_item(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall()
        return {"pending": 0, "sent": 0, "rejected": 0, **{s: n for s, n in rows}}

    def body(self, seq: int) -> bytes:
        """An item's signed envelope (empty once compacted)."""
        with self._connect() as db:
            row = db.execute("SELECT body FROM items WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise OutboxError(f"no item {seq} in the outbox")
        return bytes(row[0])

    def due(
        self, sink: str, now: float | None = None, *, include_waiting: bool = False
    ) -> list[Due]:
        """Items pending for ``sink`` whose retry time has come (all pending with
        ``include_waiting``), oldest first, and the revisions of one report in ascending
        order: a revision waits while an earlier one of its report is pending for this
        sink and not due yet. Bodies are not read (see :meth:`body`)."""
        when = time.time() if now is None else now
        with self._connect() as db:
            rows = db.execute(
                "SELECT i.seq, i.kind, i.item_id, COALESCE(i.document_id, i.item_id), "
                "i.revision, d.attempts, d.next_attempt_at FROM deliveries d "
                "JOIN items i ON i.seq = d.seq WHERE d.sink = ? AND d.state = 'pending' "
                "ORDER BY d.seq",
                (sink,),
            ).fetchall()
        pending = [Due(*r) for r in rows]
        if include_waiting:
            return _revisions_in_order(pending)
        # report id → its lowest revision still waiting for its retry time
        blocked: dict[str, int] = {}
        for item in pending:
            if item.revision is not None and item.next_attempt_at > when:
                lowest = blocked.get(item.document_id, item.revision)
                blocked[item.document_id] = min(lowest, item.revision)
        return _revisions_in_order(
            [
                item
                for item in pending
                if item.next_attempt_at <= when
                and (
                    item.revision is None
                    or item.revision < blocked.get(item.document_id, item.revision + 1)
                )
            ]
        )

    def next_due_at(self, sink: str) -> float | None:
        """When the first pending item of ``sink`` is due (None: nothing pending)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE sink = ? AND state = 'pending'",
                (sink,),
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def generation(self) -> int:
        """Changes with every item added (the sender polls it for other processes' adds)."""
        with self._connect() as db:
            row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM items").fetchone()
        return int(row[0])

    def record(
        self,
        sink: str,
        results: Iterable[Result],
        *,
        sink_retry: tuple[float, str | None, str | None, int | None] | None = None,
    ) -> None:
        """Write what ``sink`` did with a batch of items, in one transaction: their states,
        older revisions superseded by a sent one, each item's summary (compacted when
        done everywhere), and the sink's last success or, with ``sink_retry`` (delay,
        French error, English error, status), its last error and its backoff."""
        now = time.time()
        batch = list(results)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                touched = [r.seq for r in batch]
                sent_any = False
                for r in batch:
                    if r.outcome == "sent":
                        sent_any = True
                        db.execute(
                            "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, "
                            "last_status = ?, error_fr = NULL, error_en = NULL, done_at = ? "
                            "WHERE sink = ? AND seq = ?",
                            (r.status, now, sink, r.seq),
                        )
                        touched += _supersede(db, sink, r.seq, now)
                    elif r.outcome in ("rejected", "skipped"):
                        db.execute(
                            f"UPDATE deliveries SET state = '{r.outcome}', attempts = attempts + "
                            "1, last_status = ?, error_fr = ?, error_en = ?, done_at = ? "
                            "WHERE sink = ? AND seq = ?",
                            (r.status, r.error_fr, r.error_en, now, sink, r.seq),
                        )
                    elif r.outcome == "retry":
                        db.execute(
                            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, "
                            "last_status = ?, error_fr = ?, error_en = ? "
                            "WHERE sink = ? AND seq = ?",
                            (now + r.delay_s, r.status, r.error_fr, r.error_en, sink, r.seq),
                        )
                    else:
                        raise OutboxError(f"unknown outcome {r.outcome!r}")
                _summarise(db, touched, now)
                if sent_any:
                    db.execute(
                        "UPDATE sinks SET last_success_at = ?, failures = 0, next_attempt_at = 0, "
                        "last_attempt_at = ? WHERE name = ?",
                        (now, now, sink),
                    )
                if sink_retry is not None:
                    delay, fr, en, status = sink_retry
                    db.execute(
                        "UPDATE sinks SET failures = failures + 1, next_attempt_at = ?, "
                        "last_attempt_at = ?, last_error_fr = ?, last_error_en = ?, "
                        "last_error_at = ?, last_status = ? WHERE name = ?",
                        (now + delay, now, fr, en, now, status, sink),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def sink_failures(self, sink: str) -> tuple[int, float]:
        """(consecutive failed passes, when the sink may be tried again)."""
        with self._connect() as db:
            row = db.execute(
                "SELECT failures, next_attempt_at FROM sinks WHERE name = ?", (sink,)
            ).fetchone()
        return (0, 0.0) if row is None else (int(row[0]), float(row[1]))

    def reset_backoff(self) -> None:
        """Everything due now (the network came back, or a human asked)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE sinks SET next_attempt_at = 0")
            db.execute("UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'")
            db.execute("COMMIT")

    def requeue(self, seq: int) -> None:
        """A rejected item back to pending for the sinks that refused it (after a human
        fixed the cause on the server)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = 0, done_at = NULL "
                "WHERE seq = ? AND state = 'rejected'",
                (seq,),
            )
            _summarise(db, [seq], time.time())
            db.execute("COMMIT")

    def reclaim(self) -> int:
        """Give the space of compacted bodies back to the file system; returns the bytes
        the file shrank by. Emptied rows leave half-empty pages that only a rebuild
        frees: the file is rebuilt (VACUUM) when it is over twice its live data."""
        before = self.path.stat().st_size
        with self._connect() as db:
            page = db.execute("PRAGMA page_size").fetchone()[0]
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            # length() of a blob reads its header only; ~300 bytes of ids, hash, states.
            live = db.execute(
                "SELECT COALESCE(SUM(length(body)), 0) + 300 * COUNT(*) FROM items"
            ).fetchone()[0]
            if pages * page > max(1 << 20, 2 * live):
                db.execute("VACUUM")  # also applies auto_vacuum = INCREMENTAL to an old file
            elif db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                db.execute("PRAGMA incremental_vacuum").fetchall()
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return before - self.path.stat().st_size


def _supersede(db: sqlite3.Connection, sink: str, seq: int, now: float) -> list[int]:
    """Pending older revisions of the report ``seq`` belongs to: skipped for ``sink``."""
    row = db.execute(
        "SELECT document_id, revision FROM items WHERE seq = ? AND kind = 'report'", (seq,)
    ).fetchone()
    if row is None or row[1] is None:
        return []
    older = [
        r[0]
        for r in db.execute(
            "SELECT i.seq FROM items i JOIN deliveries d ON d.seq = i.seq AND d.sink = ? "
            "WHERE i.kind = 'report' AND i.document_id = ? AND i.revision < ? "
            "AND d.state = 'pending'",
            (sink, row[0], row[1]),
        )
    ]
    for other in older:
        db.execute(
            "UPDATE deliveries SET state = 'skipped', note = ?, done_at = ?, "
            "error_fr = ?, error_en = ? WHERE sink = ? AND seq = ?",
            (
                SUPERSEDED,
                now,
                f"remplacée par la révision {row[1]}",
                f"superseded by revision {row[1]}",
                sink,
                other,
            ),
        )
    return older


def _summarise(db: sqlite3.Connection, seqs: list[int] | None, now: float) -> None:
    """Each item's state from its active sinks' (all items when ``seqs`` is None), and
    the body dropped from an item every active sink has."""
    active = "d.sink IN (SELECT name FROM sinks WHERE active)"
    summary = f"""
        UPDATE items SET
          state = CASE
            WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = items.seq AND {active}
                         AND d.state = 'pending') THEN 'pending'
            WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = items.seq AND {active}
                         AND d.state = 'rejected') THEN 'rejected'
            ELSE 'sent' END,
          attempts = COALESCE((SELECT MAX(d.attempts) FROM deliveries d
                               WHERE d.seq = items.seq AND {active}), 0),
          next_attempt_at = COALESCE((SELECT MIN(d.next_attempt_at) FROM deliveries d
                               WHERE d.seq = items.seq AND {active} AND d.state = 'pending'), 0),
          last_error = (SELECT d.error_fr FROM deliveries d WHERE d.seq = items.seq
                        AND {active} AND d.state IN ('pending', 'rejected')
                        AND d.error_fr IS NOT NULL ORDER BY d.state DESC LIMIT 1),
          last_status = (SELECT d.last_status FROM deliveries d WHERE d.seq = items.seq
                         AND {active} AND d.last_status IS NOT NULL
                         ORDER BY d.state IN ('pending', 'rejected') DESC LIMIT 1)
        """
    compact = (
        "UPDATE items SET body = X'', compacted_at = ?, sent_at = COALESCE(sent_at, ?) "
        "WHERE state = 'sent' AND compacted_at IS NULL"
    )
    if seqs is None:
        db.execute(summary)
        db.execute(compact, (now, now))
        return
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(f"{summary} WHERE seq IN ({marks})", chunk)
        db.execute(f"{compact} AND seq IN ({marks})", (now, now, *chunk))


def _item(row: tuple[Any, ...]) -> Item:
    seq, kind, item_id, body, sha, state, attempts, nxt, err, status, document_id, rev, cpt = row
    return Item(
        seq,
        kind,
        item_id,
        bytes(body),
        sha,
        state,
        attempts,
        nxt,
        err,
        status,
        document_id if document_id is not None else item_id,
        rev,
        cpt is not None,
    )


def _revisions_in_order(items: list[Due]) -> list[Due]:
    """The same items and slots, each report's revisions moved into ascending order (a
    revision added before an earlier one, e.g. by a USB import, is still sent after it)."""
    slots: dict[str, list[Due]] = {}
    for item in items:
        if item.revision is not None:
            slots.setdefault(item.document_id, []).append(item)
    ordered = {
        key: iter(sorted(group, key=lambda i: i.revision or 0)) for key, group in slots.items()
    }
    return [
        next(ordered[item.document_id]) if item.revision is not None else item for item in items
    ]


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction: a crash leaves it as it was,
    and a second process opening it meanwhile waits, then finds it done."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutboxError(
                f"{path}: outbox format {version} is newer than this bench-agent's "
                f"({SCHEMA_VERSION}); update bench-agent"
            )
        if version < SCHEMA_VERSION:
            db.execute(_TABLE_V0)
            db.execute("CREATE INDEX IF NOT EXISTS items_pending ON items (state, next_attempt_at)")
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    db.execute(statement)
                if step == 0:
                    _identify_v0_items(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _identify_v0_items(db: sqlite3.Connection) -> None:
    """Items of a file written before revisions: certificates keep their id; a report,
    keyed by its plain report id, becomes <report_id>#<revision> (its body was verified
    when it was added; a body that cannot be read keeps its id and counts as revision 1)."""
    rows = db.execute("SELECT seq, kind, item_id, body FROM items").fetchall()
    for seq, kind, item_id, body in rows:
        if kind != "report":
            db.execute("UPDATE items SET document_id = ? WHERE seq = ?", (item_id, seq))
            continue
        try:
            revision = revision_of(json.loads(body)["payload"])
            new_id = f"{item_id}#{revision}"
        except (ValueError, KeyError, TypeError, OutboxError):
            revision, new_id = 1, item_id
        db.execute(
            "UPDATE items SET item_id = ?, document_id = ?, revision = ? WHERE seq = ?",
            (new_id, item_id, revision, seq),
        )
