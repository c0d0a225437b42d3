"""Sampled O_DIRECT read check on real loop devices (one over a faulty FUSE file)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench_agent.health import assess_output, load_policy
from bench_agent.health.readcheck import apply_read_check, judge, summarise
from bench_agent.host.blockread import (
    ALIGN_BYTES,
    BlockReadError,
    ChunkRead,
    SampledRead,
    sample_offsets,
    sampled_read,
)
from tests.support.requirements import require, require_loop_devices, require_program

MIB = 1 << 20
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "smartctl"


@contextmanager
def loop_device(backing: Path) -> Iterator[str]:
    """Attach ``backing`` read-only with direct I/O; always detach."""
    dev = subprocess.run(
        ["losetup", "--find", "--show", "--direct-io=on", "--read-only", str(backing)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        yield dev
    finally:
        subprocess.run(["losetup", "--detach", dev], check=False)


def test_sample_offsets_spread_and_aligned() -> None:
    offsets = sample_offsets(1000 * MIB + 12345, 16 * MIB, MIB)
    assert len(offsets) == 16
    assert offsets[0] == 0
    assert offsets[-1] + MIB <= 1000 * MIB + 12345
    assert offsets[-1] >= 998 * MIB  # reaches the end of the device
    assert all(o % ALIGN_BYTES == 0 for o in offsets)
    assert offsets == sorted(set(offsets))
    assert sample_offsets(MIB // 2, 8 * MIB, MIB) == [0]
    assert sample_offsets(100, 8 * MIB, MIB) == []


@pytest.mark.loop
@pytest.mark.root
def test_read_check_on_loop_device(tmp_path: Path) -> None:
    require_loop_devices()
    backing = tmp_path / "disk.img"
    with backing.open("wb") as fh:
        fh.truncate(64 * MIB)
    with loop_device(backing) as dev:
        chunks: list[ChunkRead] = []
        sample = sampled_read(dev, 8 * MIB, on_chunk=chunks.append)
    assert sample.device_bytes == 64 * MIB
    assert len(sample.chunks) == 8 and chunks == sample.chunks
    assert sample.error_offsets == []
    assert sample.read_bytes == 8 * MIB
    assert sample.chunks[-1].offset == 63 * MIB
    check = summarise(sample, 8 * MIB)
    assert check.throughput_mb_s is not None and check.throughput_mb_s > 0
    assert judge(check, load_policy()) == [] or check.throughput_mb_s < 10


@pytest.mark.loop
@pytest.mark.root
def test_read_check_folds_into_health(tmp_path: Path) -> None:
    require_loop_devices()
    backing = tmp_path / "disk.img"
    with backing.open("wb") as fh:
        fh.truncate(16 * MIB)
    policy = load_policy()
    health = assess_output(
        (CORPUS / "json" / "WDC_WD5000AAKX-08U6AA0_healthy.json").read_bytes(), policy, "x"
    )
    seen: list[ChunkRead] = []
    with loop_device(backing) as dev:
        apply_read_check(health, dev, 4, policy, on_chunk=seen.append)
    assert [c.offset for c in seen] == [0, 5 * MIB, 10 * MIB, 15 * MIB]
    assert health.read_check is not None
    assert health.read_check.sampled_bytes == 4 * MIB
    assert health.read_check.device_bytes == 16 * MIB


SYSTEM_PYTHON = "/usr/bin/python3"
FAULTY_FUSE = Path(__file__).resolve().parent / "faulty_fuse.py"


@contextmanager
def faulty_file(mountpoint: Path, size: int, bad_start: int, bad_end: int) -> Iterator[Path]:
    """Mount the EIO-injecting FUSE file system; the server forks once mounted."""
    require(Path("/dev/fuse").exists(), "needs /dev/fuse (FUSE)")
    fusermount = require_program("fusermount")
    has_binding = (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", "import fuse"], capture_output=True, check=False
        ).returncode
        == 0
        if Path(SYSTEM_PYTHON).exists()
        else False
    )
    require(has_binding, "needs Debian's python3-fuse (import fuse in /usr/bin/python3)")
    mountpoint.mkdir()
    subprocess.run(
        [
            SYSTEM_PYTHON,
            str(FAULTY_FUSE),
            str(mountpoint),
            "-o",
            f"size={size},bad_start={bad_start},bad_end={bad_end}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    try:
        yield mountpoint / "disk.img"
    finally:
        subprocess.run([fusermount, "-u", str(mountpoint)], check=False)


@pytest.mark.loop
@pytest.mark.root
def test_read_errors_recorded_on_loop_over_faulty_file(tmp_path: Path) -> None:
    """Real EIO from a real block device: a loop device over a file whose reads fail."""
    require_loop_devices()
    with (
        faulty_file(tmp_path / "mnt", 32 * MIB, 8 * MIB, 16 * MIB) as image,
        loop_device(image) as dev,
    ):
        sample = sampled_read(dev, 16 * MIB)
    bad = sample.error_offsets
    assert len(sample.chunks) == 16
    assert bad == [c.offset for c in sample.chunks if 8 * MIB <= c.offset < 16 * MIB]
    assert len(bad) >= 3
    assert all("EIO" in (c.error or "") for c in sample.chunks if c.offset in bad)
    assert sample.read_bytes == (16 - len(bad)) * MIB
    check = summarise(sample, 16 * MIB)
    assert check.error_offsets == bad
    findings = judge(check, load_policy())
    assert findings[0].code == "read_check.errors" and findings[0].severity == "FAIL"


def test_open_failure_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BlockReadError, match="missing"):
        sampled_read(str(tmp_path / "missing"), MIB)


def test_judge_slow_and_errors() -> None:
    sample = SampledRead(path="/dev/x", device_bytes=100 * MIB, chunk_bytes=MIB)
    sample.chunks = [
        ChunkRead(0, MIB, MIB, 0.5),
        ChunkRead(50 * MIB, MIB, 0, 0.01, "EIO (Input/output error)"),
        ChunkRead(99 * MIB, MIB, MIB, 0.5),
    ]
    sample.duration_s = 1.01
    check = summarise(sample, 3 * MIB)
    assert check.error_offsets == [50 * MIB]
    assert check.throughput_mb_s == pytest.approx(2 * MIB / 1.01 / 1e6, abs=0.01)
    codes = {f.code: f.severity for f in judge(check, load_policy())}
    assert codes == {"read_check.errors": "FAIL", "read_check.slow": "SUSPECT"}
    policy = load_policy()
    health = assess_output(
        (CORPUS / "json" / "WDC_WD5000AAKX-08U6AA0_healthy.json").read_bytes(), policy, "x"
    )
    apply_read_check(health, "/dev/x", 3, policy, reader=lambda path, n: sample)
    assert health.verdict == "FAIL"
    assert health.reason is not None
    assert "Read errors" in health.reason.en and str(50 * MIB) in health.reason.en


def test_read_errors_fail_a_drive_smart_cannot_judge() -> None:
    policy = load_policy()
    health = assess_output(
        (CORPUS / "json" / "SanDisk_USB-stick_unknown-usb-bridge_error.json").read_bytes(),
        policy,
        "/dev/sdb",
    )
    assert health.verdict == "UNKNOWN"
    sample = SampledRead(path="/dev/sdb", device_bytes=8 * MIB, chunk_bytes=MIB)
    sample.chunks = [ChunkRead(0, MIB, MIB, 0.01), ChunkRead(7 * MIB, MIB, 0, 0.01, "EIO")]
    sample.duration_s = 0.02
    apply_read_check(health, "/dev/sdb", 2, policy, reader=lambda path, n: sample)
    assert health.verdict == "FAIL"
    fast = SampledRead(path="/dev/sdb", device_bytes=8 * MIB, chunk_bytes=MIB)
    fast.chunks = [ChunkRead(0, MIB, MIB, 0.01)]
    fast.duration_s = 0.01
    other = assess_output(
        (CORPUS / "json" / "SanDisk_USB-stick_unknown-usb-bridge_error.json").read_bytes(),
        policy,
        "/dev/sdb",
    )
    apply_read_check(other, "/dev/sdb", 1, policy, reader=lambda path, n: fast)
    assert other.verdict == "UNKNOWN"  # a good read does not make SMART-less drives OK
