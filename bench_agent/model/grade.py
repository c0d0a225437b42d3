"""Grading results (filled by ``bench_agent.grading``)."""

from __future__ import annotations

from typing import Literal

from bench_agent.model.common import Model, Text

Category = Literal["D", "C", "B", "A", "PREMIUM", "TO_REPAIR", "NOT_DISTRIBUTABLE"]
"""TO_REPAIR ("à réparer"): a part failed its test and must be repaired before the unit
can be distributed; NOT_DISTRIBUTABLE: the unit cannot leave (unerased disk, failed
disk, missing test...). Both carry their reasons in ``Grade.rules``/``Grade.actions``."""


class RuleHit(Model, kw_only=True):
    rule: str
    """Rule id in the profile, e.g. ``criteria.ram``, ``modifiers.nvme``, ``caps.hdd``."""
    contribution: int
    """Points this rule added to the note (negative for a cap that lowered it); the
    contributions of a grade's rules always add up to its note."""
    cap: int | None = None
    """For a cap: the highest note it allows."""
    value: float | str | None = None
    """The measured value the rule looked at (GiB, GB, CPU score, ...), when it has one."""
    message: Text


class Override(Model, kw_only=True):
    category: Category
    reason: str
    by: str
    at: str
    """ISO 8601 UTC."""


class CpuAssessment(Model, kw_only=True):
    name: str | None
    """The CPU name the inventory reported."""
    status: Literal["scored", "unscored"]
    score: int | None = None
    matched: str | None = None
    """The table row the name resolved to."""
    table: str | None = None
    """Where the CPU table came from (file)."""
    table_version: str | None = None
    """Version of the CPU table that graded the unit: ``sha256:`` and the SHA-256 of the
    table file (the shipped network table, or a newer one taken from the central
    service). None in grades made before tables were versioned."""
    reason: Text


class NeedMatch(Model, kw_only=True):
    need: str
    """Need profile id (``profiles/needs/<id>.toml``)."""
    name: Text
    suitable: bool
    missing: list[Text] = []
    """What the unit lacks for this need, with the reason the need states."""


class Grade(Model, kw_only=True):
    profile: str
    profile_version: str
    category: Category
    """The category that applies: the technician's override when there is one."""
    computed_category: Category
    """The category the profile's rules give."""
    note: int
    rules: list[RuleHit] = []
    actions: list[Text] = []
    suitable_needs: list[str] = []
    needs: list[NeedMatch] = []
    cosmetic: str | None = None
    technical_note: int = 0
    aesthetic_note: int = 0
    cpu: CpuAssessment | None = None
    system_disk: str | None = None
    """Kernel name of the disk graded as the system disk."""
    override: Override | None = None
