"""Engine behaviour beyond the category: explanation, actions, needs, override, bad input."""

from __future__ import annotations

import pytest
from grading_units import GB, GIB, hdd, healthy, ssd, unit

from bench_agent.grading import (
    GradingInputError,
    TechnicianInput,
    apply_override,
    default_cpu_table,
    grade_unit,
    load_needs,
    load_profile,
)
from bench_agent.model import Disk, DiskHealth

I5_8250U = "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"


def grade(report, profile="network-2024", **kwargs):  # type: ignore[no-untyped-def]
    return grade_unit(report, load_profile(profile), default_cpu_table(), **kwargs)


def test_explanation_lists_every_rule_in_order() -> None:
    # HP ProBook 450 G2 (see test_grading_table): 3 + 2 + 1 = 6, HDD & CPU<2500 → 5.
    result = grade(
        unit(
            cpu="Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz",
            ram_installed_bytes=8 * GIB,
            disks=[hdd("sda", 500_107_862_016)],
            win11=False,
        )
    )
    assert [(h.rule, h.contribution) for h in result.rules] == [
        ("criteria.ram", 3),
        ("criteria.hdd", 2),
        ("criteria.cpu", 1),
        ("caps.hdd_weak_cpu", -1),
        ("caps.hdd", 0),
        ("caps.not_windows11", 0),
        ("caps.cpu_below_3500", 0),
    ]
    assert result.rules[1].message.fr == "Disque dur 500,11 Go ≥ 257 → note 2 (disque système sda)"
    assert result.rules[0].message.en == "RAM 8 GiB < 16 → note 3"
    assert result.rules[3].message.en == (
        "Hard disk (HDD) and CPU < 2500: category C at most → note lowered to 5"
    )
    assert result.rules[3].cap == 5
    assert result.cpu is not None and result.cpu.score == 2315
    assert result.cpu.matched == "Intel Core i5-4210U @ 1.70GHz"
    assert result.system_disk == "sda"
    assert (result.note, result.category, result.computed_category) == (5, "C", "C")


def test_unscored_cpu_says_so_and_caps_cautiously() -> None:
    result = grade(
        unit(cpu="Intel Core 2 Duo", ram_installed_bytes=16 * GIB, disks=[hdd("sda", 1000 * GB)])
    )
    cpu_hit = next(h for h in result.rules if h.rule == "criteria.cpu")
    assert cpu_hit.contribution == 0
    assert cpu_hit.message.fr == (
        "Score CPU : CPU « Intel Core 2 Duo » sans numéro de modèle : score non attribué → note 0"
    )
    cap = next(h for h in result.rules if h.rule == "caps.hdd_weak_cpu")
    assert "counted as below by caution" in cap.message.en
    assert result.cpu is not None and result.cpu.status == "unscored" and result.cpu.score is None


def test_failed_disk_and_worn_battery_give_actions() -> None:
    disk = ssd("sda", 256 * GB, "S1")
    result = grade(
        unit(
            cpu=I5_8250U,
            ram_installed_bytes=8 * GIB,
            disks=[disk],
            health=[healthy(disk, "FAIL")],
            battery_pct=50.0,
        )
    )
    assert result.category == "NOT_DISTRIBUTABLE"
    assert [a.fr for a in result.actions] == [
        "Remplacer le disque sda",
        "Remplacer la batterie BAT0",
    ]
    assert [a.en for a in result.actions] == ["Replace disk sda", "Replace battery BAT0"]
    assert result.suitable_needs == []
    assert all(not m.suitable for m in result.needs)


def test_health_matched_by_serial_before_path() -> None:
    disk = ssd("sdb", 256 * GB, "SERIAL-1")
    # The health record was taken when the disk sat at another path (a dock).
    record = DiskHealth(device="/dev/sdz", serial="SERIAL-1", verdict="FAIL")
    result = grade(unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[disk], health=[record]))
    assert result.category == "NOT_DISTRIBUTABLE"


def test_missing_health_verdict_asks_for_a_test() -> None:
    result = grade(
        unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)], health=[])
    )
    assert result.category == "A"
    assert [a.en for a in result.actions] == ["Test disk sda again"]
    assert any(h.message.en == "Disk sda: no health verdict" for h in result.rules)


def test_needs_listed_with_reasons() -> None:
    needs = load_needs()
    strong = unit(
        cpu="Apple M1",
        ram_installed_bytes=16 * GIB,
        disks=[ssd("nvme0n1", 1000 * GB, nvme=True)],
        battery_pct=95.0,
        screen_in=15.6,
        screen_height_px=1080,
        webcam=True,
    )
    result = grade(strong, needs=needs)
    assert sorted(result.suitable_needs) == [
        "development",
        "first-steps",
        "graphic-design-video",
        "office-admin",
        "student",
    ]
    weak = unit(
        cpu="Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        ram_installed_bytes=4 * GIB,
        disks=[ssd("sda", 240 * GB)],
        screen_in=15.6,
        screen_height_px=768,
        webcam=True,
    )
    result = grade(weak, needs=needs)
    assert sorted(result.suitable_needs) == ["first-steps", "office-admin"]
    student = next(m for m in result.needs if m.need == "student")
    assert [m.en.split(":")[0] for m in student.missing] == [
        "RAM ≥ 8 GiB",
        "CPU ≥ 3000 points",
        "battery ≥ 70 %",
    ]
    assert student.name.fr == "Étudiant·e, lycéen·ne"


def test_override_records_who_when_why() -> None:
    base = grade(unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)]))
    assert base.category == "A"
    changed = apply_override(base, "B", "Charnière fragile", "Awa", "2026-03-02T10:00:00Z")
    assert (changed.category, changed.computed_category) == ("B", "A")
    assert changed.override is not None
    assert (changed.override.by, changed.override.at, changed.override.reason) == (
        "Awa",
        "2026-03-02T10:00:00Z",
        "Charnière fragile",
    )
    assert base.override is None  # the original grade is left as it was


@pytest.mark.parametrize(
    ("category", "reason", "by", "english"),
    [
        ("B", "  ", "Awa", "an override must give its reason"),
        ("B", "why", "", "an override must say who decides it"),
        (
            "Z",
            "why",
            "Awa",
            "unknown category 'Z' (expected: NOT_DISTRIBUTABLE, TO_REPAIR, D, C, B, A, PREMIUM)",
        ),
    ],
)
def test_override_refuses_incomplete_input(
    category: str, reason: str, by: str, english: str
) -> None:
    base = grade(unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)]))
    with pytest.raises(GradingInputError) as caught:
        apply_override(base, category, reason, by, "2026-03-02T10:00:00Z")
    assert str(caught.value) == english


def test_technician_note_outside_profile_range() -> None:
    with pytest.raises(GradingInputError) as caught:
        grade(unit(cpu=I5_8250U, disks=[]), technician=TechnicianInput(technical_note=3))
    assert caught.value.message.fr == (
        "note technique 3 hors de la plage du profil network-2024 (-2 à 2)"
    )


def test_unknown_cosmetic_grade() -> None:
    with pytest.raises(GradingInputError) as caught:
        grade(
            unit(cpu=I5_8250U, disks=[]),
            technician=TechnicianInput(cosmetic="Q"),
            cosmetic_codes=["Z", "A", "B", "C", "D", "E"],
        )
    assert str(caught.value) == "unknown cosmetic grade 'Q' (expected: Z, A, B, C, D, E)"


def test_boot_medium_and_usb_disks_are_not_the_unit() -> None:
    live = Disk(name="sdb", path="/dev/sdb", capacity_bytes=64 * GB, media="ssd", boot_medium=True)
    result = grade(unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[live]))
    assert result.category == "NOT_DISTRIBUTABLE"
    assert [a.en for a in result.actions] == ["Fit a disk"]


def test_grading_is_headless_and_pure() -> None:
    # The engine must not pull in the TUI nor anything that touches the machine.
    import subprocess
    import sys

    code = (
        "import sys, bench_agent.grading, bench_agent.grading.engine; "
        "mods = ('textual', 'psutil', 'pyudev', 'bench_agent.host.live'); "
        "bad = [m for m in mods if m in sys.modules]; "
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_optional_screen_and_battery_criteria(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A reconditioner adds the screen and battery criteria the network's table lacks.
    site = tmp_path / "site-lyon.toml"
    site.write_text(
        'name = "site-lyon"\nversion = "1"\nvalid_from = "2025-01-01"\nextends = "network-2024"\n'
        "\n[criteria.screen]\nthresholds = [13, 15]\nnotes = [0, 1, 2]\n"
        "\n[criteria.battery]\nthresholds = [65, 80]\nnotes = [-1, 0, 1]\n",
        encoding="utf-8",
    )
    profile = load_profile(site)
    report = unit(
        cpu=I5_8250U,
        ram_installed_bytes=8 * GIB,
        disks=[ssd("sda", 256 * GB)],
        screen_in=15.6,
        battery_pct=70.0,
    )
    result = grade_unit(report, profile, default_cpu_table())
    # RAM 3 + SSD 3 + CPU 3 + screen 15.6 (≥15) 2 + battery 70 (≥65, <80) 0 = 11 → PREMIUM.
    assert [(h.rule, h.contribution) for h in result.rules][:5] == [
        ("criteria.ram", 3),
        ("criteria.ssd", 3),
        ("criteria.cpu", 3),
        ("criteria.screen", 2),
        ("criteria.battery", 0),
    ]
    assert (result.note, result.category) == (11, "PREMIUM")
    unknown = grade_unit(
        unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)]),
        profile,
        default_cpu_table(),
    )
    screen = next(h for h in unknown.rules if h.rule == "criteria.screen")
    assert (screen.contribution, screen.message.en) == (0, "Screen: value unknown → note 0")
