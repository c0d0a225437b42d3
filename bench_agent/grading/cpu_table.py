"""CPU score table: CPU model name → score, with a normalisation layer.

Probes report names such as ``Intel(R) Core(TM) i3 CPU       M 370  @ 2.40GHz``
(dmidecode, lshw, /proc/cpuinfo) or ``Intel Core i3-370M`` (inxi); the network's
table says ``Intel Core i3-370M @ 2.40GHz``. Both sides go through
:func:`normalise_cpu_name`, which keeps the clock apart so that it can tell two
table rows of one model at two clocks apart. A name that matches no row, or
several rows with different scores, is *unscored*: never an invented score.

The table is read from a CSV as the network supplies it: delimiter ``;``, ``,``
or tab (whichever the header line uses most); the name column is the first header
among cpu / name / cpu name / processor / processeur / model, the score column
among score / cpumark / cpu mark / passmark / mark; other columns are ignored.
Rows without a usable score are skipped and listed (``CpuTable.skipped``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench_agent.grading.toml_source import ProfileError
from bench_agent.i18n import _t
from bench_agent.model.common import Text

NAME_HEADERS = ("cpu", "name", "cpuname", "processor", "processeur", "model", "modele")
SCORE_HEADERS = ("score", "cpumark", "cpuscore", "passmark", "mark")
PLACEHOLDERS = {
    "",
    "not specified",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "unknown",
    "default string",
    "none",
    "n/a",
    "other",
    "0",
    "cpu",
}

_FREQ = re.compile(r"@\s*([\d.,]+)\s*(ghz|mhz)", re.I)
_CORES_CLOCK = re.compile(r"\bcore\s+(\d+)\s*(mhz)$", re.I)  # "Apple M1 8 Core 3200 MHz"
_CORES_SUFFIX = re.compile(r"\s\d+\s+core(?:\s+\d+\s*mhz)?$")


def normalise_cpu_name(name: str) -> tuple[str, float | None]:
    """Comparable key and clock (GHz) of a CPU name; the key is lower case."""
    # Trademark signs go before NFKC, which would turn "™" into letters glued to the name.
    text = re.sub(r"\((?:r|tm|c)\)|®|™|©", " ", name, flags=re.I)
    text = unicodedata.normalize("NFKC", text)
    ghz: float | None = None
    freq = _FREQ.search(text) or _CORES_CLOCK.search(text)
    if freq:
        value = float(freq.group(1).replace(",", "."))
        ghz = round(value / 1000 if freq.group(2).lower() == "mhz" else value, 2)
    text = re.sub(r"@.*$", " ", text)
    text = re.sub(r"\b\d+(?:th|st|nd|rd)\s+gen(?:eration)?\b", " ", text, flags=re.I)
    text = re.sub(r"\b(?:cpu|processor|genuineintel|authenticamd)\b", " ", text, flags=re.I)
    text = " ".join(text.split()).lower()
    # AMD APUs: "A6-9225 RADEON R4, 5 COMPUTE CORES 2C+3G", "... with Radeon Graphics",
    # "... w/ Radeon Vega Mobile Gfx": the graphics part is not in the table's names.
    text = re.sub(r"\s(?:with|w/)\s.*$", "", text)
    text = re.sub(r",?\s*\d+\s+compute\s+cores.*$", "", text)
    text = re.sub(r"\s+radeon\b.*$", "", text)
    text = re.sub(r"\s+r[4-8],?$", "", text)
    text = re.sub(r"\s+apu$", "", text)
    text = _CORES_SUFFIX.sub("", text)  # "apple m1 8 core 3200 mhz" style rows
    # Intel: "core(tm)2 duo" → "core2 duo"; "core 2 duo" (Apple) too.
    text = re.sub(r"\bcore\s+2\b", "core2", text)
    # Mobile suffix orders: "core i5 m 520" → "core i5-520m", "core i7 q 720" → "core i7-720qm".
    text = re.sub(r"\bcore (i\d) m (\d{3})\b", r"core \1-\2m", text)
    text = re.sub(r"\bcore (i\d) q (\d{3})\b", r"core \1-\2qm", text)
    text = re.sub(r"\bcore (i\d) (\d{3,5}[a-z]{0,2})$", r"core \1-\2", text)
    # Vendor prefixes some sources drop (inxi, lshw "product", Apple).
    if re.match(r"(?:core|pentium|celeron|atom|xeon)\b", text):
        text = "intel " + text
    elif re.match(r"(?:ryzen|athlon|turion|phenom|sempron|a\d{1,2}-\d|e\d?-\d)", text):
        text = "amd " + text
    return " ".join(text.split()), ghz


@dataclass(frozen=True)
class CpuEntry:
    name: str
    score: int
    ghz: float | None
    line: int
    source: str | None = None


@dataclass(frozen=True)
class CpuMatch:
    """Result of a lookup: a table row and its score, or an explicit unscored status."""

    query: str | None
    status: Literal["scored", "unscored"]
    score: int | None
    entry: CpuEntry | None
    reason: Text


@dataclass
class CpuTable:
    origin: str
    entries: list[CpuEntry] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(line, why) of rows without a usable name or score."""
    _index: dict[str, list[CpuEntry]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._add(entry)

    def _add(self, entry: CpuEntry) -> None:
        key, _ = normalise_cpu_name(entry.name)
        self._index.setdefault(key, []).append(entry)

    def add(self, entry: CpuEntry) -> None:
        self.entries.append(entry)
        self._add(entry)

    def lookup(self, name: str | None) -> CpuMatch:
        if name is None or name.strip().lower() in PLACEHOLDERS:
            return CpuMatch(
                name,
                "unscored",
                None,
                None,
                _t("CPU sans nom lisible : score non attribué"),
            )
        key, ghz = normalise_cpu_name(name)
        key = self.aliases.get(key, key)
        rows = self._index.get(key, [])
        if not rows:
            if not re.search(r"\d", re.sub(r"\bcore2\b|\bi[3579]\b", "", key)):
                return CpuMatch(
                    name,
                    "unscored",
                    None,
                    None,
                    _t("CPU « {name} » sans numéro de modèle : score non attribué", name=name),
                )
            return CpuMatch(
                name,
                "unscored",
                None,
                None,
                _t("CPU inconnu de la table ({origin}) : score non attribué", origin=self.origin),
            )
        if len({row.score for row in rows}) > 1:
            same_clock = [row for row in rows if ghz is not None and row.ghz == ghz]
            if len({row.score for row in same_clock}) == 1:
                rows = same_clock
            else:
                listed = ", ".join(f"{row.name} = {row.score}" for row in rows)
                return CpuMatch(
                    name,
                    "unscored",
                    None,
                    None,
                    _t("CPU ambigu dans la table ({listed}) : score non attribué", listed=listed),
                )
        row = rows[0]
        return CpuMatch(
            name,
            "scored",
            row.score,
            row,
            _t("CPU « {name} » : {score} points", name=row.name, score=row.score),
        )


def _score(raw: str) -> int | None:
    text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        text = re.sub(r"[.,]", "", text)  # thousands separators
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return round(value) if value > 0 else None


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_\-]", "", cell.strip().lower())


def parse_cpu_csv(text: str, origin: str) -> CpuTable:
    """Read a CPU table CSV (see the module docstring for the accepted shapes)."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None
    )
    if start is None:
        raise ProfileError(
            origin,
            None,
            "(header)",
            _t("fichier vide"),
            _t("une ligne d'en-tête (cpu;score)"),
        )
    header_line = lines[start]
    delimiter = max(";,\t", key=header_line.count)
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ProfileError(
            origin,
            None,
            "(rows)",
            _t("CSV illisible : {exc}", exc=exc),
            _t("un CSV nom;score"),
        ) from exc
    header = [_header_key(cell) for cell in rows[0]]
    name_col = next((header.index(h) for h in NAME_HEADERS if h in header), None)
    score_col = next((header.index(h) for h in SCORE_HEADERS if h in header), None)
    source_col = header.index("source") if "source" in header else None
    if name_col is None or score_col is None:
        raise ProfileError(
            origin,
            start + 1,
            "(header)",
            _t("colonnes non reconnues : {rows}", rows=rows[0]),
            _t(
                "une colonne nom (cpu, name, cpu name...) et une colonne score "
                "(score, cpumark, cpu mark...)"
            ),
        )
    table = CpuTable(origin=origin)
    for offset, row in enumerate(rows[1:], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        if max(name_col, score_col) >= len(row):
            table.skipped.append((offset, "short row"))
            continue
        name = row[name_col].strip()
        score = _score(row[score_col])
        if not name or score is None:
            table.skipped.append((offset, f"no usable name/score: {row[score_col]!r}"))
            continue
        source = (
            row[source_col].strip() if source_col is not None and source_col < len(row) else None
        )
        table.add(
            CpuEntry(
                name=name, score=score, ghz=normalise_cpu_name(name)[1], line=offset, source=source
            )
        )
    if not table.entries:
        raise ProfileError(
            origin,
            start + 1,
            "(rows)",
            _t("aucune ligne utilisable"),
            _t("au moins une ligne nom;score"),
        )
    return table


def load_cpu_table(path: Path, aliases: Path | None = None) -> CpuTable:
    """Load a CPU table CSV (and an alias CSV ``alias;canonical[;why]``)."""
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise ProfileError(
            str(path),
            None,
            "(file)",
            _t("fichier illisible ({strerror})", strerror=exc.strerror),
            _t("un fichier CSV lisible"),
        ) from exc
    table = parse_cpu_csv(text, str(path))
    if aliases is not None:
        table.aliases.update(load_aliases(aliases))
    return table


def load_aliases(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if number == 1 or not row or not row[0].strip():
            continue
        if len(row) < 2 or not row[1].strip():
            raise ProfileError(
                str(path),
                number,
                "canonical",
                _t("nom canonique absent"),
                _t("alias;nom dans la table"),
            )
        out[normalise_cpu_name(row[0])[0]] = normalise_cpu_name(row[1])[0]
    return out


def default_cpu_table() -> CpuTable:
    """The seed table shipped in ``profiles/cpu/`` with its aliases."""
    from profiles import profiles_dir

    folder = profiles_dir() / "cpu"
    table = load_cpu_table(folder / "seed.csv", folder / "aliases.csv")
    table.origin = "profiles/cpu/seed.csv"  # reports name the shipped table, not the install path
    return table
