"""The central inventory service (``central_inventory``) as a sink.

``POST /api/v1/reports`` or ``/api/v1/certificates`` with the bench's bearer token and
the signed envelope as it sits in the outbox, over one keep-alive ``requests.Session``
(TLS certificates verified). What each answer means:

- 201 stored, 200 already stored → ``sent`` (a resend after a lost answer is a 200);
- 400, 409, 413, 422 → ``rejected``: the server refuses this content (409: the same
  report revision or certificate id with another content, or a report id another
  bench created), with the server's reason;
- 401, 403 → ``retry``: the bench's token or key is not accepted (revoked, expired);
  nothing is lost, the sender stops this sink's pass and tries again later;
- no answer, a reset, a timeout, 429, 5xx → ``retry`` (``Retry-After`` passed on).

The session does not retry by itself (the outbox does), except a connection that could
not be opened at all (nothing was sent on it).
"""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench_agent.i18n import _t
from bench_agent.sync.sinks.base import Delivery, Document

if TYPE_CHECKING:
    import requests

PATHS = {"report": "/api/v1/reports", "certificate": "/api/v1/certificates"}
REJECTING = frozenset({400, 409, 413, 422})
AUTH = frozenset({401, 403})
CONNECT_TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class CentralConfig:
    url: str
    token: str
    timeout_s: float = 30.0
    """How long an answer may take once the request is sent."""
    ca_file: str | None = None
    """A CA bundle for a server whose certificate is not from a public authority."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"central URL must start with http:// or https://: {self.url!r}")
        if not self.token or any(c.isspace() for c in self.token):
            raise ValueError("the central token is empty or contains spaces")
        if not 0 < self.timeout_s <= 600:
            raise ValueError(f"central timeout must be within 0-600 s, not {self.timeout_s}")

    def __repr__(self) -> str:  # never the token, in a log or a traceback
        return f"CentralConfig(url={self.url!r}, timeout_s={self.timeout_s})"


class CentralSink:
    """Delivers outbox items to the central service; one per bench, one session."""

    parallel = 4
    """Connections used at once by the sender (the service answers them concurrently and
    deduplicates; a report's revisions still go one after the other, see the sender)."""

    def __init__(self, config: CentralConfig, *, name: str = "central") -> None:
        self.name = name
        self.config = config
        self.base = config.url.rstrip("/")
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """This thread's keep-alive session (a Session is not shared between threads)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _session(self.config)
            with self._lock:
                self._sessions.append(session)
        return session

    def deliver(self, document: Document) -> Delivery:
        import requests

        try:
            response = self.session.post(
                self.base + PATHS[document.kind],
                data=document.body,
                timeout=(CONNECT_TIMEOUT_S, self.config.timeout_s),
                allow_redirects=False,
            )
            status, content = response.status_code, response.content[: 1 << 16]
        except requests.exceptions.SSLError as exc:
            return Delivery(
                "retry",
                _t(
                    "Le certificat du service central n'est pas reconnu ({url}) : heure du "
                    "banc fausse, ou adresse à vérifier avec le coordinateur",
                    url=self.base,
                ),
                detail=_detail(exc),
            )
        except requests.exceptions.ProxyError as exc:
            return Delivery(
                "retry",
                _t(
                    "Le proxy réseau refuse ou ne répond pas : vérifiez les réglages de proxy "
                    "(HTTPS_PROXY) du banc"
                ),
                detail=_detail(exc),
            )
        except requests.exceptions.Timeout as exc:
            return Delivery(
                "retry",
                _t(
                    "Le service central ne répond pas dans les {timeout:g} s",
                    timeout=self.config.timeout_s,
                ),
                detail=_detail(exc),
            )
        except requests.exceptions.ConnectionError as exc:
            if _aborted(exc):
                return Delivery(
                    "retry",
                    _t("Échange interrompu avec le service central"),
                    detail=_detail(exc),
                )
            return Delivery(
                "retry",
                _t(
                    "Service central injoignable ({url}) : réseau absent ou serveur arrêté",
                    url=self.base,
                ),
                detail=_detail(exc),
            )
        except requests.exceptions.RequestException as exc:
            return Delivery(
                "retry",
                _t("Échange interrompu avec le service central"),
                detail=_detail(exc),
            )
        return _answer(status, content, response.headers.get("Retry-After"))

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def _session(config: CentralConfig) -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    # One retry, on connect only: the request never left, so it cannot be a duplicate.
    retry = Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers.update(
        {
            "Authorization": f"Bearer {config.token}",
            "Content-Type": "application/json",
            "User-Agent": f"bench-agent/{_version()} ({os.uname().nodename})",
        }
    )
    session.verify = config.ca_file or True
    return session


def _answer(status: int, content: bytes, retry_after: str | None) -> Delivery:
    if status in (200, 201):
        return Delivery("sent", status=status)
    server = server_reason(status, content)
    if status in REJECTING:
        return Delivery(
            "rejected",
            _t("Refusé par le service central : {server}", server=server),
            status=status,
            detail=server,
        )
    if status in AUTH:
        return Delivery(
            "retry",
            _t(
                "Le service central refuse le jeton ou la clé du banc ({server}) : "
                "demandez un nouveau jeton au coordinateur (bench-agent sync configure)",
                server=server,
            ),
            status=status,
            detail=server,
        )
    return Delivery(
        "retry",
        _t("Service central indisponible : {server}", server=server),
        status=status,
        detail=server,
        retry_after_s=parse_retry_after(retry_after),
    )


def server_reason(status: int, content: bytes) -> str:
    """The server's own words (its JSON error), else the start of its answer."""
    try:
        error = json.loads(content)["error"]
        message = error.get("message") or {}
        text = message.get("fr") or message.get("en") if isinstance(message, dict) else message
        return f"HTTP {status} {error.get('code', '')}: {text or ''}".strip()
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP {status}: {content[:200].decode('utf-8', 'replace')}".strip()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds or an HTTP date);
    None when absent or unreadable; capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, when - (time.time() if now is None else now)), MAX_RETRY_AFTER_S)


def _aborted(exc: requests.exceptions.ConnectionError) -> bool:
    """The connection was open and broke during the exchange (a reset, a cut answer),
    as opposed to no server at all."""
    from urllib3.exceptions import ProtocolError

    return any(isinstance(arg, ProtocolError) for arg in exc.args)


def _detail(exc: requests.exceptions.RequestException) -> str:
    """The transport error for the log (requests' messages carry the URL, not headers)."""
    return f"{type(exc).__name__}: {exc}"[:500]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bench-agent")
    except Exception:
        return "dev"


TRUST_PATH = "/api/v1/trust"


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    status: int | None
    body: bytes
    reason: str
    """The server's words, or what went wrong on the way (for the technician's line)."""


def fetch_trust(config: CentralConfig) -> TrustAnswer:
    """``GET /api/v1/trust``: the network key and this bench's key statement. Never
    raises: a failure is an answer without a status."""
    import requests

    session = _session(config)
    try:
        response = session.get(
            config.url.rstrip("/") + TRUST_PATH,
            headers={"Accept": "application/json"},
            timeout=(CONNECT_TIMEOUT_S, config.timeout_s),
        )
        body = response.content[: 1 << 20]
        return TrustAnswer(response.status_code, body, server_reason(response.status_code, body))
    except requests.exceptions.RequestException as exc:
        return TrustAnswer(None, b"", _detail(exc))
    finally:
        session.close()
