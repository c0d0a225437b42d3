"""bench-agent record DIR: capture this machine as a recorded host (a test fixture)."""

from __future__ import annotations

import argparse
from typing import Any

from bench_agent.commands._host import this_machine
from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "record",
        help=env.say(
            "enregistrer cette machine comme machine rejouable",
            "capture this machine as a replayable host",
        ),
        description=env.say(
            "Lance l'inventaire en enregistrant exactement les fichiers lus et les sorties des "
            "commandes, dans DIR. `bench-agent inventory --host-dir DIR` rejoue ensuite la "
            "machine à l'identique : un nouveau modèle de portable devient un cas de test.",
            "Runs the inventory while recording exactly the files read and the command "
            "outputs, into DIR. `bench-agent inventory --host-dir DIR` then replays the "
            "machine: a new laptop model becomes a test fixture.",
        ),
    )
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--description", default="", help=env.say("description libre", "free text"))
    p.add_argument(
        "--with-health",
        action="store_true",
        help=env.say("enregistrer aussi les sorties SMART", "also record the SMART outputs"),
    )
    p.add_argument(
        "--with-functional",
        action="store_true",
        help=env.say(
            "enregistrer aussi ce que lisent les tests fonctionnels automatiques "
            "(réseau, chargeur, Wi-Fi, webcam, batterie)",
            "also record what the automatic functional tests read "
            "(network, charger, Wi-Fi, webcam, battery)",
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
        env.err(
            env.say(
                f"Erreur : {out} existe et n'est pas vide.",
                f"Error: {out} exists and is not empty.",
            )
        )
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
        env.say(
            f"Machine enregistrée dans {out} : {len(recording.files)} fichiers, "
            f"{len(recording.commands)} commandes.",
            f"Machine recorded in {out}: {len(recording.files)} files, "
            f"{len(recording.commands)} commands.",
        )
    )
    return 0
