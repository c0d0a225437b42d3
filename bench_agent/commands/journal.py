"""bench-agent journal verify: check the local, hash-chained erasure journal."""

from __future__ import annotations

import argparse
from typing import Any

from bench_agent.commands._host import bench_paths
from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "journal",
        help=env._("journal des effacements"),
        description=env._(
            "Journal local des effacements : chaque entrée est signée et chaînée à la précédente."
        ),
    )
    actions = p.add_subparsers(dest="journal_action", metavar="ACTION")
    v = actions.add_parser(
        "verify",
        help=env._("détecter modification, suppression, réordonnancement"),
    )
    v.add_argument("--journal", metavar="FILE", help=env._("fichier journal"))
    v.add_argument(
        "--key",
        metavar="FILE",
        help=env._(
            "clé du banc dont les entrées doivent porter la signature (défaut : celle du banc, "
            "si elle existe)"
        ),
    )
    v.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    v.set_defaults(handler=run_journal_verify)
    p.set_defaults(handler=lambda args, env: _usage(p, env))


def _usage(parser: argparse.ArgumentParser, env: Environment) -> int:
    env.err(parser.format_usage().rstrip())
    return 2


def run_journal_verify(args: argparse.Namespace, env: Environment) -> int:
    import json
    from pathlib import Path

    from wipe.journal import verify_journal

    paths = bench_paths(env)
    path = Path(args.journal) if args.journal else paths.journal
    if not path.exists():
        env.err(env._("Pas de journal : {path}", path=path))
        return 3
    from wipe.signing import BenchKey, SignatureError

    trusted: bytes | None = None
    key_file = Path(args.key) if args.key else paths.key
    if key_file.exists() or args.key:
        try:
            trusted = BenchKey.load(key_file).public_raw
        except (OSError, ValueError, SignatureError) as exc:
            env.err(env._("Clé du banc illisible : {exc}", exc=exc))
            return 3
    # With the bench's own key, a journal re-signed from end to end with another key
    # (everything consistent, wrong origin) is an alteration, not an intact journal.
    report = verify_journal(path, trusted)
    interrupted = report.interrupted_sessions()
    if args.json:
        env.out(
            json.dumps(
                {
                    "journal": str(path),
                    "valid": report.ok,
                    "origin_checked": trusted is not None,
                    "entries": report.entries,
                    "problems": report.problems,
                    "interrupted_sessions": [
                        i["start"]["data"].get("session_id") for i in interrupted
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        if report.ok:
            if trusted:
                line = env._(
                    "Journal INTACT : {entries} entrées ({path}) — signé par la clé de ce banc",
                    entries=report.entries,
                    path=path,
                )
            else:
                line = env._(
                    "Journal INTACT : {entries} entrées ({path}) — intégrité seulement",
                    entries=report.entries,
                    path=path,
                )
            env.out(line)
        else:
            env.out(env._("Journal ALTÉRÉ ({path}) :", path=path))
            for problem in report.problems:
                env.out(f"  - {problem}")
        for item in interrupted:
            device = (item["start"]["data"].get("device") or {}).get("device_path")
            env.out(
                env._(
                    "Session interrompue : {device} (commencée {time})",
                    device=device,
                    time=item["start"]["time"],
                )
            )
    return 0 if report.ok else 1
