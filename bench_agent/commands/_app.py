"""Without a subcommand: the bench app. Until the Textual app lands, the inventory."""

from __future__ import annotations

import argparse

from bench_agent.context import Environment


def run_app(args: argparse.Namespace, env: Environment) -> int:
    try:
        from bench_agent.tui.app import run  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from bench_agent.commands.inventory import run_inventory

        return run_inventory(argparse.Namespace(json=False, host_dir=None, cpuinfo=False), env)
    result: int = run(args, env)
    return result
