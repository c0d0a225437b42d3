"""French-first user-facing text.

Messages are written in place as ``tr("français", "English")`` pairs (or carried
as :class:`~bench_agent.model.common.Text` in models) so a report keeps both
languages; the language shown is chosen per process: ``--lang``, then
``BENCH_AGENT_LANG``, then ``LANGUAGE``/``LANG``; French when nothing says English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bench_agent.model.common import Text

SUPPORTED = ("fr", "en")


def detect_lang(environ: Mapping[str, str] | None = None, explicit: str | None = None) -> str:
    env = os.environ if environ is None else environ
    for value in (explicit, env.get("BENCH_AGENT_LANG"), env.get("LANGUAGE"), env.get("LANG")):
        if value:
            code = value.split(":")[0][:2].lower()
            if code in SUPPORTED:
                return code
    return "fr"


def tr(fr: str, en: str) -> Text:
    return Text(fr=fr, en=en)
