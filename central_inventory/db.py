"""Storage: the tables (SQLAlchemy 2) and the engine factory.

The schema itself is created and evolved by Alembic migrations
(``central_inventory/migrations``); these classes must match the latest one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

MAX_PK = 2**31 - 1
"""Largest row id a URL may name (INTEGER columns on PostgreSQL); larger is "not found"."""


def parse_pk(value: str) -> int | None:
    """A row id from a URL segment, or None when it cannot name a row."""
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_PK else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives it back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    """A reconditioner (one site or several)."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(500))
    """Postal address printed on donor batch reports; lines separated by newlines."""


class Bench(Base):
    """A bench (or erasure station) of a tenant, with its registered Ed25519 public key."""

    __tablename__ = "benches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    public_key_b64: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    site: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token, stored as its SHA-256 only. Roles: bench, staff, coordinator."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    bench_id: Mapped[int | None] = mapped_column(ForeignKey("benches.id"))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """After this instant the token answers 401 ``token_expired`` (rotate it); None only
    for a token issued with ``--days 0`` (never expires: avoid)."""
    replaced_by: Mapped[int | None] = mapped_column(Integer)
    """The token issued by ``rotate-token`` in its place (its ``id``)."""


class ServiceHealth(Base):
    """One row the health probe rewrites: a small real write says storage takes writes."""

    __tablename__ = "service_health"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Batch(Base):
    """A donor's batch (lot); donors read it through a link holding an unguessable token."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_batches_tenant_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    donor_name: Mapped[str] = mapped_column(String(200))
    donor_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    donor_token: Mapped[str | None] = mapped_column(String(64))
    """The donor link's token in clear, so staff can show the link again: it opens only
    what this database already holds (the batch's report), unlike a bearer token. None for
    batches created before migration 0006 (re-issue the link to get one shown)."""
    donor_link_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Unit(Base):
    """One physical unit as a tenant knows it; its reports are its version history."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("tenant_id", "unit_key", name="uq_units_tenant_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_key: Mapped[str] = mapped_column(String(400))
    serial: Mapped[str | None] = mapped_column(String(200), index=True)
    id_esn: Mapped[str | None] = mapped_column(String(64), index=True)
    maker: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    form_factor: Mapped[str | None] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(32))
    status_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    """Staff set the status by hand: later reports no longer derive it."""
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_report_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    """The ``version`` of the unit's current report."""
    current_report_id: Mapped[str | None] = mapped_column(String(100))
    current_revision: Mapped[int | None] = mapped_column(Integer)
    current_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """The current report's id, revision and signed ``created_at``: what decides whether a
    report arriving later is newer (a higher revision of the current report id, else a
    later creation time), kept on the row so the decision is taken under its lock."""
    erasure_state: Mapped[str | None] = mapped_column(String(16))
    """From stored certificates, never from a report's claims (see ``ERASURE_STATES``):
    ERASED when every disk of the current report's inventory has an ERASED certificate of
    the tenant, listed by that report, for its serial; NOT_ERASED otherwise; NO_DISK when
    the inventory has no disk to erase."""


class Report(Base):
    """One revision of a signed unit report, stored verbatim (the envelope as received).

    A bench keeps one ``report_id`` per unit and re-signs revision n + 1 when anything
    changes: every revision is a row. ``version`` numbers the unit's successive current
    reports; a revision that arrives after a higher one of its report id is history only
    (``version`` NULL, never current).
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("unit_id", "version", name="uq_reports_unit_version"),
        # Report ids are a tenant's own: another tenant using the same id changes nothing.
        UniqueConstraint(
            "report_id", "tenant_id", "revision", name="uq_reports_tenant_report_revision"
        ),
        # One head per report id: two concurrent revisions cannot both become the head
        # (the loser's insert conflicts and its transaction is run again).
        Index(
            "uq_reports_head",
            "report_id",
            "tenant_id",
            unique=True,
            sqlite_where=text("head"),
            postgresql_where=text("head"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(Integer)
    """The payload's ``revision`` (1, 2, ...): the bench's own numbering of this report."""
    head: Mapped[bool] = mapped_column(Boolean)
    """The highest revision of its report id received so far."""
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    bench_id: Mapped[int] = mapped_column(ForeignKey("benches.id"))
    """The bench that signed it; later revisions of the report id must come from it."""
    version: Mapped[int | None] = mapped_column(Integer)
    """The unit's version this row made current; None for a revision that arrived after a
    higher one of its report id (kept as history, never current)."""
    reported_at: Mapped[str] = mapped_column(String(64))
    """The report's own ``created_at`` (as the bench wrote it)."""
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(String(24))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical JSON of the payload: what idempotency compares."""
    envelope: Mapped[str] = mapped_column(Text)
    status_if_erased: Mapped[str | None] = mapped_column(String(32))
    """The status this report supports once its disks are proven erased: NON_REEMPLOYABLE
    (graded not distributable), PRET_A_DISTRIBUER (graded, no failed test) or
    EN_COURS_DE_TRAITEMENT. The unit's status is this, lowered to EN_COURS_DE_TRAITEMENT
    while its erasure state is not ERASED."""


class ReportDisk(Base):
    """A disk serial of a report's inventory (the bench's own boot medium left out): what
    a certificate's disk must match to be linked to the report's unit."""

    __tablename__ = "report_disks"
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    serial: Mapped[str] = mapped_column(String(200), primary_key=True)
    required: Mapped[bool] = mapped_column(Boolean)
    """An internal disk (neither the boot medium nor removable): it must be erased."""


class ReportCertificate(Base):
    """A certificate id a report lists (its erasure summaries): links units to certificates
    whichever arrives first."""

    __tablename__ = "report_certificates"
    __table_args__ = (Index("ix_report_certificates_certificate_id", "certificate_id"),)
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    certificate_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)


class Certificate(Base):
    """One signed erasure certificate, stored verbatim."""

    __tablename__ = "certificates"
    __table_args__ = (
        # Certificate ids are a tenant's own (the public page lists every match).
        UniqueConstraint("certificate_id", "tenant_id", name="uq_certificates_id_tenant"),
        Index("ix_certificates_tenant_loose_batch", "tenant_id", "loose_batch"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[str] = mapped_column(String(128))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    bench_id: Mapped[int] = mapped_column(ForeignKey("benches.id"))
    result: Mapped[str] = mapped_column(String(24))
    """The result the certificate states."""
    outcome: Mapped[str] = mapped_column(String(24))
    """What the certificate proves: its result, except that an ERASED one counts only with
    a passed verification (read-back, or a proven firmware sanitize) and never for a dry
    run — then DRY_RUN or UNVERIFIED. Only ERASED counts as erased anywhere."""
    method: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(24))
    disk_model: Mapped[str | None] = mapped_column(String(200))
    disk_serial: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[str] = mapped_column(Text)
    loose_batch: Mapped[str | None] = mapped_column(String(64))
    """A drive erased on its own at a station: the donor batch its certificate names
    (the batch report lists it); None for a computer's drive."""


class StatusChange(Base):
    """A status set by hand (page or API): who, when, from what, to what and why."""

    __tablename__ = "status_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    """The staff or coordinator token the change was made with."""
    actor: Mapped[str] = mapped_column(String(200))
    """Who, as shown: the token's label, else "token #N" (kept if the token is deleted)."""
    via: Mapped[str] = mapped_column(String(8))
    """``page`` or ``api``."""


class WebSession(Base):
    """A staff page session: the cookie holds a random id, this row its SHA-256 (never the
    bearer token). Ends at ``expires_at`` (absolute), after an idle spell, or at logout."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    """Whose session: the token logged in with (revoking it ends its sessions)."""
    csrf_token: Mapped[str] = mapped_column(String(64))
    """Sent back in a hidden field by every form of the session."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flash: Mapped[str | None] = mapped_column(Text)
    """A one-time message (JSON) for the page after a form's redirect."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web pages read while a bench writes; busy_timeout makes concurrent
    # writers wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


IDLE_PING_AFTER_S = 1.0
"""A pooled connection unused for longer is pinged before use (see ``_ping_if_idle``)."""


def _mark_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    """SQLAlchemy's pre-ping, only for connections idle more than ``IDLE_PING_AFTER_S``.

    Pinging every checkout cost a round trip per report under load, when the connection
    was used milliseconds ago; a database restart or idle-connection cut shows first on
    connections left idle, and those are still pinged (and replaced when dead). A
    connection cut while in use raises a disconnect error, which ingestion retries.
    """

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_s = time.monotonic() - record.info.get("checked_in_at", 0.0)
        if idle_s <= IDLE_PING_AFTER_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):  # type: ignore[arg-type]
                raise DisconnectionError(str(exc)) from exc
            raise

    return checkout


CACHED_STATEMENT_LENGTH = 32_768
"""Statements up to this length keep psycopg's conversion of their placeholders."""


def _cache_long_statements() -> None:
    """psycopg rewrites a statement's ``%(name)s`` placeholders with a regular expression
    pass on every execution unless the statement is at most 4 KiB long (it caches the
    result in an LRU of 128 entries). The report write statement on PostgreSQL is about
    14 KiB: converting it again cost 0.2 ms of CPU per report. The limit is raised so it
    is cached too (at most a few MiB for the whole cache); a psycopg without this
    setting is left alone (``tests/central/test_central_perf.py`` notices)."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    current = getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None)
    if isinstance(current, int) and current < CACHED_STATEMENT_LENGTH:
        _queries.MAX_CACHED_STATEMENT_LENGTH = CACHED_STATEMENT_LENGTH


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode and its directory created."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None hands transaction control to us: every transaction starts
        # with BEGIN IMMEDIATE, so two writers queue on the lock (busy_timeout) instead of
        # one failing with "database is locked" when it upgrades a read to a write.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10, "isolation_level": None},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    _cache_long_statements()
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    event.listen(engine, "checkin", _mark_checkin)
    event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
