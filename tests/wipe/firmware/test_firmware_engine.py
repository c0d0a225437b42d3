"""The real wipe.firmware inside the erasure engine, with replayed drive answers.

The "drive" is a plain file (the engine opens files like devices); hdparm's
answers are replayed from recorded/. Two layers must agree before a firmware
method counts: wipe.firmware reads the drive's own state, the engine reads
sampled sectors back.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from firmware_replay import ANY, RECORDED, ReplayRunner, Result, recording

from wipe.engine import EraseContext, EraseOutcome, EraseRequest, erase_device
from wipe.journal import Journal
from wipe.methods import load_method, parse_verification
from wipe.policy import load_policy
from wipe.signing import BenchKey
from wipe.targets import Target

SIZE = 8 << 20
INTEL = (RECORDED / "public/intel-ssdsc2bb480g7k-not-frozen.hdparm-I.txt").read_text()
INTEL_ENABLED = INTEL.replace(
    "        not     enabled\n", "                enabled\n        Security level high\n"
)


@pytest.fixture
def disk(tmp_path: Path) -> Target:
    path = tmp_path / "drive.img"
    path.write_bytes(os.urandom(SIZE))
    return Target(
        name="drive",
        device_path=str(path),
        model="INTEL SSDSC2BB480G7K",
        serial="BTDV72420A3D480BGN",
        size_bytes=SIZE,
        transport="sata",
        rotational=False,
        media="ssd",
    )


def security_erase_steps(dev: str, erase: Result) -> list[tuple[list[object], Result]]:
    def ident(text: str) -> tuple[list[object], Result]:
        return (["hdparm", "-I", dev], Result(0, text.encode()))

    ok_set = Result(0, recording("qemu/hdparm-security-set-pass")[1].stdout)
    return [
        ident(INTEL),  # engine: detect()
        ident(INTEL),  # execute(): fresh detect
        (["hdparm", "--user-master", "u", "--security-set-pass", ANY, dev], ok_set),
        ident(INTEL_ENABLED),
        (["hdparm", "--user-master", "u", "--security-erase-enhanced", ANY, dev], erase),
        ident(INTEL),  # the drive says security is off again, as after a real erase
    ]


def run(tmp_path: Path, disk: Target, runner: ReplayRunner, method: str | None) -> EraseOutcome:
    key = BenchKey.generate()
    ctx = EraseContext(
        key=key,
        journal=Journal(tmp_path / "j.jsonl", key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
        runner=runner,
        firmware=None,  # the real wipe.firmware, loaded by the engine
    )
    request = EraseRequest(
        target=disk,
        method=load_method(method) if method else None,
        verification=parse_verification("last"),
        firmware_method="ata-secure-erase-enhanced",
        confirmed=True,
    )
    return erase_device(request, ctx)


def test_drive_that_claims_success_but_erased_nothing_is_failed(
    tmp_path: Path, disk: Target
) -> None:
    """hdparm and the drive's security state both say done; the sectors say otherwise."""
    erase = Result(0, recording("qemu/hdparm-security-erase-enhanced")[1].stdout)
    runner = ReplayRunner(security_erase_steps(disk.device_path, erase))
    out = run(tmp_path, disk, runner, None)
    runner.assert_done()
    firmware = out.envelope["payload"]["method"]["firmware"]
    assert firmware["claimed_completed"] is True
    assert firmware["completed"] is False
    assert out.result == "FAILED"
    assert out.envelope["payload"]["sanitization"]["level"] is None


def test_qemu_aborted_erase_then_overwrite_is_clear(tmp_path: Path, disk: Target) -> None:
    _, aborted = recording("qemu/hdparm-security-erase-enhanced")
    steps = security_erase_steps(disk.device_path, aborted)
    steps[-1] = (["hdparm", "-I", disk.device_path], Result(0, INTEL_ENABLED.encode()))
    steps += [
        (
            ["hdparm", "--user-master", "u", "--security-disable", ANY, disk.device_path],
            Result(0, recording("qemu/hdparm-security-disable")[1].stdout),
        ),
        (["hdparm", "-I", disk.device_path], Result(0, INTEL.encode())),
    ]
    runner = ReplayRunner(steps)
    out = run(tmp_path, disk, runner, "zero")
    runner.assert_done()
    payload = out.envelope["payload"]
    assert payload["method"]["firmware"]["claimed_completed"] is False
    assert out.result == "ERASED"
    assert payload["sanitization"]["level"] == "clear"
    assert Path(disk.device_path).read_bytes() == bytes(SIZE)
