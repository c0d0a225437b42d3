"""Read a TOML data file and say where each key sits in it.

:mod:`tomllib` gives no positions, so we scan the text ourselves: table headers
(``[a.b]``, ``[[a]]``) and ``key =`` lines give the path of every key that starts
a line; a key inside an inline table or a multi-line array is located at the line
of its enclosing key. This is enough to point a reconditioner at the line to fix.
Syntax errors take the line tomllib reports in its message.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_agent.i18n import _t
from bench_agent.model.common import Text

Path_ = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_LINE_IN_MESSAGE = re.compile(r"\(at line (\d+), column \d+\)")


class ProfileError(ValueError):
    """A data file (grading profile, need, cosmetic scale, CPU table) is malformed.

    Carries the file, the line (``None`` when unknown), the field path and what
    was expected, in French and English.
    """

    def __init__(
        self, file: str, line: int | None, field: str, problem: Text, expected: Text
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
        self.expected = expected
        super().__init__(self.text.en)

    @property
    def text(self) -> Text:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return _t(
            "{where} : {field} : {problem} ; attendu : {expected}",
            where=where,
            field=self.field,
            problem=self.problem,
            expected=self.expected,
        )


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", raw)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def format_path(path: Path_) -> str:
    """``("criteria", "ram", "notes", 2)`` → ``criteria.ram.notes[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(document)"


@dataclass
class TomlSource:
    """A parsed TOML file with the line where each key path starts."""

    file: str
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path``, or of its nearest located ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return None


def locate_keys(text: str) -> dict[Path_, int]:
    """Map every key path that starts a line to its 1-based line number."""
    lines: dict[Path_, int] = {}
    table: Path_ = ()
    array_counts: dict[Path_, int] = {}
    depth = 0  # open brackets/braces of a multi-line value: keys inside are not located
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if depth == 0:
            header = _HEADER.match(line) if stripped.startswith("[") else None
            if header:
                path: Path_ = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = array_counts.get(path, 0)
                    array_counts[path] = index + 1
                    lines.setdefault(path, number)
                    path = (*path, index)
                table = path
                lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                lines.setdefault((*table, *_split_key(key.group(1))), number)
                value = line[key.end() :]
                depth += _bracket_balance(value)
        else:
            depth += _bracket_balance(line)
        depth = max(depth, 0)
    return lines


def _bracket_balance(fragment: str) -> int:
    """Open minus closed brackets outside strings and comments (enough for data files)."""
    balance = 0
    quote = ""
    for char in fragment:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    return balance


def read_toml(path: Path, display: str | None = None) -> TomlSource:
    """Parse ``path``; a syntax error or an unreadable file becomes a :class:`ProfileError`."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(
            name,
            None,
            "(file)",
            _t("fichier illisible ({strerror})", strerror=exc.strerror),
            _t("un fichier TOML lisible"),
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileError(
            name,
            line,
            "(encoding)",
            _t("octets non UTF-8"),
            _t("un texte UTF-8"),
        ) from exc
    return parse_toml(text, name)


def parse_toml(text: str, name: str) -> TomlSource:
    try:
        data = tomllib.loads(text)
    except RecursionError as exc:  # hostile nesting: tomllib recurses per level
        raise ProfileError(
            name,
            None,
            "(syntax)",
            _t("imbrication trop profonde"),
            _t("un fichier de profil de taille raisonnable"),
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _LINE_IN_MESSAGE.search(message)
        line = int(found.group(1)) if found else None
        detail = _LINE_IN_MESSAGE.sub("", message).strip()
        raise ProfileError(
            name,
            line,
            "(syntax)",
            _t("TOML invalide : {detail}", detail=detail),
            _t("une syntaxe TOML valide (https://toml.io)"),
        ) from exc
    return TomlSource(file=name, data=data, lines=locate_keys(text))
