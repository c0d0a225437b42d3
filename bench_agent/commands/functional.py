"""bench-agent functional: the automatic functional tests (Ethernet, charger, Wi-Fi,
webcam, battery) with pass / fail / n/a and the reason of each."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench_agent.commands._host import add_host_dir_argument, host_error, open_machine
from bench_agent.context import Environment
from bench_agent.i18n import C_

RESULT_LABEL = {
    "pass": C_("test", "OK"),
    "fail": C_("test", "ÉCHEC"),
    "n/a": C_("test", "S.O."),
}


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "functional",
        help=env._("tests fonctionnels automatiques"),
        description=env._(
            "Tests fonctionnels automatiques (Ethernet, chargeur, Wi-Fi, webcam, batterie). "
            "Code de sortie 1 si un test échoue, 3 si la machine ne peut pas être lue. "
            "Clavier, écran, son, micro et USB se testent dans l'application (étape 7)."
        ),
    )
    p.add_argument("--json", action="store_true", help=env._("sortie JSON"))
    p.add_argument(
        "--profile",
        metavar="FILE",
        help=env._("seuils (TOML, défaut profiles/functional/default.toml)"),
    )
    add_host_dir_argument(p, env)
    p.set_defaults(handler=run_functional)


def run_functional(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.functional import load_functional_profile, run_automatic, spec
    from bench_agent.grading.toml_source import ProfileError

    try:
        profile = load_functional_profile(args.profile)
    except ProfileError as exc:
        env.err(env._("Erreur dans le profil : ") + env.t(exc.text))
        return 2
    try:
        host = open_machine(env, args.host_dir)
        outcomes = run_automatic(host, profile)
    except (OSError, ValueError, LookupError) as exc:
        text = host_error(exc, args.host_dir, env)
        if text is None:
            raise
        env.err(text)
        return 3
    if args.json:
        payload = [
            {
                "name": o.name,
                "result": o.result,
                "reason": {"fr": o.reason.fr, "en": o.reason.en},
                "data": o.data,
            }
            for o in outcomes
        ]
        env.out(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for o in outcomes:
            label = env._(RESULT_LABEL[o.result])
            title = env.t(spec(o.name).title)
            env.out(f"{label:<6} {title:<26} {env.t(o.reason)}")
    return 1 if any(o.result == "fail" for o in outcomes) else 0
