"""bench-agent inventory: what this machine (or a recorded one) is."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument, bench_paths, host_error, open_machine
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.model.report import UnitReport


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "inventory",
        help=env._("inventaire du matériel"),
        description=env._(
            "Inventaire complet de la machine : identité, processeur, mémoire, disques, "
            "batterie, écran, périphériques, micrologiciel, compatibilité Windows 11."
        ),
    )
    p.add_argument(
        "--json",
        action="store_true",
        help=env._("afficher le rapport d'unité (UnitReport) en JSON"),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--asset-tag",
        metavar="ID",
        help=env._("identifiant du reconditionneur (idEsn)"),
    )
    p.add_argument(
        "--health",
        action="store_true",
        help=env._("ajouter la santé SMART de chaque disque interne (bench-agent health)"),
    )
    p.add_argument(
        "--save",
        action="store_true",
        help=env._(
            "signer le rapport avec la clé du banc (révision 1), l'écrire dans "
            "$BENCH_AGENT_HOME/reports/ et le mettre en boîte d'envoi (bench-agent sync) ; "
            "grade --save et erase --report en écrivent les révisions suivantes"
        ),
    )
    p.set_defaults(handler=run_inventory)


def run_inventory(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.inventory import collect_inventory
    from bench_agent.model import to_json
    from bench_agent.summary import render_health, render_inventory
    from bench_agent.unit import build_report

    health = []
    try:
        host = open_machine(env, args.host_dir)
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
        for line in render_inventory(inv, env._, env.lang):
            env.out(line)
        if health:
            env.out(env._("Santé des disques :"))
            for disk_health in health:
                for line in render_health(disk_health, env._, env.lang):
                    env.out("  " + line)
    return 0


def save_report(report: UnitReport, env: Environment) -> int:
    """Revision 1 of the unit's report, signed and written by the bench's one writer
    (:func:`bench_agent.bench.reports.save_revision`) and put in the outbox; 0 or 1."""
    from bench_agent.bench.reports import save_revision

    report.revision = 1
    saved = save_revision(bench_paths(env), report)
    if saved.outbox_problem is not None:
        env.err(
            env._("Rapport signé enregistré : {path} — ", path=saved.path)
            + env.t(saved.outbox_problem)
        )
        return 1
    env.err(env._("Rapport signé enregistré : {path} (en boîte d'envoi)", path=saved.path))
    return 0
