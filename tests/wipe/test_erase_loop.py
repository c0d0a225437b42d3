"""End to end on real loop devices: erase, then look for canaries in the backing file."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from support.requirements import require_program
from wipe_helpers import Loop, read_backing, surviving_canaries

from wipe.certificate import verify_certificate
from wipe.engine import EraseContext, EraseRequest, TargetRefusedError, erase_device
from wipe.journal import verify_journal
from wipe.methods import available_methods, load_method, parse_verification
from wipe.overwrite import Progress
from wipe.targets import select_targets

pytestmark = [pytest.mark.root, pytest.mark.loop]


def _request(loop: Loop, method: str, verify: str | None = None, **kw: object) -> EraseRequest:
    (target,) = select_targets([loop.device])
    assert target.erasable, target.refusals
    m = load_method(method)
    return EraseRequest(
        target=target,
        method=m,
        verification=parse_verification(verify) if verify else m.verification,
        confirmed=True,
        asset_tag="LCT-000123",
        **kw,  # type: ignore[arg-type]
    )


def _backing_sha256(path: Path) -> str:
    h = hashlib.sha256()
    for _, data in read_backing(path):
        h.update(data)
    return h.hexdigest()


@pytest.mark.parametrize("method", sorted(available_methods()))
def test_every_method_leaves_no_canary(loop_factory, ctx: EraseContext, method: str) -> None:
    loop = loop_factory(32 << 20)
    assert len(surviving_canaries(loop.backing)) > 100  # the canaries are really there
    outcome = erase_device(_request(loop, method), ctx)
    assert outcome.result == "ERASED", outcome.reasons_en
    assert surviving_canaries(loop.backing) == []
    payload = outcome.envelope["payload"]
    m = load_method(method)
    assert [p["pattern"] for p in payload["method"]["passes"]] == [p.label for p in m.passes]
    assert payload["bytes_written"] == len(m.passes) * loop.size_bytes
    assert payload["sanitization"]["level"] == "clear"
    assert payload["verification"]["coverage_percent"] == 100.0
    # The last pass's content is what the backing file now holds.
    last = m.passes[-1]
    first_block = next(read_backing(loop.backing))[1][:4096]
    if last.kind == "constant":
        assert first_block == bytes([last.byte]) * 4096
    else:
        assert len(set(first_block)) > 200  # keystream, not a constant
    check = verify_certificate(outcome.certificate_path)
    assert check.ok, check.problems_en
    assert verify_journal(ctx.journal.path).ok


def test_flipped_byte_in_certificate_fails_and_is_located(loop_factory, ctx) -> None:
    loop = loop_factory(16 << 20)
    outcome = erase_device(_request(loop, "zero"), ctx)
    path = outcome.certificate_path
    raw = path.read_bytes()
    i = raw.index(b'"result": "ERASED"') + len(b'"result": "')
    tampered = raw[:i] + b"F" + raw[i + 1 :]  # ERASED -> FRASED: one byte flipped
    path.write_bytes(tampered)
    check = verify_certificate(path)
    assert not check.ok
    assert check.altered_sections == ["result"]
    # Editing the serial is named as well.
    doc = json.loads(raw)
    doc["payload"]["media"]["serial"] = "OTHER"
    path.write_text(json.dumps(doc))
    assert verify_certificate(path).altered_sections == ["media"]


def test_dry_run_writes_nothing(loop_factory, ctx) -> None:
    loop = loop_factory(16 << 20)
    before = _backing_sha256(loop.backing)
    req = _request(loop, "dod-3pass", dry_run=True)
    req.confirmed = False  # a dry run needs no confirmation
    outcome = erase_device(req, ctx)
    assert outcome.result == "DRY_RUN"
    assert _backing_sha256(loop.backing) == before
    payload = outcome.envelope["payload"]
    assert payload["dry_run"] is True
    assert payload["sanitization"]["level"] is None
    assert any("DRY RUN" in r for r in payload["reasons"]["en"])
    assert verify_certificate(outcome.certificate_path).ok


def test_unconfirmed_destructive_run_is_refused(loop_factory, ctx) -> None:
    loop = loop_factory(8 << 20)
    req = _request(loop, "zero")
    req.confirmed = False
    with pytest.raises(TargetRefusedError, match="not confirmed"):
        erase_device(req, ctx)
    assert len(surviving_canaries(loop.backing)) > 100


def test_mounted_loop_device_is_refused(loop_factory, ctx, tmp_path) -> None:
    require_program("mkfs.ext4")
    loop = loop_factory(16 << 20, canaries=False)
    subprocess.run(["mkfs.ext4", "-q", "-F", loop.device], check=True, capture_output=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", loop.device, str(mnt)], check=True, capture_output=True)
    try:
        (target,) = select_targets([loop.device])
        assert [r.code for r in target.refusals] == ["mounted"]
        assert str(mnt) in target.refusals[0].en
        req = EraseRequest(
            target=target,
            method=load_method("zero"),
            verification=parse_verification("last"),
            confirmed=True,
        )
        with pytest.raises(TargetRefusedError, match="mounted"):
            erase_device(req, ctx)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    assert b"\x53\xef" in next(read_backing(loop.backing))[1][1024 + 56 : 1024 + 58]  # ext4 magic


def test_second_member_of_a_mounted_btrfs_is_refused(loop_factory, tmp_path) -> None:
    """A two-device btrfs (raid1) mounted from the first loop device: the mount table
    names only that one, yet the second holds the same data and must be refused."""
    require_program("mkfs.btrfs")
    first = loop_factory(128 << 20, canaries=False, name="b1")
    second = loop_factory(128 << 20, canaries=False, name="b2")
    subprocess.run(
        ["mkfs.btrfs", "-q", "-f", "-d", "raid1", "-m", "raid1", first.device, second.device],
        check=True,
        capture_output=True,
    )
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", first.device, str(mnt)], check=True, capture_output=True)
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text()
        assert second.device not in mountinfo  # only the device it was mounted from
        (target,) = select_targets([second.device])
        assert [r.code for r in target.refusals] == ["mounted"]
        assert "btrfs" in target.refusals[0].en
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
    (target,) = select_targets([second.device])
    assert target.erasable  # unmounted: the kernel no longer lists it


def test_sampled_verification_covers_first_and_last_blocks(loop_factory, ctx) -> None:
    loop = loop_factory(64 << 20)
    outcome = erase_device(_request(loop, "random", "sampled:5"), ctx)
    assert outcome.result == "ERASED", outcome.reasons_en
    ver = outcome.envelope["payload"]["verification"]
    assert 5.0 <= ver["coverage_percent"] < 20.0
    assert surviving_canaries(loop.backing) == []


def test_verification_catches_data_changed_behind_the_eraser(loop_factory, ctx) -> None:
    """Corrupt the backing file between the write and the read-back: verification must see it."""
    loop = loop_factory(16 << 20)
    original = ctx.progress
    corrupted = threading.Event()

    def sabotage(p: Progress) -> None:
        # The write pass's final report comes after its fdatasync, before the read-back.
        if p.phase == "write" and p.bytes_done == p.bytes_total and not corrupted.is_set():
            corrupted.set()
            with open(loop.backing, "r+b") as fh:
                fh.seek(12 << 20)
                fh.write(b"\x42" * 1024)
                fh.flush()
        if original:
            original(p)

    ctx.progress = sabotage
    ctx.options = type(ctx.options)(block_bytes=1 << 20)
    outcome = erase_device(_request(loop, "zero"), ctx)
    assert corrupted.is_set()
    payload = outcome.envelope["payload"]
    mismatches = [e for e in payload["errors"]["ranges"] if e["kind"] == "mismatch"]
    assert outcome.result == "FAILED"
    assert [(m["start_byte"], m["length_bytes"]) for m in mismatches] == [(12 << 20, 1024)]
    assert payload["sanitization"]["level"] is None
    assert payload["verification"]["passed"] is False


def test_cancellation_gives_aborted(loop_factory, ctx) -> None:
    loop = loop_factory(32 << 20)

    def cancel_early(p: Progress) -> None:
        ctx.cancel.set()

    ctx.progress = cancel_early
    ctx.options = type(ctx.options)(block_bytes=1 << 20, clock=iter(range(10**6)).__next__)
    outcome = erase_device(_request(loop, "dod-3pass"), ctx)
    assert outcome.result == "ABORTED"
    payload = outcome.envelope["payload"]
    assert payload["sanitization"]["level"] is None
    assert payload["bytes_written"] < 3 * loop.size_bytes
    assert verify_certificate(outcome.certificate_path).ok


def test_peak_memory_stays_bounded(loop_factory) -> None:
    """A random pass, its verification, and a verification that fails on every block
    (zeros expected over random data: the error path) stay under 100 MB (VmHWM)."""
    import sys

    loop = loop_factory(512 << 20, canaries=False)
    code = (
        "import threading, sys\n"
        "from wipe.blockdev import open_device\n"
        "from wipe.overwrite import full_regions, verify_regions, write_pass\n"
        "from wipe.patterns import Keystream, Pattern\n"
        "dev = open_device(sys.argv[1], write=True)\n"
        "ks, c = Keystream(bytes(32), 0), threading.Event()\n"
        "w = write_pass(dev, Pattern('random'), ks, pass_index=0, pass_count=1, cancel=c)\n"
        "v = verify_regions(dev, Pattern('random'), ks, full_regions(dev, 8 << 20),\n"
        "                   pass_index=0, pass_count=1, cancel=c)\n"
        "assert w.ok and v.ok\n"
        "m = verify_regions(dev, Pattern('constant', 0), None, full_regions(dev, 8 << 20),\n"
        "                   pass_index=0, pass_count=1, cancel=c)\n"
        "assert [(e.start_byte, e.length_bytes) for e in m.errors] == [(0, dev.size_bytes)]\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, loop.device], capture_output=True, text=True, check=True
    )
    peak_kib = int(proc.stdout.strip())
    assert peak_kib < 100_000, f"peak RSS {peak_kib} KiB"


# -- HPA: a restored HPA the kernel does not see yet was never overwritten -------------


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


def test_restored_hpa_beyond_the_kernel_size_is_not_erased(loop_factory, ctx) -> None:
    loop = loop_factory(8 << 20)
    sectors = loop.size_bytes // 512
    req = _request(loop, "zero", "last", hpa_dco=_restored_hpa(sectors, sectors + 2048))
    out = erase_device(req, ctx)
    assert surviving_canaries(loop.backing) == []  # the visible part was overwritten...
    assert out.result == "FAILED", out.reasons_en  # ...but 1 MiB the drive has was not
    assert any("1048576 hidden bytes (HPA/DCO)" in r for r in out.reasons_en)
    assert out.envelope["payload"]["sanitization"]["level"] is None


def test_restored_hpa_the_kernel_sees_is_erased(loop_factory, ctx) -> None:
    """After a rescan (or a power cycle) the opened size is the native size: ERASED."""
    loop = loop_factory(8 << 20)
    sectors = loop.size_bytes // 512
    req = _request(loop, "zero", "last", hpa_dco=_restored_hpa(sectors - 2048, sectors))
    out = erase_device(req, ctx)
    assert out.result == "ERASED", out.reasons_en
    assert surviving_canaries(loop.backing) == []
