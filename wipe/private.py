"""Evidence files are the bench user's only: files 0600, folders 0700.

Certificates, reports, sittings, the outbox, the journal, the key and the log name
technicians, donors and disk serials; another local account has no business reading them.
Folders that already exist keep their mode (the operator chose it); folders created here
are 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700 (existing ones untouched)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def open_private(path: Path, flags: int) -> int:
    """``os.open`` creating the file 0600 whatever the umask (an existing file is set to
    0600 too: it is evidence)."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd
