"""The categories a grade can give: their order and their names in French and English.

One place for the names, so the grade screen, the command and the label say the same
words ("À RÉPARER", "NON DISTRIBUABLE").
"""

from __future__ import annotations

from bench_agent.i18n import _t
from bench_agent.model.common import Text
from bench_agent.vocabulary import CATEGORIES

BAND_CATEGORIES = ("D", "C", "B", "A", "PREMIUM")
"""The distributable categories, lowest first: the ones a profile's bands give."""

BLOCKING_CATEGORIES = ("NOT_DISTRIBUTABLE", "TO_REPAIR")
"""The unit cannot leave the bench: a gate or a disk rule stopped it."""

CATEGORY_RANK = {
    "NOT_DISTRIBUTABLE": 0,
    "TO_REPAIR": 0,
    "D": 1,
    "C": 2,
    "B": 3,
    "A": 4,
    "PREMIUM": 5,
}
"""Higher is better. A unit to repair ranks with a non-distributable one: neither
leaves the bench until its reasons are dealt with."""

CATEGORY_NAMES = CATEGORIES
"""The shared vocabulary's names (:mod:`bench_agent.vocabulary`)."""


def category_name(category: str) -> Text:
    """The category as a technician reads it (a band letter is its own name)."""
    name = CATEGORY_NAMES.get(category)
    return _t(name) if name else Text(fr=category, en=category)


def is_distributable(category: str) -> bool:
    return category in BAND_CATEGORIES
