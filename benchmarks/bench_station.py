"""The erasure station's parallelism: four drives erased together by the station service
(``bench_agent.bench.station``, the policy's random pass + read-back, one thread per
drive) against the sum of each drive's solo ``dd`` speed, measured in the same run.

Four loop devices over files all share this machine's one disk, whose bandwidth would be
the limit of four drives together (a station's docks each have their own drive). So each
loop device is made a drive of its own speed: a blkio cgroup (v1 throttle, or v2 io.max)
caps each one at ``--mbs`` MB/s read and write, like a USB-SATA dock's disk, well below
what the shared disk gives four at once. dd and the station run in that cgroup.

The figure: for the write pass, the sum of the four drives' pass throughputs (each from
its certificate, the passes ran at the same time) over the sum of the four solo ``dd
oflag=direct`` writes; for the read-back, the same against solo ``dd iflag=direct``
reads. Target: >= 90 %. A control row runs four dd writes together: it shows whether
the host (not our code) can give four drives their speed at once.

Usage (root)::

    .venv/bin/python benchmarks/bench_station.py [--size-mib 768] [--mbs 150] [--rounds 3]
        [--dir /var/tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

V1 = Path("/sys/fs/cgroup/blkio")
V2 = Path("/sys/fs/cgroup")


class Throttle:
    """A cgroup of this process capping each device's read and write bytes per second."""

    def __init__(self, mbs: float) -> None:
        self.bps = int(mbs * 1e6)
        name = f"bench-station-{os.getpid()}"
        if (V1 / "blkio.throttle.write_bps_device").exists():
            self.v2 = False
            self.group = V1 / name
            self.parent = V1
        elif "io" in (V2 / "cgroup.controllers").read_text().split():
            self.v2 = True
            self.group = V2 / name
            self.parent = V2
        else:
            raise SystemExit("no blkio throttle (cgroup v1 blkio or v2 io) on this machine")
        self.group.mkdir()
        (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def cap(self, device: str) -> None:
        st = os.stat(device)
        dev = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        if self.v2:
            (self.group / "io.max").write_text(f"{dev} rbps={self.bps} wbps={self.bps}")
        else:
            (self.group / "blkio.throttle.read_bps_device").write_text(f"{dev} {self.bps}")
            (self.group / "blkio.throttle.write_bps_device").write_text(f"{dev} {self.bps}")

    def close(self) -> None:
        (self.parent / "cgroup.procs").write_text(str(os.getpid()))
        self.group.rmdir()


def attach(images: list[Path]) -> list[str]:
    """Loop devices at free numbers in 200-254 (other users take the lowest)."""
    devices: list[str] = []
    for image in images:
        for _ in range(100):
            n = random.randrange(200, 255)
            if os.path.exists(f"/sys/block/loop{n}/loop"):
                continue
            proc = subprocess.run(
                ["losetup", "--direct-io=on", f"/dev/loop{n}", str(image)],
                capture_output=True,
                check=False,
            )
            if proc.returncode == 0:
                devices.append(f"/dev/loop{n}")
                break
        else:
            raise SystemExit("no free loop device in 200-254")
    return devices


def dd(argv: list[str], size: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return size / (time.perf_counter() - t0) / 1e6


def dd_write(device: str, size: int) -> list[str]:
    count = size // (4 << 20)
    return ["dd", "if=/dev/zero", f"of={device}", "bs=4M", f"count={count}", "oflag=direct"]


def dd_read(device: str) -> list[str]:
    return ["dd", f"if={device}", "of=/dev/null", "bs=4M", "iflag=direct"]


def station_round(devices: list[str], home: Path) -> tuple[list[dict[str, object]], float]:
    """The four drives erased by the station service at once: each certificate's payload,
    and the wall time from the start to the last certificate."""
    from bench_agent.bench.erasure import EraseSetup
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.site import Station as Settings
    from bench_agent.bench.station import Station, watch
    from bench_agent.host.live import LiveHost
    from wipe.signing import parse_json

    settings = Settings(
        slots={
            f"dock-{i + 1}": f"*/block/{d.removeprefix('/dev/')}" for i, d in enumerate(devices)
        },
        delay_s=0,
        batch="BENCH",
    )
    station = Station(EraseSetup.open(BenchPaths(home), LiveHost()), settings)
    t0 = time.perf_counter()
    watch(station, threading.Event(), once=True, poll_s=0.05)
    wall = time.perf_counter() - t0
    payloads = []
    for view in station.slots():
        if not view.slot.startswith("dock-"):
            continue
        if view.result != "ERASED" or view.certificate is None:
            raise SystemExit(f"{view.slot}: {view.result} {view.reasons}")
        payloads.append(parse_json(view.certificate.read_bytes())["payload"])
    if len(payloads) != len(devices):
        raise SystemExit(f"only {len(payloads)} of {len(devices)} drives erased")
    return payloads, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=768, help="each drive's size")
    parser.add_argument("--mbs", type=float, default=150.0, help="each drive's speed cap")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drives", type=int, default=4)
    parser.add_argument("--dir", default="/var/tmp", help="disk-backed directory for images")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (loop devices, cgroups)", file=sys.stderr)
        return 3
    size = args.size_mib << 20
    workdir = Path(tempfile.mkdtemp(prefix="bench-station-", dir=args.dir))
    images = []
    for i in range(args.drives):
        image = workdir / f"drive{i}.img"
        with open(image, "wb") as fh:
            fh.truncate(size)
        images.append(image)
    throttle = Throttle(args.mbs)
    devices: list[str] = []
    rows: list[dict[str, float]] = []
    try:
        devices = attach(images)
        for d in devices:
            throttle.cap(d)
        for _ in range(args.rounds):
            solo_w = [dd(dd_write(d, size), size) for d in devices]
            solo_r = [dd(dd_read(d), size) for d in devices]
            t0 = time.perf_counter()
            procs = [
                subprocess.Popen(dd_write(d, size), stderr=subprocess.DEVNULL) for d in devices
            ]
            for p in procs:
                p.wait()
            dd_together = len(devices) * size / (time.perf_counter() - t0) / 1e6
            home = workdir / f"home-{len(rows)}"
            payloads, wall = station_round(devices, home)
            ours_w = sum(p["method"]["passes"][0]["throughput_mb_s"] for p in payloads)  # type: ignore[index]
            ours_r = sum(p["verification"]["passes"][0]["throughput_mb_s"] for p in payloads)  # type: ignore[index]
            rows.append(
                {
                    "solo dd write (sum)": sum(solo_w),
                    "solo dd read (sum)": sum(solo_r),
                    "4 dd writes together": dd_together,
                    "station write passes (sum)": ours_w,
                    "station read-backs (sum)": ours_r,
                    "station wall s": wall,
                    "write ratio": ours_w / sum(solo_w),
                    "read ratio": ours_r / sum(solo_r),
                    "control ratio": dd_together / sum(solo_w),
                    # Each drive alone would take size/write + size/read with dd; together
                    # the slowest of them bounds the wall time.
                    "whole erasure ratio": max(
                        size / 1e6 / w + size / 1e6 / r for w, r in zip(solo_w, solo_r, strict=True)
                    )
                    / wall,
                }
            )
            shutil.rmtree(home, ignore_errors=True)
    finally:
        for d in devices:
            subprocess.run(["losetup", "-d", d], check=False)
        throttle.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{args.drives} loop devices of {args.size_mib} MiB, each capped at {args.mbs:g} MB/s "
        f"(blkio cgroup), images in {args.dir}, {args.rounds} rounds\n"
    )
    print("| measure | per round | median |")
    print("| --- | --- | ---: |")
    for key in rows[0]:
        values = [r[key] for r in rows]
        if key.endswith("ratio"):
            cells = ", ".join(f"{v:.0%}" for v in values)
            med = f"{statistics.median(values):.0%}"
        else:
            cells = ", ".join(f"{v:.1f}" for v in values)
            med = f"{statistics.median(values):.1f}"
        print(f"| {key} | {cells} | {med} |")
    write = statistics.median(r["write ratio"] for r in rows)
    read = statistics.median(r["read ratio"] for r in rows)
    print(f"\ntarget >= 90 %: write {write:.0%}, read-back {read:.0%}")
    print(json.dumps({"write_ratio": round(write, 3), "read_ratio": round(read, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
