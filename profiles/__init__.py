"""Data shipped with bench-agent: grading rules, beneficiary needs, cosmetic scales,
the network's CPU score table. Nothing here is code but this helper."""

from __future__ import annotations

from pathlib import Path


def profiles_dir() -> Path:
    """The folder holding the shipped profile data (``grading/``, ``needs/``, ...)."""
    return Path(__file__).parent
