"""Small shared model pieces."""

from __future__ import annotations

import msgspec


class Model(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base of every report model: keyword-only, JSON via msgspec."""


class Text(Model, kw_only=True):
    """A message the technician reads, in French (default) and English."""

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.fr


class Note(Model, kw_only=True):
    """Something a probe noticed: a firmware quirk, a missing source, an anomaly."""

    code: str
    """Stable machine-readable code, e.g. ``battery.full_above_design``."""
    message: Text
