"""The ``bench-agent`` command line.

Every step of the bench is a subcommand, for scripts, erasure stations and
tests. Subcommands live in :mod:`bench_agent.commands`, one module each with a
``register(subparsers, env)`` function; handlers import their heavy
dependencies lazily so ``bench-agent inventory`` stays fast.

Exit codes: 0 success; 1 the command ran and found a problem (a failed disk,
a failed erasure, an invalid certificate); 2 usage error; 3 the environment
stopped it (missing tool, permission, broken fixture).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable, Sequence

from bench_agent import __version__
from bench_agent.context import Environment

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3

Handler = Callable[[argparse.Namespace, Environment], int]


def build_parser(env: Environment) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench-agent",
        description=env.say(
            "Banc de reconditionnement : inventaire, santé des disques, effacement certifié, "
            "catégorie, étiquette, synchronisation. Sans sous-commande : l'application du banc.",
            "Refurbishing bench: inventory, disk health, certified erasure, grading, label, "
            "sync. Without a subcommand: the bench app.",
        ),
    )
    parser.add_argument("--version", action="version", version=f"bench-agent {__version__}")
    parser.add_argument(
        "--lang", choices=["fr", "en"], help=env.say("langue des messages", "message language")
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import bench_agent.commands as commands_pkg

    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench_agent.commands.{info.name}")
        module.register(sub, env)
    return parser


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    parser = build_parser(env)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.lang:
        env.lang = args.lang
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        from bench_agent.commands import _app

        return _app.run_app(args, env)
    try:
        return handler(args, env)
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: not an error of ours.
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
