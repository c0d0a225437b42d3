"""Each verdict rule on real samples edited one value at a time (generalisation, not memory)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bench_agent.health import assess_output, decode_exit_status, load_policy
from bench_agent.model.health import DiskHealth

JSON_DIR = Path(__file__).resolve().parents[1] / "corpus" / "smartctl" / "json"
POLICY = load_policy()
HDD = json.loads((JSON_DIR / "WDC_WD5000AAKX-08U6AA0_healthy.json").read_bytes())
NVME = json.loads((JSON_DIR / "Intel_SSDPEKNW010T8_healthy.json").read_bytes())
SSD = json.loads((JSON_DIR / "Samsung_SSD_860_EVO_500GB_healthy.json").read_bytes())


def judge(doc: dict[str, Any]) -> DiskHealth:
    return assess_output(json.dumps(doc).encode(), POLICY, "/dev/sdx")


def codes(health: DiskHealth) -> dict[str, str]:
    return {f.code: f.severity for f in health.findings}


def with_attr(
    doc: dict[str, Any], attr_id: int, name: str, raw_value: int, **fields: Any
) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    table = doc["ata_smart_attributes"]["table"]
    table[:] = [a for a in table if a["id"] != attr_id]
    row = {
        "id": attr_id,
        "name": name,
        "value": 100,
        "worst": 100,
        "thresh": 0,
        "when_failed": "",
        "flags": {"prefailure": False},
        "raw": {"value": raw_value, "string": str(raw_value)},
    }
    row.update(fields)
    table.append(row)
    return doc


def test_baselines_are_ok() -> None:
    for doc in (HDD, NVME, SSD):
        assert judge(doc).verdict == "OK"


@pytest.mark.parametrize(
    ("attr_id", "name", "raw", "verdict", "code"),
    [
        (197, "Current_Pending_Sector", 3, "SUSPECT", "ata.pending_sectors"),
        (197, "Current_Pending_Sector", 40, "FAIL", "ata.pending_sectors"),
        (198, "Offline_Uncorrectable", 12, "FAIL", "ata.offline_uncorrectable"),
        (5, "Reallocated_Sector_Ct", 4, "SUSPECT", "ata.reallocated_sectors"),
        (187, "Reported_Uncorrect", 500, "FAIL", "ata.reported_uncorrectable"),
        (10, "Spin_Retry_Count", 2, "SUSPECT", "ata.spin_retries"),
        (188, "Command_Timeout", 30, "SUSPECT", "ata.command_timeouts"),
        (199, "UDMA_CRC_Error_Count", 5, "OK", None),
        (199, "UDMA_CRC_Error_Count", 100000, "SUSPECT", "ata.udma_crc_errors"),
        (193, "Load_Cycle_Count", 450000, "WORN", "ata.load_cycles"),
        (181, "Program_Fail_Cnt_Total", 25, "SUSPECT", "ssd.program_erase_failures"),
        (172, "Erase_Fail_Count", 3, "OK", None),
        (181, "Unknown_Attribute", 9999, "OK", None),
    ],
)
def test_counter_rules(attr_id: int, name: str, raw: int, verdict: str, code: str | None) -> None:
    # Flash counters are read on the SATA SSD sample, the others on the HDD sample.
    doc = SSD if attr_id in (171, 172, 181, 182) else HDD
    health = judge(with_attr(doc, attr_id, name, raw))
    assert health.verdict == verdict
    if code is not None:
        assert health.findings[0].code == code
        assert health.findings[0].value == raw


def test_overall_failed_and_exit_bit() -> None:
    doc = copy.deepcopy(HDD)
    doc["smart_status"]["passed"] = False
    assert judge(doc).findings[0].code == "smart.overall_failed"
    del doc["smart_status"]
    doc["smartctl"]["exit_status"] = 8  # DISK FAILING, without a smart_status section
    assert judge(doc).verdict == "FAIL"


def test_threshold_rules_prefail_vs_old_age() -> None:
    now = with_attr(
        HDD,
        3,
        "Spin_Up_Time",
        9000,
        value=20,
        thresh=21,
        when_failed="now",
        flags={"prefailure": True},
    )
    assert judge(now).verdict == "FAIL"
    past = with_attr(
        HDD,
        3,
        "Spin_Up_Time",
        9000,
        worst=20,
        thresh=21,
        when_failed="past",
        flags={"prefailure": True},
    )
    assert codes(judge(past))["ata.attribute_failed_in_past"] == "SUSPECT"
    old = with_attr(
        HDD, 190, "Airflow_Temperature_Cel", 30, worst=40, thresh=45, when_failed="past"
    )
    assert judge(old).verdict == "OK"
    assert codes(judge(old))["ata.attribute_failed_in_past"] == "INFO"
    # No when_failed column but value <= threshold: smartctl's own rule applies.
    implied = with_attr(
        HDD, 1, "Raw_Read_Error_Rate", 0, value=10, thresh=51, flags={"prefailure": True}
    )
    assert judge(implied).verdict == "FAIL"
    # Threshold 0 means "never fails".
    zero = with_attr(HDD, 191, "G-Sense_Error_Rate", 9, value=1, thresh=0)
    assert judge(zero).verdict == "OK"


def test_ssd_life_attributes() -> None:
    worn = with_attr(SSD, 177, "Wear_Leveling_Count", 3000, value=25)
    health = judge(worn)
    assert health.verdict == "WORN"
    assert health.percentage_used == 75
    dead = with_attr(SSD, 202, "Percent_Lifetime_Remain", 100, value=0, thresh=0)
    assert judge(dead).verdict == "FAIL"
    # Same id, a name that is not about life: ignored.
    other = with_attr(SSD, 233, "NAND_GB_Written_TLC", 5398, value=10)
    assert judge(other).verdict == "OK"
    reserve = with_attr(SSD, 232, "Available_Reservd_Space", 30, value=30, thresh=10)
    assert codes(judge(reserve))["ata.reserve_low"] == "WORN"


@pytest.mark.parametrize(
    ("field", "value", "verdict", "code"),
    [
        ("critical_warning", 0x04, "FAIL", "nvme.reliability_degraded"),
        ("critical_warning", 0x08, "FAIL", "nvme.read_only"),
        ("critical_warning", 0x02, "SUSPECT", "nvme.temperature"),
        ("percentage_used", 75, "WORN", "ssd.wear"),
        ("percentage_used", 130, "FAIL", "ssd.wear"),
        ("percentage_used", 96, "FAIL", "ssd.wear"),
        ("percentage_used", 94, "WORN", "ssd.wear"),
        ("available_spare", 8, "FAIL", "nvme.spare_at_threshold"),
        ("available_spare", 40, "WORN", "nvme.spare_low"),
        ("media_errors", 1, "FAIL", "nvme.media_errors"),
        ("num_err_log_entries", 5000, "OK", None),
        ("unsafe_shutdowns", 900, "OK", None),
    ],
)
def test_nvme_rules(field: str, value: int, verdict: str, code: str | None) -> None:
    doc = copy.deepcopy(NVME)
    doc["nvme_smart_health_information_log"][field] = value
    health = judge(doc)
    assert health.verdict == verdict
    if code is not None:
        assert health.findings[0].code == code


def test_self_test_log_rules() -> None:
    doc = copy.deepcopy(HDD)

    def entry(kind: str, status: str, passed: bool | None) -> dict[str, Any]:
        st: dict[str, Any] = {"value": 0 if passed else 0x70, "string": status}
        if passed is not None:
            st["passed"] = passed
        return {"type": {"value": 1, "string": kind}, "status": st, "lifetime_hours": 100}

    log = doc["ata_smart_self_test_log"]["extended"]
    log["table"] = [entry("Extended offline", "Completed: read failure", False)]
    assert codes(judge(doc))["selftest.failed"] == "FAIL"
    log["table"].insert(0, entry("Short offline", "Completed without error", True))
    assert codes(judge(doc))["selftest.failed"] == "FAIL"  # a short test does not clear a long one
    log["table"].insert(0, entry("Extended offline", "Completed without error", True))
    assert codes(judge(doc))["selftest.failed"] == "SUSPECT"
    log["table"] = [entry("Short offline", "Interrupted (host reset)", None)]
    assert judge(doc).verdict == "OK"


def test_self_test_in_progress_is_information() -> None:
    doc = copy.deepcopy(HDD)
    doc["ata_smart_data"]["self_test"]["status"] = {
        "value": 0xF3,
        "string": "in progress, 30% remaining",
        "remaining_percent": 30,
    }
    health = judge(doc)
    assert health.verdict == "OK"
    assert health.findings[0].code == "selftest.in_progress"
    assert health.findings[0].value == 30


def test_last_self_test_status_byte_failure() -> None:
    doc = copy.deepcopy(HDD)
    doc["ata_smart_data"]["self_test"]["status"] = {"value": 0x73, "string": "read failure"}
    assert codes(judge(doc))["selftest.failed"] == "FAIL"


def test_scsi_rules() -> None:
    doc = json.loads((JSON_DIR / "Seagate_ST4000NM0043_sas_grown-defects.json").read_bytes())
    doc["scsi_grown_defect_list"] = 0
    doc["power_on_time"]["hours"] = 100
    assert judge(doc).verdict == "OK"
    doc["scsi_grown_defect_list"] = 500
    assert judge(doc).verdict == "FAIL"
    doc["scsi_grown_defect_list"] = 0
    doc["scsi_error_counter_log"]["read"]["total_uncorrected_errors"] = 3
    assert judge(doc).findings[0].code == "scsi.uncorrected_errors"


def test_no_smart_is_never_ok() -> None:
    doc = {
        "smartctl": {"exit_status": 4},
        "device": {"name": "/dev/sdb", "protocol": "ATA"},
        "smart_support": {"available": False},
    }
    health = judge(doc)
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == "smart.unavailable"


def test_exit_status_bits_are_decoded() -> None:
    assert decode_exit_status(216) == [
        "SMART status: DISK FAILING",
        "prefail attributes at or below threshold",
        "the device error log contains records of errors",
        "the self-test log contains records of errors",
    ]
    assert decode_exit_status(0) == []
    assert decode_exit_status(None) == []


def test_power_on_units_in_text_reports() -> None:
    text = (JSON_DIR.parent / "text" / "Toshiba_MK2565GSX_reallocated.txt").read_text()
    minutes = text.replace(
        "  9 Power_On_Hours          -O--CK   098   098   000    -    1112",
        "  9 Power_On_Minutes        -O--CK   098   098   000    -    66720",
    )
    assert minutes != text
    assert assess_output(minutes, POLICY, "x").power_on_hours == 1112
    assert assess_output(text, POLICY, "x").power_on_hours == 1112


def test_health_package_stays_headless() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bench_agent.health, bench_agent.health.selftest, "
        "bench_agent.health.readcheck, bench_agent.commands.health\n"
        "bad = [m for m in ('textual', 'pySMART') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # pySMART is imported lazily (text reports only), Textual never.
    assert "textual" not in out.stdout and "pySMART" not in out.stdout


def test_rate_flagged_attribute_is_not_a_count() -> None:
    """Seagate laptop drives flag 196 as a rate (POSR--): raw "2111 (12437 0)" is no count."""
    doc = with_attr(
        HDD,
        196,
        "Reallocated_Event_Count",
        53416508262463,
        value=98,
        worst=98,
        thresh=30,
        flags={"prefailure": True, "performance": True, "error_rate": True, "event_count": False},
        raw={"value": 53416508262463, "string": "2111 (12437 0)"},
    )
    assert judge(doc).verdict == "OK"
    # HGST flags real counts "-O-R--": those still count.
    crc = with_attr(
        HDD,
        199,
        "UDMA_CRC_Error_Count",
        500,
        flags={"prefailure": False, "error_rate": True, "event_count": False},
    )
    assert judge(crc).findings[0].code == "ata.udma_crc_errors"


def test_power_on_hours_from_attribute_when_section_missing() -> None:
    doc = with_attr(
        HDD,
        9,
        "Power_On_Hours",
        167031278144165,
        raw={"value": 167031278144165, "string": "2725 (151 234 0)"},
    )
    del doc["power_on_time"]
    assert judge(doc).power_on_hours == 2725


def test_raid_volume_is_unknown() -> None:
    doc = {
        "json_format_version": [1, 0],
        "smartctl": {"exit_status": 4},
        "device": {"name": "/dev/sdb", "type": "scsi", "protocol": "SCSI"},
        "vendor": "Intel",
        "product": "Raid 1 Volume",
        "model_name": "Intel Raid 1 Volume",
    }
    assert judge(doc).findings[0].code == "smart.virtual_device"


def test_smart_disabled_is_unknown_with_the_fix() -> None:
    doc = {
        "smartctl": {"exit_status": 4},
        "device": {"name": "/dev/sdb", "protocol": "ATA"},
        "smart_support": {"available": True, "enabled": False},
    }
    health = judge(doc)
    assert health.verdict == "UNKNOWN"
    assert health.findings[0].code == "smart.disabled"
    assert "smartctl -s on" in health.reason.en  # type: ignore[union-attr]
