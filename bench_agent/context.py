"""Process context for the CLI (streams, language, environment, the machine), replaceable
in tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from bench_agent.i18n import detect_lang, render
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.host.base import Host


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    lang: str = ""
    host: Host | None = None
    """The machine the bench runs on (erases, prints from). None: this machine, built in
    one place (:func:`bench_agent.commands._host.this_machine`); tests put a double here."""

    def __post_init__(self) -> None:
        if not self.lang:
            self.lang = detect_lang(self.environ)

    def t(self, text: Text) -> str:
        return text.get(self.lang)

    def _(self, msgid: str, /, **fields: object) -> str:
        """The message (a French msgid) in this process's language, fields filled."""
        return render(msgid, self.lang, fields)

    def out(self, line: str = "") -> None:
        self.stdout.write(line + "\n")

    def err(self, line: str) -> None:
        self.stderr.write(line + "\n")
