"""Reference data benches pull (grading profiles, CPU score table), versioned by content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

SERVED_SUFFIXES = frozenset({".toml", ".csv", ".md", ".json", ".yaml", ".yml", ".txt"})
CPU_TABLE = "cpu/cpus.csv"
"""The network's CPU score table, relative to the profiles directory."""


def cpu_table_version(data: bytes) -> str:
    """The table's version as benches record it (``bench_agent.grading.cpu_table``):
    ``sha256:`` and the SHA-256 of its bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, kw_only=True)
class ReferenceFile:
    path: str
    """POSIX path relative to the profiles directory."""
    sha256: str
    size_bytes: int


@dataclass(frozen=True, kw_only=True)
class ReferenceSet:
    version: str
    """SHA-256 over every (path, file hash): any change to any file changes it."""
    files: list[ReferenceFile]


def scan(root: Path) -> ReferenceSet:
    """Hash every data file under ``root`` (Python sources and caches are not data)."""
    files: list[ReferenceFile] = []
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in SERVED_SUFFIXES:
                continue
            if any(part.startswith(".") or part == "__pycache__" for part in path.parts):
                continue
            data = path.read_bytes()
            files.append(
                ReferenceFile(
                    path=path.relative_to(root).as_posix(),
                    sha256=hashlib.sha256(data).hexdigest(),
                    size_bytes=len(data),
                )
            )
    digest = hashlib.sha256()
    for item in files:
        digest.update(f"{item.path}\0{item.sha256}\n".encode())
    return ReferenceSet(version=digest.hexdigest(), files=files)


def resolve(root: Path, relative: str) -> Path | None:
    """The file ``relative`` under ``root``, or None if absent, not data, or outside root."""
    if not relative or "\0" in relative or relative.startswith("/") or "\\" in relative:
        return None
    try:
        candidate = (root / relative).resolve()
        candidate.relative_to(root.resolve())
        if not candidate.is_file() or candidate.suffix.lower() not in SERVED_SUFFIXES:
            return None
    except (ValueError, OSError):  # outside root, name too long, unreadable
        return None
    return candidate
