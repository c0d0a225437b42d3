"""bench-agent inventory: what this machine (or a recorded one) is."""

from __future__ import annotations

import argparse
from typing import Any

from bench_agent.commands._host import add_host_dir_argument, host_error
from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "inventory",
        help=env.say("inventaire du matériel", "hardware inventory"),
        description=env.say(
            "Inventaire complet de la machine : identité, processeur, mémoire, disques, "
            "batterie, écran, périphériques, micrologiciel, compatibilité Windows 11.",
            "Full inventory of the machine: identity, CPU, memory, disks, battery, display, "
            "devices, firmware, Windows 11 readiness.",
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=env.say(
            "afficher le rapport d'unité (UnitReport) en JSON", "print the UnitReport as JSON"
        ),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--asset-tag",
        metavar="ID",
        help=env.say("identifiant du reconditionneur (idEsn)", "reconditioner's id (idEsn)"),
    )
    p.add_argument(
        "--health",
        action="store_true",
        help=env.say(
            "ajouter la santé SMART de chaque disque interne (bench-agent health)",
            "add the SMART health of every internal disk (bench-agent health)",
        ),
    )
    p.add_argument(
        "--save",
        action="store_true",
        help=env.say(
            "signer le rapport avec la clé du banc, l'écrire dans $BENCH_AGENT_HOME/reports/ "
            "et le mettre en boîte d'envoi (bench-agent sync)",
            "sign the report with the bench key, write it to $BENCH_AGENT_HOME/reports/ and "
            "put it in the outbox (bench-agent sync)",
        ),
    )
    p.set_defaults(handler=run_inventory)


def run_inventory(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.host import open_host
    from bench_agent.inventory import collect_inventory
    from bench_agent.model import to_json
    from bench_agent.summary import render_inventory
    from bench_agent.unit import build_report

    health = []
    try:
        host = open_host(args.host_dir)
        inv = collect_inventory(host)
        if getattr(args, "health", False):
            from bench_agent.health import check_all

            health = check_all(host)
    except (LookupError, OSError, ValueError) as exc:  # FixtureMissingError is a LookupError
        message = host_error(exc, args.host_dir, env)
        if message is None:
            raise
        env.err(message)
        return 3
    report = build_report(inv, asset_tag=getattr(args, "asset_tag", None))
    report.health = health
    if getattr(args, "save", False):
        code = save_report(report, env)
        if code:
            return code
    if getattr(args, "json", False):
        env.out(to_json(report).decode("utf-8"))
    else:
        for line in render_inventory(inv, env.say, env.lang):
            env.out(line)
        if health:
            from bench_agent.commands.health import render

            env.out(env.say("Santé des disques :", "Disk health:"))
            for disk_health in health:
                for line in render(disk_health, env):
                    env.out("  " + line)
    return 0


def save_report(report: Any, env: Environment) -> int:
    """Sign, write (atomically, fsynced) and put in the outbox; 0 or an exit code."""
    import json
    import os

    from bench_agent.commands.erase import bench_home, key_path
    from bench_agent.commands.sync import enqueue_quietly
    from bench_agent.model import to_json
    from wipe.signing import BenchKey, SignatureError

    try:
        key = BenchKey.load_or_create(key_path(env))
        envelope = key.sign(json.loads(to_json(report)))
        folder = bench_home(env) / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{report.report_id}.json"
        tmp = folder / f".{report.report_id}.json.part"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(envelope, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except (OSError, ValueError, SignatureError) as exc:
        env.err(env.say(f"Rapport non enregistré : {exc}", f"Report not saved: {exc}"))
        return 3
    problem = enqueue_quietly(env, envelope)
    if problem:
        env.err(
            env.say(
                f"Rapport enregistré ({path}) mais pas mis en boîte d'envoi : {problem}",
                f"Report saved ({path}) but not put in the outbox: {problem}",
            )
        )
        return 1
    env.err(
        env.say(
            f"Rapport signé enregistré : {path} (en boîte d'envoi)",
            f"Signed report saved: {path} (in the outbox)",
        )
    )
    return 0
