"""The commands are a skin over bench_agent.bench: they never import each other and never
build a live host themselves (issue 10, points 1 and 8)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).parents[2]
COMMANDS = REPO / "bench_agent" / "commands"


def _command_modules() -> set[str]:
    return {
        f"bench_agent.commands.{p.stem}"
        for p in COMMANDS.glob("*.py")
        if not p.stem.startswith("_")
    }


def test_every_command_is_in_the_independence_contract() -> None:
    """A new command module joins the import-linter contract that keeps them apart."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (independence,) = [c for c in contracts if c["type"] == "independence"]
    assert set(independence["modules"]) == _command_modules()


def test_only_the_composition_root_builds_a_live_host() -> None:
    builders = sorted(
        p.relative_to(REPO).as_posix()
        for folder in (COMMANDS, REPO / "bench_agent" / "bench")
        for p in folder.glob("*.py")
        if "LiveHost(" in p.read_text(encoding="utf-8")
    )
    assert builders == ["bench_agent/commands/_host.py"]
