"""bench-agent grade: the unit's category with every rule that fired.

Grading is the bench's (:class:`bench_agent.bench.service.Grading`, the app's too); a
saved report is read plain or signed, and ``--save`` on a signed one writes its next
signed revision (:mod:`bench_agent.bench.reports`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument, bench_paths, open_machine
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.model.grade import Grade
    from bench_agent.model.report import UnitReport

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "grade",
        help=env.say(
            "catégorie de l'unité et son explication", "the unit's category and its explanation"
        ),
        description=env.say(
            "Catégorie de l'unité selon le profil du réseau, avec chaque règle appliquée, "
            "d'un rapport enregistré (--report), d'une machine enregistrée (--host-dir) ou de "
            "celle-ci. Code de sortie 1 si l'unité est NON DISTRIBUABLE ou À RÉPARER, 2 pour "
            "une erreur d'utilisation, 3 si le rapport ou la machine ne peut pas être lu.",
            "The unit's category per the network's profile, with every rule applied, from a "
            "saved report (--report), a recorded machine (--host-dir) or this one. Exit "
            "status 1 when the unit is NOT DISTRIBUTABLE or TO REPAIR, 2 on a usage error, "
            "3 when the report or the machine cannot be read.",
        ),
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help=env.say(
            "rapport d'unité JSON, simple ou signé (inventory --json, inventory --save, "
            "l'application)",
            "UnitReport JSON, plain or signed (inventory --json, inventory --save, the app)",
        ),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--profile",
        default="network-2024",
        help=env.say("profil de catégorisation", "grading profile"),
    )
    p.add_argument(
        "--cpu-table",
        type=Path,
        help=env.say("table CPU du réseau (CSV)", "network CPU table (CSV)"),
    )
    p.add_argument(
        "--cosmetic", help=env.say("grade esthétique (Z, A..E)", "cosmetic grade (Z, A..E)")
    )
    p.add_argument(
        "--technical-note", type=int, default=0, help=env.say("note technique", "technical note")
    )
    p.add_argument(
        "--aesthetic-note", type=int, default=0, help=env.say("note esthétique", "aesthetic note")
    )
    p.add_argument(
        "--override",
        metavar="CAT",
        help=env.say(
            "dérogation de catégorie (D, C, B, A, PREMIUM, TO_REPAIR, NOT_DISTRIBUTABLE), "
            "avec --reason et --by",
            "category override (D, C, B, A, PREMIUM, TO_REPAIR, NOT_DISTRIBUTABLE), "
            "with --reason and --by",
        ),
    )
    p.add_argument(
        "--reason",
        default="",
        metavar="TEXT",
        help=env.say("raison de la dérogation", "reason for the override"),
    )
    p.add_argument(
        "--by",
        default="",
        metavar="NAME",
        help=env.say("auteur de la dérogation", "who decides the override"),
    )
    p.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    p.add_argument(
        "--save",
        action="store_true",
        help=env.say(
            "enregistrer la catégorie (et la dérogation) dans le rapport --report : un "
            "rapport signé reçoit une nouvelle révision signée (l'ancienne est gardée dans "
            "reports/revisions/ du banc, la nouvelle va en boîte d'envoi)",
            "store the grade (and any override) in the --report file: a signed report gets "
            "a new signed revision (the old one is kept in the bench's reports/revisions/, "
            "the new one goes to the outbox)",
        ),
    )
    p.set_defaults(handler=run_grade)


def _load_report(args: argparse.Namespace, env: Environment) -> UnitReport | int:
    from bench_agent.bench.reports import load_report_file

    if args.report is not None:
        return load_report_file(args.report).report
    from bench_agent.inventory import collect_inventory
    from bench_agent.unit import build_report

    try:
        host = open_machine(env, args.host_dir)
        return build_report(collect_inventory(host))
    except Exception as exc:  # a broken fixture or probe must reach the user as a message
        env.err(env.say(f"Inventaire impossible : {exc}", f"Inventory failed: {exc}"))
        return EXIT_ENVIRONMENT


def run_grade(args: argparse.Namespace, env: Environment) -> int:
    import msgspec

    from bench_agent.bench.flow import DISTRIBUTABLE
    from bench_agent.bench.service import Grading, utc_now

    if args.override is not None and (not args.reason.strip() or not args.by.strip()):
        env.err(
            env.say(
                "--override demande --reason (la raison) et --by (qui décide)",
                "--override needs --reason (why) and --by (who decides)",
            )
        )
        return EXIT_USAGE
    if args.save and args.report is None:
        env.err(env.say("--save demande --report FICHIER", "--save needs --report FILE"))
        return EXIT_USAGE
    grading = Grading.load(args.profile, args.cpu_table)
    loaded = _load_report(args, env)
    if isinstance(loaded, int):
        return loaded
    report = loaded
    if args.cosmetic:
        # A cosmetic grade already in the report counts unless the command gives one.
        report.cosmetic_grade = args.cosmetic
    grade = grading.grade(report, technical=args.technical_note, aesthetic=args.aesthetic_note)
    if args.override is not None:
        grade = grading.apply_override(
            grade, args.override.upper(), args.reason, args.by, utc_now()
        )
    if args.save:
        _save_grade(args.report, report, grade, utc_now(), env)
    if args.json:
        env.out(msgspec.json.format(msgspec.json.encode(grade), indent=2).decode())
    else:
        print_grade(grade, env)
    return EXIT_OK if grade.category in DISTRIBUTABLE else EXIT_PROBLEM


def _save_grade(path: Path, report: UnitReport, grade: Grade, now: str, env: Environment) -> None:
    """The report with its grade: a signed report's next revision (re-signed, the old
    one kept, the new one in the outbox), or a plain report updated in place."""
    from bench_agent.bench.reports import save_report_file

    report.grade = grade
    if grade.cosmetic:
        report.cosmetic_grade = grade.cosmetic
    before = report.revision
    report.created_at = now
    saved = save_report_file(bench_paths(env), path, report)
    if saved.signed:
        env.err(
            env.say(
                f"Rapport signé enregistré : {saved.path} (révision {saved.revision} ; "
                f"la révision {before} est gardée)",
                f"Signed report saved: {saved.path} (revision {saved.revision}; "
                f"revision {before} is kept)",
            )
        )
        if saved.outbox_problem is not None:
            env.err(env.t(saved.outbox_problem))


def category_label(category: str, env: Environment) -> str:
    from bench_agent.bench.flow import category_text

    return env.t(category_text(category))


def print_grade(grade: Grade, env: Environment) -> None:
    category = category_label(grade.category, env)
    version = f"{grade.profile} {grade.profile_version}"
    env.out(
        env.say(
            f"Catégorie : {category}  (note {grade.note}, profil {version})",
            f"Category: {category}  (note {grade.note}, profile {version})",
        )
    )
    if grade.override is not None:
        o = grade.override
        computed = category_label(grade.computed_category, env)
        env.out(
            env.say(
                f"Dérogation : {category} au lieu de {computed}, par {o.by} le {o.at} : {o.reason}",
                f"Override: {category} instead of {computed}, by {o.by} at {o.at}: {o.reason}",
            )
        )
    env.out(env.say("Règles appliquées :", "Rules applied:"))
    for hit in grade.rules:
        env.out(f"  {hit.contribution:+d}  {env.t(hit.message)}")
    env.out(f"  = {grade.note}")
    if grade.actions:
        env.out(env.say("Actions nécessaires :", "Actions required:"))
        for action in grade.actions:
            env.out(f"  - {env.t(action)}")
    if grade.cosmetic:
        env.out(env.say(f"Esthétique : {grade.cosmetic}", f"Cosmetic: {grade.cosmetic}"))
    suited = [env.t(m.name) for m in grade.needs if m.suitable]
    env.out(
        env.say("Convient pour : ", "Suits: ")
        + (", ".join(suited) if suited else env.say("aucun besoin", "no need"))
    )
