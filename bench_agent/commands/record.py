"""bench-agent record DIR: capture this machine as a recorded host (a test fixture)."""

from __future__ import annotations

import argparse
from typing import Any

from bench_agent.commands._host import this_machine
from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "record",
        help=env._("enregistrer cette machine comme machine rejouable"),
        description=env._(
            "Lance l'inventaire en enregistrant exactement les fichiers lus et les sorties des "
            "commandes, dans DIR. `bench-agent inventory --host-dir DIR` rejoue ensuite la "
            "machine à l'identique : un nouveau modèle de portable devient un cas de test."
        ),
    )
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--description", default="", help=env._("description libre"))
    p.add_argument(
        "--with-health",
        action="store_true",
        help=env._("enregistrer aussi les sorties SMART"),
    )
    p.add_argument(
        "--with-functional",
        action="store_true",
        help=env._(
            "enregistrer aussi ce que lisent les tests fonctionnels automatiques "
            "(réseau, chargeur, Wi-Fi, webcam, batterie)"
        ),
    )
    p.set_defaults(handler=run_record)


def run_record(args: argparse.Namespace, env: Environment) -> int:
    from pathlib import Path

    from bench_agent.host.base import Recording
    from bench_agent.host.recorded import write_recording
    from bench_agent.inventory import collect_inventory

    out = Path(args.dir)
    if out.exists() and any(out.iterdir()):
        env.err(env._("Erreur : {out} existe et n'est pas vide.", out=out))
        return 2
    recording = Recording()
    host = this_machine(env, recording)
    inv = collect_inventory(host)
    if args.with_health:
        from bench_agent.health import check_all

        check_all(host)
    if args.with_functional:
        from bench_agent.functional import load_functional_profile, run_automatic

        run_automatic(host, load_functional_profile())
    write_recording(recording, out, args.description or (inv.identity.model or ""))
    env.out(
        env._(
            "Machine enregistrée dans {out} : {n_files} fichiers, {n_commands} commandes.",
            out=out,
            n_files=len(recording.files),
            n_commands=len(recording.commands),
        )
    )
    return 0
