"""bench-agent health: a verdict per drive (OK / WORN / SUSPECT / FAIL / UNKNOWN) with reasons."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench_agent.commands._host import add_host_dir_argument, host_error, open_machine
from bench_agent.context import Environment

if TYPE_CHECKING:
    from bench_agent.model.health import DiskHealth


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "health",
        help=env._("santé des disques (SMART)"),
        description=env._(
            "Verdict de santé de chaque disque interne (ou des disques donnés) d'après smartctl, "
            "avec les raisons. Code de sortie 1 si un disque est HORS SERVICE."
        ),
    )
    p.add_argument("devices", nargs="*", metavar="DEVICE", help="/dev/sda, /dev/nvme0n1 ...")
    p.add_argument(
        "--from-file",
        metavar="FILE",
        action="append",
        default=[],
        help=env._("juger une sortie smartctl enregistrée (JSON ou texte)"),
    )
    p.add_argument(
        "--self-test",
        choices=["short", "extended"],
        help=env._("lancer l'autotest du disque et attendre son résultat (Ctrl-C l'annule)"),
    )
    p.add_argument(
        "--read-check",
        metavar="MIB",
        type=int,
        help=env._("lire MIB Mio répartis sur le disque (O_DIRECT, lecture seule)"),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.add_argument(
        "--policy",
        metavar="FILE",
        help=env._("politique de seuils (TOML, défaut profiles/health/default.toml)"),
    )
    add_host_dir_argument(p, env)
    p.set_defaults(handler=run_health)


def run_health(args: argparse.Namespace, env: Environment) -> int:
    from pathlib import Path

    from bench_agent.health import PolicyError, assess_output, check_all, load_policy
    from bench_agent.host import FixtureMissingError
    from bench_agent.summary import render_health

    if args.read_check is not None and args.read_check <= 0:
        env.err(env._("Erreur : --read-check attend un nombre de Mio > 0."))
        return 2
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        env.err(env._("Erreur dans la politique : {exc}", exc=exc))
        return 2
    results: list[DiskHealth] = []
    for name in args.from_file:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            env.err(
                env._(
                    "Erreur : lecture de {name} impossible ({strerror}).",
                    name=name,
                    strerror=exc.strerror,
                )
            )
            return 3
        results.append(assess_output(data, policy, name))
    if args.devices or not args.from_file:
        try:
            host = open_machine(env, args.host_dir)
            if args.host_dir is None and not host.is_root():
                env.err(
                    env._(
                        "Attention : sans les droits root, smartctl ne peut pas lire les disques."
                    )
                )
            checked = check_all(
                host,
                devices=args.devices or None,
                policy=policy,
                read_check_mib=args.read_check,
            )
        except (FixtureMissingError, FileNotFoundError, ValueError) as exc:
            env.err(host_error(exc, args.host_dir, env) or env._("Erreur : {exc}", exc=exc))
            return 3
        for health in checked:
            if args.self_test and health.verdict != "UNKNOWN":
                _self_test(host, health, args.self_test, policy, env)
            results.append(health)
    if args.json:
        from bench_agent.model import to_json

        env.out(to_json(results).decode("utf-8"))
    else:
        for health in results:
            for line in render_health(health, env._, env.lang):
                env.out(line)
        if not results:
            env.out(
                env._(
                    "Aucun disque interne trouvé (le support de démarrage et les disques USB "
                    "ou amovibles sont exclus : nommez-les pour les vérifier)."
                )
            )
    return 1 if any(h.verdict == "FAIL" for h in results) else 0


def _self_test(
    host: Any,
    health: DiskHealth,
    kind: str,
    policy: Any,
    env: Environment,
    *,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    import time

    from bench_agent.health.selftest import (
        SelfTestProgress,
        apply_self_test,
        not_recorded,
        run_self_test,
    )
    from bench_agent.host import FixtureMissingError

    cancelled = False
    real_sleep = sleep or time.sleep

    def interruptible_sleep(seconds: float) -> None:
        nonlocal cancelled
        try:
            real_sleep(seconds)
        except KeyboardInterrupt:
            cancelled = True  # the runner sends smartctl -X on its next turn
            env.err(env._("Annulation de l'autotest…"))

    def progress(p: SelfTestProgress) -> None:
        left = "?" if p.remaining_pct is None else f"{p.remaining_pct}"
        eta = "?" if p.remaining_s is None else f"{p.remaining_s / 60:.0f}"
        env.err(
            env._(
                "{device} : autotest {kind}, {left} % restant, environ {eta} min.",
                device=p.device,
                kind=kind,
                left=left,
                eta=eta,
            )
        )

    passthrough = health.device_type not in (None, "sat", "ata", "nvme", "scsi")
    try:
        result = run_self_test(
            host,
            health.device,
            "extended" if kind == "extended" else "short",
            device_type=health.device_type if passthrough else None,
            sleep=interruptible_sleep,
            clock=clock or time.monotonic,
            on_progress=progress,
            should_cancel=lambda: cancelled,
        )
    except FixtureMissingError:
        result = not_recorded("extended" if kind == "extended" else "short")
    apply_self_test(health, result, policy)
