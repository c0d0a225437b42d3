"""Boundaries held by a test as well as by import-linter: the headless core never
loads Textual, ``wipe`` never loads bench_agent, and importing the CLI stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent.parent


def _modules(package: str, exclude: tuple[str, ...] = ()) -> list[str]:
    """Every module of ``package``, found on disk (never by importing in this process,
    where pytest's rootdir-based sys.path could shadow a package with a tests folder)."""
    root = REPO / package
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        if not name.startswith(exclude) and not name.endswith("__main__"):
            names.append(name)
    return names


def _loaded_after_import(modules: list[str], watched: list[str]) -> dict[str, list[str]]:
    code = (
        "import importlib, sys, json\n"
        f"watched = {watched!r}\n"
        "result = {}\n"
        f"for name in {modules!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    result[name] = [w for w in watched if w in sys.modules]\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    import json

    loaded: dict[str, list[str]] = json.loads(out.stdout)
    return loaded


def test_headless_core_never_loads_textual() -> None:
    modules = _modules("bench_agent", exclude=("bench_agent.tui",))
    assert "bench_agent.host" in modules and "bench_agent.model" in modules
    loaded = _loaded_after_import(modules, ["textual"])
    offenders = [name for name, mods in loaded.items() if mods]
    assert offenders == []


def test_wipe_never_loads_bench_agent_or_textual() -> None:
    modules = _modules("wipe")
    assert "wipe.signing" in modules
    loaded = _loaded_after_import(modules, ["bench_agent", "textual", "fastapi", "requests"])
    offenders = {name: mods for name, mods in loaded.items() if mods}
    assert offenders == {}


@pytest.mark.parametrize("heavy", ["cpuinfo", "textual", "numpy", "pySMART", "fastapi"])
def test_cli_import_is_light(heavy: str) -> None:
    """`bench-agent inventory` must start fast: the CLI frame imports no heavy library."""
    loaded = _loaded_after_import(["bench_agent.cli"], [heavy])
    code = (
        "from bench_agent.cli import build_parser\n"
        "from bench_agent.context import Environment\n"
        "build_parser(Environment())\n"
        f"import sys; print({heavy!r} in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert loaded["bench_agent.cli"] == []
    assert out.stdout.strip() == "False"
