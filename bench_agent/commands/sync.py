"""bench-agent sync: the outbox of signed evidence and its way to the central inventory."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from bench_agent.context import Environment

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
CONFIG_FILE = "sync.toml"
TOKEN_FILE = "central-token"
OUTBOX_FILE = "outbox.sqlite"


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "sync",
        help=env.say("envoi à l'inventaire central", "sending to the central inventory"),
        description=env.say(
            "Les rapports d'unité et certificats signés attendent dans la boîte d'envoi "
            "(sur disque) jusqu'à ce que l'inventaire central les ait : rien n'est perdu "
            "hors ligne, rien n'est stocké deux fois.",
            "Signed unit reports and certificates wait in the outbox (on disk) until the "
            "central inventory has them: nothing is lost offline, nothing is stored twice.",
        ),
    )
    actions = p.add_subparsers(dest="sync_action", metavar="ACTION")

    st = actions.add_parser("status", help=env.say("état de la boîte d'envoi", "outbox state"))
    st.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    st.set_defaults(handler=run_status)

    now = actions.add_parser("now", help=env.say("envoyer maintenant", "send now"))
    now.add_argument("--url", help=env.say("adresse du service central", "central service URL"))
    now.add_argument(
        "--token-file", type=Path, help=env.say("fichier du jeton du banc", "bench token file")
    )
    now.add_argument(
        "--all",
        action="store_true",
        help=env.say(
            "sans attendre le délai entre deux essais", "without waiting for the retry delay"
        ),
    )
    now.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    now.set_defaults(handler=run_now)

    add = actions.add_parser(
        "add",
        help=env.say(
            "mettre des rapports ou certificats dans la boîte d'envoi",
            "put reports or certificates in the outbox",
        ),
        description=env.say(
            "Un document signé est ajouté tel quel (signature vérifiée) ; un rapport d'unité "
            "non signé (bench-agent inventory --json) est d'abord signé avec la clé du banc.",
            "A signed document is added as is (signature checked); an unsigned unit report "
            "(bench-agent inventory --json) is signed with the bench key first.",
        ),
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--key", metavar="FILE", help=env.say("clé du banc", "bench key"))
    add.set_defaults(handler=run_add)

    configure = actions.add_parser(
        "configure",
        help=env.say("adresse et jeton du service central", "central service URL and token"),
    )
    configure.add_argument("--url", required=True)
    configure.add_argument(
        "--token-file",
        type=Path,
        required=True,
        help=env.say(
            "fichier contenant le jeton (copié, droits 0600)",
            "file holding the token (copied, 0600)",
        ),
    )
    configure.set_defaults(handler=run_configure)

    export = actions.add_parser(
        "export",
        help=env.say(
            "copier les envois en attente vers un dossier (clé USB)", "export to a folder"
        ),
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    export.add_argument(
        "--all", action="store_true", help=env.say("aussi les déjà envoyés", "also those sent")
    )
    export.set_defaults(handler=run_export)

    imp = actions.add_parser(
        "import",
        help=env.say("reprendre les documents d'un dossier exporté", "import an exported folder"),
    )
    imp.add_argument("directory", type=Path, metavar="DIR")
    imp.set_defaults(handler=run_import)

    requeue = actions.add_parser(
        "retry-rejected",
        help=env.say(
            "renvoyer les documents refusés (après correction côté serveur)",
            "send rejected documents again (after a fix on the server)",
        ),
    )
    requeue.set_defaults(handler=run_requeue)
    p.set_defaults(handler=lambda args, env: _usage(p, env))


def _usage(parser: argparse.ArgumentParser, env: Environment) -> int:
    env.err(parser.format_usage().rstrip())
    return EXIT_USAGE


def outbox_for(env: Environment) -> Any:
    from bench_agent.commands.erase import bench_home
    from bench_agent.sync.outbox import Outbox

    return Outbox(bench_home(env) / OUTBOX_FILE)


def enqueue_quietly(env: Environment, envelope: Any) -> str | None:
    """Put a freshly signed document in the outbox; a problem is returned, never raised
    (the document is already on disk: the technician can `sync add` it later)."""
    from bench_agent.sync.outbox import OutboxError

    try:
        outbox_for(env).add(envelope)
    except (OutboxError, OSError, ValueError) as exc:
        return str(exc)
    return None


def enqueue_certificates(env: Environment, outcomes: list[Any]) -> list[str]:
    """Every real certificate of an erasure goes to the outbox (ERASED or not: a failure
    is evidence too; a dry run is evidence of nothing); one sentence per problem."""
    problems: list[str] = []
    for o in outcomes:
        if o.envelope is None or o.result == "DRY_RUN":
            continue
        problem = enqueue_quietly(env, o.envelope)
        if problem:
            problems.append(
                env.say(
                    f"Certificat de {o.device_path} non mis en boîte d'envoi : {problem}",
                    f"Certificate of {o.device_path} not put in the outbox: {problem}",
                )
            )
    return problems


def run_status(args: argparse.Namespace, env: Environment) -> int:
    outbox = outbox_for(env)
    counts = outbox.counts()
    waiting = outbox.items("pending")
    rejected = outbox.items("rejected")
    if args.json:
        env.out(
            json.dumps(
                {
                    "outbox": str(outbox.path),
                    "counts": counts,
                    "pending": [_item_dict(i) for i in waiting],
                    "rejected": [_item_dict(i) for i in rejected],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    env.out(
        env.say(
            f"Boîte d'envoi {outbox.path} : {counts['pending']} en attente, "
            f"{counts['sent']} envoyé(s), {counts['rejected']} refusé(s)",
            f"Outbox {outbox.path}: {counts['pending']} pending, {counts['sent']} sent, "
            f"{counts['rejected']} rejected",
        )
    )
    for item in waiting:
        last = f" — {item.last_error}" if item.last_error else ""
        env.out(f"  {env.say('attente', 'pending')}  {item.kind} {item.item_id}{last}")
    for item in rejected:
        env.out(
            f"  {env.say('REFUSÉ', 'REJECTED')}  {item.kind} {item.item_id} — {item.last_error}"
        )
    return EXIT_OK


def _item_dict(item: Any) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "id": item.item_id,
        "attempts": item.attempts,
        "last_status": item.last_status,
        "last_error": item.last_error,
        "next_attempt_at": item.next_attempt_at,
    }


def load_config(env: Environment, url: str | None, token_file: Path | None) -> Any:
    """Command line, then environment, then ``$BENCH_AGENT_HOME/sync.toml``."""
    import tomllib

    from bench_agent.commands.erase import bench_home
    from bench_agent.sync.central import CentralConfig

    home = bench_home(env)
    stored: dict[str, Any] = {}
    config_path = home / CONFIG_FILE
    if config_path.exists():
        try:
            stored = tomllib.loads(config_path.read_text(encoding="utf-8")).get("central", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{config_path}: {exc}") from exc
    url = url or env.environ.get("BENCH_AGENT_CENTRAL_URL") or stored.get("url")
    token = env.environ.get("BENCH_AGENT_CENTRAL_TOKEN") if token_file is None else None
    if not token:
        path = token_file or Path(stored.get("token_file") or home / TOKEN_FILE)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"bench token unreadable ({path}): {exc.strerror}") from exc
    if not url:
        raise ValueError("no central URL (sync configure --url, or BENCH_AGENT_CENTRAL_URL)")
    return CentralConfig(url=str(url), token=token)


def run_now(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.sync.central import send_due

    try:
        config = load_config(env, args.url, args.token_file)
    except ValueError as exc:
        env.err(env.say(f"Configuration d'envoi : {exc}", f"Sync configuration: {exc}"))
        return EXIT_ENVIRONMENT
    outbox = outbox_for(env)
    report = send_due(outbox, config, include_waiting=args.all)
    counts = outbox.counts()
    if args.json:
        env.out(json.dumps({**report.as_dict(), "counts": counts}, ensure_ascii=False, indent=2))
    else:
        env.out(
            env.say(
                f"Envoyés : {len(report.sent)} ; déjà présents : {len(report.already)} ; "
                f"refusés : {len(report.rejected)} ; restent en attente : {counts['pending']}",
                f"Sent: {len(report.sent)}; already there: {len(report.already)}; "
                f"rejected: {len(report.rejected)}; still pending: {counts['pending']}",
            )
        )
        for item_id, reason in report.rejected:
            env.out(f"  {env.say('REFUSÉ', 'REJECTED')} {item_id} — {reason}")
        if report.stopped:
            env.err(
                env.say(
                    f"Envoi interrompu : {report.stopped} "
                    "(nouvel essai plus tard, rien n'est perdu)",
                    f"Sending stopped: {report.stopped} (retried later, nothing is lost)",
                )
            )
    return EXIT_OK if counts["pending"] == 0 and counts["rejected"] == 0 else EXIT_PROBLEM


def _load_json(path: Path) -> Any:
    data = path.read_bytes()
    if len(data) > 8 << 20:
        raise ValueError(f"{len(data)} bytes: too large for a report or a certificate")
    return json.loads(data)


def run_add(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.commands.erase import key_path
    from bench_agent.sync.outbox import OutboxError
    from wipe.signing import BenchKey

    outbox = outbox_for(env)
    key: BenchKey | None = None
    failures = 0
    for path in args.files:
        try:
            document = _load_json(path)
            if isinstance(document, dict) and set(document) == {"payload", "signature"}:
                envelope = document
            elif isinstance(document, dict) and isinstance(document.get("report_id"), str):
                key = key or BenchKey.load_or_create(key_path(env, args.key))
                envelope = key.sign(document)
            else:
                raise OutboxError("neither a signed document nor a unit report (no report_id)")
            added = outbox.add(envelope)
        except (OSError, ValueError) as exc:
            failures += 1
            env.err(env.say(f"Refusé {path} : {exc}", f"Refused {path}: {exc}"))
            continue
        env.out(
            env.say(
                f"{path} : {added.kind} {added.item_id} "
                + ("ajouté" if added.new else "déjà dans la boîte d'envoi"),
                f"{path}: {added.kind} {added.item_id} "
                + ("added" if added.new else "already in the outbox"),
            )
        )
    return EXIT_PROBLEM if failures else EXIT_OK


def run_configure(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.commands.erase import bench_home
    from bench_agent.sync.central import CentralConfig

    try:
        token = args.token_file.read_text(encoding="utf-8").strip()
        CentralConfig(url=args.url, token=token)
    except (OSError, ValueError) as exc:
        env.err(env.say(f"Configuration refusée : {exc}", f"Configuration refused: {exc}"))
        return EXIT_USAGE
    home = bench_home(env)
    home.mkdir(parents=True, exist_ok=True)
    token_path = home / TOKEN_FILE
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(token_path, 0o600)
    (home / CONFIG_FILE).write_text(
        f"[central]\nurl = {json.dumps(args.url)}\ntoken_file = {json.dumps(str(token_path))}\n",
        encoding="utf-8",
    )
    env.out(env.say(f"Service central : {args.url}", f"Central service: {args.url}"))
    return EXIT_OK


def run_export(args: argparse.Namespace, env: Environment) -> int:
    import hashlib

    outbox = outbox_for(env)
    items = outbox.items() if args.all else outbox.items("pending")
    directory: Path = args.directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        for item in items:
            name = f"{item.kind}-{_safe(item.item_id)}.json"
            target = directory / name
            tmp = directory / (name + ".part")
            with open(tmp, "wb") as fh:
                fh.write(item.body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            lines.append(f"{hashlib.sha256(item.body).hexdigest()}  {name}\n")
        manifest = directory / "SHA256SUMS"
        with open(manifest, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        env.err(env.say(f"Export impossible : {exc}", f"Export failed: {exc}"))
        return EXIT_ENVIRONMENT
    env.out(
        env.say(
            f"{len(items)} document(s) exporté(s) dans {directory} (sommes dans SHA256SUMS)",
            f"{len(items)} document(s) exported to {directory} (checksums in SHA256SUMS)",
        )
    )
    return EXIT_OK


def _safe(item_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in item_id)[:120]


def run_import(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.sync.outbox import OutboxError

    outbox = outbox_for(env)
    files = sorted(p for p in args.directory.glob("*.json") if p.is_file())
    if not files:
        env.err(
            env.say(f"Aucun document dans {args.directory}", f"No document in {args.directory}")
        )
        return EXIT_PROBLEM
    added = already = refused = 0
    for path in files:
        try:
            result = outbox.add(_load_json(path))
        except (OSError, ValueError, OutboxError) as exc:
            refused += 1
            env.err(env.say(f"Refusé {path.name} : {exc}", f"Refused {path.name}: {exc}"))
            continue
        added += result.new
        already += not result.new
    env.out(
        env.say(
            f"Ajoutés : {added} ; déjà présents : {already} ; refusés : {refused}",
            f"Added: {added}; already there: {already}; refused: {refused}",
        )
    )
    return EXIT_PROBLEM if refused else EXIT_OK


def run_requeue(args: argparse.Namespace, env: Environment) -> int:
    outbox = outbox_for(env)
    rejected = outbox.items("rejected")
    for item in rejected:
        outbox.requeue(item.seq)
    env.out(
        env.say(
            f"{len(rejected)} document(s) remis en attente", f"{len(rejected)} document(s) requeued"
        )
    )
    return EXIT_OK
