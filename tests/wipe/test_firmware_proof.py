"""The engine proves a firmware method by reading sampled sectors before and after.

The drive is a plain file here (the engine opens files like devices); the
firmware module is a double that behaves like the real cases: a command that
"succeeds" without erasing (hdparm exit 0 + ABORTED COMMAND under QEMU), one
that really erases, one that reports failure.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from wipe.certificate import verify_certificate
from wipe.engine import EraseContext, EraseRequest, FirmwareMethods, erase_device
from wipe.firmware import FirmwareCapabilities, FirmwareOutcome
from wipe.firmware.execute import CancelEvent, ProgressCallback
from wipe.firmware.policy import Media
from wipe.journal import Journal, verify_journal
from wipe.methods import load_method, parse_verification
from wipe.policy import load_policy
from wipe.proof import compare, sample_offsets
from wipe.runner_protocol import Runner
from wipe.signing import BenchKey
from wipe.targets import Target

SIZE = 8 << 20


class FakeFirmware:
    """Stands in for wipe.firmware (the engine's ``FirmwareMethods``): it answers with the
    real capability and outcome records; ``effect`` says what the 'drive' does."""

    def __init__(self, effect: str, supported: tuple[str, ...] = ("nvme-sanitize-crypto",)):
        self.effect = effect
        self.supported = supported
        self.executed: list[str] = []

    def detect(
        self, runner: Runner, device_path: str, *, transport: str | None = None
    ) -> FirmwareCapabilities:
        return FirmwareCapabilities(
            device_path=device_path,
            interface="nvme",
            known=True,
            methods=self.supported,
            reason_fr="",
            reason_en="",
        )

    def policy_choice(
        self,
        capabilities: FirmwareCapabilities,
        media: Media,
        *,
        allow_ata_security_erase: bool = False,
    ) -> list[str]:
        return list(capabilities.methods)

    def execute(
        self,
        runner: Runner,
        path: str,
        name: str,
        progress_cb: ProgressCallback | None = None,
        cancel_event: CancelEvent | None = None,
        *,
        transport: str | None = None,
    ) -> FirmwareOutcome:
        self.executed.append(name)
        cmd = {
            "argv": ["hdparm", "--security-erase", "x", path],
            "returncode": 0,
            "stdout": "",
            "stderr": "ABORTED COMMAND" if self.effect == "nothing" else "",
        }
        if self.effect == "erase":
            with open(path, "r+b") as fh:
                fh.write(os.urandom(SIZE))
        if self.effect == "fail":
            return FirmwareOutcome(
                name, path, False, "commande abandonnée", "command aborted", [cmd]
            )
        # "nothing": claims success like an exit code 0 would.
        return FirmwareOutcome(name, path, True, "terminé", "completed", [cmd], nist_level="purge")


@pytest.fixture
def disk(tmp_path: Path) -> Target:
    path = tmp_path / "drive.img"
    data = bytearray(os.urandom(SIZE))
    data[SIZE // 2 : SIZE // 2 + 65536] = bytes(65536)  # an all-zero area, like free space
    path.write_bytes(bytes(data))
    return Target(
        name="drive",
        device_path=str(path),
        model="Fake NVMe",
        serial="FAKE123",
        size_bytes=SIZE,
        transport="nvme",
        rotational=False,
        media="nvme",
    )


def _ctx(tmp_path: Path, fw: FirmwareMethods | None) -> EraseContext:
    key = BenchKey.generate()
    return EraseContext(
        key=key,
        journal=Journal(tmp_path / "j.jsonl", key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
        runner=object(),
        firmware=fw,
    )


def _req(disk: Target, method: str | None, firmware: str = "auto") -> EraseRequest:
    return EraseRequest(
        target=disk,
        method=load_method(method) if method else None,
        verification=parse_verification("last"),
        firmware_method=firmware,
        confirmed=True,
    )


def test_exit_zero_but_nothing_erased_is_failed(tmp_path: Path, disk: Target) -> None:
    fw = FakeFirmware("nothing")
    out = erase_device(_req(disk, None), _ctx(tmp_path, fw))
    assert fw.executed == ["nvme-sanitize-crypto"]
    assert out.result == "FAILED"
    record = out.envelope["payload"]["method"]["firmware"]
    assert record["claimed_completed"] is True
    assert record["completed"] is False
    assert record["proof"]["proved"] is False
    assert record["proof"]["unchanged_with_data"] >= 60
    assert any("despite its exit code" in r for r in out.reasons_en)
    assert out.envelope["payload"]["sanitization"]["level"] is None


def test_firmware_failure_then_overwrite_is_clear_not_purge(tmp_path: Path, disk: Target) -> None:
    out = erase_device(_req(disk, "zero"), _ctx(tmp_path, FakeFirmware("nothing")))
    assert out.result == "ERASED"
    payload = out.envelope["payload"]
    assert payload["sanitization"]["level"] == "clear"
    assert payload["method"]["firmware"]["completed"] is False
    assert Path(disk.device_path).read_bytes() == bytes(SIZE)


def test_real_change_is_proved_and_purge_claimed(tmp_path: Path, disk: Target) -> None:
    ctx = _ctx(tmp_path, FakeFirmware("erase"))
    out = erase_device(_req(disk, None), ctx)
    assert out.result == "ERASED"
    payload = out.envelope["payload"]
    proof = payload["method"]["firmware"]["proof"]
    assert proof["proved"] is True
    assert proof["changed"] == proof["samples"] - proof["unchanged_uniform"]
    assert payload["sanitization"]["level"] == "purge"
    assert verify_certificate(out.certificate_path).ok
    events = [p["event"] for p in verify_journal(ctx.journal.path).payloads]
    assert events == ["session-start", "firmware-start", "firmware-end", "session-end"]


def test_reported_failure_is_recorded(tmp_path: Path, disk: Target) -> None:
    out = erase_device(_req(disk, "random"), _ctx(tmp_path, FakeFirmware("fail")))
    assert out.result == "ERASED"  # the verified overwrite still did its job
    assert any("did not complete: command aborted" in r for r in out.reasons_en)
    assert out.envelope["payload"]["sanitization"]["level"] == "clear"


def test_no_supported_method(tmp_path: Path, disk: Target) -> None:
    out = erase_device(_req(disk, "zero"), _ctx(tmp_path, FakeFirmware("erase", supported=())))
    assert out.result == "ERASED"
    assert any("no safe firmware method" in r for r in out.reasons_en)


def test_a_firmware_request_without_a_runner_fails_with_its_reason(
    tmp_path: Path, disk: Target
) -> None:
    ctx = _ctx(tmp_path, None)
    ctx.runner = None
    out = erase_device(_req(disk, None), ctx)
    assert out.result == "FAILED"
    assert any("no way to send commands to the drive" in r for r in out.reasons_en)
    record = out.envelope["payload"]["method"]["firmware"]
    assert record["completed"] is False
    assert "no way to send commands" in record["reason_en"]
    assert Path(disk.device_path).read_bytes() != bytes(SIZE)  # nothing was written


def test_sample_offsets_spread_and_include_ends() -> None:
    offsets = sample_offsets(1 << 30, 512, 64, b"s" * 32)
    assert offsets[0] == 0 and offsets[-1] == (1 << 30) - 512
    assert len(offsets) >= 64
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert max(gaps) < 2 * (1 << 30) // 64
    assert sample_offsets(1 << 30, 512, 64, b"s" * 32) == offsets  # reproducible from the seed


def test_compare_blank_disk_is_not_proof() -> None:
    blank = [bytes(512)] * 8
    assert not compare(blank, blank).proved
    assert "already uniform" in compare(blank, blank).reason_en
    assert not compare([None] * 4, [None] * 4).proved


@pytest.mark.parametrize(
    ("hpa", "result"),
    [
        # An HPA hides 2048 sectors beyond what the OS sees: they were not overwritten.
        (
            {
                "status": "hidden",
                "native_sectors": SIZE // 512 + 2048,
                "hidden_sectors": 2048,
                "hpa_hidden_sectors": 2048,
                "logical_sector_bytes": 512,
            },
            "FAILED",
        ),
        # HPA restored before the erasure: the opened size covers the native size.
        (
            {
                "status": "none",
                "native_sectors": SIZE // 512,
                "hidden_sectors": 0,
                "logical_sector_bytes": 512,
            },
            "ERASED",
        ),
        # Unknown (USB bridge): recorded, not a failure.
        ({"status": "unknown", "native_sectors": None, "hidden_sectors": None}, "ERASED"),
    ],
)
def test_hidden_sectors_left_unwritten_fail(
    tmp_path: Path, disk: Target, hpa: dict[str, Any], result: str
) -> None:
    req = _req(disk, "zero", firmware="")
    req.firmware_method = None
    req.hpa_dco = hpa
    out = erase_device(req, _ctx(tmp_path, None))
    assert out.result == result, out.reasons_en
    assert out.envelope["payload"]["hpa_dco"] == hpa
    if result == "FAILED":
        assert any("1048576 hidden bytes (HPA/DCO)" in r for r in out.reasons_en)
        assert out.envelope["payload"]["sanitization"]["level"] is None


class StillRunning(FakeFirmware):
    def execute(self, *args: Any, **kw: Any) -> FirmwareOutcome:
        out = super().execute(*args, **kw)
        out.completed = False
        out.still_running_on_drive = True
        return out


def test_no_overwrite_while_the_drive_still_sanitizes(tmp_path: Path, disk: Target) -> None:
    before = Path(disk.device_path).read_bytes()
    out = erase_device(_req(disk, "zero"), _ctx(tmp_path, StillRunning("nothing")))
    assert out.result == "FAILED"
    assert any("still running its sanitize" in r for r in out.reasons_en)
    assert out.envelope["payload"]["method"]["passes"] == []
    assert Path(disk.device_path).read_bytes() == before
    assert out.envelope["payload"]["method"]["firmware"]["nist_level"] is None


def test_firmware_only_erasure_with_hidden_sectors_fails(tmp_path: Path, disk: Target) -> None:
    """docs/erasure.md: whatever the policy, sectors still hidden (HPA/DCO) end FAILED, even
    when the firmware command really rewrote every sector the OS sees."""
    req = _req(disk, None)
    req.verification = parse_verification("none")
    req.hpa_dco = {
        "status": "hidden",
        "native_sectors": SIZE // 512 + 2048,
        "hpa_hidden_sectors": 2048,
        "hidden_sectors": 2048,
        "logical_sector_bytes": 512,
    }
    out = erase_device(req, _ctx(tmp_path, FakeFirmware("erase")))
    assert out.envelope["payload"]["method"]["firmware"]["completed"] is True
    assert out.result == "FAILED", out.reasons_en
    assert out.envelope["payload"]["sanitization"]["level"] is None
