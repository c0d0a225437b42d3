"""The gates: erasure and functional tests, as profile data, on reports of recorded laptops.

Units are inventoried from the recorded hosts of tests/fixtures/hosts/ (real captures,
see tests/fixtures/build_hosts.py), with the disk health the recorded smartctl gives,
then given the erasure certificates and test results a bench would add.

Hand computation of the two laptops used most (network-2024, see test_grading_table):
- ThinkPad X1 Carbon 5th (live): RAM 16 GiB → 4, NVMe 1024 GB → 4, i7-7500U 3630 → 2,
  NVMe +1 = 11; not Windows 11 capable → 7. Category B. One internal disk, nvme0n1,
  serial S35ANX0J401001, SMART OK.
- HP ProBook 450 G2: RAM 8 GiB → 3, HDD 500 GB → 2, i5-4210U 2315 → 1 = 6; HDD and
  CPU < 2500 → 5. Category C. Internal HDD sda (S3P9A80F) and a USB stick sdb.
"""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import msgspec
import pytest
from grading_units import GB, GIB, erased, functional_results, ssd, unit

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading import (
    GradingInputError,
    ProfileError,
    apply_override,
    default_cpu_table,
    grade_unit,
    load_needs,
    load_profile,
)
from bench_agent.grading.categories import category_name
from bench_agent.grading.engine import internal_disks
from bench_agent.grading.profile import Profile
from bench_agent.health import check_all
from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory
from bench_agent.labels.content import category_text
from bench_agent.model import Disk, Grade, UnitReport, to_json
from bench_agent.model.report import ErasureSummary, FunctionalTest
from bench_agent.unit import build_report

HOSTS = Path(__file__).parents[1] / "fixtures" / "hosts"
X1 = "Lenovo_ThinkPad_X1_Carbon_5th_live"
PROBOOK = "HP_ProBook_450_G2"
WHEN = "2026-03-02T10:00:00Z"
ALL_TESTS = [t.name for t in CATALOGUE]


@cache
def _inventoried(name: str) -> bytes:
    host = RecordedHost(HOSTS / name)
    report = build_report(collect_inventory(host))
    report.health = check_all(host)
    return to_json(report)


def bench_report(
    name: str = X1,
    *,
    erasures: list[ErasureSummary] | None = None,
    results: dict[str, str | None] | None = None,
) -> UnitReport:
    """The recorded laptop ``name`` as the bench saves it: every internal disk erased
    and every test passed, unless ``erasures`` / ``results`` say otherwise."""
    report = msgspec.json.decode(_inventoried(name), type=UnitReport)
    report.erasures = (
        erasures if erasures is not None else [erased(d) for d in internal_disks(report)]
    )
    report.functional_tests = functional_results(results)
    return report


def grade(report: UnitReport, profile: str | Path | Profile = "network-2024") -> Grade:
    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    return grade_unit(report, loaded, default_cpu_table(), needs=load_needs())


def rules(result: Grade, prefix: str) -> list[tuple[str, int, object]]:
    return [(h.rule, h.contribution, h.value) for h in result.rules if h.rule.startswith(prefix)]


def site_profile(folder: Path, body: str, name: str = "site") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nversion = "1"\nvalid_from = "2025-01-01"\nextends = "network-2024"\n'
        + body,
        encoding="utf-8",
    )
    return path


def x1_disk(report: UnitReport) -> Disk:
    return report.inventory.disks[0]


# ---------------------------------------------------------------- a complete unit


def test_erased_and_tested_unit_keeps_its_category() -> None:
    result = grade(bench_report())
    assert (result.note, result.category, result.computed_category) == (7, "B", "B")
    assert rules(result, "erasure") == [] and rules(result, "functional") == []
    assert result.actions == []
    assert result.suitable_needs  # a distributable unit is offered to needs


def test_shipped_profiles_gate_every_catalogue_test() -> None:
    for name in ("network-2024", "network-2022"):
        spec = load_profile(name).spec
        assert spec.erasure is not None and spec.erasure.required
        assert spec.erasure.missing == "NOT_DISTRIBUTABLE"
        assert spec.functional is not None and spec.functional.enabled
        assert spec.functional.required == ALL_TESTS
        assert spec.functional.on_fail == {"default": "TO_REPAIR", "battery_autonomy": "C"}


# ---------------------------------------------------------------- the erasure gate


def test_unerased_disk_is_not_distributable() -> None:
    result = grade(bench_report(erasures=[]))
    assert (result.note, result.category) == (7, "NOT_DISTRIBUTABLE")  # the note still shows
    assert rules(result, "erasure") == [("erasure.missing", 0, None)]
    hit = next(h for h in result.rules if h.rule == "erasure.missing")
    assert hit.message.fr == "Disque nvme0n1 : aucun certificat d'effacement → non distribuable"
    assert hit.message.en == "Disk nvme0n1: no erasure certificate → not distributable"
    assert [(a.fr, a.en) for a in result.actions] == [
        ("Effacer le disque nvme0n1", "Erase disk nvme0n1")
    ]
    assert result.suitable_needs == []
    assert all(m.missing[0].en == "unit not distributable" for m in result.needs)


@pytest.mark.parametrize(
    ("result", "why_en"),
    [
        ("UNVERIFIED", "written, not read back"),
        ("FAILED", "failed"),
        ("ABORTED", "aborted"),
        ("INTERRUPTED", "interrupted mid-way"),
        ("DRY_RUN", "dry run, nothing was erased"),
    ],
)
def test_only_erased_counts(result: str, why_en: str) -> None:
    report = bench_report()
    report.erasures = [erased(x1_disk(report), result)]
    graded = grade(report)
    assert graded.category == "NOT_DISTRIBUTABLE"
    assert rules(graded, "erasure") == [("erasure.not_erased", 0, result)]
    hit = next(h for h in graded.rules if h.rule == "erasure.not_erased")
    assert hit.message.en == (
        f"Disk nvme0n1: erasure {result} ({why_en}), not ERASED → not distributable"
    )
    assert [a.en for a in graded.actions] == ["Erase disk nvme0n1"]


def test_the_latest_certificate_decides() -> None:
    report = bench_report()
    disk = x1_disk(report)
    report.erasures = [erased(disk, "FAILED"), erased(disk, "ERASED")]
    assert grade(report).category == "B"
    # A later attempt that did not finish is what the disk last went through.
    report.erasures = [erased(disk, "ERASED"), erased(disk, "INTERRUPTED")]
    assert rules(grade(report), "erasure") == [("erasure.not_erased", 0, "INTERRUPTED")]
    report.erasures = [erased(disk, "FAILED"), erased(disk, "DRY_RUN")]
    assert rules(grade(report), "erasure") == [("erasure.not_erased", 0, "DRY_RUN")]


def test_certificate_matched_by_serial_then_by_device() -> None:
    report = bench_report()
    disk = x1_disk(report)
    # Erased in a dock, where the drive was sdc: the serial says it is this drive.
    report.erasures = [erased(disk, device="/dev/sdc")]
    assert grade(report).category == "B"
    # A certificate without a serial is matched by its device.
    report.erasures = [msgspec.structs.replace(erased(disk), disk_serial=None)]
    assert grade(report).category == "B"
    # Same device, another serial: another drive was erased at that path.
    report.erasures = [msgspec.structs.replace(erased(disk), disk_serial="S35ANX0J999999")]
    assert rules(grade(report), "erasure") == [("erasure.missing", 0, None)]


def test_usb_stick_needs_no_certificate() -> None:
    # ProBook: internal HDD sda erased; the USB stick sdb is not part of the unit.
    report = bench_report(PROBOOK)
    assert [d.name for d in report.inventory.disks] == ["sda", "sdb"]
    assert [e.device for e in report.erasures] == ["/dev/sda"]
    assert grade(report).category == "C"


def test_every_internal_disk_needs_its_certificate() -> None:
    # Dell Latitude E7240's two mSATA SSDs (see test_grading_table), only sdb erased.
    first = ssd("sda", 256_060_514_304, "TW0XXM305508539G1361")
    second = ssd("sdb", 500_107_862_016, "S33HNX0J203755R")
    report = unit(
        cpu="Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz",
        ram_installed_bytes=16 * GIB,
        disks=[first, second],
        win11=False,
        erasures=[erased(second)],
    )
    result = grade(report)
    assert result.category == "NOT_DISTRIBUTABLE"
    assert [a.en for a in result.actions] == ["Erase disk sda"]


def test_erasure_gate_category_is_configurable(tmp_path: Path) -> None:
    site = site_profile(tmp_path, '\n[erasure]\nmissing = "TO_REPAIR"\n')
    result = grade(bench_report(erasures=[]), site)
    assert result.category == "TO_REPAIR"
    assert result.rules[-1].message.en == "Disk nvme0n1: no erasure certificate → to repair"


# ---------------------------------------------------------------- the functional gate


def test_missing_test_is_not_distributable() -> None:
    result = grade(bench_report(results={"keyboard": None, "webcam": None}))
    assert result.category == "NOT_DISTRIBUTABLE"
    assert rules(result, "functional") == [
        ("functional.missing", 0, "keyboard"),
        ("functional.missing", 0, "webcam"),
    ]
    hit = next(h for h in result.rules if h.rule == "functional.missing")
    assert hit.message.fr == "Test non fait : Clavier → non distribuable"
    assert hit.message.en == "Test not done: Keyboard → not distributable"
    assert [(a.fr, a.en) for a in result.actions] == [
        ("Faire le test : Clavier", "Run the test: Keyboard"),
        ("Faire le test : Webcam", "Run the test: Webcam"),
    ]


def test_not_applicable_is_a_result() -> None:
    # The technician confirmed the model has no Ethernet port and no webcam.
    result = grade(bench_report(results={"ethernet": "n/a", "webcam": "n/a"}))
    assert (result.category, rules(result, "functional")) == ("B", [])


def test_failed_keyboard_sends_the_unit_to_repair() -> None:
    result = grade(bench_report(results={"keyboard": "fail"}))
    assert (result.note, result.category, result.computed_category) == (7, "TO_REPAIR", "TO_REPAIR")
    assert rules(result, "functional") == [("functional.fail", 0, "keyboard")]
    hit = result.rules[-1]
    assert hit.message.fr == "Test échoué : Clavier → à réparer"
    assert hit.message.en == "Test failed: Keyboard → to repair"
    assert [(a.fr, a.en) for a in result.actions] == [("Réparer : Clavier", "Repair: Keyboard")]
    assert result.suitable_needs == []
    assert {m.missing[0].fr for m in result.needs} == {"unité à réparer"}


def test_failed_battery_autonomy_caps_at_c() -> None:
    # X1: note 7 (B); the profile caps a failed battery autonomy at C (max note 5).
    result = grade(bench_report(results={"battery_autonomy": "fail"}))
    assert (result.note, result.category) == (5, "C")
    hit = result.rules[-1]
    assert (hit.rule, hit.contribution, hit.cap, hit.value) == (
        "functional.fail",
        -2,
        5,
        "battery_autonomy",
    )
    assert hit.message.fr == (
        "Test échoué : Autonomie de la batterie → catégorie C au plus → note ramenée à 5"
    )
    assert (
        hit.message.en == "Test failed: Battery autonomy → category C at most → note lowered to 5"
    )
    assert [a.en for a in result.actions] == ["Repair: Battery autonomy"]
    assert sum(h.contribution for h in result.rules) == result.note
    assert result.suitable_needs  # still distributable
    # A unit already within the cap keeps its note (ProBook: 5, C).
    probook = grade(bench_report(PROBOOK, results={"battery_autonomy": "fail"}))
    assert (probook.note, probook.category, probook.rules[-1].contribution) == (5, "C", 0)
    assert probook.rules[-1].message.en.endswith("(note already within the limit)")


def test_retest_replaces_the_earlier_result() -> None:
    report = bench_report()
    report.functional_tests = [
        FunctionalTest(name="keyboard", result="fail", by="Awa", at="2026-03-02T09:00:00Z"),
        *report.functional_tests,  # the keyboard passes after a new keyboard was fitted
    ]
    assert grade(report).category == "B"


def test_on_fail_per_test_and_default(tmp_path: Path) -> None:
    site = site_profile(
        tmp_path,
        '\n[functional]\nrequired = ["keyboard", "screen"]\n'
        '\n[functional.on_fail]\nscreen = "NOT_DISTRIBUTABLE"\ndefault = "D"\n',
    )
    profile = load_profile(site)
    # Merged over the parent: battery_autonomy keeps its C.
    assert profile.spec.functional is not None
    assert profile.spec.functional.on_fail == {
        "default": "D",
        "battery_autonomy": "C",
        "screen": "NOT_DISTRIBUTABLE",
    }
    # Only keyboard and screen are required now; the others may be missing.
    only_two = {name: None for name in ALL_TESTS} | {"keyboard": "pass", "screen": "pass"}
    assert grade(bench_report(results=only_two), profile).category == "B"
    # A failed webcam (not required, but tested) takes the default: at most D.
    webcam = grade(bench_report(results={**only_two, "webcam": "fail"}), profile)
    assert (webcam.note, webcam.category) == (3, "D")
    screen = grade(bench_report(results={**only_two, "screen": "fail"}), profile)
    assert screen.category == "NOT_DISTRIBUTABLE"
    assert screen.rules[-1].message.en == (
        "Test failed: Screen (colours, dead pixels) → not distributable"
    )


# ---------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("results", "erased_disk", "category", "note"),
    [
        # TO_REPAIR wins over a cap; the cap still lowers the note.
        ({"keyboard": "fail", "battery_autonomy": "fail"}, True, "TO_REPAIR", 5),
        # NOT_DISTRIBUTABLE (a test not done) wins over TO_REPAIR.
        ({"keyboard": "fail", "usb": None}, True, "NOT_DISTRIBUTABLE", 7),
        # NOT_DISTRIBUTABLE (an unerased disk) wins over TO_REPAIR and over a cap.
        ({"speakers": "fail", "battery_autonomy": "fail"}, False, "NOT_DISTRIBUTABLE", 5),
        # Nothing failed, nothing missing: the note's category.
        ({}, True, "B", 7),
    ],
)
def test_precedence(
    results: dict[str, str | None], erased_disk: bool, category: str, note: int
) -> None:
    report = bench_report(results=results, erasures=None if erased_disk else [])
    result = grade(report)
    assert (result.category, result.note) == (category, note)
    assert sum(h.contribution for h in result.rules) == result.note


def test_two_caps_keep_the_lower(tmp_path: Path) -> None:
    site = site_profile(tmp_path, '\n[functional.on_fail]\nwebcam = "D"\n')
    result = grade(bench_report(results={"webcam": "fail", "battery_autonomy": "fail"}), site)
    assert (result.note, result.category) == (3, "D")
    assert [
        (h.value, h.contribution, h.cap) for h in result.rules if h.rule.startswith("func")
    ] == [
        ("webcam", -4, 3),
        ("battery_autonomy", 0, 5),
    ]


def test_failed_disk_with_a_failed_test_is_not_distributable() -> None:
    report = bench_report(results={"keyboard": "fail"})
    report.health = [msgspec.structs.replace(report.health[0], verdict="FAIL")]
    result = grade(report)
    assert result.category == "NOT_DISTRIBUTABLE"
    assert [a.en for a in result.actions] == ["Replace disk nvme0n1", "Repair: Keyboard"]


# ---------------------------------------------------------------- without gates


def _ungated(tmp_path: Path) -> Path:
    """network-2024 as it was before the gates: the same file without the two sections."""
    source = Path(load_profile("network-2024").chain[0]).read_text(encoding="utf-8")
    start = source.index("# Gates:")
    end = source.index("[battery]")
    path = tmp_path / "ungated.toml"
    path.write_text(
        source[:start].replace('name = "network-2024"', 'name = "ungated"') + source[end:],
        encoding="utf-8",
    )
    return path


def test_profile_without_gates_grades_as_before(tmp_path: Path) -> None:
    profile = load_profile(_ungated(tmp_path))
    assert profile.spec.erasure is None and profile.spec.functional is None
    report = bench_report(erasures=[], results={name: None for name in ALL_TESTS})
    report.functional_tests = [
        FunctionalTest(name="keyboard", result="fail", by="Awa", at=WHEN),
        FunctionalTest(name="battery_autonomy", result="fail", by="Awa", at=WHEN),
    ]
    result = grade(report, profile)
    assert (result.note, result.category, result.actions) == (7, "B", [])
    assert rules(result, "erasure") == [] and rules(result, "functional") == []


def test_a_site_switches_the_gates_off(tmp_path: Path) -> None:
    site = site_profile(
        tmp_path, "\n[erasure]\nrequired = false\n\n[functional]\nenabled = false\n"
    )
    result = grade(bench_report(erasures=[], results={"keyboard": "fail", "usb": None}), site)
    assert result.category == "B"


# ---------------------------------------------------------------- overrides


def test_erasure_gate_cannot_be_overridden() -> None:
    base = grade(bench_report(erasures=[]))
    for target in ("B", "D", "PREMIUM"):
        with pytest.raises(GradingInputError) as caught:
            apply_override(base, target, "Le donateur a déjà effacé", "Awa", WHEN)
        assert caught.value.message.fr == (
            "la barrière d'effacement ne peut pas être levée par une dérogation "
            "(protection des données) : effacez d'abord chaque disque interne"
        )
        assert str(caught.value) == (
            "the erasure gate cannot be overridden (data protection): "
            "erase every internal disk first"
        )
    # A DRY_RUN or FAILED certificate is no better.
    report = bench_report()
    report.erasures = [erased(x1_disk(report), "DRY_RUN")]
    with pytest.raises(GradingInputError):
        apply_override(grade(report), "B", "simulation suffisante", "Awa", WHEN)
    # Keeping the unit on the bench is always allowed.
    kept = apply_override(base, "TO_REPAIR", "Charnière cassée aussi", "Awa", WHEN)
    assert (kept.category, kept.computed_category) == ("TO_REPAIR", "NOT_DISTRIBUTABLE")


def test_to_repair_can_be_overridden_with_who_and_why() -> None:
    base = grade(bench_report(results={"keyboard": "fail"}))
    assert base.category == "TO_REPAIR"
    changed = apply_override(
        base, "C", "Touche F12 seule en panne, clavier externe fourni", "Awa", WHEN
    )
    assert (changed.category, changed.computed_category) == ("C", "TO_REPAIR")
    assert changed.override is not None
    assert (changed.override.by, changed.override.at, changed.override.reason) == (
        "Awa",
        WHEN,
        "Touche F12 seule en panne, clavier externe fourni",
    )
    with pytest.raises(GradingInputError) as caught:
        apply_override(base, "C", " ", "Awa", WHEN)
    assert str(caught.value) == "an override must give its reason"


# ---------------------------------------------------------------- names and the command


def test_category_names() -> None:
    assert (category_name("TO_REPAIR").fr, category_name("TO_REPAIR").en) == (
        "À RÉPARER",
        "TO REPAIR",
    )
    assert category_name("NOT_DISTRIBUTABLE").fr == "NON DISTRIBUABLE"
    assert category_name("B").en == "B"
    report = bench_report(results={"keyboard": "fail"})
    report.grade = grade(report)
    assert category_text(report, "fr") == ("À RÉPARER", "note 7")
    assert category_text(report, "en") == ("TO REPAIR", "note 7")


def test_grade_command_on_a_saved_report(tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    saved.write_bytes(to_json(bench_report(results={"keyboard": "fail"})))
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={})
    main(["grade", "--report", str(saved), "--json"], env=env)
    graded = json.loads(env.stdout.getvalue())  # type: ignore[attr-defined]
    assert (graded["category"], graded["note"]) == ("TO_REPAIR", 7)
    assert [a["en"] for a in graded["actions"]] == ["Repair: Keyboard"]


# ---------------------------------------------------------------- profile errors


GATED = """\
name = "gated"
version = "1"
valid_from = "2025-01-01"

[criteria.ram]
thresholds = [4, 8]
notes = [0, 1, 2]

[erasure]
required = true

[functional]
required = ["keyboard", "screen"]

[functional.on_fail]
default = "TO_REPAIR"
battery_autonomy = "D"

[[bands]]
category = "D"
min = 0
max = 1

[[bands]]
category = "A"
min = 2
"""


def error_of(tmp_path: Path, text: str) -> ProfileError:
    path = tmp_path / "gated.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    return caught.value


def test_gated_profile_loads(tmp_path: Path) -> None:
    path = tmp_path / "gated.toml"
    path.write_text(GATED, encoding="utf-8")
    profile = load_profile(path)
    assert profile.fail_effect("battery_autonomy") == "D"
    assert profile.fail_effect("webcam") == "TO_REPAIR"


LISTED = ", ".join(ALL_TESTS)


@pytest.mark.parametrize(
    ("old", "new", "english"),
    [
        (
            '"keyboard", "screen"',
            '"keyboard", "sreen"',
            f"13: functional.required[1]: unknown test 'sreen'; expected one of: {LISTED}",
        ),
        (
            '"keyboard", "screen"',
            '"keyboard", "keyboard"',
            "13: functional.required[1]: test 'keyboard' listed twice; expected each test once",
        ),
        (
            'battery_autonomy = "D"',
            'batery = "D"',
            f"17: functional.on_fail.batery: unknown test 'batery'; expected default or one of: "
            f"{LISTED}",
        ),
        (
            'battery_autonomy = "D"',
            'battery_autonomy = "REPAIR"',
            "17: functional.on_fail.battery_autonomy: invalid value 'REPAIR'; expected one of: "
            "NOT_DISTRIBUTABLE, TO_REPAIR, D, C, B, A, PREMIUM",
        ),
        (
            'battery_autonomy = "D"',
            'battery_autonomy = "C"',
            "17: functional.on_fail.battery_autonomy: category C not in the bands; expected "
            "TO_REPAIR, NOT_DISTRIBUTABLE or a category of the bands",
        ),
        (
            "required = true",
            'required = true\nmissing = "D"',
            "11: erasure.missing: invalid value 'D'; expected one of: NOT_DISTRIBUTABLE, TO_REPAIR",
        ),
        (
            "required = true",
            'required = "yes"',
            "10: erasure.required: wrong type (a quoted string); expected true or false",
        ),
        (
            "required = true",
            "require = true",
            "10: erasure.require: unknown field; expected one of: required, missing",
        ),
        (
            '"keyboard", "screen"',
            '"keyboard", 3',
            "13: functional.required[1]: wrong type (an integer); expected a quoted string",
        ),
    ],
)
def test_located_gate_errors(tmp_path: Path, old: str, new: str, english: str) -> None:
    assert old in GATED
    error = error_of(tmp_path, GATED.replace(old, new, 1))
    assert str(error) == f"{tmp_path / 'gated.toml'}:{english}"


def test_missing_required_key_and_french_message(tmp_path: Path) -> None:
    error = error_of(tmp_path, GATED.replace("required = true\n", 'missing = "TO_REPAIR"\n'))
    assert (error.line, error.field) == (9, "erasure")
    assert str(error).endswith(
        "erasure: required field 'required' missing; expected a value for 'required'"
    )
    error = error_of(tmp_path, GATED.replace('"screen"]', '"ecran"]'))
    assert error.text.fr == (
        f"{tmp_path / 'gated.toml'}:13 : functional.required[1] : test inconnu « ecran » ; "
        f"attendu : un de : {LISTED}"
    )


def test_error_in_a_site_file_names_the_site_file(tmp_path: Path) -> None:
    site = site_profile(tmp_path, '\n[functional.on_fail]\nkeybaord = "TO_REPAIR"\n')
    with pytest.raises(ProfileError) as caught:
        load_profile(site)
    assert str(caught.value).startswith(f"{site}:7: functional.on_fail.keybaord: unknown test")


def test_grading_units_are_erased_and_tested_by_default() -> None:
    # The synthetic units of the other grading tests are erased and tested by default.
    report = unit(cpu="Apple M1", ram_installed_bytes=16 * GIB, disks=[ssd("sda", 500 * GB)])
    assert [e.result for e in report.erasures] == ["ERASED"]
    assert [t.name for t in report.functional_tests] == ALL_TESTS
    assert grade(report).category == "PREMIUM"
