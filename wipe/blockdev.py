"""Opening block devices (or plain files) for direct I/O: the engine's other OS seam."""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import stat
import struct
from dataclasses import dataclass

BLKGETSIZE64 = 0x80081272
BLKSSZGET = 0x1268
PAGE_BYTES = mmap.PAGESIZE


class DeviceOpenError(OSError):
    """A device could not be opened for erasure (absent, busy, permission, no O_DIRECT)."""


@dataclass(slots=True)
class OpenDevice:
    """An open device: its descriptors and geometry."""

    path: str
    fd: int
    """Opened with O_DIRECT (or buffered when the file system refuses O_DIRECT)."""
    size_bytes: int
    logical_block_bytes: int
    direct: bool
    """Whether ``fd`` really bypasses the page cache."""

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_device(path: str, *, write: bool) -> OpenDevice:
    """Open ``path`` (block device or regular file) with O_DIRECT; say what failed."""
    flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_CLOEXEC
    direct = True
    try:
        fd = os.open(path, flags | os.O_DIRECT | (os.O_EXCL if write and _is_block(path) else 0))
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            # tmpfs and a few file systems refuse O_DIRECT: only plain files can land here.
            direct = False
            try:
                fd = os.open(path, flags)
            except OSError as exc2:
                raise DeviceOpenError(exc2.errno, f"cannot open {path}: {exc2.strerror}") from exc2
        elif exc.errno == errno.EBUSY:
            raise DeviceOpenError(
                exc.errno, f"cannot open {path} exclusively: it is in use (mounted, swap, held)"
            ) from exc
        else:
            raise DeviceOpenError(exc.errno, f"cannot open {path}: {exc.strerror}") from exc
    try:
        size_bytes, block_bytes = _geometry(fd)
    except OSError as exc:
        os.close(fd)
        raise DeviceOpenError(exc.errno, f"cannot read the size of {path}: {exc}") from exc
    return OpenDevice(path, fd, size_bytes, block_bytes, direct)


def _is_block(path: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def _geometry(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    if stat.S_ISBLK(st.st_mode):
        size = struct.unpack("Q", fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8))[0]
        block = struct.unpack("i", fcntl.ioctl(fd, BLKSSZGET, b"\0" * 4))[0]
        return int(size), int(block)
    return st.st_size, 512


def aligned_buffer(size_bytes: int) -> mmap.mmap:
    """A page-aligned anonymous buffer (O_DIRECT needs alignment; bytes objects are not)."""
    rounded = -(-size_bytes // PAGE_BYTES) * PAGE_BYTES
    # One spare page: cryptography's update_into wants block_size - 1 bytes of slack.
    return mmap.mmap(-1, rounded + PAGE_BYTES)


def pwrite_tail(path: str, data: bytes, offset: int) -> int:
    """Write an unaligned tail through the page cache, then flush it to the device."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        written = os.pwrite(fd, data, offset)
        os.fdatasync(fd)
        return written
    finally:
        os.close(fd)


def pread_tail(path: str, length: int, offset: int) -> bytes:
    """Read an unaligned tail without O_DIRECT (after the cached copy is dropped)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)
