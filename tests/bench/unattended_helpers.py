"""Running `python -m bench_agent unattended` as the stick does, on real loop devices.

The inventory is a recorded laptop (the X1 Carbon, deterministic); the drives erased are
real loop devices of this machine, named by the site (``erase_only``): nothing else of
this machine can ever be a candidate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
X1 = REPO / "tests/fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live"


def x1_without_its_disk(folder: Path) -> Path:
    """The recorded X1 Carbon with its NVMe drive taken out (the loop devices stand in
    for the unit's drives): its inventory lists no internal disk of its own."""
    copy = folder / "x1-no-disk"
    shutil.copytree(X1, copy)
    meta = json.loads((copy / "host.json").read_text(encoding="utf-8"))
    meta["listings"]["/sys/block"] = [n for n in meta["listings"]["/sys/block"] if n != "nvme0n1"]
    (copy / "host.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return copy


def write_site(home: Path, devices: list[str], *, extra: str = "") -> None:
    home.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(json.dumps(d) for d in devices)
    (home / "site.toml").write_text(
        f'name = "GR"\n[unattended]\nenabled = true\nafter = "exit"\n'
        f'operator = "automate (poste 3)"\nerase_only = [{listed}]\n{extra}',
        encoding="utf-8",
    )


@dataclass
class Run:
    code: int
    out: str
    err: str


def environ(home: Path, cmdline: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_AGENT_")}
    env.update(
        {
            "BENCH_AGENT_HOME": str(home),
            "BENCH_AGENT_CMDLINE": cmdline,
            "PYTHONPATH": str(REPO),
            "LANG": "C.UTF-8",
        }
    )
    return env


def command(host_dir: Path, *, subcommand: bool = True) -> list[str]:
    tail = ["unattended", "--host-dir", str(host_dir)] if subcommand else [
        "--app-host-dir", str(host_dir)
    ]  # fmt: skip
    return [sys.executable, "-m", "bench_agent", *tail]


def unattended(home: Path, host_dir: Path, cmdline: str = "", *, subcommand: bool = True) -> Run:
    done = subprocess.run(
        command(host_dir, subcommand=subcommand),
        env=environ(home, cmdline),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def sitting(home: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((home / "sittings/current.json").read_text())
    return data
