"""Storage faults: which database errors mean "the storage cannot take writes now".

A read-only database, a full disk, an I/O error or a database that cannot be reached is
not a bug of the request: the service answers 503 with ``Retry-After`` (the bench keeps
the evidence in its outbox and sends it again), ``/healthz`` says what is wrong, and the
pooled connections are replaced so the service recovers by itself when storage does.

Recovery needs the replacement: a SQLite connection opened while its file was read-only
stays read-only after the file becomes writable again, and a PostgreSQL session opened
under ``default_transaction_read_only`` keeps it. ``install_fault_handling`` marks these
errors as disconnects for SQLAlchemy, which then discards the connection and every
connection of the pool opened before the fault.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import ExceptionContext

from central_inventory.errors import ApiError
from central_inventory.i18n import Message, tr

Fault = Literal["read_only", "disk_full", "io_error", "unreachable", "busy"]

RETRY_AFTER_S = 30
"""What a 503 for a storage fault tells the client to wait (seconds)."""
PROBE_INTERVAL_S = 5.0
"""``/healthz`` runs its write probe at most this often; in between it answers from the
last probe, or from the last fault a request met."""

_MESSAGES: dict[Fault, Message] = {
    "read_only": tr(
        "Base de données en lecture seule : rien n'a été enregistré, réessayez plus tard.",
        "The database is read-only: nothing was stored, retry later.",
    ),
    "disk_full": tr(
        "Espace disque du service plein : rien n'a été enregistré, réessayez plus tard.",
        "The service's disk is full: nothing was stored, retry later.",
    ),
    "io_error": tr(
        "Erreur d'écriture du stockage du service : rien n'a été enregistré, réessayez plus tard.",
        "The service's storage failed to write: nothing was stored, retry later.",
    ),
    "unreachable": tr(
        "Base de données injoignable : rien n'a été enregistré, réessayez plus tard.",
        "The database cannot be reached: nothing was stored, retry later.",
    ),
    "busy": tr(
        "Base de données occupée : réessayez dans un instant.",
        "Database busy: retry in a moment.",
    ),
}

# PostgreSQL SQLSTATE → fault (class 53: insufficient resources; 57P0x: shutting down;
# class 08: connection exception; 25006: read-only transaction; 40001/40P01 and 55P03:
# serialization failure, deadlock, lock not available).
_SQLSTATES: dict[str, Fault] = {
    "25006": "read_only",
    "53100": "disk_full",
    "53000": "disk_full",
    "53200": "busy",
    "53300": "busy",
    "57P01": "unreachable",
    "57P02": "unreachable",
    "57P03": "unreachable",
    "58030": "io_error",
    "40001": "busy",
    "40P01": "busy",
    "55P03": "busy",
}
# SQLite primary result codes (the extended name starts with the primary one).
_SQLITE: dict[str, Fault] = {
    "SQLITE_READONLY": "read_only",
    "SQLITE_FULL": "disk_full",
    "SQLITE_IOERR": "io_error",
    "SQLITE_CANTOPEN": "unreachable",
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
}
# Faults after which the connection is replaced (a busy one is fine as it is).
_REPLACE: frozenset[Fault] = frozenset({"read_only", "disk_full", "io_error", "unreachable"})


def classify(exc: BaseException) -> Fault | None:
    """The storage fault behind ``exc`` (a SQLAlchemy or DBAPI error), or None."""
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        if sqlstate in _SQLSTATES:
            return _SQLSTATES[sqlstate]
        if sqlstate.startswith("08"):
            return "unreachable"
        return None
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, fault in _SQLITE.items():
            if name == prefix or name.startswith(prefix + "_"):
                return fault
        return None
    if getattr(exc, "connection_invalidated", False):
        return "unreachable"
    module = type(orig).__module__
    if module.startswith("psycopg") and type(orig).__name__ == "OperationalError":
        # No SQLSTATE: the client library could not talk to the server at all.
        return "unreachable"
    return None


def unavailable(fault: Fault) -> ApiError:
    """The 503 a request gets for ``fault``."""
    code = "busy" if fault == "busy" else "storage_unavailable"
    return ApiError(
        503,
        code,
        _MESSAGES[fault],
        detail=None if fault == "busy" else {"reason": fault},
        retry_after=5 if fault == "busy" else RETRY_AFTER_S,
    )


def install_fault_handling(engine: Engine, health: StorageHealth | None = None) -> None:
    """Treat storage faults as disconnects (the pool is renewed) and record them."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        fault = classify(context.original_exception)
        if fault is None:
            return
        if health is not None and fault != "busy":
            health.record(fault)
        if fault in _REPLACE:
            context.is_disconnect = True


@dataclass
class HealthState:
    fault: Fault | None
    checked_at: float
    probed: bool
    """From the probe (kept ``interval_s``), or a fault a request met (probed again at
    the next look: a cut connection is replaced at once and must not read as down)."""


class StorageHealth:
    """What ``/healthz`` says about storage: a write probe at most every
    ``PROBE_INTERVAL_S``, sooner when a request met a fault meanwhile (the probe then
    says whether it lasts)."""

    def __init__(self, interval_s: float = PROBE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        # Re-entrant: a failing probe records its own fault through the engine's error hook.
        self._lock = threading.RLock()
        self._state = HealthState(fault=None, checked_at=float("-inf"), probed=True)

    def record(self, fault: Fault) -> None:
        with self._lock:
            self._state = HealthState(fault=fault, checked_at=time.monotonic(), probed=False)

    def current(self, engine: Engine) -> Fault | None:
        """The storage fault now (None: writable), probing when the last look is old."""
        with self._lock:
            state = self._state
            if state.probed and time.monotonic() - state.checked_at < self.interval_s:
                return state.fault
            fault = probe(engine)
            self._state = HealthState(fault=fault, checked_at=time.monotonic(), probed=True)
            return fault


_PROBE = text("UPDATE service_health SET checked_at = :now WHERE id = 1")


def probe(engine: Engine) -> Fault | None:
    """One small committed write (the ``service_health`` row): None when it went through."""
    from central_inventory.db import utcnow

    try:
        with engine.begin() as connection:
            connection.execute(_PROBE, {"now": utcnow()})
    except Exception as exc:
        fault = classify(exc)
        return fault if fault is not None else "unreachable"
    return None


def fault_message(fault: Fault) -> Message:
    return _MESSAGES[fault]
