"""Erasure throughput, side by side in one run, on the same loop device (direct I/O on).

Peers: ``dd if=/dev/zero bs=4M oflag=direct`` (write ceiling), ``dd iflag=direct``
(read ceiling), ``shred -n0 -z``, ``shred -n1``, ``nwipe`` (zero, no verify) and
our zero pass, random (AES-256-CTR) pass and verification passes. Each of ours
runs in a subprocess that also reports its peak RSS (VmHWM) and the CPU time its
pass took (user + sys of all its threads), so a slow figure can be told apart:
CPU-bound (our cost per GB) or device-bound (the disk's mood).

Usage (root)::

    .venv/bin/python benchmarks/bench_erase.py [--size-gib 2] [--dir /var/tmp] [--rounds 5]
        [--no-peers]

Machines here are noisy (2x swings run to run): each of our runs is bracketed by
the dd runs it is compared with; read the per-round ratios and their median, not
the MB/s. A control row (dd read bracketed by dd reads) shows the run's noise floor.
``--dir /dev/shm`` puts the image in RAM: then every figure is CPU-bound.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

OURS = r"""
import json, os, resource, sys, threading, time
sys.path.insert(0, {repo!r})
from wipe.blockdev import open_device
from wipe.overwrite import RunOptions, full_regions, verify_regions, write_pass
from wipe.patterns import Keystream, Pattern

device, phase, kind = sys.argv[1], sys.argv[2], sys.argv[3]
seed = bytes(range(32))
pattern = Pattern("random") if kind == "random" else Pattern("constant", 0)
ks = Keystream(seed, 0) if kind == "random" else None
dev = open_device(device, write=(phase == "write"))
opts = RunOptions(block_bytes=8 << 20)
cancel = threading.Event()
ru0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
if phase == "write":
    r = write_pass(dev, pattern, ks, pass_index=0, pass_count=1, cancel=cancel, options=opts)
else:
    r = verify_regions(dev, pattern, ks, full_regions(dev, opts.block_bytes), pass_index=0,
                       pass_count=1, cancel=cancel, options=opts)
elapsed = time.perf_counter() - t0
ru1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({{"ok": r.ok, "bytes": r.bytes_done, "seconds": elapsed, "cpu_s": cpu,
                  "vmhwm_kib": hwm}}))
"""


def timed(argv: list[str], size: int, cwd: Path | None = None) -> float | None:
    """MB/s of a peer command over ``size`` bytes (None when it failed)."""
    t0 = time.perf_counter()
    # nwipe writes its log and PDF report into the working directory: keep them in workdir.
    proc = subprocess.run(argv, capture_output=True, check=False, cwd=cwd)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"  ! {' '.join(argv)} -> {proc.returncode}: {proc.stderr[-300:]!r}", file=sys.stderr)
        return None
    return size / elapsed / 1e6


def _mean(*values: float | None) -> float | None:
    known = [v for v in values if v]
    return sum(known) / len(known) if known else None


def ours(device: str, phase: str, kind: str) -> dict[str, float] | None:
    """MB/s, CPU seconds per GB and peak RSS of one of our passes, in a fresh process."""
    code = OURS.format(repo=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", code, device, phase, kind],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(f"  ! ours {phase} {kind}: {proc.stderr[-500:]}", file=sys.stderr)
        return None
    data = json.loads(proc.stdout)
    if not data["ok"]:
        print(f"  ! ours {phase} {kind}: pass not ok", file=sys.stderr)
        return None
    return {
        "mbs": data["bytes"] / data["seconds"] / 1e6,
        "cpu_s_per_gb": data["cpu_s"] / (data["bytes"] / 1e9),
        "hwm_kib": data["vmhwm_kib"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--dir", default="/var/tmp", help="disk-backed directory for the image")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median kept)")
    parser.add_argument("--no-peers", action="store_true", help="skip shred and nwipe")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (loop devices)", file=sys.stderr)
        return 3
    size = int(args.size_gib * (1 << 30))
    count = size // (4 << 20)
    workdir = Path(tempfile.mkdtemp(prefix="bench-erase-", dir=args.dir))
    image = workdir / "disk.img"
    with open(image, "wb") as fh:
        fh.truncate(size)
    device = subprocess.run(
        ["losetup", "--find", "--show", "--direct-io=on", str(image)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dd_write = [
        "dd",
        "if=/dev/zero",
        f"of={device}",
        "bs=4M",
        f"count={count}",
        "oflag=direct",
        "status=none",
    ]
    dd_read = ["dd", f"if={device}", "of=/dev/null", "bs=4M", "iflag=direct", "status=none"]
    rows: list[dict[str, float | None]] = []
    cpu: dict[str, list[float]] = {}
    peers: dict[str, float | None] = {}
    peak_kib = 0

    def run_ours(row: dict[str, float | None], key: str, phase: str, kind: str) -> None:
        nonlocal peak_kib
        got = ours(device, phase, kind)
        row[key] = got["mbs"] if got else None
        if got:
            cpu.setdefault(key, []).append(got["cpu_s_per_gb"])
            peak_kib = max(peak_kib, int(got["hwm_kib"]))

    try:
        w_next = timed(dd_write, size)  # allocates the file: every tool overwrites; zeros now
        for rnd in range(args.rounds):
            row: dict[str, float | None] = {}
            # Each of ours is bracketed by the dd runs it is compared with (the host's
            # speed drifts within seconds), and its ratio uses their mean.
            w_a = w_next  # the device holds zeros
            # After a 2 GiB write the host keeps flushing for seconds and the next read
            # is slowed: one uncounted read lets it settle before the bracketed reads.
            timed(dd_read, size)
            r1 = timed(dd_read, size)
            run_ours(row, "verify zero", "verify", "zero")
            r2 = timed(dd_read, size)
            # Control: dd itself, bracketed the same way, shows this run's noise floor.
            row["control"] = timed(dd_read, size)
            r2b = timed(dd_read, size)
            row["dd read (around control)"] = _mean(r2, r2b)
            run_ours(row, "zero", "write", "zero")
            w_b = timed(dd_write, size)
            run_ours(row, "random", "write", "random")
            timed(dd_read, size)  # settle after the write, as above
            r3 = timed(dd_read, size)
            run_ours(row, "verify random", "verify", "random")
            r4 = timed(dd_read, size)
            w_next = timed(dd_write, size)  # zeros again for the next round
            row["dd write"] = _mean(w_a, w_b, w_next)
            row["dd read"] = _mean(r1, r2, r2b, r3, r4)
            row["dd write (around zero)"] = _mean(w_a, w_b)
            row["dd write (around random)"] = _mean(w_b, w_next)
            row["dd read (around verify zero)"] = _mean(r1, r2)
            row["dd read (around verify random)"] = _mean(r3, r4)
            if rnd == 0 and not args.no_peers:
                peers["ours zero (same round)"] = row["zero"]
                peers["ours random (same round)"] = row["random"]
                peers["shred -n0 -z (zero)"] = timed(["shred", "-n0", "-z", device], size)
                peers["shred -n1 (random)"] = timed(["shred", "-n1", device], size)
                nwipe = shutil.which("nwipe")
                if nwipe:
                    peers["nwipe zero, no verify"] = timed(
                        [
                            nwipe,
                            "--autonuke",
                            "--nogui",
                            "--method=zero",
                            "--verify=off",
                            "--noblank",
                            "--nowait",
                            "--nosignals",
                            device,
                        ],
                        size,
                        cwd=workdir,
                    )
                w_next = timed(dd_write, size)  # back to zeros after the peers
            rows.append(row)
    finally:
        subprocess.run(["losetup", "-d", device], check=False)
        shutil.rmtree(workdir, ignore_errors=True)

    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def ratio(num: str, den: str) -> list[float]:
        return [r[num] / r[den] for r in rows if r.get(num) and r.get(den)]  # type: ignore[operator]

    print(
        f"\n{args.size_gib:g} GiB loop device, direct I/O on, image in {args.dir}, "
        f"{args.rounds} interleaved rounds\n"
    )
    print("| measure | MB/s per round | median |")
    print("| --- | --- | ---: |")
    for key in ("dd write", "dd read", "zero", "random", "verify zero", "verify random"):
        values = [r[key] for r in rows if r.get(key)]
        med = median([v for v in values if v is not None])
        label = {
            "zero": "ours: zero pass",
            "random": "ours: random pass (AES-256-CTR)",
            "verify zero": "ours: verify zero",
            "verify random": "ours: verify random (keystream regenerated)",
        }.get(key, key)
        print(
            f"| {label} | {', '.join(f'{v:.0f}' for v in values if v)} | {med:.0f} |"
            if med
            else f"| {label} | failed | - |"
        )
    print("\n| ratio (per round, then median) | rounds | median | target |")
    print("| --- | --- | ---: | ---: |")
    for label, num, den, target in (
        ("zero pass / dd write", "zero", "dd write (around zero)", ">= 95 %"),
        ("random pass / dd zero write", "random", "dd write (around random)", ">= 90 %"),
        ("verify zero / dd read", "verify zero", "dd read (around verify zero)", ">= 90 %"),
        ("verify random / dd read", "verify random", "dd read (around verify random)", ">= 90 %"),
        ("control: dd read / dd read", "control", "dd read (around control)", "noise"),
    ):
        values = ratio(num, den)
        med = median(values)
        print(
            f"| {label} | {', '.join(f'{100 * v:.0f} %' for v in values)} | "
            f"{100 * med:.0f} % | {target} |"
            if med
            else f"| {label} | - | - | {target} |"
        )
    if peers:
        print("\n| peer (round 1) | MB/s | ours / peer |")
        print("| --- | ---: | ---: |")
        z, rnd_rate = peers.get("ours zero (same round)"), peers.get("ours random (same round)")
        for key in ("shred -n0 -z (zero)", "shred -n1 (random)", "nwipe zero, no verify"):
            if key not in peers:
                continue
            v = peers[key]
            ours_rate = rnd_rate if "random" in key else z
            x = f"{ours_rate / v:.1f}x" if v and ours_rate else "-"
            print(f"| {key} | {v:.0f} | {x} |" if v else f"| {key} | failed | - |")
    print("\n| ours: CPU per GB (user + sys, all threads) | core-seconds | ceiling on 2 cores |")
    print("| --- | ---: | ---: |")
    for key in ("zero", "random", "verify zero", "verify random"):
        per_gb = median(cpu.get(key, []))
        if per_gb:
            print(f"| {key} | {per_gb:.2f} | {2 / per_gb:.1f} GB/s |")
    print(
        f"\nPeak RSS of our eraser (VmHWM, worst of all runs): {peak_kib / 1024:.0f} MiB "
        "(target < 100 MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
