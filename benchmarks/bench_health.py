"""Disk health check time of a two-drive laptop, against pySMART's Device() on the same drives.

Parts, each repeated N times in the same run (medians, alternating):

1. ours, recorded: ``check_all`` over a RecordedHost replaying real smartctl JSON
   of an NVMe SSD and a SATA HDD (tests/health/fixtures/laptop_two_drives),
   including loading the policy; target < 1 s.
2. ours, text: ``assess_output`` on two real smartctl text reports (an ATA HDD
   and an NVMe SSD) - the path that goes through pySMART.
3. peer: pySMART ``Device()`` on the same two text reports (replaying Smartctl),
   which parses but gives no verdict.
4. live process cost on this machine: one ``smartctl --json=c -x`` on a loop
   device (read-only; smartctl only reads), and pySMART's live Device() on the
   same loop device (the number of smartctl runs it made is printed; on a real
   ATA drive it adds ``-d test``, ``-l sataphy`` ... to ``--all``). Needs root.
5. whole process: ``bench-agent health --host-dir ... --json`` (import + CLI).

Machines are noisy: compare ratios, not absolute figures.

    python benchmarks/bench_health.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "health" / "fixtures" / "laptop_two_drives"
TEXTS = [
    REPO / "tests" / "corpus" / "smartctl" / "text" / "HGST_HUS724040ALE640_old.txt",
    REPO / "tests" / "corpus" / "smartctl" / "text" / "WDC_PC_SN730_nvme_healthy.txt",
]
DEVICES = ["/dev/nvme0n1", "/dev/sda"]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ours_recorded() -> None:
    from bench_agent.health import check_all, load_policy
    from bench_agent.host.recorded import RecordedHost

    results = check_all(RecordedHost(FIXTURE), devices=DEVICES, policy=load_policy())
    assert [r.verdict for r in results] == ["OK", "OK"]


def ours_text() -> None:
    from bench_agent.health import assess_output, load_policy

    policy = load_policy()
    for path in TEXTS:
        assess_output(path.read_bytes(), policy, path.name)


def peer_pysmart_text() -> None:
    from bench_agent.health.text_parser import _import_pysmart, _replaying_smartctl, guess_interface

    device_cls, _ = _import_pysmart()
    for path in TEXTS:
        text = path.read_text(encoding="utf-8")
        device_cls("/dev/sdx", interface=guess_interface(text), smartctl=_replaying_smartctl(text))


def live_parts(runs: int) -> dict[str, list[float]]:
    smartctl = shutil.which("smartctl") or shutil.which("smartctl", path="/usr/sbin:/sbin")
    losetup = shutil.which("losetup") or shutil.which("losetup", path="/usr/sbin:/sbin")
    if os.geteuid() != 0 or smartctl is None or losetup is None:
        print("(skipped live smartctl: needs root, smartctl and losetup)", file=sys.stderr)
        return {}
    from bench_agent.health.collect import smartctl_argv
    from bench_agent.host.live import LiveHost

    samples: dict[str, list[float]] = {
        "live: smartctl -x (ours, 1 process)": [],
        "live: pySMART Device() (peer)": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "disk.img"
        with image.open("wb") as fh:
            fh.truncate(16 << 20)
        dev = subprocess.run(
            [losetup, "--find", "--show", "--read-only", str(image)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        try:
            host = LiveHost()
            import warnings

            from pySMART import Device
            from pySMART.smartctl import SMARTCTL

            calls: list[list[str]] = []
            original = SMARTCTL.generic_call

            def counting(params: list[str], pass_options: bool = False) -> tuple[list[str], int]:
                calls.append(params)
                return original(params, pass_options)

            SMARTCTL.generic_call = counting  # type: ignore[method-assign]

            def peer() -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # pySMART warns about non-SMART devices
                    Device(dev)

            for _ in range(runs):
                samples["live: smartctl -x (ours, 1 process)"].append(
                    timed(lambda: host.run(smartctl_argv(dev)))
                )
                samples["live: pySMART Device() (peer)"].append(timed(peer))
            print(
                f"pySMART Device() ran smartctl {len(calls) / runs:.0f} time(s) per device "
                f"on the loop device ({' | '.join(' '.join(c) for c in calls[:3])}); "
                "ours runs it once.",
                file=sys.stderr,
            )
        finally:
            subprocess.run([losetup, "--detach", dev], check=False)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    parts: dict[str, Callable[[], object]] = {
        "ours: check_all, 2 drives, recorded JSON": ours_recorded,
        "ours: assess_output, 2 text reports": ours_text,
        "peer: pySMART Device(), same 2 text reports": peer_pysmart_text,
    }
    first = {name: timed(fn) for name, fn in parts.items()}  # cold: imports included
    samples: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(args.runs):
        for name, fn in parts.items():
            samples[name].append(timed(fn))
    samples.update(live_parts(max(5, args.runs // 3)))
    exe = Path(sys.executable).parent / "bench-agent"
    cli = [str(exe), "health", "--host-dir", str(FIXTURE), *DEVICES, "--json"]
    samples["process: bench-agent health --host-dir (2 drives)"] = [
        timed(lambda: subprocess.run(cli, capture_output=True, check=False))
        for _ in range(max(5, args.runs // 3))
    ]

    peer = statistics.median(samples["peer: pySMART Device(), same 2 text reports"])
    print("| part | median ms | min ms | ratio to pySMART Device() on text (×) |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"| {name} | {med * 1e3:.2f} | {min(values) * 1e3:.2f} | {med / peer:.2f} |")
    print()
    for name, value in first.items():
        print(f"first call (imports included) of {name}: {value * 1e3:.1f} ms")
    total = statistics.median(samples["process: bench-agent health --host-dir (2 drives)"])
    print(
        f"\nwhole health check of a two-drive laptop (process, recorded): {total:.3f} s "
        f"(target < 1 s): {'OK' if total < 1 else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
