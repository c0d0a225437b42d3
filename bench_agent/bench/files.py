"""The bench's one durable writer: a file is either the old one or the new one."""

from __future__ import annotations

import os
from pathlib import Path

from wipe.private import make_private_dir, open_private


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash or power cut leaves the old file or the
    new one, never half of it: a temporary file in the same folder, fsynced, renamed over
    the target, then the folder fsynced (the rename itself must reach the disk).

    Everything the bench writes is evidence or names people: the file is 0600 and the
    folders created for it 0700 (``wipe.private``)."""
    folder = path.parent
    make_private_dir(folder)
    tmp = folder / f".{path.name}.part"
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
