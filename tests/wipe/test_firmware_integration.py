"""The engine with the real wipe.firmware module, replaying genuine QEMU NVMe captures.

The "drive" is a plain file named like a namespace; the runner answers each command
with what QEMU's emulated NVMe controller answered (tests/wipe/firmware/recorded/qemu).
Whether the file changes is up to the test: the engine must judge by reading it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import wipe.firmware
from wipe.blockdev import open_device
from wipe.engine import EraseContext, EraseRequest, erase_device
from wipe.journal import Journal
from wipe.methods import parse_verification
from wipe.policy import load_policy
from wipe.signing import BenchKey
from wipe.targets import Target

QEMU = Path(__file__).parent / "firmware" / "recorded" / "qemu"
SIZE = 4 << 20


@dataclass(frozen=True)
class Result:
    returncode: int | None
    stdout: bytes
    stderr: bytes


def _capture(name: str) -> Result:
    meta = json.loads((QEMU / f"{name}.json").read_text())
    return Result(
        meta["returncode"],
        (QEMU / f"{name}.stdout").read_bytes(),
        (QEMU / f"{name}.stderr").read_bytes(),
    )


class QemuNvme:
    """Answers nvme-cli commands with QEMU's recorded answers; optionally 'formats' the file."""

    def __init__(self, drive: Path, really_format: bool) -> None:
        self.drive = drive
        self.really_format = really_format
        self.calls: list[list[str]] = []

    def run(self, argv: list[str], timeout_s: float) -> Result:
        self.calls.append(argv)
        if argv[:2] == ["nvme", "id-ctrl"]:
            return _capture("nvme-id-ctrl")
        if argv[:2] == ["nvme", "id-ns"]:
            return _capture("nvme-id-ns")
        if argv[:2] == ["nvme", "sanitize-log"]:
            return _capture("nvme-sanitize-log")
        if argv[:2] == ["nvme", "format"]:
            ses = next(a for a in argv if a.startswith("--ses="))
            if self.really_format:
                self.drive.write_bytes(bytes(SIZE))  # QEMU zeroes the namespace on format
            return _capture("nvme-format-user" if ses == "--ses=1" else "nvme-format-crypto")
        raise AssertionError(f"unexpected command {argv}")


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    path = tmp_path / "drive.img"
    path.write_bytes(os.urandom(SIZE))
    return path


def _erase(tmp_path: Path, drive: Path, runner: QemuNvme) -> dict:
    key = BenchKey.generate()
    ctx = EraseContext(
        key=key,
        journal=Journal(tmp_path / "j.jsonl", key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
        runner=runner,
        firmware=wipe.firmware,
        # The commands name /dev/nvme0n1; the engine's reads go to the file.
        open_device=lambda path, write: open_device(str(drive), write=write),
    )
    target = Target(
        name="nvme0n1",
        device_path="/dev/nvme0n1",
        model="QEMU NVMe Ctrl",
        serial="LCTNVME0001",
        size_bytes=SIZE,
        transport="nvme",
        rotational=False,
        media="nvme",
    )
    out = erase_device(
        EraseRequest(
            target=target,
            method=None,
            verification=parse_verification("none"),
            firmware_method="auto",
            confirmed=True,
        ),
        ctx,
    )
    return {"result": out.result, "payload": out.envelope["payload"], "reasons": out.reasons_en}


def test_format_reported_done_but_nothing_changed_is_failed(tmp_path: Path, drive: Path) -> None:
    runner = QemuNvme(drive, really_format=False)
    out = _erase(tmp_path, drive, runner)
    fw = out["payload"]["method"]["firmware"]
    assert any(c[:2] == ["nvme", "format"] for c in runner.calls), out["reasons"]
    assert fw["claimed_completed"] is True  # the drive said "Success formatting"
    assert fw["completed"] is False
    assert out["result"] == "FAILED"
    assert any("despite its exit code" in r for r in out["reasons"])


def test_format_that_zeroed_the_namespace_is_proved(tmp_path: Path, drive: Path) -> None:
    runner = QemuNvme(drive, really_format=True)
    out = _erase(tmp_path, drive, runner)
    fw = out["payload"]["method"]["firmware"]
    assert fw["completed"] is True and fw["proof"]["proved"] is True
    assert out["result"] == "ERASED"
    # Format NVM is not a Sanitize-class command: no Purge claimed.
    assert out["payload"]["sanitization"]["level"] is None
