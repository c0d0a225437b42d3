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
        help=env._("envoi à l'inventaire central"),
        description=env._(
            "Les rapports d'unité et certificats signés attendent dans la boîte d'envoi "
            "(sur disque) jusqu'à ce que l'inventaire central les ait : rien n'est perdu "
            "hors ligne, rien n'est stocké deux fois."
        ),
    )
    actions = p.add_subparsers(dest="sync_action", metavar="ACTION")

    st = actions.add_parser("status", help=env._("état de la boîte d'envoi"))
    st.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    st.set_defaults(handler=run_status)

    now = actions.add_parser("now", help=env._("envoyer maintenant"))
    now.add_argument("--url", help=env._("adresse du service central"))
    now.add_argument("--token-file", type=Path, help=env._("fichier du jeton du banc"))
    now.add_argument(
        "--all",
        action="store_true",
        help=env._("sans attendre le délai entre deux essais"),
    )
    now.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    now.set_defaults(handler=run_now)

    add = actions.add_parser(
        "add",
        help=env._("mettre des rapports ou certificats dans la boîte d'envoi"),
        description=env._(
            "Un document signé est ajouté tel quel (signature vérifiée) ; un rapport d'unité "
            "non signé (bench-agent inventory --json) est d'abord signé avec la clé du banc."
        ),
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--key", metavar="FILE", help=env._("clé du banc"))
    add.set_defaults(handler=run_add)

    configure = actions.add_parser(
        "configure",
        help=env._("adresse et jeton du service central"),
    )
    configure.add_argument("--url", required=True)
    configure.add_argument(
        "--token-file",
        type=Path,
        required=True,
        help=env._("fichier contenant le jeton (copié, droits 0600)"),
    )
    configure.set_defaults(handler=run_configure)

    export = actions.add_parser(
        "export",
        help=env._("copier les envois en attente vers un dossier (clé USB)"),
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    export.add_argument("--all", action="store_true", help=env._("aussi les déjà envoyés"))
    export.set_defaults(handler=run_export)

    imp = actions.add_parser(
        "import",
        help=env._("reprendre les documents d'un dossier exporté"),
    )
    imp.add_argument("directory", type=Path, metavar="DIR")
    imp.set_defaults(handler=run_import)

    requeue = actions.add_parser(
        "retry-rejected",
        help=env._("renvoyer les documents refusés (après correction côté serveur)"),
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
        env._(
            "Boîte d'envoi {path} : {pending} en attente, {sent} envoyé(s), {rejected} refusé(s)",
            path=outbox.path,
            pending=counts["pending"],
            sent=counts["sent"],
            rejected=counts["rejected"],
        )
    )
    for item in waiting:
        last = f" — {item.last_error}" if item.last_error else ""
        pending = env._("attente")
        env.out(f"  {pending}  {item.kind} {item.item_id}{last}")
    for item in rejected:
        refused = env._("REFUSÉ")
        env.out(f"  {refused}  {item.kind} {item.item_id} — {item.last_error}")
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
                {
                    **result.report.as_dict(),
                    "counts": result.counts,
                    "trust_problem": env.t(result.trust_problem) if result.trust_problem else None,
                },
                ensure_ascii=False,
                indent=2,
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
            env.err(env._("Refusé {path} : {exc}", path=path, exc=exc))
            continue
        env.out(
            env._(
                "{path} : {kind} {item_id} ajouté",
                path=path,
                kind=added.kind,
                item_id=added.item_id,
            )
            if added.new
            else env._(
                "{path} : {kind} {item_id} déjà dans la boîte d'envoi",
                path=path,
                kind=added.kind,
                item_id=added.item_id,
            )
        )
    return EXIT_PROBLEM if failures else EXIT_OK


def run_configure(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.bench import sending

    try:
        token = args.token_file.read_text(encoding="utf-8").strip()
        sending.configure(bench_paths(env), args.url, token)
    except (OSError, ValueError) as exc:
        env.err(env._("Configuration refusée : {exc}", exc=exc))
        return EXIT_USAGE
    env.out(env._("Service central : {url}", url=args.url))
    # First contact: the network key and this bench's key statement (best effort: the
    # next sync fetches them again).
    from bench_agent.sync.central import CentralConfig

    paths = bench_paths(env)
    problem = sending.refresh_trust(paths, CentralConfig(url=args.url, token=token))
    if problem is not None:
        env.err(env.t(problem))
    else:
        env.out(env._("Clé du réseau enregistrée : {path}", path=paths.network_key))
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
        env.err(env._("Export impossible : {exc}", exc=exc))
        return EXIT_ENVIRONMENT
    env.out(
        env._(
            "{n_items} document(s) exporté(s) dans {directory} (sommes dans SHA256SUMS)",
            n_items=len(items),
            directory=directory,
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
        env.err(env._("Aucun document dans {directory}", directory=args.directory))
        return EXIT_PROBLEM
    added = already = refused = 0
    for path in files:
        try:
            result = outbox.add(_load_json(path))
        except (OSError, ValueError, OutboxError) as exc:
            refused += 1
            env.err(env._("Refusé {name} : {exc}", name=path.name, exc=exc))
            continue
        added += result.new
        already += not result.new
    env.out(
        env._(
            "Ajoutés : {added} ; déjà présents : {already} ; refusés : {refused}",
            added=added,
            already=already,
            refused=refused,
        )
    )
    return EXIT_PROBLEM if refused else EXIT_OK


def run_requeue(args: argparse.Namespace, env: Environment) -> int:
    outbox = _outbox(env)
    rejected = outbox.items("rejected")
    for item in rejected:
        outbox.requeue(item.seq)
    env.out(env._("{n_rejected} document(s) remis en attente", n_rejected=len(rejected)))
    return EXIT_OK
