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
    if getattr(args, "json", False):
        report = build_report(inv, asset_tag=getattr(args, "asset_tag", None))
        report.health = health
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
