"""A FUSE file system exposing one file, ``disk.img``, that fails given byte ranges with EIO.

Run as a separate process by the tests (it blocks while mounted)::

    python faulty_fs.py MOUNTPOINT BACKING_FILE START:LENGTH [START:LENGTH ...]

A loop device attached to ``MOUNTPOINT/disk.img`` then returns real I/O errors
on those ranges to the eraser: the kernel's block layer, not a Python double.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from typing import Any

import mfusepy as fuse

IMAGE = "/disk.img"


class FaultyImage(fuse.Operations):  # type: ignore[misc]
    use_ns = True

    def __init__(self, backing: str, bad: list[tuple[int, int]]) -> None:
        self.fd = os.open(backing, os.O_RDWR)
        self.size = os.fstat(self.fd).st_size
        self.bad = bad

    def _check(self, offset: int, length: int) -> None:
        for start, count in self.bad:
            if offset < start + count and start < offset + length:
                raise fuse.FuseOSError(errno.EIO)

    def getattr(self, path: str, fh: Any = None) -> dict[str, Any]:
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2}
        if path == IMAGE:
            return {"st_mode": stat.S_IFREG | 0o600, "st_nlink": 1, "st_size": self.size}
        raise fuse.FuseOSError(errno.ENOENT)

    def readdir(self, path: str, fh: Any) -> list[str]:
        return [".", "..", IMAGE[1:]]

    def open(self, path: str, flags: int) -> int:
        if path != IMAGE:
            raise fuse.FuseOSError(errno.ENOENT)
        return 0

    def read(self, path: str, size: int, offset: int, fh: Any) -> bytes:
        self._check(offset, size)
        return os.pread(self.fd, size, offset)

    def write(self, path: str, data: bytes, offset: int, fh: Any) -> int:
        if os.environ.get("FAULTY_FS_TRACE"):
            print("write", offset, len(data), file=sys.stderr, flush=True)
        self._check(offset, len(data))
        return os.pwrite(self.fd, data, offset)

    def truncate(self, path: str, length: int, fh: Any = None) -> int:
        raise fuse.FuseOSError(errno.EPERM)

    def fsync(self, path: str, datasync: int, fh: Any) -> int:
        os.fsync(self.fd)
        return 0

    def flush(self, path: str, fh: Any) -> int:
        return 0


def main(argv: list[str]) -> int:
    mountpoint, backing, *ranges = argv
    bad = [(int(a), int(b)) for a, b in (r.split(":") for r in ranges)]
    fuse.FUSE(
        FaultyImage(backing, bad), mountpoint, foreground=True, nothreads=True, allow_other=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
