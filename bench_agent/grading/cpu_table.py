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

The default table is the network's own (``profiles/cpu/cpus.csv``, verbatim, see
``profiles/cpu/SOURCES.md``) with its rename list (``cpuchange.csv``) and our aliases.
A bench may hold a newer table taken from the central service (:func:`store_table`,
:func:`current_table`); every table carries a version (the SHA-256 of its bytes) that
the grade records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bench_agent.grading.toml_source import ProfileError
from bench_agent.i18n import _t
from bench_agent.model.common import Text

if TYPE_CHECKING:
    from bench_agent.bench.paths import BenchPaths

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
_TRADEMARKS = re.compile(r"\((?:r|tm|c)\)|®|™|©", re.I)
_AT = re.compile(r"@.*$")
_GEN = re.compile(r"\b\d+(?:th|st|nd|rd)\s+gen(?:eration)?\b", re.I)
_WORDS = re.compile(r"\b(?:cpu|processor|genuineintel|authenticamd)\b", re.I)
_AMD_GRAPHICS = (
    re.compile(r"\s(?:with|w/)\s.*$"),
    re.compile(r",?\s*\d+\s+compute\s+cores.*$"),
    re.compile(r"\s+radeon\b.*$"),
    re.compile(r"\s+r[4-8],?$"),
    re.compile(r"\s+apu$"),
)
_R_END = re.compile(r"\sr[4-8],?$")
_CORE2 = re.compile(r"\bcore\s+2\b")
_MOBILE_M = re.compile(r"\bcore (i\d) m (\d{3})\b")
_MOBILE_Q = re.compile(r"\bcore (i\d) q (\d{3})\b")
_DASH = re.compile(r"\bcore (i\d) (\d{3,5}[a-z]{0,2})$")
_INTEL = re.compile(r"(?:core|pentium|celeron|atom|xeon)\b")
_AMD = re.compile(r"(?:ryzen|athlon|turion|phenom|sempron|a\d{1,2}-\d|e\d?-\d)")
_WITH = re.compile(r"\s(?:with|w/)\s.*$")


def normalise_cpu_name(name: str) -> tuple[str, float | None]:
    """Comparable key and clock (GHz) of a CPU name; the key is lower case."""
    # Each rule runs only when its words are there: the network's table has thousands of
    # rows to normalise when a bench loads it.
    # Trademark signs go before NFKC, which would turn "™" into letters glued to the name.
    if name.isascii():
        text = _TRADEMARKS.sub(" ", name) if "(" in name else name
    else:
        text = unicodedata.normalize("NFKC", _TRADEMARKS.sub(" ", name))
    ghz: float | None = None
    freq = _FREQ.search(text) if "@" in text else None
    if freq is None and "hz" in text.lower():
        freq = _CORES_CLOCK.search(text)
    if freq:
        value = float(freq.group(1).replace(",", "."))
        ghz = round(value / 1000 if freq.group(2).lower() == "mhz" else value, 2)
        text = _AT.sub(" ", text)
    elif "@" in text:
        text = _AT.sub(" ", text)
    text = " ".join(text.split()).lower()
    if " gen" in text:
        text = _GEN.sub(" ", text)
    if "cpu" in text or "processor" in text or "genuineintel" in text or "authenticamd" in text:
        text = _WORDS.sub(" ", text)
    text = " ".join(text.split())
    # AMD APUs: "A6-9225 RADEON R4, 5 COMPUTE CORES 2C+3G", "... with Radeon Graphics",
    # "... w/ Radeon Vega Mobile Gfx": the graphics part is not in the table's names.
    if (
        "with" in text
        or "w/" in text
        or "compute" in text
        or "radeon" in text
        or text.endswith("apu")
        or _R_END.search(text)
    ):
        for pattern in _AMD_GRAPHICS:
            text = pattern.sub("", text)
    if "core" in text:
        text = _CORES_SUFFIX.sub("", text)  # "apple m1 8 core 3200 mhz" style rows
        # Intel: "core(tm)2 duo" → "core2 duo"; "core 2 duo" (Apple) too.
        text = _CORE2.sub("core2", text)
        # Mobile suffix orders: "core i5 m 520" → "core i5-520m", "core i7 q 720" → "core i7-720qm".
        if "core i" in text:
            text = _MOBILE_M.sub(r"core \1-\2m", text)
            text = _MOBILE_Q.sub(r"core \1-\2qm", text)
            text = _DASH.sub(r"core \1-\2", text)
    # Vendor prefixes some sources drop (inxi, lshw "product", Apple).
    if _INTEL.match(text):
        text = "intel " + text
    elif _AMD.match(text):
        text = "amd " + text
    return " ".join(text.split()), ghz


def network_form(name: str) -> str:
    """The name as the network's tool compares it (``cpumark.py``): trademark signs,
    ``CPU``/``Processor``, ``13th Gen``, the clock after ``@`` and an AMD ``with ...`` /
    ``w/ ...`` graphics part removed, spaces collapsed, lower case, but ``APU`` and the
    vendor kept. Used to choose among table rows that :func:`normalise_cpu_name` merges
    (``AMD C-60`` = 290 and ``AMD C-60 APU`` = 316)."""
    text = _TRADEMARKS.sub(" ", name)
    text = _AT.sub(" ", text)
    text = _GEN.sub(" ", text)
    text = _WORDS.sub(" ", text)
    text = " ".join(text.split()).lower()
    return _WITH.sub("", text)


def _row_form(name: str) -> str:
    """A table row's name as the network's tool compares it: without its clock."""
    return " ".join(_AT.sub(" ", name).split()).lower()


def rename_form(name: str) -> str:
    """The text a rename pattern (``cpuchange.csv``) is looked for in: trademark signs
    and ``CPU``/``Processor`` removed, spaces collapsed, lower case."""
    text = _WORDS.sub(" ", _TRADEMARKS.sub(" ", name))
    return " ".join(text.split()).lower()


def table_version(data: bytes) -> str:
    """A table's version: the SHA-256 of its bytes (``sha256:<hex>``)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
    renames: list[tuple[str, str]] = field(default_factory=list)
    """(pattern, table name) from a rename list (``cpuchange.csv``), in its order; the
    patterns are in :func:`rename_form`."""
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(line, why) of rows without a usable name or score."""
    version: str | None = None
    """:func:`table_version` of the file the rows come from (None: built in memory)."""
    _index: dict[str, list[CpuEntry]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._add(entry)

    def _add(self, entry: CpuEntry, key: str | None = None) -> None:
        if key is None:
            key = normalise_cpu_name(entry.name)[0]
        self._index.setdefault(key, []).append(entry)

    def add(self, entry: CpuEntry, key: str | None = None) -> None:
        self.entries.append(entry)
        self._add(entry, key)

    def _renamed(self, name: str) -> str | None:
        """The table name a rename gives ``name``, as the network's tool does: the first
        pattern found in the name wins (here between word boundaries, in any case, and
        after trademark signs and ``CPU`` are removed, so that dmidecode's
        ``Intel(R) Core(TM)2 CPU T7200`` meets the pattern written for inxi's
        ``Intel Core2 T7200``)."""
        if not self.renames:
            return None
        form = rename_form(name)
        for pattern, target in self.renames:
            if pattern and re.search(rf"(?<![\w-]){re.escape(pattern)}(?![\w-])", form):
                return target
        return None

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
        renamed = self._renamed(name)
        if renamed is not None:
            key = normalise_cpu_name(renamed)[0]
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
            # The network's tool compares whole names: "AMD C-60 APU" is not "AMD C-60".
            form = network_form(renamed or name)
            exact = [row for row in rows if _row_form(row.name) == form]
            if len({row.score for row in exact}) == 1:
                rows = exact
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
        key, ghz = normalise_cpu_name(name)
        table.add(CpuEntry(name=name, score=score, ghz=ghz, line=offset, source=source), key)
    if not table.entries:
        raise ProfileError(
            origin,
            start + 1,
            "(rows)",
            _t("aucune ligne utilisable"),
            _t("au moins une ligne nom;score"),
        )
    return table


SHIPPED_ORIGIN = "profiles/cpu/cpus.csv"
STORED_ORIGIN = "reference/cpus.csv (central)"


def _unreadable(path: Path, exc: OSError) -> ProfileError:
    return ProfileError(
        str(path),
        None,
        "(file)",
        _t("fichier illisible ({strerror})", strerror=exc.strerror),
        _t("un fichier CSV lisible"),
    )


def load_cpu_table(
    path: Path, aliases: Path | None = None, renames: Path | None = None
) -> CpuTable:
    """Load a CPU table CSV (and an alias CSV ``alias;canonical[;why]``, and a rename
    list ``pattern;table name`` like the network's ``cpuchange.csv``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    table = parse_cpu_csv(data.decode("utf-8-sig", errors="replace"), str(path))
    table.version = table_version(data)
    if aliases is not None:
        table.aliases.update(load_aliases(aliases))
    if renames is not None:
        table.renames.extend(load_renames(renames))
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


def load_renames(path: Path) -> list[tuple[str, str]]:
    """The network's rename list, read as its tool reads it: one ``pattern;table name``
    per line, no header, split at the first ``;``, blank lines skipped, order kept."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(
            str(path),
            None,
            "(file)",
            _t("fichier illisible ({strerror})", strerror=getattr(exc, "strerror", None) or exc),
            _t("un fichier CSV lisible"),
        ) from exc
    out: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip(" \r\n")
        if not line:
            continue
        pattern, _, target = line.partition(";")
        if not pattern.strip() or not target.strip():
            raise ProfileError(
                str(path),
                number,
                "(row)",
                _t("ligne sans motif ou sans nom : {line}", line=line),
                _t("nom rapporté;nom dans la table"),
            )
        out.append((rename_form(pattern), target.strip()))
    return out


def shipped_names(table: CpuTable) -> CpuTable:
    """Give ``table`` the shipped name rules: our aliases and the network's renames."""
    from profiles import profiles_dir

    folder = profiles_dir() / "cpu"
    table.aliases.update(load_aliases(folder / "aliases.csv"))
    table.renames.extend(load_renames(folder / "cpuchange.csv"))
    return table


def default_cpu_table() -> CpuTable:
    """The network's table shipped in ``profiles/cpu/`` with its renames and our aliases."""
    from profiles import profiles_dir

    table = shipped_names(load_cpu_table(profiles_dir() / "cpu" / "cpus.csv"))
    table.origin = SHIPPED_ORIGIN  # reports name the shipped table, not the install path
    return table


def stored_table_path(paths: BenchPaths) -> Path:
    """Where a bench keeps the table taken from the central service."""
    return paths.home / "reference" / "cpus.csv"


def store_table(paths: BenchPaths, data: bytes) -> str:
    """Keep ``data`` (a CPU table as the central service serves it) in the bench's home
    for later grades and return its version. A table that does not read as one (not
    UTF-8, no name or score column, no usable row) raises ProfileError and the table
    in use stays."""
    path = stored_table_path(paths)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProfileError(
            STORED_ORIGIN,
            None,
            "(file)",
            _t("table CPU illisible (pas en UTF-8 : {exc})", exc=exc),
            _t("un CSV en UTF-8"),
        ) from exc
    parse_cpu_csv(text, STORED_ORIGIN)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return table_version(data)


def current_table(paths: BenchPaths) -> CpuTable:
    """The table later grades use: the one taken from the central service when the
    bench holds one that reads, else the shipped one."""
    path = stored_table_path(paths)
    if path.is_file():
        try:
            table = shipped_names(load_cpu_table(path))
        except ProfileError:
            pass  # store_table checked it; a damaged copy falls back to the shipped table
        else:
            table.origin = STORED_ORIGIN
            return table
    return default_cpu_table()
