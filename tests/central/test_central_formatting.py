"""French and English numbers, sizes and dates (with their time zone) on the central pages,
and the changes the unit page reads between two report revisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from central_inventory.config import ConfigError, Settings
from central_inventory.evidence import changes_between
from central_inventory.formatting import Formatter, disk_size, memory_size, percent, zone

PARIS = zone("Europe/Paris")
NNBSP, NBSP = "\u202f", "\u00a0"


def test_numbers_and_percentages_follow_the_language() -> None:
    fr, en = Formatter("fr", PARIS), Formatter("en", PARIS)
    assert fr.number(12345.67, 1) == f"12{NNBSP}345,7" and en.number(12345.67, 1) == "12,345.7"
    assert percent(92.8, "fr") == f"92,8{NNBSP}%" and percent(92.8, "en") == "92.8%"
    assert percent(100, "fr") == f"100{NNBSP}%"
    assert fr.number(None) == "—" and percent("92", "fr") == "—"  # type: ignore[arg-type]


def test_disks_in_decimal_units_memory_in_binary_ones() -> None:
    # The bench's rule: a disk as sold (decimal), memory as the profiles count it (GiB).
    assert disk_size(17_179_869_184, "fr") == f"17,2{NBSP}Go"
    assert disk_size(17_179_869_184, "en") == f"17.2{NBSP}GB"
    assert disk_size(1_000_204_886_016, "fr") == f"1,0{NBSP}To"
    assert disk_size(512, "fr") == f"512{NBSP}o"
    assert memory_size(17_179_869_184, "fr") == f"16{NBSP}Gio"
    assert memory_size(8_254_316_544, "en") == f"8{NBSP}GiB"  # MemTotal rounds to installed
    assert memory_size(536_870_912, "fr") == f"512{NBSP}Mio"
    for junk in (None, -1, "8 GB", True):
        assert disk_size(junk, "fr") == "—" and memory_size(junk, "fr") == "—"


def test_dates_are_local_and_say_their_time_zone() -> None:
    fr, en = Formatter("fr", PARIS), Formatter("en", PARIS)
    assert fr.when("2026-12-03T13:05:00Z") == "3 déc. 2026 14:05 (heure de Paris)"
    assert en.when("2026-12-03T13:05:00Z") == "3 Dec 2026 14:05 (Paris time)"
    assert fr.when("2026-07-01T12:00:00+00:00") == "1 juil. 2026 14:00 (heure de Paris)"  # CEST
    # The database's naive datetimes are UTC.
    assert fr.when(datetime(2026, 12, 31, 23, 30)) == "1 janv. 2027 00:30 (heure de Paris)"
    assert fr.when(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).startswith("1 janv. 2027")
    assert fr.day("2026-12-03T23:30:00Z") == "4 déc. 2026"
    assert fr.month("2026-11") == "nov. 2026" and en.month("2026-11") == "Nov 2026"
    # Nothing readable: shown as written or "—", never an error.
    assert fr.when("hier soir") == "hier soir" and fr.when(None) == "—" and fr.when("") == "—"
    assert fr.month("2026-13") == "2026-13"
    montreal = Formatter("fr", zone("America/Montreal"))
    assert montreal.when("2026-12-03T13:05:00Z") == "3 déc. 2026 08:05 (heure de Montreal)"
    assert Formatter("en", zone("UTC")).when("2026-12-03T13:05:00Z").endswith("13:05 (UTC)")


def test_the_display_time_zone_is_configured_and_checked() -> None:
    assert Settings.from_env({"CENTRAL_DATABASE_URL": "sqlite://"}).timezone == "Europe/Paris"
    env = {"CENTRAL_DATABASE_URL": "sqlite://", "CENTRAL_TIMEZONE": "America/Cayenne"}
    assert Settings.from_env(env).timezone == "America/Cayenne"
    with pytest.raises(ConfigError, match="CENTRAL_TIMEZONE='Europe/Pariss'"):
        Settings.from_env(dict(env, CENTRAL_TIMEZONE="Europe/Pariss"))


def test_changes_between_two_revisions() -> None:
    before = {
        "grade": {"category": "C", "note": 6},
        "functional_tests": [{"name": "keyboard", "result": "fail"}],
        "erasures": [{"certificate_id": "c1", "result": "ERASED"}],
        "inventory": {"disks": [{"serial": "S1"}]},
    }
    after = {
        "grade": {
            "category": "D",
            "note": 6,
            "override": {"category": "D", "by": "Lou", "reason": "charnière", "at": "x"},
        },
        "functional_tests": [
            {"name": "keyboard", "result": "pass"},
            {"name": "webcam", "result": "n/a"},
        ],
        "erasures": [
            {"certificate_id": "c1", "result": "ERASED"},
            {"certificate_id": "c2", "result": "FAILED"},
        ],
        "inventory": {"disks": [{"serial": "S1"}, {"serial": "S2"}]},
    }
    found = [(c.kind, c.subject, c.before, c.after) for c in changes_between(before, after)]
    assert found == [
        ("category", None, "C", "D"),
        ("override", "Lou", None, "D"),
        ("test", "keyboard", "fail", "pass"),
        ("test", "webcam", None, "n/a"),
        ("erasure", "c2", None, "FAILED"),
        ("disks", None, None, None),
    ]
    assert [c.kind for c in changes_between(None, after)] == ["first"]
    assert changes_between(after, after) == []
    # Junk in a stored payload (a field of the wrong type) is skipped, never an error.
    assert changes_between({"grade": "?", "functional_tests": 3}, {"erasures": [None]}) == []
