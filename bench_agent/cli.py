"""The ``bench-agent`` command line.

Every step of the bench is a subcommand, for scripts, erasure stations and
tests. Subcommands live in :mod:`bench_agent.commands`, one module each with a
``register(subparsers, env)`` function; handlers import their heavy
dependencies lazily so ``bench-agent inventory`` stays fast. The commands are a
skin over :mod:`bench_agent.bench` (the services the app uses too): they read
argv and print; a service's :class:`~bench_agent.bench.errors.BenchError` is
printed here in the technician's language with its exit code.

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


def _command_names() -> list[str]:
    import bench_agent.commands as commands_pkg

    return sorted(
        info.name
        for info in pkgutil.iter_modules(commands_pkg.__path__)
        if not info.name.startswith("_")
    )


def build_parser(env: Environment, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that subcommand (imports one
    command module instead of all of them: the fast path of `bench-agent inventory`)."""
    parser = argparse.ArgumentParser(
        prog="bench-agent",
        description=env._(
            "Banc de reconditionnement : inventaire, santé des disques, effacement certifié, "
            "catégorie, étiquette, synchronisation. Sans sous-commande : l'application du banc."
        ),
    )
    parser.add_argument("--version", action="version", version=f"bench-agent {__version__}")
    parser.add_argument("--lang", choices=["fr", "en"], help=env._("langue des messages"))
    parser.add_argument(
        "--app-host-dir",
        dest="app_host_dir",
        metavar="DIR",
        help=env._("l'application sur un ordinateur enregistré (démonstration, formation)"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [only] if only else _command_names():
        module = importlib.import_module(f"bench_agent.commands.{name}")
        module.register(sub, env)
    return parser


def _subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand named in argv, when it can be told without parsing everything."""
    args = list(argv)
    while args and args[0].startswith("-"):
        # Only --lang and --app-host-dir take a value at the top level; anything else
        # parses in full.
        if args[0] in ("--lang", "--app-host-dir") and len(args) > 1:
            args = args[2:]
        elif args[0].startswith(("--lang=", "--app-host-dir=")):
            args = args[1:]
        else:
            return None
    if args and args[0] in _command_names():
        return args[0]
    return None


def _lang_option(argv: Sequence[str]) -> str | None:
    """The top-level ``--lang`` given before the subcommand, if any."""
    args = list(argv)
    while args and args[0].startswith("-"):
        if args[0] == "--lang" and len(args) > 1:
            return args[1] if args[1] in ("fr", "en") else None
        if args[0].startswith("--lang="):
            value = args[0].split("=", 1)[1]
            return value if value in ("fr", "en") else None
        args = args[2:] if args[0] == "--app-host-dir" else args[1:]
    return None


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_option(args_list)
    if lang:
        env.lang = lang  # before the parser is built: its help is in that language
    parser = build_parser(env, only=_subcommand(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.lang:
        env.lang = args.lang
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        from bench_agent.launch import run_app

        return run_app(args, env)
    from bench_agent.bench.errors import BenchError

    try:
        return handler(args, env)
    except BenchError as exc:
        # A service's sentence for the technician (the detail is in the bench log).
        env.err(env.t(exc.text))
        if exc.detail:
            env.err(env._("  détail : {detail}", detail=exc.detail))
        return exc.exit_code
    except BrokenPipeError:
        # Output piped into `head` or a closed pager: not an error of ours.
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
