"""The network's CPU table as the default: shipped whole, its renames applied as its tool
applies them, every CPU of the recorded hosts resolved or unscored with its reason, a
newer table stored in the bench's home and used by later grades, its version in the
grade."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
from grading_units import GB, GIB, ssd, unit

from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.service import Grading
from bench_agent.grading import default_cpu_table, grade_unit, load_profile
from bench_agent.grading.cpu_table import (
    SHIPPED_ORIGIN,
    STORED_ORIGIN,
    current_table,
    load_renames,
    store_table,
    stored_table_path,
    table_version,
)
from bench_agent.grading.toml_source import ProfileError
from bench_agent.host import open_host
from bench_agent.inventory import collect_inventory

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "profiles" / "cpu" / "cpus.csv"
SHIPPED_SHA256 = "cb39fc69f3950f89bc8cee99094bdad46a9b39b5f9e1ff0d91a9d645985d1123"


def test_shipped_table_is_the_networks_file_unedited() -> None:
    data = SHIPPED.read_bytes()
    # The hash SOURCES.md gives, and the character count of the public file.
    assert hashlib.sha256(data).hexdigest() == SHIPPED_SHA256
    assert SHIPPED_SHA256 in (REPO / "profiles" / "cpu" / "SOURCES.md").read_text()
    assert len(data.decode("utf-8")) == 301_580 and data.count(b"\r\n") == 5_401
    table = default_cpu_table()
    assert len(table.entries) == 5_400 and not table.skipped
    assert table.version == f"sha256:{SHIPPED_SHA256}"
    assert table.origin == SHIPPED_ORIGIN


@pytest.mark.parametrize(
    ("reported", "row", "score"),
    [
        # The issue's laptops: a ThinkPad T480s and a Latitude E7470, unscored before.
        ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "Intel Core i7-8650U @ 1.90GHz", 6192),
        ("Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz", "Intel Core i5-6300U @ 2.40GHz", 3208),
        ("Intel Core i5-6300U", "Intel Core i5-6300U @ 2.40GHz", 3208),
        # The network's renames (cpuchange.csv), met in dmidecode's and inxi's forms.
        ("Intel(R) Core(TM)2 CPU         T7200  @ 2.00GHz", "Intel Core2 Duo T7200 @ 2.00GHz", 739),
        ("Intel Core2 T7200", "Intel Core2 Duo T7200 @ 2.00GHz", 739),
        ("AMD A8-7100 Radeon R5, 8 Compute Cores 4C+4G", "AMD A8-7100 APU", 1647),
        ("AMD A8-7100 RADEON R5, 8 COMPUTE CORES 4C+4G", "AMD A8-7100 APU", 1647),
        ("Intel(R) Pentium(R) Dual  CPU  T3200  @ 2.00GHz", "Intel Pentium T3200 @ 2.00GHz", 647),
        # Rows our normalisation merges, told apart as the network's tool compares names.
        ("AMD C-60 APU with Radeon(tm) HD Graphics", "AMD C-60 APU", 316),
        ("AMD E-350 Processor", "AMD E-350", 430),
        ("AMD Ryzen 5 3580U with Radeon Vega Mobile Gfx", "AMD Ryzen 5 3580U", 7116),
        ("AMD Athlon(tm) Dual Core Processor 4050e", "AMD Athlon Dual Core 4050e", 674),
    ],
)
def test_network_table_rows(reported: str, row: str, score: int) -> None:
    match = default_cpu_table().lookup(reported)
    assert match.status == "scored", match.reason.en
    assert match.entry is not None and (match.entry.name, match.score) == (row, score)


def test_rename_needs_the_whole_pattern() -> None:
    table = default_cpu_table()
    # "Intel Core2 T7200" is a rename pattern; "T72000" is not T7200.
    assert table.lookup("Intel Core2 T72000").status == "unscored"
    # Two rows of one name with two scores stay ambiguous: never a guess.
    twice = table.lookup("Samsung Exynos 9610")
    assert twice.status == "unscored" and "ambiguous" in twice.reason.en


def test_rename_list_is_read_as_the_network_tool_reads_it(tmp_path: Path) -> None:
    renames = load_renames(REPO / "profiles" / "cpu" / "cpuchange.csv")
    assert renames == [
        ("intel core2 t7200", "Intel Core2 Duo T7200"),
        ("amd a8-7100 radeon", "AMD A8-7100 APU"),
        ("intel pentium dual t3200", "Intel Pentium T3200"),
    ]
    broken = tmp_path / "cpuchange.csv"
    broken.write_text("Intel Core2 T7200;Intel Core2 Duo T7200\nno separator\n", encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_renames(broken)
    assert str(caught.value) == (
        f"{broken}:2: (row): line without a pattern or a name: no separator; "
        "expected reported name;name in the table"
    )


# Every recorded host's CPU (what the inventory reports from its dmidecode, lshw and
# /proc/cpuinfo), and what the shipped table makes of it: the row, or why unscored.
RECORDED_HOSTS: dict[str, tuple[str | None, str | None, str]] = {
    "Acer_Aspire_A315-53": (
        "Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        "Intel Core i3-7020U @ 2.30GHz",
        "",
    ),
    "Acer_Aspire_One_AOHAPPY": (
        "Intel(R) Atom(TM) CPU N450 @ 1.66GHz",
        "Intel Atom N450 @ 1.66GHz",
        "",
    ),
    "Apple_MacBook10,1": (
        "Intel(R) Core(TM) m3-7Y32 CPU @ 1.10GHz",
        "Intel Core m3-7Y32 @ 1.10GHz",
        "",
    ),
    # dmidecode says "Not Specified" and the recorded /proc/cpuinfo has no model name.
    "Dell_Latitude_D610": (None, None, "CPU without a readable name"),
    "Dell_Latitude_E7240": (
        "Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz",
        "Intel Core i7-4600U @ 2.10GHz",
        "",
    ),
    "Dell_XPS_13_9350": (
        "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz",
        "Intel Core i5-6200U @ 2.30GHz",
        "",
    ),
    "HP_Pavilion_dv6_Notebook": (
        "Intel(R) Core(TM) i5 CPU M 430 @ 2.27GHz",
        "Intel Core i5-430M @ 2.27GHz",
        "",
    ),
    "HP_ProBook_450_G2": (
        "Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz",
        "Intel Core i5-4210U @ 1.70GHz",
        "",
    ),
    "Lenovo_B570_HuronRiver": (
        "Intel(R) Core(TM) i3-2330M CPU @ 2.20GHz",
        "Intel Core i3-2330M @ 2.20GHz",
        "",
    ),
    "Lenovo_G50-80_80E5": (
        "Intel(R) Core(TM) i3-5005U CPU @ 2.00GHz",
        "Intel Core i3-5005U @ 2.00GHz",
        "",
    ),
    "Lenovo_G560_0679": (
        "Intel(R) Core(TM) i3 CPU M 370 @ 2.40GHz",
        "Intel Core i3-370M @ 2.40GHz",
        "",
    ),
    "Lenovo_ThinkPad_Edge_E320_1298A8G": (
        "Intel(R) Core(TM) i5-2450M CPU @ 2.50GHz",
        "Intel Core i5-2450M @ 2.50GHz",
        "",
    ),
    "Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW": (
        "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
        "Intel Core i7-7500U @ 2.70GHz",
        "",
    ),
    "Lenovo_ThinkPad_X1_Carbon_5th_live": (
        "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
        "Intel Core i7-7500U @ 2.70GHz",
        "",
    ),
    "Lenovo_V330-15IKB_81AX": (
        "Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        "Intel Core i3-7020U @ 2.30GHz",
        "",
    ),
    # dmidecode's Version is blank (family "Pentium 4"); /proc/cpuinfo has no model name.
    "Toshiba_Satellite_2410": (None, None, "CPU without a readable name"),
    # A QEMU guest: "Intel Xeon" without a model number matches PassMark's generic
    # "Intel Xeon @ <clock>" rows, at two clocks with two scores.
    "ci-vm-virtio": ("Intel(R) Xeon(R) Processor", None, "CPU ambiguous in the table"),
}


def test_every_recorded_host_cpu_resolves_or_says_why(hosts_dir: Path) -> None:
    hosts = sorted(p.name for p in hosts_dir.iterdir() if (p / "host.json").is_file())
    assert hosts == sorted(RECORDED_HOSTS), "a recorded host without an expected CPU line"
    table = default_cpu_table()
    for host in hosts:
        name = collect_inventory(open_host(str(hosts_dir / host))).cpu.model_name
        reported, row, why = RECORDED_HOSTS[host]
        assert name == reported, host
        match = table.lookup(name)
        if row is None:
            assert match.status == "unscored" and match.score is None, host
            assert match.reason.en.startswith(why) and "non attribué" in match.reason.fr
        else:
            assert match.status == "scored" and match.entry is not None, (host, match.reason.en)
            assert match.entry.name == row, host


def test_loading_and_lookup_stay_fast() -> None:
    # The bench loads the table once per grading process; lookups are dictionary hits.
    start = time.perf_counter()
    table = default_cpu_table()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(1000):
        table.lookup("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz")
    per_lookup = (time.perf_counter() - start) / 1000
    assert loaded < 1.0 and per_lookup < 0.001, (loaded, per_lookup)


# -- a newer table in the bench's home ------------------------------------------------

NEWER = (
    b";NAME;CORES;CPUMARK;THREAD;TDP;SOCKET;CAT\r\n"
    b";Intel Core i7-8650U @ 1.90GHz;4;7100;;15;FC-BGA1356;Laptop\r\n"
    b";Intel Core i5-6300U @ 2.40GHz;2;3208;;15;FCBGA1356;Laptop\r\n"
    b";AMD A8-7100 APU;4;1647;;19;FP3;Laptop\r\n"
)


def t480s() -> object:
    return unit(
        cpu="Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
        ram_installed_bytes=16 * GIB,
        disks=[ssd("nvme0n1", 512_110_190_592, serial="S4", nvme=True)],
        win11=True,
    )


def test_stored_table_grades_later_units_and_the_grade_records_its_version(
    tmp_path: Path,
) -> None:
    paths = BenchPaths(tmp_path / "home")
    profile = load_profile("network-2024")
    before = grade_unit(t480s(), profile, current_table(paths))  # type: ignore[arg-type]
    assert before.cpu is not None and before.cpu.score == 6192
    assert before.cpu.table_version == f"sha256:{SHIPPED_SHA256}"

    version = store_table(paths, NEWER)
    assert version == table_version(NEWER) == "sha256:" + hashlib.sha256(NEWER).hexdigest()
    assert stored_table_path(paths).read_bytes() == NEWER
    table = current_table(paths)
    assert (table.origin, table.version) == (STORED_ORIGIN, version)
    after = Grading.load(paths=paths).grade(t480s())  # type: ignore[arg-type]
    assert after.cpu is not None and after.cpu.score == 7100 and after.cpu.table == STORED_ORIGIN
    assert after.cpu.table_version == version
    # 16 GiB → 4, 512 GB SSD → 4, 7100 → 4 (6192 gave 3), NVMe +1.
    assert (before.note, after.note) == (12, 13)
    # The shipped renames still apply to a table from the central service.
    assert table.lookup("AMD A8-7100 Radeon R5, 8 Compute Cores 4C+4G").score == 1647


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe;NAME;CPUMARK\n", "unreadable CPU table (not UTF-8"),
        (b"", "empty file"),
        (b"processor id;speed\nx;1\n", "columns not recognised"),
        (b";NAME;CPUMARK\n;Intel Core i5-6300U;NA\n", "no usable row"),
    ],
)
def test_a_table_that_does_not_read_is_refused_and_the_old_one_stays(
    tmp_path: Path, data: bytes, message: str
) -> None:
    paths = BenchPaths(tmp_path / "home")
    store_table(paths, NEWER)
    with pytest.raises(ProfileError) as caught:
        store_table(paths, data)
    assert message in str(caught.value)
    assert stored_table_path(paths).read_bytes() == NEWER
    assert current_table(paths).version == table_version(NEWER)


def test_damaged_stored_table_falls_back_to_the_shipped_one(tmp_path: Path) -> None:
    paths = BenchPaths(tmp_path / "home")
    store_table(paths, NEWER)
    stored_table_path(paths).write_bytes(b"garbage without columns\n")
    table = current_table(paths)
    assert (table.origin, table.version) == (SHIPPED_ORIGIN, f"sha256:{SHIPPED_SHA256}")


def test_explicit_table_file_gets_the_shipped_renames(tmp_path: Path) -> None:
    path = tmp_path / "site.csv"
    path.write_bytes(NEWER)
    grading = Grading.load(cpu_table=path)
    assert grading.table.lookup("Intel Core2 T7200").status == "unscored"  # not in this table
    assert grading.table.lookup("AMD A8-7100 RADEON R5, 8 COMPUTE CORES 4C+4G").score == 1647
    assert grading.table.version == table_version(NEWER)


def test_issue_examples_are_no_longer_capped_by_caution() -> None:
    # The T480s (i7-8650U) and the E7470 (i5-6300U) were unscored with the 31-row seed:
    # note 0 for the CPU and every "CPU below" cap applied. Now they are scored.
    profile = load_profile("network-2024")
    grade = grade_unit(t480s(), profile, default_cpu_table())  # type: ignore[arg-type]
    cpu_rule = next(r for r in grade.rules if r.rule == "criteria.cpu")
    assert (cpu_rule.value, cpu_rule.contribution) == (6192, 3)
    e7470 = unit(
        cpu="Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz",
        ram_installed_bytes=8 * GIB,
        disks=[ssd("sda", 256 * GB, serial="S5")],
        win11=False,
    )
    grade = grade_unit(e7470, profile, default_cpu_table())
    assert re.search(r"3208", grade.cpu.reason.en if grade.cpu else "")


def test_grade_command_uses_the_benchs_stored_table(tmp_path: Path, hosts_dir: Path) -> None:
    import io
    import json

    from bench_agent.cli import main
    from bench_agent.context import Environment

    home = tmp_path / "home"
    newer = NEWER + b";Intel Core i7-4600U @ 2.10GHz;2;2900;;15;FCBGA1168;Laptop\r\n"
    version = store_table(BenchPaths(home), newer)
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ={"BENCH_AGENT_HOME": str(home)}
    )
    argv = ["grade", "--host-dir", str(hosts_dir / "Dell_Latitude_E7240"), "--json"]
    assert main(argv, env=env) in (0, 1)
    cpu = json.loads(env.stdout.getvalue())["cpu"]  # type: ignore[attr-defined]
    assert (cpu["score"], cpu["table"], cpu["table_version"]) == (2900, STORED_ORIGIN, version)
