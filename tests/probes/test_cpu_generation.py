"""CPU generation over every CPU string in the corpus, and /proc/cpuinfo parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.probes.cpu import parse_cpuinfo, probe_cpu
from bench_agent.probes.cpu_generation import derive_generation
from bench_agent.probes.dmi_junk import clean
from bench_agent.probes.dmidecode import parse_dmidecode

CORPUS = Path(__file__).parent.parent / "corpus"

# name -> (generation, generation_number, microarchitecture with CPUID, without CPUID).
# Reviewed by hand against Intel ARK / AMD product pages.
CORPUS_EXPECTED: dict[str, tuple[str | None, int | None, str | None, str | None]] = {
    "Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz": ("Intel Core 7th gen", 7, "Kaby Lake", "Kaby Lake"),
    "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz": ("Intel Core 7th gen", 7, "Kaby Lake", "Kaby Lake"),
    "Intel(R) Core(TM) m3-7Y32 CPU @ 1.10GHz": ("Intel Core 7th gen", 7, "Kaby Lake", "Kaby Lake"),
    "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz": ("Intel Core 6th gen", 6, "Skylake", "Skylake"),
    "Intel(R) Core(TM) i3-5005U CPU @ 2.00GHz": ("Intel Core 5th gen", 5, "Broadwell", "Broadwell"),
    "Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz": ("Intel Core 4th gen", 4, "Haswell", "Haswell"),
    "Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz": ("Intel Core 4th gen", 4, "Haswell", "Haswell"),
    "Intel Core i5-4210U CPU @ 1.70GHz": ("Intel Core 4th gen", 4, "Haswell", "Haswell"),
    "Intel Core i7-4600U": ("Intel Core 4th gen", 4, "Haswell", "Haswell"),
    "Intel(R) Core(TM) i3-2330M CPU @ 2.20GHz": (
        "Intel Core 2nd gen",
        2,
        "Sandy Bridge",
        "Sandy Bridge",
    ),
    "Intel(R) Core(TM) i5-2450M CPU @ 2.50GHz": (
        "Intel Core 2nd gen",
        2,
        "Sandy Bridge",
        "Sandy Bridge",
    ),
    "Intel(R) Core(TM) i5 CPU M 430 @ 2.27GHz": (
        "Intel Core 1st gen",
        1,
        "Westmere",
        "Nehalem/Westmere",
    ),
    "Intel(R) Core(TM) i3 CPU M 370 @ 2.40GHz": (
        "Intel Core 1st gen",
        1,
        "Westmere",
        "Nehalem/Westmere",
    ),
    "Intel(R) Atom(TM) CPU N450 @ 1.66GHz": (None, None, "Bonnell", None),
    "Intel Core 2 Duo": ("Intel Core 2", None, "Core (Merom/Penryn)", "Core (Merom/Penryn)"),
    "Apple M1": ("Apple M1", 1, None, None),
}

# Names the corpus lacks but the bench meets, with the traps the docstring names.
MORE_EXPECTED: list[
    tuple[str, int | None, int | None, tuple[str | None, int | None, str | None]]
] = [
    (
        "Intel(R) Core(TM) i5 CPU M 520 @ 2.40GHz",
        None,
        None,
        ("Intel Core 1st gen", 1, "Nehalem/Westmere"),
    ),
    ("Intel Core i5-520M", 6, 37, ("Intel Core 1st gen", 1, "Westmere")),
    ("Intel(R) Core(TM) i7 CPU 920 @ 2.67GHz", None, None, ("Intel Core 1st gen", 1, "Nehalem")),
    ("Intel(R) Core(TM) i5-2520M CPU @ 2.50GHz", 6, 42, ("Intel Core 2nd gen", 2, "Sandy Bridge")),
    (
        "Intel(R) Core(TM) i5-3320M CPU @ 2.60GHz",
        None,
        None,
        ("Intel Core 3rd gen", 3, "Ivy Bridge"),
    ),
    ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", 6, 142, ("Intel Core 8th gen", 8, "Kaby Lake R")),
    (
        "Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz",
        None,
        None,
        ("Intel Core 8th gen", 8, "Whiskey Lake"),
    ),
    (
        "Intel(R) Core(TM) i7-8750H CPU @ 2.20GHz",
        None,
        None,
        ("Intel Core 8th gen", 8, "Coffee Lake"),
    ),
    (
        "Intel(R) Core(TM) i5-8200Y CPU @ 1.30GHz",
        None,
        None,
        ("Intel Core 8th gen", 8, "Amber Lake"),
    ),
    (
        "Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz",
        None,
        None,
        ("Intel Core 9th gen", 9, "Coffee Lake"),
    ),
    (
        "Intel(R) Core(TM) i7-10510U CPU @ 1.80GHz",
        6,
        142,
        ("Intel Core 10th gen", 10, "Comet Lake"),
    ),
    ("Intel(R) Core(TM) i5-1035G1 CPU @ 1.00GHz", 6, 126, ("Intel Core 10th gen", 10, "Ice Lake")),
    (
        "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
        6,
        140,
        ("Intel Core 11th gen", 11, "Tiger Lake"),
    ),
    (
        "11th Gen Intel(R) Core(TM) i5-11400 @ 2.60GHz",
        None,
        None,
        ("Intel Core 11th gen", 11, "Rocket Lake"),
    ),
    ("12th Gen Intel(R) Core(TM) i5-1235U", 6, 154, ("Intel Core 12th gen", 12, "Alder Lake")),
    ("13th Gen Intel(R) Core(TM) i7-1360P", None, None, ("Intel Core 13th gen", 13, "Raptor Lake")),
    ("Intel(R) Core(TM) i9-14900HX", None, None, ("Intel Core 14th gen", 14, "Raptor Lake")),
    ("Intel(R) Core(TM) Ultra 7 155H", 6, 170, ("Intel Core Ultra Series 1", 14, "Meteor Lake")),
    ("Intel(R) Core(TM) Ultra 7 258V", None, None, ("Intel Core Ultra Series 2", 15, "Lunar Lake")),
    ("Intel(R) Core(TM) M-5Y10c CPU @ 0.80GHz", None, None, ("Intel Core 5th gen", 5, "Broadwell")),
    ("Intel(R) Core(TM)2 Duo CPU T7500 @ 2.20GHz", 6, 15, ("Intel Core 2", None, "Merom")),
    ("Intel(R) Core(TM)2 Duo CPU P8600 @ 2.40GHz", 6, 23, ("Intel Core 2", None, "Penryn")),
    ("Intel(R) Celeron(R) CPU N3050 @ 1.60GHz", 6, 76, (None, None, "Airmont")),
    ("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz", 6, 122, (None, None, "Goldmont Plus")),
    ("Intel(R) Pentium(R) CPU B950 @ 2.10GHz", 6, 42, (None, None, "Sandy Bridge")),
    ("Intel(R) Pentium(R) M processor 1.73GHz", 6, 13, (None, None, "Dothan")),
    (None, 6, 13, (None, None, "Dothan")),  # Dell D610: processor Version "Not Specified"
    (None, 15, 2, (None, None, "NetBurst")),  # Toshiba 2410: empty Version, Pentium 4
    ("AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx", 23, 24, ("AMD Ryzen 3000", 3, "Zen+")),
    ("AMD Ryzen 7 3700X 8-Core Processor", 23, 113, ("AMD Ryzen 3000", 3, "Zen 2")),
    ("AMD Ryzen 5 3400G with Radeon Vega Graphics", None, None, ("AMD Ryzen 3000", 3, "Zen+")),
    ("AMD Ryzen 3 2200U with Radeon Vega Mobile Gfx", None, None, ("AMD Ryzen 2000", 2, "Zen")),
    ("AMD Ryzen 7 2700X Eight-Core Processor", None, None, ("AMD Ryzen 2000", 2, "Zen+")),
    ("AMD Ryzen 5 PRO 4650U with Radeon Graphics", 23, 96, ("AMD Ryzen 4000", 4, "Zen 2")),
    ("AMD Ryzen 5 5500U with Radeon Graphics", 23, 104, ("AMD Ryzen 5000", 5, "Zen 2")),
    ("AMD Ryzen 5 5600U with Radeon Graphics", 25, 80, ("AMD Ryzen 5000", 5, "Zen 3")),
    ("AMD Ryzen 7 6800U with Radeon Graphics", None, None, ("AMD Ryzen 6000", 6, "Zen 3+")),
    ("AMD Ryzen 3 7320U with Radeon Graphics", None, None, ("AMD Ryzen 7000", 7, "Zen 2")),
    ("AMD Ryzen 5 7530U with Radeon Graphics", None, None, ("AMD Ryzen 7000", 7, "Zen 3")),
    ("AMD Ryzen 7 7735HS with Radeon Graphics", None, None, ("AMD Ryzen 7000", 7, "Zen 3+")),
    ("AMD Ryzen 7 7840U w/ Radeon 780M Graphics", None, None, ("AMD Ryzen 7000", 7, "Zen 4")),
    ("AMD Ryzen 9 7950X 16-Core Processor", None, None, ("AMD Ryzen 7000", 7, "Zen 4")),
    ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", None, None, ("AMD Ryzen AI 300", 9, "Zen 5")),
    (
        "AMD A6-9220 RADEON R4, 5 COMPUTE CORES 2C+2G",
        21,
        112,
        (None, None, "Excavator (Bristol Ridge/Stoney Ridge)"),
    ),
    (
        "AMD A8-4500M APU with Radeon(tm) HD Graphics",
        None,
        None,
        (None, None, "Piledriver (Trinity)"),
    ),
    ("AMD A4-5000 APU with Radeon(TM) HD Graphics", None, None, (None, None, "Jaguar (Kabini)")),
    ("AMD E-450 APU with Radeon(tm) HD Graphics", 20, 2, (None, None, "Bobcat")),
    ("AMD E1-2500 APU with Radeon(TM) HD Graphics", None, None, (None, None, "Jaguar")),
    ("AMD Athlon(tm) 64 X2 Dual-Core Processor TK-57", None, None, (None, None, "K8")),
    ("AMD Phenom(tm) II N660 Dual-Core Processor", 16, 6, (None, None, "K10")),
    ("Intel(R) Xeon(R) Processor", 6, 207, (None, None, "Emerald Rapids")),
    ("QEMU Virtual CPU version 2.5+", None, None, (None, None, None)),
    ("", None, None, (None, None, None)),
]


def _walk_strings(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_strings(item)


def _from_dmidecode(text: str) -> Iterator[tuple[str, int | None, int | None]]:
    for record in parse_dmidecode(text).by_type(4):
        name = clean(record.get("Version"))
        signature = re.search(r"Family (\d+), Model (\d+)", record.get("Signature") or "")
        if name:
            family, model = (
                (int(signature.group(1)), int(signature.group(2))) if signature else (None, None)
            )
            yield name, family, model


def _from_hwinfo(text: str) -> Iterator[tuple[str, int | None, int | None]]:
    for match in re.finditer(r'Model: (\d+)\.(\d+)\.\d+ "([^"]+)"', text):
        yield match.group(3), int(match.group(1)), int(match.group(2))


def _from_lshw(node: Any) -> Iterator[tuple[str, int | None, int | None]]:
    for key, value in _walk_strings(node):
        if key == "children" or not isinstance(value, dict):
            continue
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class") == "processor" and item.get("product"):
                yield item["product"], None, None
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def corpus_cpu_strings() -> list[tuple[str, str, int | None, int | None]]:
    """(where, name, cpuid family, cpuid model) for every CPU string in the corpus."""
    found: list[tuple[str, str, int | None, int | None]] = []
    for path in sorted((CORPUS / "dmidecode").glob("*.txt")):
        found += [(path.name, *item) for item in _from_dmidecode(path.read_text(errors="replace"))]
    for path in sorted((CORPUS / "hwinfo").glob("*.txt")):
        found += [(path.name, *item) for item in _from_hwinfo(path.read_text(errors="replace"))]
    for path in sorted((CORPUS / "lshw").glob("*.json")):
        found += [(path.name, *item) for item in _from_lshw(json.loads(path.read_text()))]
    for path in sorted((CORPUS / "inxi").glob("*.txt")):
        for match in re.finditer(r'"\d+#\d+#\d+#model":"([^"]+)"', path.read_text()):
            if re.search(r"Intel|AMD", match.group(1)):
                found.append((path.name, match.group(1), None, None))
    for path in sorted((CORPUS / "macos").glob("*.txt")):
        for match in re.finditer(r"^\s*(?:Processor Name|Chip): (.+)$", path.read_text(), re.M):
            found.append((path.name, match.group(1).strip(), None, None))
    for path in sorted((CORPUS / "schemas").glob("*-examples/*.json")):
        data = json.loads(path.read_text())
        for key, value in _walk_strings(data):
            if key == "cpus" and isinstance(value, list):
                found += [(path.name, cpu["name"], None, None) for cpu in value if cpu.get("name")]
            elif key == "components" and isinstance(value, list):
                found += [
                    (path.name, c["model"], None, None)
                    for c in value
                    if c.get("type") == "Processor"
                ]
            elif key == "dmidecode" and isinstance(value, str):
                found += [(path.name, *item) for item in _from_dmidecode(value)]
            elif key == "hwinfo" and isinstance(value, str):
                found += [(path.name, *item) for item in _from_hwinfo(value)]
            elif key == "lshw" and isinstance(value, dict):
                found += [(path.name, *item) for item in _from_lshw(value)]
            elif key == "inxi" and isinstance(value, str):
                for match in re.finditer(r'"\d+#\d+#\d+#model":"([^"]+)"', value):
                    if re.search(r"Intel|AMD", match.group(1)):
                        found.append((path.name, match.group(1), None, None))
    return [(where, " ".join(name.split()), fam, mod) for where, name, fam, mod in found]


CORPUS_CPUS = corpus_cpu_strings()


def test_corpus_strings_were_found_in_every_kind_of_source() -> None:
    sources = {where.rsplit(".", 1)[-1] for where, *_ in CORPUS_CPUS}
    assert {"txt", "json"} <= sources
    assert len(CORPUS_CPUS) >= 40
    assert set(CORPUS_EXPECTED) == {name for _, name, _, _ in CORPUS_CPUS}


@pytest.mark.parametrize(
    ("where", "name", "family", "model"),
    CORPUS_CPUS,
    ids=[f"{w}:{n}" for w, n, _, _ in CORPUS_CPUS],
)
def test_every_corpus_cpu_string(
    where: str, name: str, family: int | None, model: int | None
) -> None:
    generation, number, micro_cpuid, micro_name = CORPUS_EXPECTED[name]
    vendor = "Intel" if "Intel" in name else None
    expected_micro = micro_cpuid if family is not None else micro_name
    assert derive_generation(vendor, name, family, model) == (generation, number, expected_micro)


@pytest.mark.parametrize(
    ("name", "family", "model", "expected"), MORE_EXPECTED, ids=lambda v: repr(v)[:40]
)
def test_more_cpu_names(
    name: str | None,
    family: int | None,
    model: int | None,
    expected: tuple[str | None, int | None, str | None],
) -> None:
    vendor = "GenuineIntel" if family in (6, 15) and (name is None or "AMD" not in name) else None
    assert derive_generation(vendor, name, family, model) == expected


THREADRIPPER_LIKE = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 23
model\t\t: 24
model name\t: AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx
stepping\t: 1
physical id\t: 0
siblings\t: 8
core id\t\t: 0
cpu cores\t: 4
flags\t\t: fpu vme lm

"""


def test_cpuinfo_topology_counts_cores_and_threads() -> None:
    blocks = []
    for index in range(8):
        block = THREADRIPPER_LIKE.replace("processor\t: 0", f"processor\t: {index}")
        blocks.append(block.replace("core id\t\t: 0", f"core id\t\t: {index // 2}"))
    cpu = parse_cpuinfo("".join(blocks))
    assert (cpu.cores, cpu.threads, cpu.sockets) == (4, 8, 1)
    assert cpu.vendor == "AMD" and cpu.generation == "AMD Ryzen 3000" and cpu.generation_number == 3
    assert cpu.microarchitecture == "Zen+"
    assert cpu.architecture == "x86_64" and cpu.flags_64bit is True


def test_cpuinfo_two_sockets() -> None:
    blocks = [
        f"processor\t: {i}\nvendor_id\t: GenuineIntel\n"
        "model name\t: Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz\n"
        f"physical id\t: {i // 4}\ncore id\t\t: {i % 4}\ncpu cores\t: 4\nflags\t\t: fpu lm\n\n"
        for i in range(8)
    ]
    cpu = parse_cpuinfo("".join(blocks))
    assert (cpu.cores, cpu.threads, cpu.sockets) == (8, 8, 2)


def test_cpuinfo_arm() -> None:
    text = (
        "processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n\n"
        "processor\t: 1\nCPU implementer\t: 0x41\nCPU architecture: 8\n\n"
    )
    cpu = parse_cpuinfo(text)
    assert (cpu.vendor, cpu.threads, cpu.architecture, cpu.flags_64bit) == (
        "ARM",
        2,
        "aarch64",
        True,
    )
    assert cpu.model_name is None and cpu.generation is None


def test_cpuinfo_32bit_without_lm() -> None:
    cpu = parse_cpuinfo(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 13\n"
        "flags\t\t: fpu pae\n"
    )
    assert (cpu.architecture, cpu.flags_64bit, cpu.microarchitecture) == ("i686", False, "Dothan")


@pytest.mark.parametrize(
    "garbage", ["", "\x00\x00", "processor: x\n", "model name: only\n", "::::\n\n\n"]
)
def test_cpuinfo_garbage_gives_unknowns(garbage: str) -> None:
    cpu = parse_cpuinfo(garbage)
    assert cpu.threads is None and cpu.model_name is None


def _cpu_host(tmp_path: Path, files: dict[str, str | None]) -> RecordedHost:
    absent = []
    for path, text in files.items():
        if text is None:
            absent.append(path)
            continue
        target = tmp_path / "fs" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "host.json").write_text(json.dumps({"absent": absent}))
    return RecordedHost(tmp_path)


def test_probe_reads_cpufreq_in_khz(tmp_path: Path) -> None:
    host = _cpu_host(
        tmp_path,
        {
            "/proc/cpuinfo": THREADRIPPER_LIKE,
            "/proc/sys/kernel/arch": "x86_64\n",
            "/sys/devices/system/cpu/cpu0/cpufreq/base_frequency": None,
            "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3700000\n",
        },
    )
    notes: list[Note] = []
    cpu = probe_cpu(host, notes)
    assert cpu.max_mhz == 3700.0
    assert cpu.base_mhz is None  # AMD prints no nominal frequency in the name
    assert notes == []


def test_probe_in_a_vm_without_cpufreq(tmp_path: Path) -> None:
    host = _cpu_host(
        tmp_path,
        {
            "/proc/cpuinfo": (
                "processor\t: 0\nvendor_id\t: GenuineIntel\n"
                "model name\t: Intel(R) Core(TM) i5-2520M CPU @ 2.50GHz\nflags\t\t: lm\n"
            ),
            "/proc/sys/kernel/arch": None,
            "/sys/devices/system/cpu/cpu0/cpufreq/base_frequency": None,
            "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": None,
        },
    )
    notes: list[Note] = []
    cpu = probe_cpu(host, notes)
    assert cpu.base_mhz == 2500.0 and cpu.max_mhz is None
    assert [n.code for n in notes] == ["cpu.no_cpufreq"]


def test_probe_without_cpuinfo(tmp_path: Path) -> None:
    notes: list[Note] = []
    cpu = probe_cpu(_cpu_host(tmp_path, {"/proc/cpuinfo": None}), notes)
    assert cpu.model_name is None
    assert [n.code for n in notes] == ["cpu.no_cpuinfo"]
