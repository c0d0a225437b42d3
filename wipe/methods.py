"""Overwrite methods as data: TOML files under profiles/erasure/methods/.

A method file::

    name = "dod-3pass"
    title_fr = "..."
    title_en = "..."
    legacy_standard = "DoD 5220.22-M (E)"   # the name customers ask for; never a claim
    verification = "last"                    # none | last | all | sampled:<percent>
    [[passes]]
    pattern = "zero"                         # zero | one | random | 0xNN

A malformed file raises :class:`MethodFileError` naming the file, line and field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wipe.patterns import Pattern

VERIFICATION_HELP = "none, last, all or sampled:<percent> (0 < percent <= 100)"


class MethodFileError(ValueError):
    """A method or policy file is malformed; says which file, line and field."""

    def __init__(self, file: str, line: int | None, field: str, problem: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: field {field!r}: {problem}")


class UnknownMethodError(LookupError):
    """No method file has the requested name."""


@dataclass(frozen=True, slots=True)
class Verification:
    """How the written data is read back."""

    mode: str
    """``none``, ``last``, ``all`` or ``sampled``."""
    sample_percent: float | None = None

    @property
    def label(self) -> str:
        if self.mode == "sampled":
            return f"sampled:{self.sample_percent:g}"
        return self.mode


def parse_verification(text: str) -> Verification:
    """``none`` / ``last`` / ``all`` / ``sampled:<percent>``; ValueError otherwise."""
    value = text.strip().lower()
    if value in {"none", "last", "all"}:
        return Verification(value)
    if value.startswith("sampled:"):
        raw = value.split(":", 1)[1].rstrip("%")
        try:
            percent = float(raw)
        except ValueError:
            raise ValueError(f"{text!r}: expected {VERIFICATION_HELP}") from None
        if not 0 < percent <= 100:
            raise ValueError(f"{text!r}: sample percent must be > 0 and <= 100")
        return Verification("sampled", percent)
    raise ValueError(f"{text!r}: expected {VERIFICATION_HELP}")


def parse_pattern(value: object) -> Pattern:
    if not isinstance(value, str):
        raise ValueError("expected a string: zero, one, random or 0xNN")
    text = value.strip().lower()
    if text == "zero":
        return Pattern("constant", 0x00)
    if text == "one":
        return Pattern("constant", 0xFF)
    if text == "random":
        return Pattern("random")
    if re.fullmatch(r"0x[0-9a-f]{2}", text):
        return Pattern("constant", int(text, 16))
    raise ValueError(f"{value!r} is not a pattern: expected zero, one, random or 0xNN")


@dataclass(frozen=True, slots=True)
class Method:
    """An overwrite method: passes, in order, and a default verification."""

    name: str
    title_fr: str
    title_en: str
    passes: tuple[Pattern, ...]
    verification: Verification
    legacy_standard: str | None = None
    """The legacy scheme's name (DoD, HMG IS5): what was run, not a sanitization level."""
    source: str = ""


def line_of(text: str, field: str, table_index: int | None = None) -> int | None:
    """1-based line of ``field = ...``; inside the ``table_index``-th ``[[passes]]`` if given."""
    lines = text.splitlines()
    start = 0
    if table_index is not None:
        seen = -1
        for i, line in enumerate(lines):
            if re.match(r"\s*\[\[\s*passes\s*\]\]", line):
                seen += 1
                if seen == table_index:
                    start = i
                    break
        else:
            return None
    pattern = re.compile(rf"\s*{re.escape(field)}\s*=")
    for i in range(start, len(lines)):
        if table_index is not None and i > start and re.match(r"\s*\[", lines[i]):
            return start + 1
        if pattern.match(lines[i]):
            return i + 1
    return start + 1 if table_index is not None else None


def parse_method(text: str, source: str) -> Method:
    """Parse one method file's text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise MethodFileError(source, line, "(syntax)", f"invalid TOML: {exc}") from exc

    def fail(field: str, problem: str, table: int | None = None) -> MethodFileError:
        return MethodFileError(source, line_of(text, field, table), field, problem)

    known = {"name", "title_fr", "title_en", "legacy_standard", "verification", "passes"}
    for key in data:
        if key not in known:
            raise fail(key, f"unknown field (expected one of {', '.join(sorted(known))})")

    def string(field: str, required: bool = True) -> str | None:
        value = data.get(field)
        if value is None:
            if required:
                raise MethodFileError(source, None, field, "missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(field, "expected a non-empty string")
        return value.strip()

    name = string("name")
    assert name is not None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise fail("name", f"{name!r}: use lowercase letters, digits and dashes")
    title_fr = string("title_fr", required=False) or name
    title_en = string("title_en", required=False) or name
    legacy = string("legacy_standard", required=False)
    try:
        verification = parse_verification(string("verification") or "")
    except ValueError as exc:
        raise fail("verification", str(exc)) from None
    raw_passes = data.get("passes")
    if raw_passes is None:
        raise MethodFileError(source, None, "passes", "missing: at least one [[passes]] table")
    if not isinstance(raw_passes, list) or not raw_passes:
        raise fail("passes", "expected at least one [[passes]] table")
    patterns: list[Pattern] = []
    for i, entry in enumerate(raw_passes):
        if not isinstance(entry, dict):
            raise fail("passes", f"pass {i + 1}: expected a [[passes]] table")
        for key in entry:
            if key != "pattern":
                raise fail(key, f"pass {i + 1}: unknown field (expected 'pattern')", i)
        if "pattern" not in entry:
            raise fail("pattern", f"pass {i + 1}: missing", i)
        try:
            patterns.append(parse_pattern(entry["pattern"]))
        except ValueError as exc:
            raise fail("pattern", f"pass {i + 1}: {exc}", i) from None
    return Method(name, title_fr, title_en, tuple(patterns), verification, legacy, source)


def load_method_file(path: str | Path) -> Method:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MethodFileError(str(p), None, "(file)", f"cannot read: {exc}") from exc
    method = parse_method(text, str(p))
    if method.name != p.stem:
        raise MethodFileError(
            str(p), line_of(text, "name"), "name", f"{method.name!r} differs from the file name"
        )
    return method


def profiles_dir() -> Path:
    """The shipped profiles/ directory (works for a wheel and for an editable install)."""
    import profiles

    for entry in profiles.__path__:
        if Path(entry).is_dir():
            return Path(entry)
    raise FileNotFoundError("the profiles package has no directory on disk")


def builtin_methods_dir() -> Path:
    return profiles_dir() / "erasure" / "methods"


def available_methods(extra_dirs: list[Path] | None = None) -> dict[str, Path]:
    """Method name -> file, from the shipped profiles then ``extra_dirs`` (later wins)."""
    found: dict[str, Path] = {}
    for directory in [builtin_methods_dir(), *(extra_dirs or [])]:
        if directory.is_dir():
            for f in sorted(directory.glob("*.toml")):
                found[f.stem] = f
    return found


def load_method(name_or_path: str, extra_dirs: list[Path] | None = None) -> Method:
    """A shipped method by name, or a custom method file by path."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        return load_method_file(name_or_path)
    methods = available_methods(extra_dirs)
    if name_or_path not in methods:
        raise UnknownMethodError(
            f"no erasure method named {name_or_path!r}; known: {', '.join(sorted(methods))}"
        )
    return load_method_file(methods[name_or_path])


def as_dict(value: Any) -> Any:
    """JSON-ready view of methods/verification (for certificates)."""
    if isinstance(value, Method):
        return {
            "name": value.name,
            "title_fr": value.title_fr,
            "title_en": value.title_en,
            "legacy_standard": value.legacy_standard,
            "passes": [p.label for p in value.passes],
        }
    if isinstance(value, Verification):
        return {"mode": value.mode, "sample_percent": value.sample_percent}
    raise TypeError(f"cannot describe {type(value).__name__}")
