"""Whole-process inventory time: `bench-agent inventory --json` vs inxi and lshw.

Runs each command N times in the same run (alternating, after a warm-up) and
prints a Markdown table with median / min wall time and the ratio to ours.
The machines are noisy: compare ratios, not absolute figures.

    python benchmarks/bench_inventory.py [--runs 15] [--host-dir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def bench_agent_argv(host_dir: str | None) -> list[str]:
    exe = Path(sys.executable).parent / "bench-agent"
    argv = [str(exe) if exe.exists() else "bench-agent", "inventory", "--json"]
    if host_dir:
        argv += ["--host-dir", host_dir]
    return argv


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--host-dir", help="also time a recorded host replay")
    args = parser.parse_args()

    commands: dict[str, list[str]] = {"bench-agent inventory --json": bench_agent_argv(None)}
    if args.host_dir:
        commands["bench-agent inventory --json --host-dir"] = bench_agent_argv(args.host_dir)
    for name, argv in (("inxi -Fxxxz", ["inxi", "-Fxxxz"]), ("lshw -json", ["lshw", "-json"])):
        if shutil.which(argv[0]) or shutil.which(argv[0], path="/usr/sbin:/usr/bin"):
            commands[name] = argv
        else:
            print(f"(skipped {name}: not installed)", file=sys.stderr)

    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():
        time_once(argv)  # warm-up: page cache, pyc files
    for _ in range(args.runs):
        for name, argv in commands.items():
            samples[name].append(time_once(argv))

    ours = statistics.median(samples["bench-agent inventory --json"])
    print("| command | median s | min s | ratio to bench-agent (×) |")
    print("| --- | --- | --- | --- |")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"| `{name}` | {med:.3f} | {min(values):.3f} | {med / ours:.2f} |")
    uname = subprocess.run(["uname", "-srm"], capture_output=True, text=True, check=False)
    print(f"\nruns per command: {args.runs}; machine: {uname.stdout.strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
