"""Taking the network's current CPU table from the central service.

``GET /api/v1/reference/cpu-table`` with the bench's token and ``If-None-Match`` set to
the version the bench grades with. What each answer means:

- 304: the bench already has the current table; nothing changes;
- 200: the body is checked against the version the server states (``X-Cpu-Table-Version``,
  else the ETag): a cut or altered download is refused; then it must read as a CPU table
  (:func:`~bench_agent.grading.cpu_table.store_table`), and it is kept in the bench's
  home, where later grades take it (:func:`~bench_agent.grading.cpu_table.current_table`);
- anything else (no answer, 401, 404, 5xx): the table in use stays, and the sentence says
  why. Grading never waits for the network.

Called at sync (the sender wires it in); standard library HTTP, like the rest of the sync.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.paths import BenchPaths

ENDPOINT = "/api/v1/reference/cpu-table"
MAX_TABLE_BYTES = 16 << 20
"""The network's table is about 300 kB; anything past 16 MB is not a CPU table."""


@dataclass(frozen=True, slots=True)
class GetAnswer:
    status: int | None
    """HTTP status, None when no answer came (refused, timeout, DNS)."""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    error: str | None = None


Getter = Callable[[str, dict[str, str], float], GetAnswer]


def http_get(url: str, headers: dict[str, str], timeout_s: float) -> GetAnswer:
    """One GET; every failure becomes an answer (never an exception)."""
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read(MAX_TABLE_BYTES + 1)
            found = {k.lower(): v for k, v in response.headers.items()}
            return GetAnswer(response.status, body, found)
    except urllib.error.HTTPError as exc:  # 304 arrives here too
        found = {k.lower(): v for k, v in exc.headers.items()} if exc.headers else {}
        return GetAnswer(exc.code, b"", found)
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        return GetAnswer(None, error=f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")


@dataclass(frozen=True, slots=True)
class TableRefresh:
    version: str | None
    """The version later grades use (after this refresh)."""
    changed: bool
    """A newer table was stored."""
    message: Text


def refresh_cpu_table(
    paths: BenchPaths,
    url: str,
    token: str,
    *,
    timeout_s: float = 30.0,
    get: Getter = http_get,
) -> TableRefresh:
    """Ask the central service at ``url`` for its CPU table and keep it when it is newer
    than (different from) the one in use; see the module docstring."""
    from bench_agent.grading.cpu_table import current_table, store_table, table_version
    from bench_agent.grading.toml_source import ProfileError

    in_use = current_table(paths).version
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/csv"}
    if in_use:
        headers["If-None-Match"] = f'"{in_use}"'
    answer = get(url.rstrip("/") + ENDPOINT, headers, timeout_s)

    def kept(why: Text) -> TableRefresh:
        return TableRefresh(
            in_use,
            False,
            _t("Table CPU inchangée ({why}) : le banc garde la sienne.", why=why),
        )

    if answer.status == 304:
        return TableRefresh(in_use, False, _t("Table CPU à jour ({version}).", version=in_use))
    if answer.status != 200:
        if answer.status is None:
            return kept(_t("service central injoignable : {error}", error=answer.error))
        return kept(_t("réponse HTTP {status}", status=answer.status))
    if len(answer.body) > MAX_TABLE_BYTES:
        return kept(_t("table trop grande"))
    received = table_version(answer.body)
    stated = answer.headers.get("x-cpu-table-version") or answer.headers.get("etag", "")
    if stated.strip('"') != received:
        return kept(
            _t(
                "téléchargement incomplet ou altéré : version annoncée {stated}, reçue {received}",
                stated=stated or "?",
                received=received,
            )
        )
    if received == in_use:
        return TableRefresh(in_use, False, _t("Table CPU à jour ({version}).", version=in_use))
    try:
        version = store_table(paths, answer.body)
    except ProfileError as exc:
        return kept(exc.text)
    except OSError as exc:
        return kept(_t("écriture impossible : {error}", error=exc.strerror or exc))
    return TableRefresh(
        version, True, _t("Nouvelle table CPU du service central : {version}.", version=version)
    )
