"""CPU names: every CPU string in tests/corpus/ resolves to the right row or to unscored.

The strings are extracted here by parsing the corpus files (dmidecode type 4
"Version:", lshw processor "product", hwinfo CPU "Model:", inxi CPU model, GLPI
cpus[].name, eReuse Processor components and embedded dmidecode/inxi/lshw,
system_profiler "Processor Name:"/"Chip:"), not copied by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench_agent.grading.cpu_table import (
    default_cpu_table,
    load_cpu_table,
    normalise_cpu_name,
    parse_cpu_csv,
)
from bench_agent.grading.toml_source import ProfileError


def _dmidecode_versions(text: str) -> Iterator[str]:
    in_processor = False
    for line in text.splitlines():
        if line.startswith("Handle "):
            in_processor = "DMI type 4," in line
        elif in_processor and line.strip().startswith("Version:"):
            yield line.split(":", 1)[1].strip()


def _lshw_cpus(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _lshw_cpus(item)
    elif isinstance(node, dict):
        if node.get("class") == "processor" and node.get("product"):
            yield str(node["product"])
        for child in node.get("children", []) or []:
            yield from _lshw_cpus(child)


def _hwinfo_cpus(text: str) -> Iterator[str]:
    for block in text.split("\n\n"):
        if "CPU" in block.splitlines()[0] if block else False:
            for found in re.finditer(r'^\s*Model: [\d.]+ "(.*)"$', block, re.M):
                yield found.group(1)


def _inxi_cpus(text: str) -> Iterator[str]:
    for found in re.finditer(r'"\d+#[^"]*#model":\s*"([^"]+)"', text):
        if re.search(r"intel|amd|apple|arm", found.group(1), re.I):
            yield found.group(1)


def corpus_cpu_strings(corpus: Path) -> dict[str, set[str]]:
    """CPU string → the corpus files it appears in."""
    strings: dict[str, set[str]] = {}

    def add(name: str, where: Path) -> None:
        strings.setdefault(name, set()).add(str(where.relative_to(corpus)))

    for path in sorted((corpus / "dmidecode").glob("*.txt")):
        for name in _dmidecode_versions(path.read_text(errors="replace")):
            add(name, path)
    for path in sorted((corpus / "lshw").glob("*.json")):
        for name in _lshw_cpus(json.loads(path.read_text())):
            add(name, path)
    for path in sorted((corpus / "hwinfo").glob("*.txt")):
        for name in _hwinfo_cpus(path.read_text(errors="replace")):
            add(name, path)
    for path in sorted((corpus / "inxi").glob("*.txt")):
        inxi = json.loads(path.read_text())
        for name in _inxi_cpus(json.dumps(inxi)):
            add(name, path)
    for path in sorted((corpus / "schemas" / "glpi-examples").glob("*.json")):
        for cpu in json.loads(path.read_text()).get("content", {}).get("cpus", []):
            add(cpu["name"], path)
    for path in sorted((corpus / "schemas" / "ereuse-examples").glob("*.json")):
        snap = json.loads(path.read_text())
        for comp in snap.get("components", []):
            if comp.get("type") == "Processor":
                add(comp["model"], path)
        debug = snap.get("debug", {}) or {}
        data = snap.get("data", {}) or {}
        for lshw in (debug.get("lshw"), data.get("lshw")):
            if lshw:
                for name in _lshw_cpus(lshw):
                    add(name, path)
        if isinstance(data.get("dmidecode"), str):
            for name in _dmidecode_versions(data["dmidecode"]):
                add(name, path)
        if isinstance(data.get("inxi"), str):
            for name in _inxi_cpus(data["inxi"]):
                add(name, path)
        if isinstance(data.get("hwinfo"), str):
            for name in _hwinfo_cpus(data["hwinfo"]):
                add(name, path)
    for path in sorted((corpus / "macos").glob("*.txt")):
        for hit in re.finditer(r"^\s*(?:Processor Name|Chip): (.+)$", path.read_text(), re.M):
            add(hit.group(1).strip(), path)
    return strings


# What each corpus CPU string must resolve to in the shipped table (the network's
# cpus.csv, profiles/cpu/): the row name, or None for an explicit "unscored".
EXPECTED: dict[str, str | None] = {
    "Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz": "Intel Core i3-7020U @ 2.30GHz",
    "Intel(R) Atom(TM) CPU N450   @ 1.66GHz": "Intel Atom N450 @ 1.66GHz",
    "Intel(R) Core(TM) m3-7Y32 CPU @ 1.10GHz": "Intel Core m3-7Y32 @ 1.10GHz",
    "Not Specified": None,
    "": None,
    "Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz": "Intel Core i7-4600U @ 2.10GHz",
    "Intel Core i7-4600U": "Intel Core i7-4600U @ 2.10GHz",
    "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz": "Intel Core i5-6200U @ 2.30GHz",
    "Intel(R) Core(TM) i5 CPU       M 430  @ 2.27GHz": "Intel Core i5-430M @ 2.27GHz",
    "Intel(R) Core(TM) i3-2330M CPU @ 2.20GHz": "Intel Core i3-2330M @ 2.20GHz",
    "Intel(R) Core(TM) i3-5005U CPU @ 2.00GHz": "Intel Core i3-5005U @ 2.00GHz",
    "Intel(R) Core(TM) i3 CPU       M 370  @ 2.40GHz": "Intel Core i3-370M @ 2.40GHz",
    "Intel(R) Core(TM) i5-2450M CPU @ 2.50GHz": "Intel Core i5-2450M @ 2.50GHz",
    "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz": "Intel Core i7-7500U @ 2.70GHz",
    "Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz": "Intel Core i5-4210U @ 1.70GHz",
    "Intel Core i5-4210U CPU @ 1.70GHz": "Intel Core i5-4210U @ 1.70GHz",
    "Intel Core 2 Duo": None,
    "Apple M1": "Apple M1 8 Core 3200 MHz",
}


def test_every_corpus_cpu_string_resolves(corpus_dir: Path) -> None:
    strings = corpus_cpu_strings(corpus_dir)
    # The extraction must find the corpus' CPUs, not an empty set that passes vacuously.
    assert len(strings) >= 15
    missing = sorted(set(strings) - set(EXPECTED))
    assert not missing, f"CPU strings in the corpus without an expected resolution: {missing}"
    table = default_cpu_table()
    for name, where in strings.items():
        match = table.lookup(name)
        expected = EXPECTED[name]
        if expected is None:
            assert match.status == "unscored", (name, where)
            assert match.score is None
            assert "not scored" in match.reason.en and "non attribué" in match.reason.fr
        else:
            assert match.status == "scored", (name, where, match.reason.en)
            assert match.entry is not None and match.entry.name == expected, (name, where)


@pytest.mark.parametrize(
    ("raw", "key", "ghz"),
    [
        ("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz", "intel core i5-520m", 2.4),
        ("Intel Core i5-520M", "intel core i5-520m", None),
        ("Intel(R) Core(TM) i7 CPU       Q 720  @ 1.60GHz", "intel core i7-720qm", 1.6),
        ("Intel(R) Core(TM)2 Duo CPU     T7300  @ 2.00GHz", "intel core2 duo t7300", 2.0),
        ("AMD A6-9225 RADEON R4, 5 COMPUTE CORES 2C+3G", "amd a6-9225", None),
        ("AMD Ryzen 5 PRO 2500U w/ Radeon Vega Mobile Gfx", "amd ryzen 5 pro 2500u", None),
        ("AMD Ryzen 7 5700U with Radeon Graphics", "amd ryzen 7 5700u", None),
        ("AMD A8-7100 APU", "amd a8-7100", None),
        ("13th Gen Intel(R) Core(TM) i7-1360P", "intel core i7-1360p", None),
        ("Core i3-6100U", "intel core i3-6100u", None),
        ("Apple M1 8 Core 3200 MHz", "apple m1", 3.2),
        ("Intel® Core™ i5-8250U CPU @ 1.60GHz", "intel core i5-8250u", 1.6),
    ],
)
def test_normalisation(raw: str, key: str, ghz: float | None) -> None:
    assert normalise_cpu_name(raw) == (key, ghz)


def test_alias_file_resolves_known_renames() -> None:
    table = default_cpu_table()
    match = table.lookup("Intel(R) Core(TM)2 CPU         T7200  @ 2.00GHz")
    assert match.status == "scored" and match.score == 739


def test_same_model_at_two_clocks_needs_the_clock() -> None:
    table = default_cpu_table()
    without_clock = table.lookup("Intel Core2 Duo P9600")
    assert without_clock.status == "unscored"
    assert "ambiguous" in without_clock.reason.en
    assert "P9600 @ 2.53GHz = 1040" in without_clock.reason.en
    with_clock = table.lookup("Intel(R) Core(TM)2 Duo CPU     P9600  @ 2.66GHz")
    assert with_clock.score == 1093


def test_unknown_cpu_is_unscored_never_guessed() -> None:
    # A name the network's table does not hold (a model number that does not exist).
    match = default_cpu_table().lookup("Intel(R) Core(TM) i5-8390U CPU @ 1.70GHz")
    assert match.status == "unscored" and match.score is None and match.entry is None
    assert match.reason.fr.startswith("CPU inconnu de la table")


def test_network_csv_semicolon_with_extra_columns(tmp_path: Path) -> None:
    # The incumbent tool's layout: leading empty column, NAME and CPUMARK among others.
    path = tmp_path / "cpus.csv"
    path.write_text(
        ";NAME;CORES;CPUMARK;THREAD;TDP;SOCKET;CAT\n"
        ";Intel Core i5-520M @ 2.40GHz;2;1728;;35;BGA1288;Laptop\n"
        ";Broken row without score;2;NA;;35;X;Laptop\n"
        ";AMD A6-9225;2;1 324;;15;BGA (FT4);Laptop\n",
        encoding="utf-8",
    )
    table = load_cpu_table(path)
    assert table.lookup("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz").score == 1728
    assert table.lookup("AMD A6-9225 RADEON R4, 5 COMPUTE CORES 2C+3G").score == 1324
    assert table.skipped == [(3, "no usable name/score: 'NA'")]


def test_network_csv_comma_with_quoted_thousands() -> None:
    table = parse_cpu_csv(
        'CPU Name,CPU Mark,Rank\n"Intel Core i7-7500U @ 2.70GHz","3,630",1\n', "passmark.csv"
    )
    assert table.lookup("Intel Core i7-7500U").score == 3630


def test_csv_without_known_columns_is_a_clear_error() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_cpu_csv("processor id;speed\nx;1\n", "odd.csv")
    assert str(caught.value) == (
        "odd.csv:1: (header): columns not recognised: ['processor id', 'speed']; expected a name "
        "column (cpu, name, cpu name...) and a score column (score, cpumark, cpu mark...)"
    )


def test_hostile_csv_is_a_clear_error() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_cpu_csv('cpu;score\n"' + "x" * 200_000 + '";12\n', "huge.csv")
    assert str(caught.value) == (
        "huge.csv: (rows): unreadable CSV: field larger than field limit (131072); "
        "expected a name;score CSV"
    )
