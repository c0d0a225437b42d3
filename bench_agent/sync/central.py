"""Sending the outbox to the central inventory service (``central_inventory``).

Plain HTTP(S) with the standard library (nothing to install on the live image):
``POST /api/v1/reports`` or ``/api/v1/certificates`` with the bench's bearer
token and the signed envelope as it sits in the outbox. What each answer means:

- 201 stored, 200 already stored → ``sent`` (a resend after a lost answer is a 200);
  a report revision older than one the server already has is stored as history (201:
  sent; the server keeps the higher one as the unit's current report);
- 400, 409, 413, 422 → ``rejected``: the server refuses this content (409: the same
  report revision or certificate id with another content, or a report id another
  bench created); kept with the server's reason, never retried, never dropped;
- 401, 403 → the bench's token or key is not accepted: nothing more is sent in this
  run, everything stays pending (401 ``token_expired``: the token must be replaced,
  ``bench-agent sync configure``);
- no answer, 429, 5xx → retried later with a growing delay; the run stops (a server
  that is down will not answer the next item either).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench_agent.sync.outbox import Item, Outbox

PATHS = {"report": "/api/v1/reports", "certificate": "/api/v1/certificates"}
REJECTING = frozenset({400, 409, 413, 422})
AUTH = frozenset({401, 403})
RETRY_BASE_S = 30.0
RETRY_MAX_S = 3600.0


def retry_delay(attempts: int) -> float:
    """30 s, 1 min, 2 min... capped at one hour (``attempts`` already made)."""
    return float(min(RETRY_MAX_S, RETRY_BASE_S * (2 ** min(attempts, 20))))


@dataclass(frozen=True, slots=True)
class CentralConfig:
    url: str
    token: str
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"central URL must start with http:// or https://: {self.url!r}")
        if not self.token or any(c.isspace() for c in self.token):
            raise ValueError("the central token is empty or contains spaces")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    """HTTP status, None when no answer came (refused, timeout, DNS)."""
    body: bytes = b""
    error: str | None = None


Poster = Callable[[str, bytes, dict[str, str], float], Answer]


def http_post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Answer:
    """One POST; every failure becomes an Answer (never an exception)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Answer(response.status, response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(1 << 20) if exc.fp else b"")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, error=f"{type(exc).__name__}: {reason}")


def http_get(url: str, headers: dict[str, str], timeout_s: float) -> Answer:
    """One GET; every failure becomes an Answer (never an exception)."""
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Answer(response.status, response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(1 << 20) if exc.fp else b"")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(None, error=f"{type(exc).__name__}: {reason}")


Getter = Callable[[str, dict[str, str], float], Answer]
TRUST_PATH = "/api/v1/trust"


def fetch_trust(config: CentralConfig, get: Getter = http_get) -> Answer:
    """The network key and this bench's key statement (``GET /api/v1/trust``)."""
    headers = {"Authorization": f"Bearer {config.token}", "Accept": "application/json"}
    return get(config.url.rstrip("/") + TRUST_PATH, headers, config.timeout_s)


@dataclass
class SyncReport:
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    retry: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None
    """Why the run stopped before the end (server unreachable, token refused...)."""
    stopped_code: str | None = None
    """The server's error code when it stopped the run (``token_expired``, ...)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "already_stored": self.already,
            "rejected": [{"id": i, "reason": r} for i, r in self.rejected],
            "retry": [{"id": i, "reason": r} for i, r in self.retry],
            "stopped": self.stopped,
            "stopped_code": self.stopped_code,
        }


def server_reason(answer: Answer) -> str:
    """The server's own words (its JSON error) or the transport error."""
    if answer.status is None:
        return answer.error or "no answer"
    try:
        error = json.loads(answer.body)["error"]
        message = error.get("message") or {}
        text = message.get("fr") or message.get("en") if isinstance(message, dict) else message
        return f"HTTP {answer.status} {error.get('code', '')}: {text or ''}".strip()
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP {answer.status}: {answer.body[:200].decode('utf-8', 'replace')}"


def server_code(answer: Answer) -> str | None:
    """The server's error code (``token_expired``, ``storage_unavailable``...), if any."""
    try:
        code = json.loads(answer.body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def send_due(
    outbox: Outbox,
    config: CentralConfig,
    *,
    include_waiting: bool = False,
    post: Poster = http_post,
    progress: Callable[[Item, Answer], None] | None = None,
) -> SyncReport:
    """Send every due item, oldest first (a report's revisions in ascending order, see
    ``Outbox.due``); see the module docstring for each answer."""
    report = SyncReport()
    base = config.url.rstrip("/")
    headers = {
        "Authorization": f"Bearer {config.token}",
        "Content-Type": "application/json",
        "User-Agent": f"bench-agent/{_version()} ({os.uname().nodename})",
    }
    for item in outbox.due(include_waiting=include_waiting):
        answer = post(base + PATHS[item.kind], item.body, headers, config.timeout_s)
        if progress is not None:
            progress(item, answer)
        status = answer.status
        if status in (200, 201):
            outbox.mark_sent(item.seq, status)
            (report.sent if status == 201 else report.already).append(item.item_id)
            continue
        reason = server_reason(answer)
        if status in REJECTING:
            outbox.mark_rejected(item.seq, status, reason)
            report.rejected.append((item.item_id, reason))
            continue
        if status in AUTH:
            outbox.mark_retry(item.seq, reason, status, 0.0)
            report.stopped, report.stopped_code = reason, server_code(answer)
            break
        outbox.mark_retry(item.seq, reason, status, retry_delay(item.attempts))
        report.retry.append((item.item_id, reason))
        report.stopped = reason
        report.stopped_code = None if status is None else server_code(answer)
        break
    return report


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bench-agent")
    except Exception:
        return "dev"
