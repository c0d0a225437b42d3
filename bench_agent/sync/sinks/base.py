"""The contract between the outbox's sender and a sink (central, tec.tech, GLPI, file).

A sink receives one signed document at a time — exactly the bytes the outbox holds — and
says what happened in a :class:`Delivery`:

- ``sent``: the sink holds it (or already held it: sending twice is not an error);
- ``retry``: a transient problem (network down, 5xx, timeout, token expired and not
  renewable now); the sender keeps the item and backs off, the item is not lost;
- ``rejected``: the sink will never take this document as it is (a field that does not
  validate, a refused signature); the sender stops retrying it and shows the reason;
- ``skipped``: this sink has nothing to do with this kind of document (tec.tech and GLPI
  take unit reports, not certificates on their own); counted as done for that sink.

``reason`` is a sentence for the technician in French and English (no stack traces, no
credentials); ``detail`` is the technical cause for the bench log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bench_agent.model.common import Text

Outcome = Literal["sent", "retry", "rejected", "skipped"]
Kind = Literal["report", "certificate"]


@dataclass(frozen=True, slots=True)
class Document:
    """One item of the outbox as a sink sees it."""

    kind: Kind
    item_id: str
    """``<report_id>#<revision>`` for a report, the ``certificate_id`` for a certificate."""
    document_id: str
    """The report's or certificate's own id."""
    revision: int | None
    """A report's signed revision (None for a certificate)."""
    body: bytes
    """The signed envelope, byte for byte as the outbox holds it."""


@dataclass(frozen=True, slots=True)
class Delivery:
    outcome: Outcome
    reason: Text | None = None
    status: int | None = None
    """The HTTP status when there was one."""
    detail: str | None = None
    """Technical cause for the bench log (never shown on screen, never a credential)."""
    retry_after_s: float | None = None
    """The sink's own hint (HTTP Retry-After), else the sender's backoff decides."""


class Sink(Protocol):
    """One destination. ``name`` is unique per bench (``central``, ``tectech``, ``glpi``,
    ``file``, or a configured name) and keys the per-sink state in the outbox."""

    name: str

    def deliver(self, document: Document) -> Delivery: ...

    def close(self) -> None:
        """Release connections (a requests.Session)."""
        ...
