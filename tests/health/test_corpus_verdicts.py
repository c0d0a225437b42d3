"""Every real smartctl sample of the corpus gets the verdict and main reason SOURCES.md gives.

The verdict class (PASS/WARN/FAIL/N/A) is read from SOURCES.md itself, so the
oracle is the reviewed corpus, not this file; the main-reason code per sample
is the hand-mapped reason of its SOURCES.md entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench_agent.health import assess_output, load_policy
from bench_agent.model.health import DiskHealth

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SMARTCTL = CORPUS / "smartctl"

# SOURCES.md class -> the verdicts that honour it.
ALLOWED = {
    "PASS": {"OK"},
    "WARN": {"WORN", "SUSPECT"},
    "FAIL": {"FAIL"},
    "N/A": {"UNKNOWN"},
}

# Main reason of each non-PASS entry of SOURCES.md, as a finding code.
MAIN_REASON = {
    "Hitachi_HDS721050DLE630_usb-jmicron_failing.json": "smart.overall_failed",
    "Hitachi_HDT722520DLAT80_reallocated.json": "ata.reallocated_sectors",
    "Kingston_SA400S37240G_worn.json": "ssd.wear",
    "Samsung_SSD_840_crc-errors.json": "ata.udma_crc_errors",
    "Samsung_SSD_970_EVO_500GB_media-errors.json": "nvme.media_errors",
    "SanDisk_USB-stick_unknown-usb-bridge_error.json": "smart.unknown_usb_bridge",
    "Seagate_ST4000NM0043_sas_grown-defects.json": "scsi.grown_defects",
    "Seagate_ST500DM002-1BD142_old.json": "power_on_hours",
    "WDC_WD4000FYYX_reallocated.json": "ata.reallocated_sectors",
    "WDC_WDS240G2G0A-00JH30_uncorrectable.json": "ata.reported_uncorrectable",
    "floppy_fd0_no-device-type_error.json": "smart.device_unreadable",
    "AVAGO_MR9361-16i_raid-controller_unsupported.txt": "smart.virtual_device",
    "HGST_HTS545050A7E380_failing.txt": "smart.overall_failed",
    "HGST_HUS724040ALE640_old.txt": "power_on_hours",
    "Plextor_PX-512M8PeG_nvme_media-errors.txt": "nvme.media_errors",
    "Seagate_ST320LT007-9ZV142_failing.txt": "smart.overall_failed",
    "Toshiba_MK2565GSX_reallocated.txt": "ata.reallocated_sectors",
}

# PASS samples whose entry names a point that must still be shown.
ALSO_SHOWN = {
    "Seagate_OOS12000G_selftest-in-progress.txt": "selftest.in_progress",
    "WDC_WD140EDFZ-11A0VA0_healthy.json": "selftest.in_progress",
    "Samsung_MZVLW1T0HMLH-000L7_nvme_healthy.json": "nvme.error_log_entries",
}


def _expected() -> dict[str, str]:
    text = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    found = re.findall(
        r"^- `smartctl/(?:json|text)/([^`]+)`\n  - Verdict: \*\*(PASS|WARN|FAIL|N/A)", text, re.M
    )
    return dict(found)


EXPECTED = _expected()
FILES = sorted(p for p in SMARTCTL.glob("*/*") if p.is_file())


def _assess(path: Path) -> DiskHealth:
    return assess_output(path.read_bytes(), load_policy(), path.name)


def test_every_sample_has_an_expected_verdict() -> None:
    assert len(FILES) == 41
    assert sorted(p.name for p in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_verdict_and_main_reason(path: Path) -> None:
    health = _assess(path)
    expected = EXPECTED[path.name]
    assert health.verdict in ALLOWED[expected], [
        (f.severity, f.code, f.value) for f in health.findings
    ]
    assert health.reason is not None and health.reason.fr and health.reason.en
    if expected == "PASS":
        assert path.name not in MAIN_REASON
        assert all(f.severity == "INFO" for f in health.findings)
    else:
        assert health.findings[0].code == MAIN_REASON[path.name]
        assert health.reason == health.findings[0].message
    if path.name in ALSO_SHOWN:
        assert ALSO_SHOWN[path.name] in {f.code for f in health.findings}
    assert health.source in ("smartctl-json", "smartctl-text")


def test_findings_name_attribute_value_threshold() -> None:
    health = _assess(SMARTCTL / "json" / "Hitachi_HDT722520DLAT80_reallocated.json")
    realloc = next(f for f in health.findings if f.code == "ata.reallocated_sectors")
    assert realloc.attribute == "5 Reallocated_Sector_Ct"
    assert realloc.value == 126
    assert realloc.threshold == 50
    assert "126" in realloc.message.fr and "reallocated" in realloc.message.en
    crc = next(f for f in health.findings if f.code == "ata.udma_crc_errors")
    assert crc.severity == "SUSPECT"
    assert "câble" in crc.message.fr and "cable" in crc.message.en


def test_usb_bridge_failing_drive_details() -> None:
    health = _assess(SMARTCTL / "json" / "Hitachi_HDS721050DLE630_usb-jmicron_failing.json")
    codes = {f.code: f for f in health.findings}
    assert codes["ata.attribute_failing_now"].value == 1
    assert codes["ata.attribute_failing_now"].threshold == 5
    assert codes["selftest.failed"].severity == "FAIL"
    assert "read failure" in str(codes["selftest.failed"].value)
    assert health.device_type == "usbjmicron"
    assert health.smartctl_exit_status == 216


def test_nvme_values_are_carried() -> None:
    health = _assess(SMARTCTL / "json" / "Samsung_SSD_970_EVO_500GB_media-errors.json")
    assert health.protocol == "NVMe"
    assert health.percentage_used == 3
    assert health.power_on_hours == 12798
    unsafe = next(f for f in health.findings if f.code == "nvme.unsafe_shutdowns")
    assert unsafe.severity == "INFO"
    log = next(f for f in health.findings if f.code == "nvme.error_log_entries")
    assert log.severity == "INFO"


def test_text_thousands_separator_and_wear() -> None:
    health = _assess(SMARTCTL / "text" / "Toshiba_KBG30ZMV256G_nvme_used28.txt")
    assert health.power_on_hours == 5809
    assert health.percentage_used == 28
    assert health.verdict == "OK"


def test_text_x_layout_is_read_through_pysmart() -> None:
    """smartctl -x brief attribute flags (PO--CK) are normalised for pySMART."""
    health = _assess(SMARTCTL / "text" / "Toshiba_MK2565GSX_reallocated.txt")
    codes = {f.code: f for f in health.findings}
    assert codes["ata.reallocated_sectors"].value == 1069
    assert codes["ata.reallocation_events"].value == 104
    assert codes["ata.error_log"].value == 423
    assert health.model == "TOSHIBA MK2565GSX"
    assert health.source == "smartctl-text"


def test_packed_raw_counter_uses_low_word() -> None:
    health = _assess(SMARTCTL / "text" / "Seagate_ST320LT007-9ZV142_failing.txt")
    timeouts = next(f for f in health.findings if f.code == "ata.command_timeouts")
    assert timeouts.value == 0x000B  # raw 8590065675 = 0x2_0002_000B


def test_wear_from_normalised_life_attribute() -> None:
    health = _assess(SMARTCTL / "json" / "Kingston_SA400S37240G_worn.json")
    wear = health.findings[0]
    assert wear.attribute == "231 SSD_Life_Left"
    assert wear.value == 84
    assert health.percentage_used == 84


def test_provisional_ok_says_so() -> None:
    health = _assess(SMARTCTL / "text" / "Seagate_OOS12000G_selftest-in-progress.txt")
    assert health.verdict == "OK"
    assert health.reason is not None and "provisoire" in health.reason.fr
    assert "30" in health.reason.en
