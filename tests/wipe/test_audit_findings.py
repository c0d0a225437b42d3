"""Findings of the erasure audit: each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from wipe_helpers import Loop, surviving_canaries

from wipe.blockdev import open_device
from wipe.certificate import sign_certificate, verify_certificate
from wipe.engine import (
    EraseRequest,
    ResumeError,
    erase_device,
    find_resume_point,
)
from wipe.journal import Journal, entry_hash, verify_journal
from wipe.methods import load_method, parse_verification
from wipe.overwrite import sampled_regions
from wipe.patterns import KEYSTREAM_LAYOUT
from wipe.signing import BenchKey
from wipe.targets import Target, select_targets

# -- HPA: a restored HPA the kernel does not see yet was never overwritten -------------


def _loop_request(loop: Loop, hpa: dict[str, Any]) -> EraseRequest:
    (target,) = select_targets([loop.device])
    assert target.erasable, target.refusals
    return EraseRequest(
        target=target,
        method=load_method("zero"),
        verification=parse_verification("last"),
        confirmed=True,
        hpa_dco=hpa,
    )


def _restored_hpa(visible_sectors: int, native_sectors: int) -> dict[str, Any]:
    """What ``bench-agent erase`` records after ``hdparm -N p<native>`` succeeded: the drive
    now shows its native size, the kernel still has the old one (no rescan)."""
    before = {
        "status": "hidden",
        "visible_sectors": visible_sectors,
        "native_sectors": native_sectors,
        "hpa_hidden_sectors": native_sectors - visible_sectors,
        "dco_hidden_sectors": 0,
        "hidden_sectors": native_sectors - visible_sectors,
        "logical_sector_bytes": 512,
    }
    return {
        "status": "none",
        "visible_sectors": native_sectors,
        "native_sectors": native_sectors,
        "dco_real_sectors": None,
        "hpa_hidden_sectors": 0,
        "dco_hidden_sectors": 0,
        "hidden_sectors": 0,
        "hidden_bytes": 0,
        "logical_sector_bytes": 512,
        "before": before,
        "restore": {"completed": True, "kernel_rescan_needed": True},
    }


@pytest.mark.root
@pytest.mark.loop
def test_restored_hpa_beyond_the_kernel_size_is_not_erased(loop_factory, ctx) -> None:
    loop = loop_factory(8 << 20)
    sectors = loop.size_bytes // 512
    out = erase_device(_loop_request(loop, _restored_hpa(sectors, sectors + 2048)), ctx)
    assert surviving_canaries(loop.backing) == []  # the visible part was overwritten...
    assert out.result == "FAILED", out.reasons_en  # ...but 1 MiB the drive has was not
    assert any("1048576 hidden bytes (HPA/DCO)" in r for r in out.reasons_en)
    assert out.envelope["payload"]["sanitization"]["level"] is None


@pytest.mark.root
@pytest.mark.loop
def test_restored_hpa_the_kernel_sees_is_erased(loop_factory, ctx) -> None:
    """After a rescan (or a power cycle) the opened size is the native size: ERASED."""
    loop = loop_factory(8 << 20)
    sectors = loop.size_bytes // 512
    out = erase_device(_loop_request(loop, _restored_hpa(sectors - 2048, sectors)), ctx)
    assert out.result == "ERASED", out.reasons_en
    assert surviving_canaries(loop.backing) == []


class _ErasingFirmware:
    """A firmware double whose sanitize really rewrites the visible sectors."""

    def detect(self, runner: object, device_path: str, **kw: object) -> object:
        return object()

    def policy_choice(self, caps: object, media: str, **kw: object) -> list[str]:
        return ["nvme-sanitize-crypto"]

    def execute(self, runner: object, path: str, name: str, *a: object, **kw: object) -> Any:
        size = os.path.getsize(path)
        with open(path, "r+b") as fh:
            fh.write(os.urandom(size))
        return type(
            "Outcome",
            (),
            {"completed": True, "nist_level": "purge", "reason_fr": "", "reason_en": ""},
        )()


def test_firmware_only_erasure_with_hidden_sectors_fails(tmp_path: Path, ctx) -> None:
    """docs/erasure.md: whatever the policy, sectors still hidden (HPA/DCO) end FAILED."""
    size = 4 << 20
    drive = tmp_path / "drive.img"
    drive.write_bytes(os.urandom(size))
    target = Target("drive", str(drive), "M", "SER-FW", size, "sata", False, "ssd")
    hpa = {
        "status": "hidden",
        "native_sectors": size // 512 + 2048,
        "hpa_hidden_sectors": 2048,
        "hidden_sectors": 2048,
        "logical_sector_bytes": 512,
    }
    ctx.firmware = _ErasingFirmware()
    ctx.runner = object()
    req = EraseRequest(
        target=target,
        method=None,
        verification=parse_verification("none"),
        firmware_method="auto",
        confirmed=True,
        hpa_dco=hpa,
    )
    out = erase_device(req, ctx)
    assert out.envelope["payload"]["method"]["firmware"]["completed"] is True
    assert out.result == "FAILED", out.reasons_en
    assert out.envelope["payload"]["sanitization"]["level"] is None


# -- hostile certificate and journal files: reported, never raised --------------------


def test_certificate_with_nan_is_invalid_not_a_crash() -> None:
    key = BenchKey.generate()
    env = sign_certificate(key, {"schema": "x", "result": "FAILED", "media": {"serial": "A"}})
    raw = json.dumps(env).replace('"serial": "A"', '"serial": NaN')
    check = verify_certificate(raw.encode())
    assert not check.ok
    assert check.problems_en


def test_journal_line_with_a_non_object_signature_is_reported(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()
    doc = json.loads(lines[1])
    doc["signature"] = "forged"
    lines[1] = json.dumps(doc)
    j.path.write_text("\n".join(lines) + "\n")
    report = verify_journal(j.path)
    assert not report.ok
    assert any(p.startswith("line 2:") for p in report.problems)


def test_journal_line_with_nan_is_reported(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()
    lines[1] = lines[1].replace('"index": 1', '"index": NaN')
    assert "NaN" in lines[1]
    j.path.write_text("\n".join(lines) + "\n")
    report = verify_journal(j.path)
    assert not report.ok
    assert any(p.startswith("line 2:") for p in report.problems)


def test_cut_tail_with_a_head_signed_by_another_key_is_found(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(4):
        j.append("pass-end", {"session_id": "s", "index": i})
    lines = j.path.read_text().splitlines()[:2]
    j.path.write_text("\n".join(lines) + "\n")
    forged = BenchKey.generate().sign({"seq": 2, "hash": entry_hash(json.loads(lines[-1]))})
    j.head_path.write_text(json.dumps(forged))
    report = verify_journal(j.path)
    assert not report.ok
    assert any("head" in p for p in report.problems)


# -- resume: only the disk's latest session may be resumed ----------------------------


def _session(j: Journal, sid: str, method: str, end: str | None, **start: Any) -> None:
    device = {"serial": "SER-R", "device_path": "/dev/sdx"}
    j.append(
        "session-start",
        {
            "session_id": sid,
            "device": device,
            "method": {"name": method},
            "dry_run": False,
            "keystream_seed_hex": "ab" * 32,
            "keystream_layout": KEYSTREAM_LAYOUT,
            **start,
        },
    )
    j.append("pass-start", {"session_id": sid, "index": 0})
    j.append("checkpoint", {"session_id": sid, "index": 0, "bytes_done": 900, "error_ranges": 0})
    if end is not None:
        j.append("session-end", {"session_id": sid, "result": end})


def test_resume_refuses_an_interrupted_session_followed_by_another(tmp_path: Path) -> None:
    """An old interrupted session must not be resumed once the disk was erased (or written)
    again: its checkpoint offset no longer says anything about the disk's content."""
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    target = Target("sdx", "/dev/sdx", "M", "SER-R", 1000, "sata", True, "hdd")
    _session(j, "old", "random", "INTERRUPTED")
    point = find_resume_point(verify_journal(j.path), target, "random")
    assert (point.session_id, point.offset_bytes) == ("old", 900)
    _session(j, "later", "zero", "ERASED")
    with pytest.raises(ResumeError):
        find_resume_point(verify_journal(j.path), target, "random")
    # A dry run writes nothing: it does not hide the interrupted session.
    j2 = Journal(tmp_path / "j2.jsonl", BenchKey.generate())
    _session(j2, "old", "random", "INTERRUPTED")
    _session(j2, "dry", "random", "DRY_RUN", dry_run=True)
    assert find_resume_point(verify_journal(j2.path), target, "random").session_id == "old"


def test_resumed_session_cannot_be_resumed_again_once_erased(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    target = Target("sdx", "/dev/sdx", "M", "SER-R", 1000, "sata", True, "hdd")
    _session(j, "old", "random", "INTERRUPTED")
    _session(j, "resumed", "random", "ERASED", resumed_from={"session_id": "old"})
    with pytest.raises(ResumeError):
        find_resume_point(verify_journal(j.path), target, "random")


# -- the medium changed between selection and opening ---------------------------------


@pytest.mark.root
@pytest.mark.loop
@pytest.mark.parametrize("new_size", [0, 4 << 20])
def test_medium_that_shrank_since_selection_is_not_certified(
    loop_factory, ctx, new_size: int
) -> None:
    """/sys said 8 MiB when the disk was selected; the open sees less (a card swapped in its
    reader, no medium at all): nothing is written and no ERASED certificate is signed."""
    loop = loop_factory(8 << 20)
    req = _loop_request(loop, {})
    assert req.target.size_bytes == 8 << 20
    os.truncate(loop.backing, new_size)
    subprocess.run(["losetup", "-c", loop.device], check=True, capture_output=True)
    out = erase_device(req, ctx)
    assert out.result == "FAILED", out.reasons_en
    assert out.envelope["payload"]["sanitization"]["level"] is None
    assert out.envelope["payload"]["bytes_written"] == 0
    if new_size:
        assert len(surviving_canaries(loop.backing)) > 40  # the confirmed disk is not this one


# -- journal: a power cut that lost only the newline ----------------------------------


def test_line_missing_only_its_newline_stays_in_the_chain(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl", BenchKey.generate())
    for i in range(3):
        j.append("pass-end", {"session_id": "s", "index": i})
    raw = j.path.read_bytes()
    j.path.write_bytes(raw[:-1])
    j.append("session-end", {"session_id": "s", "result": "ERASED"})
    report = verify_journal(j.path)
    assert report.ok, report.problems
    assert [p["seq"] for p in report.payloads] == [1, 2, 3, 4]
    # A line really torn mid-way is still acknowledged by a torn-entry.
    raw = j.path.read_bytes()
    j.path.write_bytes(raw[:-40])
    j.append("session-end", {"session_id": "t", "result": "ERASED"})
    report = verify_journal(j.path)
    assert report.ok, report.problems
    assert report.torn_lines == [4]
    assert [p["event"] for p in report.payloads][-2:] == ["torn-entry", "session-end"]


# -- sampled verification: coverage counts each byte once ------------------------------


@pytest.mark.parametrize(("size", "percent"), [(64 << 20, 5.0), (64 << 20, 50.0), (1 << 30, 1.0)])
def test_sampled_regions_do_not_overlap(tmp_path: Path, size: int, percent: float) -> None:
    path = tmp_path / "d.img"
    with open(path, "wb") as fh:
        fh.truncate(size)
    dev = open_device(str(path), write=False)
    try:
        for i in range(20):
            regions = sampled_regions(dev, percent, bytes([i]) * 32)
            ends = [s + n for s, n in regions]
            assert all(ends[k] <= regions[k + 1][0] for k in range(len(regions) - 1)), regions
            assert regions[0][0] == 0 and ends[-1] == size
            assert all(s % 512 == 0 and n % 512 == 0 for s, n in regions)
            assert sum(n for _, n in regions) >= size * percent / 100
    finally:
        dev.close()
