"""Grading results (filled by ``bench_agent.grading``)."""

from __future__ import annotations

from typing import Literal

from bench_agent.model.common import Model, Text

Category = Literal["D", "C", "B", "A", "PREMIUM", "NOT_DISTRIBUTABLE"]


class RuleHit(Model, kw_only=True):
    rule: str
    """Rule id in the profile, e.g. ``ram``, ``modifier.nvme``, ``cap.hdd``."""
    contribution: float
    """Points added to the note (0 for caps, which are in ``cap``)."""
    cap: float | None = None
    value: float | str | None = None
    message: Text


class Override(Model, kw_only=True):
    category: Category
    reason: str
    by: str
    at: str


class Grade(Model, kw_only=True):
    profile: str
    profile_version: str
    category: Category
    computed_category: Category
    note: float
    rules: list[RuleHit] = []
    actions: list[Text] = []
    suitable_needs: list[str] = []
    cosmetic: str | None = None
    override: Override | None = None
