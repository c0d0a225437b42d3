"""HTTP for the sinks: one ``requests.Session`` per sink, timeouts, TLS verification on,
and every transport failure turned into a :class:`Delivery` with a sentence in French
and English (never an exception, never a credential).

No automatic retries in the session: the outbox already retries each item with its own
backoff, so a retry here would only hide a failing server behind longer waits.
"""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING

from bench_agent.i18n import _t
from bench_agent.sync.sinks.base import Delivery

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT_S = (5.0, 30.0)
"""(connect, read) seconds: a bench on a slow link still gets an answer in 30 s."""
USER_AGENT = "bench-agent"


def new_session(verify: bool | str = True) -> requests.Session:
    """A session for one sink: TLS verified (``verify`` may name a CA bundle file)."""
    import requests

    session = requests.Session()
    session.verify = verify
    session.headers["User-Agent"] = f"{USER_AGENT}/{_version()}"
    session.headers["Accept"] = "application/json"
    return session


def transport_failure(sink: str, exc: Exception, timeout_s: float) -> Delivery:
    """A request that got no usable answer: always ``retry`` (nothing is lost)."""
    import requests

    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, requests.exceptions.SSLError):
        reason = _t(
            "{sink} : certificat TLS du serveur refusé (date du banc fausse, proxy qui "
            "intercepte, ou certificat invalide) ; nouvel essai plus tard",
            sink=sink,
        )
    elif isinstance(exc, requests.exceptions.ProxyError):
        reason = _t(
            "{sink} : le proxy refuse ou ne répond pas ; vérifiez la configuration du "
            "réseau (nouvel essai plus tard)",
            sink=sink,
        )
    elif isinstance(exc, requests.exceptions.Timeout):
        reason = _t(
            "{sink} ne répond pas dans le délai ({timeout_s:.0f} s) ; nouvel essai plus tard",
            sink=sink,
            timeout_s=timeout_s,
        )
    else:
        reason = _t("{sink} injoignable ; nouvel essai plus tard", sink=sink)
    return Delivery("retry", reason, detail=detail)


def server_trouble(sink: str, response: requests.Response) -> Delivery:
    """429 or 5xx: the server is there but cannot take it now."""
    return Delivery(
        "retry",
        _t(
            "{sink} en difficulté (HTTP {status}) ; nouvel essai plus tard",
            sink=sink,
            status=response.status_code,
        ),
        status=response.status_code,
        detail=excerpt(response),
        retry_after_s=retry_after_s(response),
    )


def retry_after_s(response: requests.Response) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), None when absent or odd."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def excerpt(response: requests.Response, limit: int = 300) -> str:
    """The start of an answer for the bench log."""
    text = response.content[:limit].decode("utf-8", "replace")
    return f"HTTP {response.status_code}: {text}"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bench-agent")
    except Exception:
        return "dev"
