"""The outbox of signed evidence and its way to the sinks (central inventory first).

The services layer of sending: the sinks this bench is configured for, one pass now
(``sync now``, the app's key), the background sender the app and the unattended mode
start (:func:`start_sender`), and the state per sink ``sync status`` and step 9 show."""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench_agent.bench.errors import BenchError
from bench_agent.bench.files import write_atomic
from bench_agent.bench.paths import BenchPaths
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from pathlib import Path

    from bench_agent.sync.outbox import Outbox
    from bench_agent.sync.sender import DrainReport, Sender
    from bench_agent.sync.sinks.base import Sink
    from bench_agent.sync.sinks.central import CentralConfig


def outbox(paths: BenchPaths) -> Outbox:
    from bench_agent.sync.outbox import Outbox

    return Outbox(paths.outbox)


def enqueue(paths: BenchPaths, envelope: dict[str, Any]) -> Text | None:
    """Put a freshly signed document in the outbox; a problem is returned, never raised
    (the document is already on disk: ``sync add`` can put it there later)."""
    from bench_agent.sync.outbox import OutboxError

    try:
        outbox(paths).add(envelope)
    except (OutboxError, OSError, ValueError) as exc:
        from bench_agent.bench.log import log_problem

        log_problem(paths.log, "outbox", exc)
        return _t("document enregistré mais pas mis en boîte d'envoi (détail dans le journal)")
    notify(paths)
    return None


def load_config(
    paths: BenchPaths,
    environ: Any,
    url: str | None = None,
    token_file: Path | None = None,
) -> CentralConfig:
    """Command line, then environment, then ``sync.toml``; BenchError when incomplete."""
    from pathlib import Path

    from bench_agent.sync.sinks.central import CentralConfig

    stored: dict[str, Any] = {}
    if paths.sync_config.exists():
        try:
            stored = tomllib.loads(paths.sync_config.read_text(encoding="utf-8")).get("central", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise BenchError(_t("Fichier de configuration d'envoi illisible."), detail=exc) from exc
    url = url or environ.get("BENCH_AGENT_CENTRAL_URL") or stored.get("url")
    if not url:
        raise BenchError(
            _t(
                "Envoi non configuré : demandez au coordinateur l'adresse du service "
                "central (bench-agent sync configure)."
            )
        )
    token = environ.get("BENCH_AGENT_CENTRAL_TOKEN") if token_file is None else None
    if not token:
        path = token_file or Path(stored.get("token_file") or paths.token)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BenchError(
                _t(
                    "Le jeton du banc manque : demandez-le au coordinateur "
                    "(bench-agent sync configure)."
                )
            ) from exc
    try:
        return CentralConfig(url=str(url), token=token)
    except ValueError as exc:
        raise BenchError(_t("Configuration d'envoi invalide."), detail=exc) from exc


def configure(paths: BenchPaths, url: str, token: str) -> None:
    """Store the central URL and the bench token (0600)."""
    from bench_agent.sync.sinks.central import CentralConfig

    CentralConfig(url=url, token=token)  # ValueError on a bad one
    write_atomic(paths.token, (token + "\n").encode())
    central = f"[central]\nurl = {json.dumps(url)}\ntoken_file = {json.dumps(str(paths.token))}\n"
    write_atomic(paths.sync_config, (central + _other_tables(paths)).encode())
    if paths.outbox.exists():
        # A new address or token is a new chance: what waited out a backoff goes now.
        outbox(paths).reset_backoff()


def _other_tables(paths: BenchPaths) -> str:
    """``sync.toml`` without its ``[central]`` table (the ``[sinks.*]`` a site wrote are
    kept when the central service is configured again)."""
    try:
        lines = paths.sync_config.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError):
        return ""
    kept: list[str] = []
    in_central = False
    for line in lines:
        header = line.strip()
        if header.startswith("["):
            in_central = header == "[central]"
        if not in_central:
            kept.append(line)
    text = "".join(kept).strip("\n")
    return "\n" + text + "\n" if text else ""


def configured_sinks(
    paths: BenchPaths,
    environ: Any,
    *,
    url: str | None = None,
    token_file: Path | None = None,
) -> list[Sink]:
    """The sinks this bench sends to: the central service when it is configured, and the
    ``[sinks.*]`` of ``sync.toml`` (tec.tech, GLPI, file). BenchError when there is none,
    or on a bad configuration, before anything is sent."""
    from bench_agent.sync.sinks.central import CentralSink

    try:
        central: CentralConfig | None = load_config(paths, environ, url, token_file)
    except BenchError:
        if url is not None or token_file is not None or not sinks_config(paths):
            raise
        central = None
    sinks: list[Sink] = [CentralSink(central)] if central is not None else []
    return sinks + other_sinks(paths, verify_base=central.url if central is not None else None)


def _config_stamp(paths: BenchPaths) -> object:
    """Changes when the sending configuration does (the sender rebuilds its sinks)."""
    stamps: list[tuple[int, int] | None] = []
    for path in (paths.sync_config, paths.token):
        try:
            stat = path.stat()
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


_SENDERS: dict[Path, Sender] = {}
_SENDERS_LOCK = threading.Lock()


def start_sender(
    paths: BenchPaths,
    environ: Any,
    *,
    host: Any = None,
    base_s: float | None = None,
    cap_s: float | None = None,
    poll_s: float | None = None,
) -> Sender:
    """Start the background sender of this bench (the app, the unattended mode): it
    sends by itself when items are added, when the network comes back and when a
    backoff ends; ``.stop()`` ends it, ``.wait_idle(timeout)`` waits until nothing is
    due. ``host`` is where network links are read (the composition root passes the live
    machine); without one, only the backoff and new items wake the sender."""
    from bench_agent.bench.log import log_problem
    from bench_agent.sync.sender import POLL_S, RETRY_BASE_S, RETRY_MAX_S, Sender, links_up

    def log(where: str, detail: str) -> None:
        log_problem(paths.log, f"sync {where}", None, detail)

    sender = Sender(
        paths.outbox,
        lambda: configured_sinks(paths, environ),
        links=None if host is None else (lambda: links_up(host)),
        log=log,
        base_s=RETRY_BASE_S if base_s is None else base_s,
        cap_s=RETRY_MAX_S if cap_s is None else cap_s,
        poll_s=POLL_S if poll_s is None else poll_s,
        config_stamp=lambda: _config_stamp(paths),
    )
    with _SENDERS_LOCK:
        previous = _SENDERS.get(paths.outbox)
        if previous is not None and previous.running:
            return previous
        _SENDERS[paths.outbox] = sender
    return sender.start()


def running_sender(paths: BenchPaths) -> Sender | None:
    with _SENDERS_LOCK:
        sender = _SENDERS.get(paths.outbox)
    return sender if sender is not None and sender.running else None


def notify(paths: BenchPaths) -> None:
    """An item was added: the running sender (if any) sends it now."""
    sender = running_sender(paths)
    if sender is not None:
        sender.wake()


@dataclass
class SinkView:
    """One sink as ``sync status`` and step 9 show it."""

    name: str
    waiting: int
    sent: int
    rejected: int
    skipped: int
    last_error: Text | None
    last_error_at: float | None
    last_success_at: float | None
    next_attempt_at: float
    refusals: list[tuple[str, Text]]
    """(item id, the sink's reason) of each rejected item."""


@dataclass
class OutboxState:
    counts: dict[str, int]
    problems: list[Text]
    """Last error of each sink that has one, and why each rejected item was refused."""
    sinks: list[SinkView]


def outbox_state(paths: BenchPaths) -> OutboxState:
    box = outbox(paths)
    views: list[SinkView] = []
    problems: list[Text] = []
    for state in box.sink_states():
        if not state.active:
            continue
        refusals = [
            (d.item_id, Text(fr=d.error_fr or "", en=d.error_en or d.error_fr or ""))
            for d in box.deliveries(state.name, "rejected")
        ]
        error = (
            Text(fr=state.last_error_fr, en=state.last_error_en or state.last_error_fr)
            if state.last_error_fr
            else None
        )
        waiting = state.counts["pending"]
        views.append(
            SinkView(
                state.name,
                waiting,
                state.counts["sent"],
                state.counts["rejected"],
                state.counts["skipped"],
                error,
                state.last_error_at,
                state.last_success_at,
                state.next_attempt_at,
                refusals,
            )
        )
        stale = (
            error is None
            or (state.last_success_at or 0) > (state.last_error_at or 0)
            or not waiting
        )
        if not stale and error is not None:
            problems.append(_t("{sink} : {error}", sink=state.name, error=error))
        problems += [
            _t("REFUSÉ par {sink} : {item} — {why}", sink=state.name, item=i, why=why)
            for i, why in refusals
        ]
    return OutboxState(box.counts(), problems, views)


def refresh_trust(paths: BenchPaths, config: CentralConfig) -> Text | None:
    """Store the network key and this bench's key statement the central service gives
    (``trust/`` under the bench home, 0600), after checking them: the statement is signed
    by that network key and is about this bench's key. The first network key received is
    kept: a different one later is refused, never written over it. A problem is returned,
    never raised (sending does not depend on it)."""
    from bench_agent.sync.sinks.central import fetch_trust
    from wipe.signing import BenchKey, SignatureError, parse_json, public_key_pem, read_public_key
    from wipe.trust import TrustError, read_statement

    answer = fetch_trust(config)
    if answer.status != 200:
        return _t("Clé du réseau non reçue : {why}", why=answer.reason)
    try:
        data = parse_json(answer.body)
        network = read_public_key(str(data["network_public_key_pem"]))
        statement = read_statement(data["statement"]) if data.get("statement") else None
    except (ValueError, KeyError, TypeError, SignatureError, TrustError) as exc:
        return _t("Réponse de confiance du service central illisible : {exc}", exc=exc)
    if paths.network_key.exists():
        try:
            stored = read_public_key(paths.network_key.read_bytes())
        except (OSError, SignatureError) as exc:
            return _t("Clé du réseau enregistrée illisible : {exc}", exc=exc)
        if stored != network:
            return _t(
                "Le service central présente une autre clé du réseau que celle enregistrée "
                "({path}) : refusée, rien n'a été remplacé.",
                path=paths.network_key,
            )
    write_atomic(paths.network_key, public_key_pem(network).encode())
    if statement is None:
        return None
    mine = BenchKey.load(paths.key).fingerprint if paths.key.exists() else None
    if statement.signer != network or statement.statement.fingerprint != mine:
        return _t("Déclaration de clé refusée : pas signée par le réseau ou pas pour ce banc.")
    body = json.dumps(statement.envelope, ensure_ascii=False, indent=2) + "\n"
    write_atomic(paths.key_statement, body.encode())
    return None


@dataclass
class SendResult:
    report: DrainReport
    counts: dict[str, int]
    trust_problem: Text | None = None
    """Why the network key or the key statement could not be refreshed."""
    cpu_table: Text | None = None
    """A newer CPU table taken from the central service, or why it could not be."""

    @property
    def ok(self) -> bool:
        return self.counts["pending"] == 0 and self.counts["rejected"] == 0

    def lines(self) -> list[Text]:
        r, c = self.report, self.counts
        lines = [
            _t(
                "Envoyés : {n_sent} ; déjà présents : {n_already} ; "
                "refusés : {n_rejected} ; en attente : {pending}",
                n_sent=len(r.sent),
                n_already=len(r.already),
                n_rejected=len(r.rejected),
                pending=c["pending"],
            )
        ]
        lines += [_t("REFUSÉ {i} — {why}", i=i, why=why) for i, why in r.rejected]
        for name, sink in r.sinks.items():
            if sink.stopped:
                reason = Text(fr=sink.stopped, en=sink.stopped_en or sink.stopped)
                prefix = _t("{sink} : ", sink=name) if len(r.sinks) > 1 else Text(fr="", en="")
                if sink.stopped_status in (401, 403):  # the token: waiting will not help
                    lines.append(
                        _t(
                            "{prefix}Envoi interrompu : {stopped}. Rien n'est perdu, les "
                            "documents restent en attente.",
                            prefix=prefix,
                            stopped=reason,
                        )
                    )
                    continue
                lines.append(
                    _t(
                        "{prefix}Envoi interrompu : {stopped} (nouvel essai plus tard, "
                        "rien n'est perdu)",
                        prefix=prefix,
                        stopped=reason,
                    )
                )
        if self.trust_problem is not None:
            lines.insert(1, self.trust_problem)
        if self.cpu_table is not None:
            lines.insert(1, self.cpu_table)
        return lines

    @property
    def stopped(self) -> int:
        """How many of :meth:`lines`, at the end, say a sink's pass stopped."""
        return sum(1 for sink in self.report.sinks.values() if sink.stopped)


def send_now(
    paths: BenchPaths,
    environ: Any,
    *,
    url: str | None = None,
    token_file: Path | None = None,
    include_waiting: bool = True,
) -> SendResult:
    """One pass now, for a human who asked (a sink's own backoff is not waited for)."""
    from bench_agent.bench.log import log_problem
    from bench_agent.sync.sender import drain
    from bench_agent.sync.sinks.central import CentralSink

    sinks = configured_sinks(paths, environ, url=url, token_file=token_file)
    box = outbox(paths)

    def log(where: str, detail: str) -> None:
        log_problem(paths.log, f"sync {where}", None, detail)

    try:
        report = drain(box, sinks, include_waiting=include_waiting, log=log)
    finally:
        for sink in sinks:
            sink.close()
    box.reclaim()
    central = next((s for s in sinks if isinstance(s, CentralSink)), None)
    done = report.sinks.get("central")
    trust_problem = cpu_table = None
    if central is not None and (done is None or not done.stopped):
        from bench_agent.bench.cpu_reference import refresh_cpu_table

        trust_problem = refresh_trust(paths, central.config)
        table = refresh_cpu_table(paths, central.config.url, central.config.token)
        cpu_table = table.message if table.changed or table.problem else None
    return SendResult(report, box.counts(), trust_problem, cpu_table)


# -- the sinks a bench sends to (sync.toml) ---------------------------------------------

SINK_KEYS: dict[str, frozenset[str]] = {
    "tectech": frozenset({"url", "client_id", "secret_file"}),
    "glpi": frozenset({"url"}),
    "file": frozenset({"dir"}),
}
"""``[sinks.<name>]`` tables of ``sync.toml`` and the keys each takes (all required);
``[central]`` stays where it is."""


def _config_error(text: Text, detail: object = None) -> BenchError:
    return BenchError(text, exit_code=2, detail=detail)


def sinks_config(paths: BenchPaths) -> dict[str, dict[str, str]]:
    """The ``[sinks.*]`` tables of the bench's ``sync.toml``, checked; BenchError naming
    the table and key that is wrong."""
    if not paths.sync_config.exists():
        return {}
    try:
        data = tomllib.loads(paths.sync_config.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise BenchError(_t("Fichier de configuration d'envoi illisible."), detail=exc) from exc
    tables = data.get("sinks", {})
    if not isinstance(tables, dict):
        raise _config_error(_t("sync.toml : [sinks] doit être une table"))
    checked: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        if name not in SINK_KEYS:
            raise _config_error(
                _t(
                    "sync.toml : destination inconnue [sinks.{name}] (connues : {known})",
                    name=name,
                    known=", ".join(sorted(SINK_KEYS)),
                )
            )
        if not isinstance(table, dict):
            raise _config_error(_t("sync.toml : [sinks.{name}] doit être une table", name=name))
        wanted = SINK_KEYS[name]
        for key in sorted(set(table) - wanted):
            raise _config_error(
                _t("sync.toml : clé inconnue {key} dans [sinks.{name}]", key=key, name=name)
            )
        for key in sorted(wanted):
            value = table.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _config_error(
                    _t(
                        "sync.toml : [sinks.{name}] {key} manque ou n'est pas un texte",
                        name=name,
                        key=key,
                    )
                )
        if "url" in table and not table["url"].startswith(("http://", "https://")):
            raise _config_error(
                _t(
                    "sync.toml : [sinks.{name}] url doit commencer par http:// ou https://",
                    name=name,
                )
            )
        checked[name] = {k: table[k].strip() for k in wanted}
    return checked


def read_secret(path: Path) -> str:
    """A credential file: readable by its owner only (0600), never empty."""
    try:
        mode = path.stat().st_mode
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise _config_error(
            _t("Fichier secret illisible : {path} ({strerror})", path=path, strerror=exc.strerror)
        ) from exc
    if mode & 0o077:
        raise _config_error(
            _t(
                "Fichier secret {path} lisible par d'autres : chmod 600 {path}",
                path=path,
            )
        )
    if not secret:
        raise _config_error(_t("Fichier secret vide : {path}", path=path))
    return secret


def other_sinks(paths: BenchPaths, *, verify_base: str | None = None) -> list[Sink]:
    """The tec.tech, GLPI and file sinks ``sync.toml`` names (the central sink is
    :func:`configured_sinks`' own). BenchError on a bad configuration, before anything
    is sent."""
    from pathlib import Path

    from bench_agent.sync.sinks.file import FileSink
    from bench_agent.sync.sinks.glpi import GlpiSink
    from bench_agent.sync.sinks.tectech import TectechConfig, TectechSink

    sinks: list[Sink] = []
    for name, table in sinks_config(paths).items():
        if name == "tectech":
            secret_file = Path(table["secret_file"])
            if not secret_file.is_absolute():
                secret_file = paths.home / secret_file
            try:
                config = TectechConfig(
                    url=table["url"],
                    client_id=table["client_id"],
                    secret=read_secret(secret_file),
                    verify_base=verify_base,
                )
            except ValueError as exc:
                raise _config_error(_t("sync.toml : [sinks.tectech] invalide"), detail=exc) from exc
            sinks.append(TectechSink(config))
        elif name == "glpi":
            sinks.append(GlpiSink(table["url"]))
        else:
            directory = Path(table["dir"])
            sinks.append(FileSink(directory if directory.is_absolute() else paths.home / directory))
    return sinks
