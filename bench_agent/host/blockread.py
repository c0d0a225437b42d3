"""Sampled O_DIRECT reads of a block device: the one place the health check opens a disk.

Read-only by construction (``O_RDONLY``). Reads bypass the page cache
(``O_DIRECT``) so the figure is the drive's, not RAM's; the buffer is an
anonymous ``mmap`` (page-aligned, as O_DIRECT requires). A chunk that fails to
read is recorded with its offset and errno and the sampling goes on: a read
error is a result, never an exception.
"""

from __future__ import annotations

import errno
import mmap
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ALIGN_BYTES = 4096
"""Offsets and lengths are multiples of this (covers 512 and 4096-byte logical blocks)."""


class BlockReadError(OSError):
    """The device could not be opened or sized for a sampled read."""


@dataclass(frozen=True, slots=True)
class ChunkRead:
    offset: int
    length: int
    read_bytes: int
    duration_s: float
    error: str | None = None
    """``EIO (Input/output error)`` or ``short read`` when the chunk failed."""


@dataclass(slots=True)
class SampledRead:
    path: str
    device_bytes: int
    chunk_bytes: int
    chunks: list[ChunkRead] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def read_bytes(self) -> int:
        return sum(c.read_bytes for c in self.chunks if c.error is None)

    @property
    def error_offsets(self) -> list[int]:
        return [c.offset for c in self.chunks if c.error is not None]


def sample_offsets(device_bytes: int, total_bytes: int, chunk_bytes: int) -> list[int]:
    """Evenly spread, aligned chunk offsets covering the start, the end and between."""
    usable = device_bytes - device_bytes % ALIGN_BYTES
    if usable < chunk_bytes:
        return [0] if usable >= ALIGN_BYTES else []
    count = max(1, total_bytes // chunk_bytes)
    last = usable - chunk_bytes
    if count == 1:
        return [0]
    offsets = []
    for index in range(count):
        raw = last * index // (count - 1)
        offsets.append(raw - raw % ALIGN_BYTES)
    return sorted(set(offsets))


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECT | os.O_CLOEXEC)
    except OSError as exc:
        hint = " (O_DIRECT not supported here)" if exc.errno == errno.EINVAL else ""
        raise BlockReadError(
            exc.errno, f"cannot open {path} read-only with O_DIRECT: {exc.strerror}{hint}"
        ) from None


def sampled_read(
    path: str,
    total_bytes: int,
    chunk_bytes: int = 1 << 20,
    clock: Callable[[], float] = time.perf_counter,
    on_chunk: Callable[[ChunkRead], None] | None = None,
) -> SampledRead:
    """Read about ``total_bytes`` of ``path`` in ``chunk_bytes`` pieces spread over the device."""
    if chunk_bytes <= 0 or chunk_bytes % ALIGN_BYTES:
        raise ValueError(f"chunk_bytes must be a positive multiple of {ALIGN_BYTES}")
    fd = _open(path)
    try:
        try:
            device_bytes = os.lseek(fd, 0, os.SEEK_END)
        except OSError as exc:
            raise BlockReadError(exc.errno, f"cannot size {path}: {exc.strerror}") from None
        result = SampledRead(path=path, device_bytes=device_bytes, chunk_bytes=chunk_bytes)
        length = min(chunk_bytes, device_bytes - device_bytes % ALIGN_BYTES)
        if length <= 0:
            return result
        buffer = mmap.mmap(-1, length)
        try:
            start = clock()
            for offset in sample_offsets(device_bytes, total_bytes, length):
                began = clock()
                error: str | None = None
                got = 0
                try:
                    got = os.preadv(fd, [buffer], offset)
                    if got < length:
                        error = f"short read ({got} of {length} bytes)"
                except OSError as exc:
                    name = errno.errorcode.get(exc.errno or 0, "?")
                    error = f"{name} ({exc.strerror})"
                chunk = ChunkRead(offset, length, got, clock() - began, error)
                result.chunks.append(chunk)
                if on_chunk is not None:
                    on_chunk(chunk)
            result.duration_s = clock() - start
        finally:
            buffer.close()
        return result
    finally:
        os.close(fd)
