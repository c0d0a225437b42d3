"""The outbox of signed evidence and its way to the central inventory."""

from __future__ import annotations

import json
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

    from bench_agent.sync.central import CentralConfig, SyncReport
    from bench_agent.sync.outbox import Outbox
    from bench_agent.sync.sinks.base import Sink


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
    return None


def load_config(
    paths: BenchPaths,
    environ: Any,
    url: str | None = None,
    token_file: Path | None = None,
) -> CentralConfig:
    """Command line, then environment, then ``sync.toml``; BenchError when incomplete."""
    from pathlib import Path

    from bench_agent.sync.central import CentralConfig

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
    from bench_agent.sync.central import CentralConfig

    CentralConfig(url=url, token=token)  # ValueError on a bad one
    write_atomic(paths.token, (token + "\n").encode())
    write_atomic(
        paths.sync_config,
        (
            f"[central]\nurl = {json.dumps(url)}\ntoken_file = {json.dumps(str(paths.token))}\n"
        ).encode(),
    )


@dataclass
class OutboxState:
    counts: dict[str, int]
    problems: list[Text]
    """Last error of each waiting document, and why each rejected one was refused."""


def outbox_state(paths: BenchPaths) -> OutboxState:
    box = outbox(paths)
    problems = [
        _t("en attente : {kind} — {last_error}", kind=i.kind, last_error=i.last_error)
        for i in box.items("pending")
        if i.last_error
    ]
    problems += [
        _t("REFUSÉ : {kind} — {last_error}", kind=i.kind, last_error=i.last_error)
        for i in box.items("rejected")
    ]
    return OutboxState(box.counts(), problems)


def refresh_trust(paths: BenchPaths, config: CentralConfig) -> Text | None:
    """Store the network key and this bench's key statement the central service gives
    (``trust/`` under the bench home, 0600), after checking them: the statement is signed
    by that network key and is about this bench's key. The first network key received is
    kept: a different one later is refused, never written over it. A problem is returned,
    never raised (sending does not depend on it)."""
    from bench_agent.sync.central import fetch_trust, server_reason
    from wipe.signing import BenchKey, SignatureError, parse_json, public_key_pem, read_public_key
    from wipe.trust import TrustError, read_statement

    answer = fetch_trust(config)
    if answer.status != 200:
        return _t("Clé du réseau non reçue : {why}", why=server_reason(answer))
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
    report: SyncReport
    counts: dict[str, int]
    trust_problem: Text | None = None
    """Why the network key or the key statement could not be refreshed."""

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
        if r.stopped_code in {"token_expired", "token_revoked"}:
            lines.append(
                _t(
                    "Envoi interrompu : le jeton du banc n'est plus accepté ({stopped}). "
                    "Demandez un nouveau jeton au coordinateur et enregistrez-le avec "
                    "« bench-agent sync configure » ; rien n'est perdu, les documents "
                    "restent en attente.",
                    stopped=r.stopped,
                )
            )
        elif r.stopped:
            lines.append(
                _t(
                    "Envoi interrompu : {stopped} (nouvel essai plus tard, rien n'est perdu)",
                    stopped=r.stopped,
                )
            )
        if self.trust_problem is not None:
            lines.insert(1, self.trust_problem)
        return lines


def send_now(
    paths: BenchPaths,
    environ: Any,
    *,
    url: str | None = None,
    token_file: Path | None = None,
    include_waiting: bool = True,
) -> SendResult:
    from bench_agent.sync.central import send_due

    config = load_config(paths, environ, url, token_file)
    box = outbox(paths)
    report = send_due(box, config, include_waiting=include_waiting)
    trust_problem = None if report.stopped else refresh_trust(paths, config)
    return SendResult(report, box.counts(), trust_problem)


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


def configured_sinks(paths: BenchPaths, *, verify_base: str | None = None) -> list[Sink]:
    """The tec.tech, GLPI and file sinks ``sync.toml`` names, ready for the sender (the
    central sink is the sender's own). BenchError on a bad configuration, before anything
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
