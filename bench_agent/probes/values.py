"""Small value parsers shared by the probes."""

from __future__ import annotations


def parse_int(value: str | None, base: int = 10) -> int | None:
    """An integer from sysfs/procfs text; None when absent or unparsable (0 is kept:
    it says something, e.g. a battery gauge reporting zero)."""
    if value is None:
        return None
    try:
        return int(value.strip(), base)
    except ValueError:
        return None
