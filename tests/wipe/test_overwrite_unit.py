"""The runner on plain files (no root): unaligned tails, keystream addressing, sampling, errors."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wipe.blockdev import OpenDevice, open_device
from wipe.overwrite import (
    PassResult,
    Progress,
    RunOptions,
    full_regions,
    sampled_regions,
    verify_regions,
    write_pass,
)
from wipe.patterns import Keystream, Pattern

SEED = bytes(range(32))


def _file(tmp_path: Path, size: int) -> Path:
    p = tmp_path / "drive.img"
    p.write_bytes(os.urandom(size))
    return p


def _read_back(path: Path, pattern: Pattern, ks: Keystream | None, block_bytes: int) -> PassResult:
    """One full verification of the file at ``path`` (opened read-only)."""
    dev = open_device(str(path), write=False)
    try:
        return verify_regions(
            dev,
            pattern,
            ks,
            full_regions(dev, block_bytes),
            pass_index=0,
            pass_count=1,
            cancel=threading.Event(),
        )
    finally:
        dev.close()


@pytest.mark.parametrize(
    "pattern", [Pattern("constant", 0x00), Pattern("constant", 0xA5), Pattern("random")]
)
def test_unaligned_size_is_fully_written_and_verified(tmp_path: Path, pattern: Pattern) -> None:
    size = (3 << 20) + 1000  # not a multiple of 512: the tail goes through the page cache
    path = _file(tmp_path, size)
    ks = Keystream(SEED, 0) if pattern.kind == "random" else None
    dev = open_device(str(path), write=True)
    try:
        opts = RunOptions(block_bytes=1 << 20)
        cancel = threading.Event()
        w = write_pass(dev, pattern, ks, pass_index=0, pass_count=1, cancel=cancel, options=opts)
        assert w.ok and w.bytes_done == size
        v = verify_regions(
            dev,
            pattern,
            ks,
            full_regions(dev, 1 << 20),
            pass_index=0,
            pass_count=1,
            cancel=cancel,
            options=opts,
        )
        assert v.ok and v.bytes_done == size
    finally:
        dev.close()
    data = path.read_bytes()
    if ks is None:
        assert data == bytes([pattern.byte]) * size
    else:
        assert data == ks.bytes_at(0, size)


def test_mismatch_ranges_are_sector_precise(tmp_path: Path) -> None:
    path = tmp_path / "drive.img"
    path.write_bytes(bytes(2 << 20))
    with open(path, "r+b") as fh:
        fh.seek(1_000_000)
        fh.write(b"\x01")  # inside sector 1953 (512-byte sectors)
        fh.seek((2 << 20) - 1)
        fh.write(b"\x02")  # the very last byte
    v = _read_back(path, Pattern("constant", 0), None, 1 << 20)
    assert [(e.start_byte, e.length_bytes, e.kind) for e in v.errors] == [
        (1953 * 512, 512, "mismatch"),
        ((2 << 20) - 512, 512, "mismatch"),
    ]
    assert not v.ok


@pytest.mark.parametrize("block_bytes", [1 << 20, (1 << 20) + 512, 8 << 20])
def test_random_read_back_finds_every_changed_sector(tmp_path: Path, block_bytes: int) -> None:
    """The keystream comparison (data XOR keystream must be zero) flags exactly the
    sectors that differ, in aligned blocks, in blocks not a multiple of 16 KiB, and
    in blocks larger than the comparison slice (flips in its second and third slices)."""
    size = 3 << 20
    ks = Keystream(bytes(range(32)), 0)
    path = tmp_path / "drive.img"
    path.write_bytes(ks.bytes_at(0, size))
    with open(path, "r+b") as fh:
        for where in (0, 1_500_000, size - 1):
            fh.seek(where)
            original = fh.read(1)
            fh.seek(where)
            fh.write(bytes([original[0] ^ 0x01]))  # one bit flipped
    v = _read_back(path, Pattern("random", 0), ks, block_bytes)
    assert [(e.start_byte, e.length_bytes, e.kind) for e in v.errors] == [
        (0, 512, "mismatch"),
        (1_500_000 // 512 * 512, 512, "mismatch"),
        (size - 512, 512, "mismatch"),
    ]
    assert v.bytes_done < size and not v.ok


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(0, 1 << 30), length=st.integers(1, 5000), index=st.integers(0, 9))
def test_keystream_is_addressable_anywhere(offset: int, length: int, index: int) -> None:
    ks = Keystream(SEED, index)
    start = offset - offset % 16
    whole = ks.bytes_at(start, length + 32)
    assert ks.bytes_at(offset, length) == whole[offset - start : offset - start + length]


def _reference_keystream(seed: bytes, index: int, offset: int, length: int) -> bytes:
    """KEYSTREAM_LAYOUT computed from its text alone: AES-256 (ECB, one block at a time)
    of each counter block, no CTR or GCM engine involved."""
    import hashlib

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = hashlib.sha256(seed + index.to_bytes(4, "big")).digest()
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    chunk_bytes = 4 << 20
    out = bytearray()
    for block in range(offset // 16, -(-(offset + length) // 16)):
        chunk, j = divmod(block * 16, chunk_bytes)
        nonce = hashlib.sha256(b"bench-agent-iv" + key + chunk.to_bytes(8, "big")).digest()[:12]
        out += ecb.update(nonce + (2 + j // 16).to_bytes(4, "big"))
    skip = offset % 16
    return bytes(out[skip : skip + length])


@pytest.mark.parametrize("engine", ["ctr", "gcm"])
@settings(max_examples=40, deadline=None)
@given(
    offset=st.one_of(
        st.integers(0, 1 << 34),
        st.integers(1, 8).map(lambda k: k * (4 << 20) - 40),  # across a chunk boundary
    ),
    length=st.integers(1, 3000),
    index=st.integers(0, 3),
)
def test_keystream_matches_its_documented_layout(
    engine: str, offset: int, length: int, index: int
) -> None:
    """Both engines (GCM for chunk starts on VAES CPUs, CTR elsewhere) give exactly the
    bytes KEYSTREAM_LAYOUT describes, at any offset, across 4 MiB chunk boundaries."""
    from wipe import patterns

    original = patterns._chunk_start_engine
    patterns._chunk_start_engine = lambda: engine  # type: ignore[assignment]
    try:
        ks = Keystream(SEED, index)
        want = _reference_keystream(SEED, index, offset, length)
        assert ks.bytes_at(offset, length) == want
        start = offset - offset % (4 << 20)  # from the chunk start: GCM when chosen
        assert ks.bytes_at(start, offset - start + length)[offset - start :] == want
    finally:
        patterns._chunk_start_engine = original  # type: ignore[assignment]


def test_keystream_differs_per_pass_and_seed() -> None:
    a, b, c = Keystream(SEED, 0), Keystream(SEED, 1), Keystream(bytes(32), 0)
    assert len({a.bytes_at(0, 64), b.bytes_at(0, 64), c.bytes_at(0, 64)}) == 3
    with pytest.raises(ValueError, match="32 bytes"):
        Keystream(b"short", 0)


@settings(max_examples=40, deadline=None)
@given(size_sectors=st.integers(8, 1 << 22), percent=st.floats(0.1, 100))
def test_samples_spread_and_include_ends(size_sectors: int, percent: float) -> None:
    size = size_sectors * 512
    dev = OpenDevice("/nonexistent", -1, size, 512, True)
    regions = sampled_regions(dev, percent, SEED)
    assert regions[0][0] == 0
    assert regions[-1][0] + regions[-1][1] == size  # the last block is included
    assert all(o % 512 == 0 and n > 0 and o + n <= size for o, n in regions)
    covered = sum(n for _, n in regions)
    assert covered >= min(size, size * percent / 100) * 0.99
    # Spread: no gap between samples wider than two strata (one sample per stratum).
    stratum = size / max(1, len(regions) - 2)
    starts = [o for o, _ in regions]
    assert all(b - a <= 2 * stratum + (1 << 20) for a, b in itertools.pairwise(starts))


def test_progress_is_throttled_and_reports_eta(tmp_path: Path) -> None:
    path = _file(tmp_path, 4 << 20)
    ticks = iter(range(0, 10**6))
    reports: list[Progress] = []
    dev = open_device(str(path), write=True)
    try:
        write_pass(
            dev,
            Pattern("constant", 0),
            None,
            pass_index=0,
            pass_count=1,
            cancel=threading.Event(),
            progress=reports.append,
            options=RunOptions(block_bytes=256 << 10, clock=lambda: next(ticks) * 0.1),
        )
    finally:
        dev.close()
    # A tick is 0.1 s and reports are at most every 0.5 s: far fewer reports than blocks.
    # With the fake clock the count is exact: 16 blocks, one report at most every
    # 0.5 s of clock (five reads of it), plus the final one.
    assert len(reports) == 4
    assert reports[-1].bytes_done == 4 << 20
    mid = reports[len(reports) // 2]
    assert mid.throughput_bytes_per_s and mid.eta_s is not None and mid.eta_s > 0


def test_open_missing_device_is_a_clear_error(tmp_path: Path) -> None:
    from wipe.blockdev import DeviceOpenError

    with pytest.raises(DeviceOpenError, match="cannot open"):
        open_device(str(tmp_path / "absent"), write=True)


@pytest.mark.parametrize(
    "pattern", [Pattern("constant", 0), Pattern("constant", 0xFF), Pattern("random")]
)
def test_mismatch_runs_are_joined_across_comparison_slices(
    tmp_path: Path, pattern: Pattern
) -> None:
    """Runs of differing blocks become one range each, also when a run crosses the
    1 MiB comparison slice inside an 8 MiB region; isolated blocks stay separate."""
    size = 10 << 20
    ks = Keystream(SEED, 0) if pattern.kind == "random" else None
    good = ks.bytes_at(0, size) if ks is not None else bytes([pattern.byte]) * size
    data = bytearray(good)
    runs = [(3 * 512, 3 * 512), ((1 << 20) - 1024, 3072), ((9 << 20) + 512, 512)]
    for start, length in runs:
        for i in range(start, start + length, 512):
            data[i + 7] ^= 0xFF  # one byte per block: every block of the run differs
    path = tmp_path / "drive.img"
    path.write_bytes(bytes(data))
    v = _read_back(path, pattern, ks, 8 << 20)
    assert [(e.start_byte, e.length_bytes, e.kind) for e in v.errors] == [
        (s, n, "mismatch") for s, n in runs
    ]
    assert v.bytes_done == 0  # both 8 MiB regions hold a difference


@pytest.mark.parametrize("pattern", [Pattern("constant", 0), Pattern("random")])
def test_a_drive_that_differs_everywhere_is_one_range(tmp_path: Path, pattern: Pattern) -> None:
    """Nothing was written (the data is still the old content): one range for the
    whole drive, found without a per-block record for each of its blocks."""
    size = 24 << 20
    path = tmp_path / "drive.img"
    path.write_bytes(os.urandom(size) if pattern.kind == "constant" else bytes(size))
    ks = Keystream(SEED, 0) if pattern.kind == "random" else None
    v = _read_back(path, pattern, ks, 8 << 20)
    assert [(e.start_byte, e.length_bytes, e.kind) for e in v.errors] == [(0, size, "mismatch")]
    assert not v.ok and not v.errors_truncated


def test_failing_verification_of_a_large_drive_stays_bounded(tmp_path: Path) -> None:
    """The error path on every block of 256 MiB (the old content is still there):
    exactly one range, not truncated, and under 100 MB peak RSS in a fresh process."""
    import subprocess
    import sys

    path = tmp_path / "drive.img"
    with open(path, "wb") as fh:
        for _ in range(32):
            fh.write(os.urandom(8 << 20))
    code = (
        "import sys, threading\n"
        "from wipe.blockdev import open_device\n"
        "from wipe.overwrite import full_regions, verify_regions\n"
        "from wipe.patterns import Keystream, Pattern\n"
        "dev = open_device(sys.argv[1], write=False)\n"
        "cases = ((Pattern('constant', 0), None), (Pattern('random'), Keystream(bytes(32), 0)))\n"
        "for p, ks in cases:\n"
        "    m = verify_regions(dev, p, ks, full_regions(dev, 8 << 20), pass_index=0,\n"
        "                       pass_count=1, cancel=threading.Event())\n"
        "    got = [(e.start_byte, e.length_bytes) for e in m.errors]\n"
        "    assert got == [(0, 256 << 20)], got\n"
        "    assert not m.errors_truncated and m.bytes_done == 0\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) < 100_000, f"peak RSS {proc.stdout.strip()} KiB"


class _FailingWrites:
    """Wraps os.pwrite: raises ``error`` for writes touching [start, end); counts calls.

    A dying drive (every sector of a block failing) and an unplugged one (ENODEV) cannot
    be made here with a real device: the loop driver turns every backing error into EIO.
    """

    def __init__(self, real, start: int, end: int, error: int) -> None:  # type: ignore[no-untyped-def]
        self.real, self.start, self.end, self.error = real, start, end, error
        self.calls = 0

    def __call__(self, fd: int, data, offset: int) -> int:  # type: ignore[no-untyped-def]
        self.calls += 1
        if offset < self.end and self.start < offset + len(data):
            raise OSError(self.error, os.strerror(self.error))
        return self.real(fd, data, offset)


def _write_with(monkeypatch, tmp_path: Path, failing: _FailingWrites, size: int):  # type: ignore[no-untyped-def]
    path = tmp_path / "drive.img"
    path.write_bytes(bytes(size))
    monkeypatch.setattr(os, "pwrite", failing)
    dev = open_device(str(path), write=True)
    try:
        return write_pass(
            dev,
            Pattern("constant", 0xAA),
            None,
            pass_index=0,
            pass_count=1,
            cancel=threading.Event(),
            options=RunOptions(block_bytes=1 << 20),
        )
    finally:
        monkeypatch.undo()
        dev.close()


def test_a_block_failing_everywhere_is_not_searched_sector_by_sector(
    monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Every 64 KiB probe of block 2 fails: recorded as that whole block after 16 probes,
    not after 2048 sectors x 3 tries (hours on a drive that takes seconds per failure)."""
    import errno

    failing = _FailingWrites(os.pwrite, 2 << 20, 3 << 20, errno.EIO)
    result = _write_with(monkeypatch, tmp_path, failing, 4 << 20)
    assert [(e.start_byte, e.length_bytes, e.kind) for e in result.errors] == [
        (2 << 20, 1 << 20, "write")
    ]
    assert result.bytes_done == 3 << 20 and not result.ok and not result.device_gone
    assert failing.calls <= 3 + 3 + 16  # 3 good blocks, 3 tries of the bad one, 16 probes


def test_a_few_bad_sectors_are_still_found_exactly(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import errno

    failing = _FailingWrites(os.pwrite, (1 << 20) + 4096, (1 << 20) + 5120, errno.EIO)
    result = _write_with(monkeypatch, tmp_path, failing, 2 << 20)
    assert [(e.start_byte, e.length_bytes) for e in result.errors] == [((1 << 20) + 4096, 1024)]
    assert result.bytes_done == (2 << 20) - 1024


def test_an_unplugged_drive_stops_the_pass_at_once(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """ENODEV from 3 MiB on (the dock lost the drive): no retries, no probing, no
    writing on into the void; the pass says the device is gone."""
    import errno

    size = 64 << 20
    failing = _FailingWrites(os.pwrite, 3 << 20, size, errno.ENODEV)
    result = _write_with(monkeypatch, tmp_path, failing, size)
    assert result.device_gone and result.stopped_on_error and not result.ok
    assert result.errors[0].start_byte == 3 << 20
    assert "device gone" in result.errors[0].detail
    assert failing.calls <= 3 + 3  # blocks 0-2, then one try of block 3 (+ queued ones)
    assert result.bytes_done == 3 << 20


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
