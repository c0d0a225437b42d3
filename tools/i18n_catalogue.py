"""The English catalogue of bench_agent: extract, check, compile (``make i18n``).

French is the source language (the msgids); ``bench_agent/locale/en/LC_MESSAGES/
bench_agent.po`` holds the English, compiled to the ``.mo`` beside it that the app
reads. Babel extracts the messages (calls of ``_t``, ``_`` and ``N_``) and writes the
files; it is a development dependency only (the runtime reads the ``.mo`` with the
standard library's gettext).

    python tools/i18n_catalogue.py update   # add new msgids (empty), drop unused ones
    python tools/i18n_catalogue.py check    # every msgid translated, same placeholders
    python tools/i18n_catalogue.py compile  # write the .mo

The files are written sorted by msgid, with file names but no line numbers, and
without dates that change: the same code gives the same bytes.
"""

from __future__ import annotations

import datetime
import io
import string
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bench_agent"
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "bench_agent.po"
MO = PO.with_suffix(".mo")
KEYWORDS: dict[str, object] = {"_t": None, "_": None, "N_": None, "C_": ((1, "c"), 2)}
"""``_t(msgid, **fields)``, ``env._(msgid, **fields)``, ``N_(msgid)``: the msgid first;
``C_(context, msgid)``."""

Key = tuple[str, str | None]
"""(msgid, context)."""
BRACE_FORMAT = "python-brace-format"


def extract(package: Path = PACKAGE) -> dict[Key, set[str]]:
    """Every (msgid, context) in the package's code, with the files that use it."""
    from babel.messages.extract import extract_from_dir

    found: dict[Key, set[str]] = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(package),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=(),
    ):
        if isinstance(message, str) and message:
            found.setdefault((message, context), set()).add(f"{package.name}/{filename}")
    return found


def fields(message: str) -> list[tuple[str, str, str]]:
    """The placeholders of a message as (name, conversion, format spec), in order.

    Raises ValueError on a malformed message (an unbalanced brace) or a positional
    placeholder (``{}``, ``{0}``): every placeholder is named."""
    found = []
    for _literal, name, spec, conversion in string.Formatter().parse(message):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a name")
        found.append((name, conversion or "", spec or ""))
    return found


def new_catalogue() -> Catalog:
    from babel.messages.catalog import Catalog

    # Fixed dates: regenerating the catalogue must not change its bytes.
    fixed = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    return Catalog(
        locale="en",
        domain="bench_agent",
        header_comment="# English messages of bench-agent (French is the source language).\n#",
        project="bench-agent",
        version="0.1.0",
        copyright_holder="bench-agent contributors",
        msgid_bugs_address="",
        creation_date=fixed,
        revision_date=fixed,
        last_translator="bench-agent contributors",
        language_team="English",
        charset="utf-8",
        fuzzy=False,
    )


def read(po: Path = PO) -> Catalog:
    from babel.messages.pofile import read_po

    if not po.exists():
        return new_catalogue()
    with po.open("rb") as f:
        catalog = read_po(f, locale="en", domain="bench_agent")
    for message in catalog:
        message.flags.discard("python-format")  # Babel's guess from a "%": see set_entry
    return catalog


def set_entry(catalog: Catalog, key: Key, msgstr: str, files: Iterable[str]) -> None:
    """Add or replace one message (flags: brace-format when it has placeholders)."""
    msgid, context = key
    if catalog.get(msgid, context=context) is not None:
        catalog.delete(msgid, context=context)
    message = catalog.add(
        msgid, msgstr, locations=[(f, None) for f in sorted(set(files))], context=context
    )
    assert message is not None
    # Babel flags a "%" as printf-style; our messages are str.format.
    message.flags.discard("python-format")
    message.flags.discard("fuzzy")
    if "{" in msgid.replace("{{", ""):
        message.flags.add(BRACE_FORMAT)
    else:
        message.flags.discard(BRACE_FORMAT)


def po_bytes(catalog: Catalog) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buf.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def write(catalog: Catalog, po: Path = PO) -> None:
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_bytes(po_bytes(catalog))


def update(po: Path = PO) -> tuple[list[str], list[str]]:
    """Bring the catalogue to the code: new msgids added untranslated, unused ones
    dropped, locations refreshed. Returns (added, dropped)."""
    code = extract()
    catalog = read(po)
    known = {(m.id, m.context) for m in catalog if m.id}
    added = sorted(set(code) - known, key=str)
    dropped = sorted(known - set(code), key=str)
    for msgid, context in dropped:
        catalog.delete(msgid, context=context)
    for key, files in code.items():
        existing = catalog.get(key[0], context=key[1])
        set_entry(catalog, key, existing.string if existing else "", files)
    write(catalog, po)
    return [show(k) for k in added], [show(k) for k in dropped]


def show(key: Key) -> str:
    msgid, context = key
    return f"{msgid!r} (context {context!r})" if context else repr(msgid)


def problems(po: Path = PO) -> list[str]:
    """Everything wrong with the catalogue, one sentence each (empty: all good)."""
    found = []
    code = extract()
    catalog = read(po)
    known = {(m.id, m.context): m for m in catalog if m.id}
    missing = sorted(set(code) - set(known), key=str)
    unused = sorted(set(known) - set(code), key=str)
    found += [f"missing from the catalogue: {show(k)}" for k in missing]
    found += [f"unused in the code: {show(k)}" for k in unused]
    for (msgid, _context), message in sorted(known.items(), key=str):
        if not isinstance(message.string, str) or not message.string:
            found.append(f"not translated: {msgid!r}")
            continue
        try:
            if sorted(fields(msgid)) != sorted(fields(message.string)):
                found.append(f"placeholders differ: {msgid!r} → {message.string!r}")
        except ValueError as exc:
            found.append(f"malformed: {msgid!r} → {message.string!r} ({exc})")
    if MO.exists() and po == PO and MO.read_bytes() != mo_bytes(catalog):
        found.append(f"{MO.relative_to(ROOT)} is not the .po compiled: run `make i18n`")
    return found


def compile_mo(po: Path = PO) -> None:
    po.with_suffix(".mo").write_bytes(mo_bytes(read(po)))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        added, dropped = update()
        for msgid in added:
            print(f"new, to translate: {msgid}")
        for msgid in dropped:
            print(f"dropped (no longer in the code): {msgid}")
        return 0
    if command == "check":
        found = [p for p in problems() if not p.endswith("`make i18n`")]
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            print(f"{PO.relative_to(ROOT)}: {len(found)} problem(s)", file=sys.stderr)
        return 1 if found else 0
    if command == "compile":
        compile_mo()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
