"""bench-agent profiles list | show NAME | check FILE."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "profiles",
        help=env.say("profils de catégorisation et besoins", "grading profiles and needs"),
    )
    actions = p.add_subparsers(dest="profiles_action", metavar="ACTION", required=True)
    actions.add_parser(
        "list", help=env.say("lister les profils", "list the profiles")
    ).set_defaults(handler=run_list)
    show = actions.add_parser(
        "show", help=env.say("afficher un profil résolu", "show a resolved profile")
    )
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)
    check = actions.add_parser("check", help=env.say("valider un fichier", "validate a file"))
    check.add_argument("file", type=Path)
    check.set_defaults(handler=run_check)


def run_list(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.grading import ProfileError, load_needs, load_profile
    from bench_agent.grading.profile import list_profiles

    status = 0
    env.out(env.say("Profils de catégorisation :", "Grading profiles:"))
    for path in list_profiles():
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            env.out(f"  {path.stem}  !! {env.t(exc.text)}")
            status = 1
            continue
        spec = profile.spec
        parent = (
            env.say(f", hérite de {spec.extends}", f", extends {spec.extends}")
            if spec.extends
            else ""
        )
        since = env.say("depuis", "from")
        env.out(f"  {spec.name}  {spec.version}  ({since} {spec.valid_from}{parent})")
        env.out(f"      {env.say(spec.description_fr, spec.description_en)}")
    env.out(env.say("Besoins des bénéficiaires :", "Beneficiary needs:"))
    try:
        for need in load_needs():
            env.out(f"  {need.id}  {env.say(need.name_fr, need.name_en)}")
    except ProfileError as exc:
        env.out(f"  !! {env.t(exc.text)}")
        status = 1
    return status


def run_show(args: argparse.Namespace, env: Environment) -> int:
    import msgspec

    from bench_agent.grading import ProfileError, load_profile

    try:
        profile = load_profile(args.name)
    except ProfileError as exc:
        env.err(env.t(exc.text))
        return 2
    if args.json:
        env.out(msgspec.json.format(msgspec.json.encode(profile.spec), indent=2).decode())
        return 0
    spec = profile.spec
    env.out(f"{spec.name} {spec.version} ({env.say('depuis', 'from')} {spec.valid_from})")
    env.out(env.say("Fichiers : ", "Files: ") + " ← ".join(profile.chain))
    env.out(env.say("Critères (seuil → note) :", "Criteria (threshold → note):"))
    for key in ("ram", "ssd", "hdd", "cpu", "screen", "battery"):
        crit = profile.criterion(key)
        if crit is None:
            continue
        steps = ", ".join(
            f"< {t:g} → {n}" for t, n in zip(crit.thresholds, crit.notes, strict=False)
        )
        tol = (
            f"  ({env.say('tolérance', 'tolerance')} {crit.tolerance_pct:g} %)"
            if crit.tolerance_pct
            else ""
        )
        env.out(f"  {key}: {steps}, {env.say('sinon', 'else')} {crit.notes[-1]}{tol}")
    env.out(env.say("Modificateurs :", "Modifiers:"))
    for name, mod in spec.modifiers.items():
        if mod.enabled:
            env.out(f"  {name}: {mod.delta:+d}  {env.say(mod.label_fr, mod.label_en)}")
    env.out(env.say("Plafonds :", "Caps:"))
    for name, cap in spec.caps.items():
        if cap.enabled:
            env.out(f"  {name}: {env.say(cap.label_fr, cap.label_en)}")
    env.out(env.say("Tranches :", "Bands:"))
    for band in spec.bands:
        upper = f"{band.max}" if band.max is not None else "…"
        env.out(f"  {band.min}–{upper} → {band.category}")
    return 0


def run_check(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.grading import ProfileError, load_profile
    from bench_agent.grading.profile import load_cosmetic_scale, load_need

    path: Path = args.file
    try:
        if path.suffix == ".csv":
            from bench_agent.grading import load_cpu_table

            table = load_cpu_table(path)
            env.out(
                env.say(
                    f"OK : {path} ({len(table.entries)} CPU, {len(table.skipped)} lignes ignorées)",
                    f"OK: {path} ({len(table.entries)} CPUs, {len(table.skipped)} rows skipped)",
                )
            )
            for line, why in table.skipped[:20]:
                env.out(f"  {path}:{line}: {why}")
            return 0
        folder = path.resolve().parent.name
        if folder == "needs":
            load_need(path)
        elif folder == "cosmetic":
            load_cosmetic_scale(path)
        else:
            load_profile(path)
    except ProfileError as exc:
        env.err(env.t(exc.text))
        return 1
    env.out(env.say(f"OK : {path}", f"OK: {path}"))
    return 0
