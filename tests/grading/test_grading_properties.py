"""Property tests: more RAM, more storage, a better disk verdict, one more erased disk
or a better test result never lowers the category; every grade's explanation adds up
to its note. Both shipped profiles."""

from __future__ import annotations

from functools import cache

import msgspec
from grading_units import GB, GIB, erased, functional_results, healthy, unit
from hypothesis import given, settings
from hypothesis import strategies as st

from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading import TechnicianInput, default_cpu_table, grade_unit, load_profile
from bench_agent.grading.cpu_table import CpuTable
from bench_agent.grading.engine import CATEGORY_RANK
from bench_agent.grading.profile import Profile
from bench_agent.model import Disk, DiskHealth, UnitReport

CPUS = [
    None,
    "",
    "Not Specified",
    "Intel(R) Atom(TM) CPU N450   @ 1.66GHz",
    "Intel(R) Core(TM) i3-2330M CPU @ 2.20GHz",
    "Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz",
    "Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
    "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz",
    "Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
    "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz",
    "Apple M1",
    "Intel(R) Core(TM) i9-99999 unknown",
]
VERDICTS = ["OK", "WORN", "SUSPECT", "UNKNOWN", "FAIL"]
ERASURE_RESULTS = ["ERASED", "UNVERIFIED", "FAILED", "ABORTED", "INTERRUPTED", "DRY_RUN", None]
TEST_RESULTS = ["pass", "n/a", "fail", None]
"""Best first: a missing result (None) is worse than a failure (which at most caps or
sends the unit to repair, where a missing test keeps it off the shelf)."""
TEST_NAMES = [t.name for t in CATALOGUE]


@cache
def profiles() -> tuple[Profile, ...]:
    return (load_profile("network-2024"), load_profile("network-2022"))


@cache
def table() -> CpuTable:
    return default_cpu_table()


@st.composite
def disks(draw: st.DrawFn, index: int) -> tuple[Disk, str]:
    kind = draw(st.sampled_from(["ssd", "hdd", "nvme", "unknown"]))
    capacity = draw(st.integers(min_value=8, max_value=4000)) * GB
    disk = Disk(
        name=f"d{index}",
        path=f"/dev/d{index}",
        serial=f"SN{index}",
        capacity_bytes=capacity,
        media="unknown" if kind == "unknown" else ("hdd" if kind == "hdd" else "ssd"),
        transport="nvme" if kind == "nvme" else "sata",
    )
    return disk, draw(st.sampled_from(VERDICTS))


@st.composite
def units(draw: st.DrawFn) -> UnitReport:
    count = draw(st.integers(min_value=0, max_value=3))
    pairs = [draw(disks(i)) for i in range(count)]
    ram = draw(st.one_of(st.none(), st.floats(min_value=0.25, max_value=64)))
    # Mostly complete units (so the note's rules are exercised), some with gaps.
    certificates = [
        erased(d, result)
        for d, _ in pairs
        for result in [draw(st.sampled_from(ERASURE_RESULTS[:1] * 6 + ERASURE_RESULTS))]
        if result is not None
    ]
    results = {
        name: draw(st.sampled_from(TEST_RESULTS[:1] * 12 + TEST_RESULTS)) for name in TEST_NAMES
    }
    return unit(
        cpu=draw(st.sampled_from(CPUS)),
        ram_installed_bytes=int(ram * GIB) if ram is not None else None,
        disks=[d for d, _ in pairs],
        health=[healthy(d, v) for d, v in pairs],
        win11=draw(st.sampled_from([True, False, None])),
        battery_pct=draw(st.one_of(st.none(), st.floats(min_value=1, max_value=100))),
        erasures=certificates,
        functional=functional_results(results),
    )


technicians = st.builds(
    TechnicianInput,
    technical_note=st.integers(min_value=-2, max_value=2),
    aesthetic_note=st.integers(min_value=-2, max_value=2),
)


def rank(report: UnitReport, profile: Profile, tech: TechnicianInput) -> int:
    return CATEGORY_RANK[grade_unit(report, profile, table(), technician=tech).category]


def with_inventory(report: UnitReport, **changes: object) -> UnitReport:
    inventory = msgspec.structs.replace(report.inventory, **changes)
    return msgspec.structs.replace(report, inventory=inventory)


@settings(max_examples=150, deadline=None)
@given(units(), technicians, st.floats(min_value=0, max_value=64))
def test_more_ram_never_lowers_the_category(
    report: UnitReport, tech: TechnicianInput, extra_gib: float
) -> None:
    before = report.inventory.memory.installed_bytes or 0
    more = with_inventory(
        report,
        memory=msgspec.structs.replace(
            report.inventory.memory, installed_bytes=before + int(extra_gib * GIB)
        ),
    )
    for profile in profiles():
        assert rank(more, profile, tech) >= rank(report, profile, tech)


@settings(max_examples=150, deadline=None)
@given(units(), technicians, st.integers(min_value=0, max_value=2000), st.data())
def test_more_storage_never_lowers_the_category(
    report: UnitReport, tech: TechnicianInput, extra_gb: int, data: st.DataObject
) -> None:
    current = report.inventory.disks
    # Either a bigger disk...
    if current:
        index = data.draw(st.integers(min_value=0, max_value=len(current) - 1))
        grown = list(current)
        grown[index] = msgspec.structs.replace(
            grown[index], capacity_bytes=(grown[index].capacity_bytes or 0) + extra_gb * GB
        )
        bigger = with_inventory(report, disks=grown)
        for profile in profiles():
            assert rank(bigger, profile, tech) >= rank(report, profile, tech)
    # ...or one more disk (in good health, erased: an unerased disk rightly stops the unit).
    added, _ = data.draw(disks(len(current)))
    more = msgspec.structs.replace(
        with_inventory(report, disks=[*current, added]),
        health=[*report.health, DiskHealth(device=added.path, serial=added.serial, verdict="OK")],
        erasures=[*report.erasures, erased(added)],
    )
    for profile in profiles():
        assert rank(more, profile, tech) >= rank(report, profile, tech)


@settings(max_examples=150, deadline=None)
@given(units(), technicians, st.data())
def test_better_disk_verdict_never_lowers_the_category(
    report: UnitReport, tech: TechnicianInput, data: st.DataObject
) -> None:
    if not report.health:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(report.health) - 1))
    worse = VERDICTS.index(report.health[index].verdict)
    better = data.draw(st.sampled_from(VERDICTS[: worse + 1]))  # OK is best, FAIL worst
    records = list(report.health)
    records[index] = msgspec.structs.replace(records[index], verdict=better)
    improved = msgspec.structs.replace(report, health=records)
    for profile in profiles():
        assert rank(improved, profile, tech) >= rank(report, profile, tech)


@settings(max_examples=150, deadline=None)
@given(units(), technicians, st.data())
def test_erasing_a_disk_never_lowers_the_category(
    report: UnitReport, tech: TechnicianInput, data: st.DataObject
) -> None:
    if not report.inventory.disks:
        return
    disk = data.draw(st.sampled_from(report.inventory.disks))
    more = msgspec.structs.replace(report, erasures=[*report.erasures, erased(disk)])
    for profile in profiles():
        assert rank(more, profile, tech) >= rank(report, profile, tech)


@settings(max_examples=150, deadline=None)
@given(units(), technicians, st.sampled_from(TEST_NAMES), st.data())
def test_better_test_result_never_lowers_the_category(
    report: UnitReport, tech: TechnicianInput, name: str, data: st.DataObject
) -> None:
    results: dict[str, str | None] = {t.name: None for t in CATALOGUE}
    results |= {t.name: t.result for t in report.functional_tests}
    worse = TEST_RESULTS.index(results[name])
    results[name] = data.draw(st.sampled_from(TEST_RESULTS[: worse + 1]))
    improved = msgspec.structs.replace(report, functional_tests=functional_results(results))
    for profile in profiles():
        assert rank(improved, profile, tech) >= rank(report, profile, tech)


@settings(max_examples=200, deadline=None)
@given(units(), technicians)
def test_explanation_adds_up_to_the_note(report: UnitReport, tech: TechnicianInput) -> None:
    for profile in profiles():
        grade = grade_unit(report, profile, table(), technician=tech)
        assert sum(hit.contribution for hit in grade.rules) == grade.note
        assert all(hit.message.fr and hit.message.en for hit in grade.rules)
        if grade.category not in ("NOT_DISTRIBUTABLE", "TO_REPAIR"):
            assert grade.category == profile.category_for(grade.note)
        if grade.category in ("NOT_DISTRIBUTABLE", "TO_REPAIR"):
            assert grade.suitable_needs == [] and grade.actions
