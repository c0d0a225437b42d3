"""bench-agent grade: the unit's category with every rule that fired."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument
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
    )
    p.add_argument(
        "--report", type=Path, help=env.say("rapport d'unité JSON", "UnitReport JSON file")
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
        "--override", metavar="CAT", help=env.say("dérogation de catégorie", "category override")
    )
    p.add_argument(
        "--reason", default="", help=env.say("raison de la dérogation", "reason for the override")
    )
    p.add_argument(
        "--by", default="", help=env.say("auteur de la dérogation", "who decides the override")
    )
    p.add_argument("--json", action="store_true", help=env.say("sortie JSON", "JSON output"))
    p.add_argument(
        "--save",
        action="store_true",
        help=env.say(
            "enregistrer la catégorie (et la dérogation) dans le rapport --report",
            "store the grade (and any override) in the --report file",
        ),
    )
    p.set_defaults(handler=run_grade)


def _load_report(args: argparse.Namespace, env: Environment) -> UnitReport | int:
    import msgspec

    from bench_agent.model import from_json

    if args.report is not None:
        try:
            return from_json(args.report.read_bytes())
        except OSError as exc:
            env.err(
                env.say(
                    f"Rapport illisible : {args.report} ({exc.strerror})",
                    f"Report not readable: {args.report} ({exc.strerror})",
                )
            )
            return EXIT_ENVIRONMENT
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            env.err(
                env.say(
                    f"Rapport invalide : {args.report} : {exc}",
                    f"Invalid report: {args.report}: {exc}",
                )
            )
            return EXIT_ENVIRONMENT
    from bench_agent.host import open_host
    from bench_agent.inventory import collect_inventory
    from bench_agent.unit import build_report

    try:
        host = open_host(args.host_dir)
        return build_report(collect_inventory(host))
    except Exception as exc:  # a broken fixture or probe must reach the user as a message
        env.err(env.say(f"Inventaire impossible : {exc}", f"Inventory failed: {exc}"))
        return EXIT_ENVIRONMENT


def run_grade(args: argparse.Namespace, env: Environment) -> int:
    import msgspec

    from bench_agent.grading import (
        GradingInputError,
        ProfileError,
        TechnicianInput,
        apply_override,
        default_cpu_table,
        grade_unit,
        load_cosmetic_scale,
        load_cpu_table,
        load_needs,
        load_profile,
    )
    from bench_agent.unit import utc_now_iso

    if args.override is not None and (not args.reason.strip() or not args.by.strip()):
        env.err(
            env.say(
                "--override demande --reason (la raison) et --by (qui décide)",
                "--override needs --reason (why) and --by (who decides)",
            )
        )
        return EXIT_USAGE
    try:
        profile = load_profile(args.profile)
        table = load_cpu_table(args.cpu_table) if args.cpu_table else default_cpu_table()
        needs = load_needs()
        scale = load_cosmetic_scale()
    except ProfileError as exc:
        env.err(env.t(exc.text))
        return EXIT_USAGE if exc.field == "(profile)" else EXIT_ENVIRONMENT
    loaded = _load_report(args, env)
    if isinstance(loaded, int):
        return loaded
    try:
        grade = grade_unit(
            loaded,
            profile,
            table,
            needs=needs,
            technician=TechnicianInput(
                args.technical_note,
                args.aesthetic_note,
                # A cosmetic grade already in the report counts unless the command overrides it.
                args.cosmetic or loaded.cosmetic_grade,
            ),
            cosmetic_codes=[g.code for g in scale.grades],
        )
        if args.override is not None:
            grade = apply_override(
                grade, args.override.upper(), args.reason, args.by, utc_now_iso()
            )
    except GradingInputError as exc:
        env.err(env.t(exc.message))
        return EXIT_USAGE
    if args.save:
        saved = _save_grade(args, loaded, grade, env)
        if saved != EXIT_OK:
            return saved
    if args.json:
        env.out(msgspec.json.format(msgspec.json.encode(grade), indent=2).decode())
    else:
        print_grade(grade, env)
    return EXIT_PROBLEM if grade.category == "NOT_DISTRIBUTABLE" else EXIT_OK


def _save_grade(
    args: argparse.Namespace, report: UnitReport, grade: Grade, env: Environment
) -> int:
    """Write the report back with its grade, atomically (a crash never leaves half a file)."""
    import os
    from pathlib import Path

    from bench_agent.model import to_json

    if not args.report:
        env.err(env.say("--save demande --report FICHIER", "--save needs --report FILE"))
        return EXIT_USAGE
    report.grade = grade
    if grade.cosmetic:
        report.cosmetic_grade = grade.cosmetic
    path = Path(args.report)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(to_json(report) + b"\n")
        os.replace(tmp, path)
    except OSError as exc:
        env.err(env.say(f"Impossible d'écrire {path} : {exc}", f"Cannot write {path}: {exc}"))
        return EXIT_ENVIRONMENT
    return EXIT_OK


_NAMES = {
    "NOT_DISTRIBUTABLE": ("NON DISTRIBUABLE", "NOT DISTRIBUTABLE"),
    "PREMIUM": ("Premium", "Premium"),
}


def category_label(category: str, env: Environment) -> str:
    fr, en = _NAMES.get(category, (category, category))
    return env.say(fr, en)


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
