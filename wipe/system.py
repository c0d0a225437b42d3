"""Read-only view of /sys and /proc for the erasure engine, with an injectable root.

This and :mod:`wipe.blockdev` are the only modules of ``wipe`` that touch the
operating system. Tests point :class:`SystemView` at a fake tree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MountEntry:
    """One line of /proc/self/mountinfo."""

    major_minor: str
    mount_point: str
    source: str
    fs_type: str


class SystemView:
    """Files under /sys and /proc, read relative to ``root`` (``/`` on a live bench)."""

    def __init__(self, root: str | Path = "/") -> None:
        self.root = Path(root)

    def _path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def read_text(self, path: str) -> str | None:
        """Stripped content of a file, or None when it does not exist or cannot be read."""
        try:
            return self._path(path).read_text(encoding="utf-8", errors="replace").strip()
        except (FileNotFoundError, NotADirectoryError, PermissionError, IsADirectoryError):
            return None
        except OSError:
            # Some sysfs attributes fail with EIO/ENXIO on unplugged devices: unknown.
            return None

    def read_bytes(self, path: str, max_bytes: int = 1 << 20) -> bytes | None:
        """A file's bytes (binary sysfs attributes such as ``vpd_pg89``), or None."""
        try:
            with self._path(path).open("rb") as fh:
                return fh.read(max_bytes)
        except OSError:
            # Absent, a directory, or an attribute the driver refuses (EIO, ENXIO): unknown.
            return None

    def list_dir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._path(path)))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def mounts(self) -> list[MountEntry]:
        """Parsed /proc/self/mountinfo; malformed lines are skipped (they name no device)."""
        text = self.read_text("/proc/self/mountinfo") or ""
        entries: list[MountEntry] = []
        for line in text.splitlines():
            left, sep, right = line.partition(" - ")
            fields = left.split()
            rest = right.split()
            if not sep or len(fields) < 5 or len(rest) < 2:
                continue
            entries.append(
                MountEntry(
                    major_minor=fields[2],
                    mount_point=_unescape(fields[4]),
                    source=_unescape(rest[1]),
                    fs_type=rest[0],
                )
            )
        return entries

    def swaps(self) -> list[str]:
        """Device or file names of active swap areas (/proc/swaps)."""
        text = self.read_text("/proc/swaps") or ""
        names: list[str] = []
        for line in text.splitlines()[1:]:
            parts = line.split()
            if parts:
                names.append(_unescape(parts[0]))
        return names

    def sys_realpath(self, path: str) -> str:
        """Resolved sysfs path (shows the bus: .../usb1/..., .../ata1/...), relative to the root."""
        resolved = os.path.realpath(self._path(path))
        root = str(self.root.resolve())
        if root != "/" and resolved.startswith(root):
            return resolved[len(root) :] or "/"
        return resolved

    def realpath(self, device_path: str) -> str:
        """Resolve /dev symlinks (by-id, by-path) on the live root; unchanged for a fake root."""
        if str(self.root) == "/":
            return os.path.realpath(device_path)
        return device_path


def _unescape(text: str) -> str:
    """mountinfo and swaps escape space, tab, newline and backslash as octal."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 3 < len(text) and text[i + 1 : i + 4].isdigit():
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def sys_realpath(view: SystemView, path: str) -> str:
    """Resolved sysfs path (shows the bus: .../usb1/..., .../ata1/...), relative to the root."""
    return view.sys_realpath(path)
