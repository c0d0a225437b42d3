"""bench-agent profiles list | show NAME | check FILE."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench_agent.context import Environment
from bench_agent.model.common import Text


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "profiles",
        help=env._("profils de catégorisation et besoins"),
    )
    actions = p.add_subparsers(dest="profiles_action", metavar="ACTION", required=True)
    actions.add_parser("list", help=env._("lister les profils")).set_defaults(handler=run_list)
    show = actions.add_parser("show", help=env._("afficher un profil résolu"))
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)
    check = actions.add_parser("check", help=env._("valider un fichier"))
    check.add_argument("file", type=Path)
    check.set_defaults(handler=run_check)


def run_list(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.grading import ProfileError, load_needs, load_profile
    from bench_agent.grading.profile import list_profiles

    status = 0
    env.out(env._("Profils de catégorisation :"))
    for path in list_profiles():
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            env.out(f"  {path.stem}  !! {env.t(exc.text)}")
            status = 1
            continue
        spec = profile.spec
        parent = env._(", hérite de {extends}", extends=spec.extends) if spec.extends else ""
        since = env._("depuis")
        env.out(f"  {spec.name}  {spec.version}  ({since} {spec.valid_from}{parent})")
        env.out(f"      {env.t(Text(fr=spec.description_fr, en=spec.description_en))}")
    env.out(env._("Besoins des bénéficiaires :"))
    try:
        for need in load_needs():
            env.out(f"  {need.id}  {env.t(Text(fr=need.name_fr, en=need.name_en))}")
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
    env.out(
        env._(
            "{name} {version} (depuis {valid_from})",
            name=spec.name,
            version=spec.version,
            valid_from=spec.valid_from,
        )
    )
    env.out(env._("Fichiers : ") + " ← ".join(profile.chain))
    env.out(env._("Critères (seuil → note) :"))
    for key in ("ram", "ssd", "hdd", "cpu", "screen", "battery"):
        crit = profile.criterion(key)
        if crit is None:
            continue
        steps = ", ".join(
            f"< {t:g} → {n}" for t, n in zip(crit.thresholds, crit.notes, strict=False)
        )
        tol = (
            env._("  (tolérance {tolerance_pct:g} %)", tolerance_pct=crit.tolerance_pct)
            if crit.tolerance_pct
            else ""
        )
        otherwise = env._("sinon")
        env.out(f"  {key}: {steps}, {otherwise} {crit.notes[-1]}{tol}")
    env.out(env._("Modificateurs :"))
    for name, mod in spec.modifiers.items():
        if mod.enabled:
            env.out(f"  {name}: {mod.delta:+d}  {env.t(Text(fr=mod.label_fr, en=mod.label_en))}")
    env.out(env._("Plafonds :"))
    for name, cap in spec.caps.items():
        if cap.enabled:
            env.out(f"  {name}: {env.t(Text(fr=cap.label_fr, en=cap.label_en))}")
    env.out(env._("Tranches :"))
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
                env._(
                    "OK : {path} ({n_entries} CPU, {n_skipped} lignes ignorées)",
                    path=path,
                    n_entries=len(table.entries),
                    n_skipped=len(table.skipped),
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
    env.out(env._("OK : {path}", path=path))
    return 0
