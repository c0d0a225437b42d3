"""bench-agent sync: the outbox of signed evidence and its way to the central inventory
(the bench's :mod:`bench_agent.bench.sending`; this module reads options and prints)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import bench_paths
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.sync.outbox import Outbox
    from wipe.signing import BenchKey

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


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


def run_status(args: argparse.Namespace, env: Environment) -> int:
    outbox = _outbox(env)
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


def _outbox(env: Environment) -> Outbox:
    from bench_agent.bench import sending

    return sending.outbox(bench_paths(env))


def run_now(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import sending

    result = sending.send_now(
        bench_paths(env),
        env.environ,
        url=args.url,
        token_file=args.token_file,
        include_waiting=args.all,
    )
    if args.json:
        env.out(
            json.dumps(
                {**result.report.as_dict(), "counts": result.counts}, ensure_ascii=False, indent=2
            )
        )
    else:
        lines = result.lines()
        stopped = lines.pop() if result.report.stopped else None
        for line in lines:
            env.out(env.t(line))
        if stopped is not None:
            env.err(env.t(stopped))
    return EXIT_OK if result.ok else EXIT_PROBLEM


def _load_json(path: Path) -> Any:
    data = path.read_bytes()
    if len(data) > 8 << 20:
        raise ValueError(f"{len(data)} bytes: too large for a report or a certificate")
    return json.loads(data)


def run_add(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import erasure
    from bench_agent.sync.outbox import OutboxError

    paths = bench_paths(env)
    outbox = _outbox(env)
    key: BenchKey | None = None
    failures = 0
    for path in args.files:
        try:
            document = _load_json(path)
            if isinstance(document, dict) and set(document) == {"payload", "signature"}:
                envelope = document
            elif isinstance(document, dict) and isinstance(document.get("report_id"), str):
                key = key or erasure.bench_key(Path(args.key) if args.key else paths.key)
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
    from bench_agent.bench import sending

    try:
        token = args.token_file.read_text(encoding="utf-8").strip()
        sending.configure(bench_paths(env), args.url, token)
    except (OSError, ValueError) as exc:
        env.err(env.say(f"Configuration refusée : {exc}", f"Configuration refused: {exc}"))
        return EXIT_USAGE
    env.out(env.say(f"Service central : {args.url}", f"Central service: {args.url}"))
    return EXIT_OK


def run_export(args: argparse.Namespace, env: Environment) -> int:
    import hashlib

    from bench_agent.bench.files import write_atomic

    outbox = _outbox(env)
    items = outbox.items() if args.all else outbox.items("pending")
    directory: Path = args.directory
    try:
        lines = []
        for item in items:
            name = f"{item.kind}-{_safe(item.item_id)}.json"
            write_atomic(directory / name, item.body)
            lines.append(f"{hashlib.sha256(item.body).hexdigest()}  {name}\n")
        write_atomic(directory / "SHA256SUMS", "".join(lines).encode("utf-8"))
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

    outbox = _outbox(env)
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
    outbox = _outbox(env)
    rejected = outbox.items("rejected")
    for item in rejected:
        outbox.requeue(item.seq)
    env.out(
        env.say(
            f"{len(rejected)} document(s) remis en attente", f"{len(rejected)} document(s) requeued"
        )
    )
    return EXIT_OK
