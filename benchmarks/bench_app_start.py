"""Start of the bench app to its unit screen (the main screen drawn with the unit's steps),
on a recorded laptop, in a fresh process each round (imports included).

Peer in the same run: the whole `bench-agent inventory --host-dir` process (what a
technician waited for before the app existed), so the ratio stays meaningful on a noisy
machine. Run: .venv/bin/python benchmarks/bench_app_start.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = ROOT / "tests/fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live"
ROUNDS = 7

CHILD = r"""
import asyncio, sys, time
t0 = time.perf_counter()
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Bench
from bench_agent.context import Environment
from bench_agent.host import open_host
from bench_agent.tui.app import create_app
from bench_agent.tui.screens.main import MainScreen

async def main():
    env = Environment(environ={"BENCH_AGENT_HOME": sys.argv[2]})
    service = Bench.open(BenchPaths.from_environ(env.environ), open_host(sys.argv[1]), None,
                         env.environ, simulation_only=True)
    app = create_app(env, service)
    async with app.run_test(size=(80, 25)) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.01)
        print(time.perf_counter() - t0)
asyncio.run(main())
"""


def app_start(home: str) -> float:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(HOST), home], capture_output=True, text=True, check=True
    )
    float(out.stdout.strip().splitlines()[-1])
    return time.perf_counter() - start


def inventory() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench_agent", "inventory", "--host-dir", str(HOST)],
        capture_output=True,
        check=True,
        env={**os.environ, "BENCH_AGENT_LANG": "fr"},
    )
    return time.perf_counter() - start


def main() -> None:
    ours, peer = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(ROUNDS):
            ours.append(app_start(home))
            peer.append(inventory())
    a, b = statistics.median(ours), statistics.median(peer)
    print(f"app start to the unit screen (recorded X1 Carbon), median of {ROUNDS}: {a:.2f} s")
    print(f"peer: bench-agent inventory process, median: {b:.2f} s (ratio {a / b:.2f})")


if __name__ == "__main__":
    main()
