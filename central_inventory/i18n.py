"""French-first messages of the central service (both languages travel together)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

SUPPORTED = ("fr", "en")


class Message(TypedDict):
    fr: str
    en: str


def tr(fr: str, en: str) -> Message:
    """A message in French (default) and English."""
    return {"fr": fr, "en": en}


def pick(message: Message, lang: str) -> str:
    return message["en"] if lang == "en" else message["fr"]


def detect_lang(environ: Mapping[str, str]) -> str:
    """Language of the command line: CENTRAL_LANG, then LANGUAGE/LANG; French by default."""
    for name in ("CENTRAL_LANG", "LANGUAGE", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split(":")[0][:2].lower()
            if code in SUPPORTED:
                return code
    return "fr"
