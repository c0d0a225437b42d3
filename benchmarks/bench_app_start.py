"""Start of the bench app to its unit screen, in a fresh process each round (imports
included): the main screen drawn, then the unit identified on it (the inventory done),
on a recorded laptop and on this machine (live).

Peer in the same run: the whole `bench-agent inventory` process on the same host (what
a technician waited for before the app existed), so the ratio stays meaningful on a
noisy machine. The issue's target: under 1 s to the unit screen.
Run: .venv/bin/python benchmarks/bench_app_start.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests/fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live"
ROUNDS = 7

CHILD = r"""
import asyncio, json, sys, time
t0 = time.perf_counter()
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.context import Environment
from bench_agent.host import open_host
from bench_agent.tui.app import create_app
from bench_agent.tui.screens.main import MainScreen

async def main():
    host_dir = sys.argv[1] or None
    env = Environment(environ={"BENCH_AGENT_HOME": sys.argv[2]})
    service = Bench.open(BenchPaths.from_environ(env.environ), open_host(host_dir), None,
                         env.environ, simulation_only=True)
    app = create_app(env, service)
    async with app.run_test(size=(80, 25)) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.005)
        shown = time.perf_counter() - t0
        while service.record.inventory is None or "inventory" in app.running:
            await pilot.pause(0.005)
        await pilot.pause()
        print(json.dumps({"screen": shown, "unit": time.perf_counter() - t0}))
asyncio.run(main())
"""


def app_start(host_dir: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as home:  # a new unit each round
        out = subprocess.run(
            [sys.executable, "-c", CHILD, host_dir, home],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return figures["screen"], figures["unit"]


def inventory(host_dir: str) -> float:
    argv = [sys.executable, "-m", "bench_agent", "inventory"]
    if host_dir:
        argv += ["--host-dir", host_dir]
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env={**os.environ, "LANG": "C"})
    return time.perf_counter() - start


def main() -> None:
    for label, host_dir in (("recorded X1 Carbon", str(RECORDED)), ("this machine", "")):
        screen, unit, peer = [], [], []
        for _ in range(ROUNDS):
            s, u = app_start(host_dir)
            screen.append(s)
            unit.append(u)
            peer.append(inventory(host_dir))
        s, u, p = (statistics.median(x) for x in (screen, unit, peer))
        print(
            f"{label}: main screen {s:.2f} s, unit identified {u:.2f} s "
            f"(median of {ROUNDS}); peer `bench-agent inventory` {p:.2f} s (ratio {u / p:.2f})"
        )


if __name__ == "__main__":
    main()
