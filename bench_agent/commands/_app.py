"""Without a subcommand: the bench app (Textual), see docs/app.md."""

from __future__ import annotations

import argparse

from bench_agent.context import Environment


def run_app(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.tui.app import run

    return run(args, env)
