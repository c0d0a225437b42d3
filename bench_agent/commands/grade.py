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
        help=env._("catégorie de l'unité et son explication"),
        description=env._(
            "Catégorie de l'unité selon le profil du réseau, avec chaque règle appliquée, "
            "d'un rapport enregistré (--report), d'une machine enregistrée (--host-dir) ou de "
            "celle-ci. Code de sortie 1 si l'unité est NON DISTRIBUABLE ou À RÉPARER, 2 pour "
            "une erreur d'utilisation, 3 si le rapport ou la machine ne peut pas être lu."
        ),
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help=env._(
            "rapport d'unité JSON, simple ou signé (inventory --json, inventory --save, "
            "l'application)"
        ),
    )
    add_host_dir_argument(p, env)
    p.add_argument(
        "--profile",
        default="network-2024",
        help=env._("profil de catégorisation"),
    )
    p.add_argument(
        "--cpu-table",
        type=Path,
        help=env._("table CPU du réseau (CSV)"),
    )
    p.add_argument("--cosmetic", help=env._("grade esthétique (Z, A..E)"))
    p.add_argument("--technical-note", type=int, default=0, help=env._("note technique"))
    p.add_argument("--aesthetic-note", type=int, default=0, help=env._("note esthétique"))
    p.add_argument(
        "--override",
        metavar="CAT",
        help=env._(
            "dérogation de catégorie (D, C, B, A, PREMIUM, TO_REPAIR, NOT_DISTRIBUTABLE), "
            "avec --reason et --by"
        ),
    )
    p.add_argument(
        "--reason",
        default="",
        metavar="TEXT",
        help=env._("raison de la dérogation"),
    )
    p.add_argument(
        "--by",
        default="",
        metavar="NAME",
        help=env._("auteur de la dérogation"),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.add_argument(
        "--save",
        action="store_true",
        help=env._(
            "enregistrer la catégorie (et la dérogation) dans le rapport --report : un "
            "rapport signé reçoit une nouvelle révision signée (l'ancienne est gardée dans "
            "reports/revisions/ du banc, la nouvelle va en boîte d'envoi)"
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
        env.err(env._("Inventaire impossible : {exc}", exc=exc))
        return EXIT_ENVIRONMENT


def run_grade(args: argparse.Namespace, env: Environment) -> int:
    import msgspec

    from bench_agent.bench.flow import DISTRIBUTABLE
    from bench_agent.bench.service import Grading, utc_now

    if args.override is not None and (not args.reason.strip() or not args.by.strip()):
        env.err(env._("--override demande --reason (la raison) et --by (qui décide)"))
        return EXIT_USAGE
    if args.save and args.report is None:
        env.err(env._("--save demande --report FICHIER"))
        return EXIT_USAGE
    grading = Grading.load(args.profile, args.cpu_table, bench_paths(env))
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
            env._(
                "Rapport signé enregistré : {path} (révision {revision} ; "
                "la révision {before} est gardée)",
                path=saved.path,
                revision=saved.revision,
                before=before,
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
        env._(
            "Catégorie : {category}  (note {note}, profil {version})",
            category=category,
            note=grade.note,
            version=version,
        )
    )
    if grade.override is not None:
        o = grade.override
        computed = category_label(grade.computed_category, env)
        env.out(
            env._(
                "Dérogation : {category} au lieu de {computed}, par {by} le {at} : {reason}",
                category=category,
                computed=computed,
                by=o.by,
                at=o.at,
                reason=o.reason,
            )
        )
    env.out(env._("Règles appliquées :"))
    for hit in grade.rules:
        env.out(f"  {hit.contribution:+d}  {env.t(hit.message)}")
    env.out(f"  = {grade.note}")
    if grade.actions:
        env.out(env._("Actions nécessaires :"))
        for action in grade.actions:
            env.out(f"  - {env.t(action)}")
    if grade.cosmetic:
        env.out(env._("Esthétique : {cosmetic}", cosmetic=grade.cosmetic))
    suited = [env.t(m.name) for m in grade.needs if m.suitable]
    env.out(env._("Convient pour : ") + (", ".join(suited) if suited else env._("aucun besoin")))
