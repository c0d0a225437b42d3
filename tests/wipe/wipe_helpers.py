"""Helpers and fixtures for erasure tests: loop devices over files, canary records."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.requirements import require, require_loop_devices, require_program

from wipe.engine import EraseContext, Operator
from wipe.journal import Journal
from wipe.overwrite import RunOptions
from wipe.policy import load_policy
from wipe.signing import BenchKey

CANARY = b"BENCH-CANARY:"
FAULTY_FS = Path(__file__).parent / "faulty_fs.py"


@dataclass
class Loop:
    device: str
    backing: Path
    size_bytes: int


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def _detach(device: str) -> None:
    subprocess.run(["losetup", "-d", device], check=False, capture_output=True)


@pytest.fixture
def loop_factory(tmp_path: Path) -> Iterator[Callable[..., Loop]]:
    """Create loop devices (direct I/O on) over sparse files; always detached afterwards."""
    require_loop_devices()
    made: list[str] = []

    def make(size_bytes: int = 64 << 20, name: str = "disk", canaries: bool = True) -> Loop:
        backing = tmp_path / f"{name}.img"
        with open(backing, "wb") as fh:
            fh.truncate(size_bytes)
        if canaries:
            plant_canaries(backing, size_bytes)
        device = _run(["losetup", "--find", "--show", "--direct-io=on", str(backing)])
        made.append(device)
        return Loop(device, backing, size_bytes)

    try:
        yield make
    finally:
        for device in made:
            _detach(device)


def canary_offsets(size_bytes: int) -> list[int]:
    """First and last sector, sector-aligned and unaligned offsets all over the device."""
    step = size_bytes // 97
    offsets = {0, size_bytes - 512, size_bytes - 64}
    offsets.update(i * step for i in range(1, 97))
    offsets.update(i * step + 123 for i in range(1, 97, 7))
    return sorted(o for o in offsets if o + 64 <= size_bytes)


def plant_canaries(path: Path, size_bytes: int) -> list[int]:
    offsets = canary_offsets(size_bytes)
    fd = os.open(path, os.O_WRONLY)
    try:
        for o in offsets:
            os.pwrite(fd, CANARY + f"{o:016d}-donor-secret".encode().ljust(51, b"#"), o)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return offsets


def read_backing(path: Path) -> Iterator[tuple[int, bytes]]:
    """The backing file's bytes, read with O_DIRECT (bypassing any cached copy)."""
    size = path.stat().st_size
    chunk = 4 << 20
    buf = mmap.mmap(-1, chunk)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        for off in range(0, size, chunk):
            n = os.preadv(fd, [buf], off)
            yield off, bytes(buf[:n])
    finally:
        os.close(fd)
        buf.close()


def surviving_canaries(path: Path) -> list[int]:
    """Offsets in the backing file where a canary record is still found."""
    found: list[int] = []
    tail = b""
    for off, data in read_backing(path):
        window = tail + data
        base = off - len(tail)
        start = 0
        while (i := window.find(CANARY, start)) >= 0:
            found.append(base + i)
            start = i + 1
        tail = data[-len(CANARY) :]
    return sorted(set(found))


@pytest.fixture
def bench_key() -> BenchKey:
    return BenchKey.generate()


@pytest.fixture
def ctx(tmp_path: Path, bench_key: BenchKey) -> EraseContext:
    return EraseContext(
        key=bench_key,
        journal=Journal(tmp_path / "journal.jsonl", bench_key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
        operator=Operator(
            name="Amina B.", role="technicienne", organisation="Atelier test", location="Lyon"
        ),
        source_computer={"maker": "Dell Inc.", "model": "Latitude E7240", "serial": "JHXPY53"},
        options=RunOptions(block_bytes=4 << 20),
    )


@dataclass
class FaultyLoop(Loop):
    mountpoint: Path
    bad_ranges: list[tuple[int, int]]


@pytest.fixture
def faulty_loop(tmp_path: Path) -> Iterator[Callable[..., FaultyLoop]]:
    """A loop device over a FUSE file that returns EIO on given byte ranges."""
    require_loop_devices()
    require(os.path.exists("/dev/fuse"), "needs /dev/fuse (FUSE kernel module)")
    require_program("fusermount3")
    made: list[tuple[str, Path, subprocess.Popen[bytes]]] = []

    def make(bad_ranges: list[tuple[int, int]], size_bytes: int = 32 << 20) -> FaultyLoop:
        backing = tmp_path / "faulty-backing.img"
        with open(backing, "wb") as fh:
            fh.truncate(size_bytes)
        plant_canaries(backing, size_bytes)
        mnt = tmp_path / "fusemnt"
        mnt.mkdir()
        args = [f"{a}:{b}" for a, b in bad_ranges]
        log = tmp_path / "faulty-fs.log"
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen(
                [sys.executable, str(FAULTY_FS), str(mnt), str(backing), *args],
                stdout=subprocess.DEVNULL,
                stderr=log_fh,
            )
        deadline = time.monotonic() + 20
        while not (mnt / "disk.img").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                err = log.read_text(errors="replace")
                pytest.fail(f"FUSE file system did not start: {err[-2000:]}")
            time.sleep(0.05)  # readiness polling, not a timing assertion
        device = _run(["losetup", "--find", "--show", str(mnt / "disk.img")])
        made.append((device, mnt, proc))
        return FaultyLoop(device, backing, size_bytes, mnt, bad_ranges)

    try:
        yield make
    finally:
        for device, mnt, proc in made:
            _detach(device)
            subprocess.run(["umount", str(mnt)], check=False, capture_output=True)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
