"""dmidecode: run it (root only) and parse its text output into records by DMI type.

The parser is pure and tolerant: dmidecode 2.x to 3.x output, tabs or spaces,
truncated tables, records without a name line, multi-line list values
("Characteristics:", "Strings:", "Header and Data:"). Anything it cannot
understand is skipped, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bench_agent.host import Host
from bench_agent.i18n import _t, join
from bench_agent.model.common import Note

DMIDECODE_TIMEOUT_S = 10.0

_HANDLE_RE = re.compile(
    r"^Handle\s+(0x[0-9A-Fa-f]+)\s*,?\s*(?:DMI\s+type\s+(\d+)\s*,\s*(\d+)\s+bytes)?", re.I
)
# dmidecode 2.0-2.7 put the type on its own line under the handle.
_OLD_TYPE_RE = re.compile(r"^\s*DMI\s+type\s+(\d+)\s*,\s*(\d+)\s+bytes", re.I)
_SMBIOS_RE = re.compile(r"SMBIOS\s+([\d.]+)\s+present", re.I)


@dataclass(slots=True)
class DmiRecord:
    """One DMI structure: ``values`` for "Key: value" lines, ``lists`` for indented items."""

    handle: str
    type: int
    name: str = ""
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        """The value of ``key`` stripped, or None when the line is absent."""
        value = self.values.get(key)
        return None if value is None else value.strip()


@dataclass(slots=True)
class DmiTable:
    """A parsed dmidecode output."""

    records: list[DmiRecord] = field(default_factory=list)
    smbios_version: str | None = None

    def by_type(self, dmi_type: int) -> list[DmiRecord]:
        return [r for r in self.records if r.type == dmi_type]

    def first(self, dmi_type: int) -> DmiRecord | None:
        for record in self.records:
            if record.type == dmi_type:
                return record
        return None

    @property
    def types(self) -> dict[int, list[DmiRecord]]:
        out: dict[int, list[DmiRecord]] = {}
        for record in self.records:
            out.setdefault(record.type, []).append(record)
        return out


def _indent_width(line: str) -> int:
    expanded = line.expandtabs(8)
    return len(expanded) - len(expanded.lstrip(" "))


def parse_dmidecode(text: str) -> DmiTable:
    """Parse ``dmidecode`` text output. Never raises; unknown lines are ignored."""
    table = DmiTable()
    current: DmiRecord | None = None
    expect_name = False
    base_indent: int | None = None
    list_key: str | None = None
    last_key: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            continue
        handle = _HANDLE_RE.match(stripped) if not line[:1].isspace() else None
        if handle:
            dmi_type = int(handle.group(2)) if handle.group(2) is not None else -1
            current = DmiRecord(handle=handle.group(1).lower(), type=dmi_type)
            table.records.append(current)
            expect_name, base_indent, list_key, last_key = True, None, None, None
            continue
        if current is None:
            smbios = _SMBIOS_RE.search(stripped)
            if smbios and table.smbios_version is None:
                table.smbios_version = smbios.group(1)
            continue
        if current.type == -1:
            old = _OLD_TYPE_RE.match(line)
            if old:
                current.type = int(old.group(1))
                continue
        indent = _indent_width(line)
        if expect_name:
            expect_name = False
            if ":" not in stripped or indent == 0:
                current.name = stripped
                continue
        if indent == 0:
            # A non-indented line that is not a handle: a trailer ("End Of Table",
            # "Invalid entry length") or garbage; the record it follows is over.
            list_key = last_key = None
            base_indent = -1
            continue
        if base_indent == -1:
            continue
        if base_indent is None:
            base_indent = indent
        if indent > base_indent:
            key = list_key or last_key
            if key is not None:
                current.lists.setdefault(key, []).append(stripped)
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            if last_key is not None:
                current.lists.setdefault(last_key, []).append(stripped)
            continue
        key = key.strip()
        # Keep the first occurrence: some tables repeat a key in one record.
        current.values.setdefault(key, value.strip())
        last_key = key
        list_key = key if not value.strip() else None
    # Records whose handle line was cut before the type: useless, drop them.
    table.records = [r for r in table.records if r.type >= 0]
    return table


def probe_dmidecode(host: Host, notes: list[Note]) -> DmiTable | None:
    """The whole DMI table via ``dmidecode`` when root and installed; else a note and None."""
    if not host.is_root():
        notes.append(
            Note(
                code="dmidecode.not_root",
                message=_t(
                    "dmidecode non lancé : il faut être root (détail des barrettes mémoire "
                    "et numéro de série indisponibles si le noyau les cache)"
                ),
            )
        )
        return None
    if host.which("dmidecode") is None:
        notes.append(
            Note(
                code="dmidecode.not_installed",
                message=_t("dmidecode n'est pas installé (paquet Debian « dmidecode »)"),
            )
        )
        return None
    result = host.run(["dmidecode"], timeout_s=DMIDECODE_TIMEOUT_S)
    table = parse_dmidecode(result.text()) if result.stdout else DmiTable()
    if not result.ok:
        reason = result.error or f"code {result.returncode}"
        detail = result.stderr.decode("utf-8", errors="replace").strip()[:200].rstrip(" :")
        failed = (
            _t("dmidecode a échoué ({reason}) : {detail}", reason=reason, detail=detail)
            if detail
            else _t("dmidecode a échoué ({reason})", reason=reason)
        )
        if table.records:
            failed = join("", [failed, _t(" ; table partielle conservée")])
        notes.append(Note(code="dmidecode.failed", message=failed))
    elif not table.records:
        notes.append(
            Note(
                code="dmidecode.empty",
                message=_t("dmidecode n'a renvoyé aucune table DMI lisible"),
            )
        )
    return table if table.records else None
