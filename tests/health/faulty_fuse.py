"""A one-file FUSE filesystem whose reads fail with EIO in one byte range.

Run with Debian's python3 (package python3-fuse), not the project venv:

    /usr/bin/python3 faulty_fuse.py MOUNTPOINT -o size=BYTES,bad_start=B,bad_end=E -f

It exposes ``MOUNTPOINT/disk.img`` (zeros) and answers EIO to any read that
touches [bad_start, bad_end): a loop device over that file is a real block
device with real media-like read errors, for the sampled read check test on a
kernel without device-mapper.
"""

import errno
import stat
import sys

import fuse

fuse.fuse_python_api = (0, 2)
NAME = "/disk.img"


class Faulty(fuse.Fuse):
    size = 32 << 20
    bad_start = 8 << 20
    bad_end = 16 << 20

    def getattr(self, path):
        st = fuse.Stat()
        if path == "/":
            st.st_mode = stat.S_IFDIR | 0o755
            st.st_nlink = 2
            return st
        if path == NAME:
            st.st_mode = stat.S_IFREG | 0o444
            st.st_nlink = 1
            st.st_size = self.size
            return st
        return -errno.ENOENT

    def readdir(self, path, offset):
        for name in (".", "..", NAME[1:]):
            yield fuse.Direntry(name)

    def open(self, path, flags):
        if path != NAME:
            return -errno.ENOENT
        if flags & 3 != 0:  # O_RDONLY only
            return -errno.EACCES
        return 0

    def read(self, path, length, offset):
        if path != NAME:
            return -errno.ENOENT
        if offset < self.bad_end and offset + length > self.bad_start:
            return -errno.EIO
        return bytes(max(0, min(length, self.size - offset)))


def main():
    server = Faulty(version="faulty", usage=__doc__, dash_s_do="setsingle")
    server.parser.add_option(mountopt="size", type="int", default=Faulty.size)
    server.parser.add_option(mountopt="bad_start", type="int", default=Faulty.bad_start)
    server.parser.add_option(mountopt="bad_end", type="int", default=Faulty.bad_end)
    server.parse(values=server, errex=1)
    server.main()


if __name__ == "__main__":
    sys.exit(main())
