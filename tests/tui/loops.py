"""Loop devices over files of random bytes, for the erasure step (root)."""

from __future__ import annotations

import mmap
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.requirements import require_loop_devices

SECTOR = 512


@dataclass
class Loop:
    device: str
    backing: Path
    original: bytes

    @property
    def name(self) -> str:
        return self.device.rsplit("/", 1)[-1]


def read_back(path: Path) -> bytes:
    """The backing file's bytes, read with O_DIRECT (never a cached copy)."""
    size = path.stat().st_size
    chunk = 1 << 20
    buf = mmap.mmap(-1, chunk)
    out = bytearray()
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        for off in range(0, size, chunk):
            n = os.preadv(fd, [buf], off)
            out += buf[:n]
    finally:
        os.close(fd)
        buf.close()
    return bytes(out)


def zero_sectors(path: Path) -> int:
    """How many sector-sized runs of zeros the file holds (read with O_DIRECT, by
    chunks): a sparse file overwritten with random bytes has none left."""
    chunk = 4 << 20
    zeros = bytes(SECTOR)
    buf = mmap.mmap(-1, chunk)
    found = 0
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        for off in range(0, path.stat().st_size, chunk):
            n = os.preadv(fd, [buf], off)
            found += buf[:n].count(zeros)
    finally:
        os.close(fd)
        buf.close()
    return found


@pytest.fixture
def random_loop(tmp_path: Path) -> Iterator[Callable[..., Loop]]:
    """Loop devices (direct I/O) over files of random bytes; detached afterwards."""
    require_loop_devices()
    made: list[str] = []

    def make(size_bytes: int, name: str) -> Loop:
        backing = tmp_path / f"{name}.img"
        original = os.urandom(size_bytes) if size_bytes <= 64 << 20 else b""
        with open(backing, "wb") as fh:
            if original:
                fh.write(original)
            else:
                fh.truncate(size_bytes)  # large and sparse: never read back whole
            fh.flush()
            os.fsync(fh.fileno())
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        device = subprocess.run(
            ["losetup", "--find", "--show", "--direct-io=on", str(backing)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        made.append(device)
        return Loop(device, backing, original)

    try:
        yield make
    finally:
        for device in made:
            subprocess.run(["losetup", "-d", device], check=False, capture_output=True)
        for image in tmp_path.glob("*.img"):
            image.unlink()  # an erased image is no longer sparse: never kept by pytest


MakeLoop = Callable[..., Loop]
