"""French-first user-facing text through a gettext catalogue.

French is the source language: a message is written once, in French, and that French
is its msgid. English comes from ``bench_agent/locale/en/LC_MESSAGES/bench_agent.mo``
(compiled from the ``.po`` beside it by ``make i18n``), read with the standard
library's :mod:`gettext` the first time an English text is needed — never at import.

- ``_t("Disque {name} : HS", name=disk.name)`` gives a :class:`Text` with both
  languages (a report keeps both);
- ``env._("Disque {name} : HS", name=disk.name)`` (and ``self._`` in the app's screens)
  gives the string in the technician's language;
- ``N_("réussi")`` marks a msgid kept in a table, translated where it is shown;
- ``C_("autotest", "ÉCHEC")`` is a msgid with a context, when one French word has two
  English ones;
- ``join(_t(" ; "), texts)`` joins texts language by language.

Placeholders are named and use :meth:`str.format` syntax (``{pct:.0f}``); a literal
brace is doubled. A field may be a :class:`Text`: each language takes its own side.
The language shown is chosen per process: ``--lang``, then ``BENCH_AGENT_LANG``, then
``LANGUAGE``/``LANG``; French when nothing says English.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bench_agent.model.common import Text

if TYPE_CHECKING:
    from gettext import GNUTranslations

SUPPORTED = ("fr", "en")
DOMAIN = "bench_agent"
LOCALE_DIR = Path(__file__).parent / "locale"


class Gettext(Protocol):
    """A message in one language: ``Environment._`` and the screens' ``_``."""

    def __call__(self, msgid: str, /, **fields: object) -> str: ...


class MessageFieldError(KeyError):
    """A message names a placeholder its caller did not give (a bug in the caller)."""

    def __str__(self) -> str:
        return str(self.args[0])


def detect_lang(environ: Mapping[str, str] | None = None, explicit: str | None = None) -> str:
    env = os.environ if environ is None else environ
    for value in (explicit, env.get("BENCH_AGENT_LANG"), env.get("LANGUAGE"), env.get("LANG")):
        if value:
            code = value.split(":")[0][:2].lower()
            if code in SUPPORTED:
                return code
    return "fr"


@functools.cache
def english() -> GNUTranslations:
    """The English catalogue, read once (the first English text asks for it)."""
    import gettext

    path = LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)


CONTEXT_SEPARATOR = "\x04"
"""Between a context and its msgid, as in a compiled catalogue (see :func:`C_`)."""


def translate(msgid: str, lang: str) -> str:
    """The unformatted message in ``lang`` (the msgid itself in French)."""
    context, _sep, bare = msgid.rpartition(CONTEXT_SEPARATOR)
    if not lang.startswith("en"):
        return bare
    return english().pgettext(context, bare) if context else english().gettext(bare)


def render(msgid: str, lang: str, fields: Mapping[str, object]) -> str:
    """The message in ``lang`` with its placeholders filled (a :class:`Text` field gives
    its own side)."""
    template = translate(msgid, lang)
    values = {k: v.get(lang) if isinstance(v, Text) else v for k, v in fields.items()}
    try:
        return template.format_map(values)
    except (KeyError, IndexError) as exc:
        raise MessageFieldError(
            f"message {msgid!r} ({lang}) needs the field {exc.args[0]!r}; "
            f"given: {', '.join(sorted(fields)) or 'none'}"
        ) from None


def translator(lang: str) -> Gettext:
    """``_`` for one language (a PDF or a label in the language asked for)."""

    def _(msgid: str, /, **fields: object) -> str:
        return render(msgid, lang, fields)

    return _


def _t(msgid: str, /, **fields: object) -> Text:
    """The message in both languages (French msgid, English from the catalogue)."""
    return Text(fr=render(msgid, "fr", fields), en=render(msgid, "en", fields))


def join(separator: str | Text, parts: Iterable[Text]) -> Text:
    """Texts joined language by language (``_t(" ; ")`` joins French with " ; " and
    English with "; ")."""
    items = list(parts)
    sep = separator if isinstance(separator, Text) else Text(fr=separator, en=separator)
    return Text(
        fr=sep.fr.join(t.fr for t in items),
        en=sep.en.join(t.en for t in items),
    )


def N_(msgid: str, /) -> str:
    """Marks a msgid kept in a table for extraction; translate it where it is shown."""
    return msgid


def C_(context: str, msgid: str, /) -> str:
    """A msgid with a context, for the same French said two ways in English ("ÉCHEC":
    "FAIL" for a test, "FAILED" for a self-test): pass it to ``_t`` or ``_``."""
    return f"{context}{CONTEXT_SEPARATOR}{msgid}"
