"""Rules per medium (issue 16): an HDD, a SATA SSD and an NVMe drive are judged differently.

Real outputs: the corpus (SOURCES.md gives each sample's class) and three SATA SSD
reports in ``fixtures/ssd`` (``fixtures/ssd/SOURCES.md`` says where each comes from).
The expected verdicts of those three are written here, with the reason:

- Crucial MX500, 2 retired NAND blocks, 2 050 unused reserve blocks, 51 % of its life
  used, no program/erase failure, no uncorrectable error: OK (the old rule
  "reallocated >= 1" made it SUSPECT);
- Kingston SUV500 at 81 h: 2 retired blocks with the spare full, but 2 reported
  uncorrectable errors: SUSPECT for the errors, not for the blocks;
- the same drive at 93 h: 25 retired blocks, spare still full, 104 uncorrectable errors
  and 204 logged read errors (its owner returned it under warranty): FAIL for the errors.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bench_agent.health import assess_output, load_policy, parse_output
from bench_agent.health.policy import default_policy_text, parse_policy
from bench_agent.health.verdict import medium_of
from bench_agent.model.health import DiskHealth

HERE = Path(__file__).resolve().parent
SSD_DIR = HERE / "fixtures" / "ssd"
CORPUS = HERE.parent / "corpus" / "smartctl"
POLICY = load_policy()

CRUCIAL = SSD_DIR / "Crucial_MX500_attributes_2-retired.txt"
KINGSTON_81H = SSD_DIR / "Kingston_SUV500MS480G_81h_2-retired.txt"
KINGSTON_93H = SSD_DIR / "Kingston_SUV500MS480G_93h_25-retired.txt"


def judge_file(path: Path, policy: Any = POLICY) -> DiskHealth:
    return assess_output(path.read_bytes(), policy, path.name)


def judge_doc(doc: dict[str, Any]) -> DiskHealth:
    return assess_output(json.dumps(doc).encode(), POLICY, "/dev/sdx")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / "json" / name).read_bytes())
    return data


def set_attr(doc: dict[str, Any], attr_id: int, name: str, **fields: Any) -> dict[str, Any]:
    """A copy of ``doc`` with attribute ``attr_id`` replaced (or added) by ``fields``."""
    doc = copy.deepcopy(doc)
    table = doc["ata_smart_attributes"]["table"]
    table[:] = [a for a in table if a["id"] != attr_id]
    row: dict[str, Any] = {
        "id": attr_id,
        "name": name,
        "value": 100,
        "worst": 100,
        "thresh": 0,
        "when_failed": "",
        "flags": {"prefailure": False},
        "raw": {"value": 0, "string": "0"},
    }
    row.update(fields)
    table.append(row)
    return doc


def drop_attr(doc: dict[str, Any], *ids: int) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    table = doc["ata_smart_attributes"]["table"]
    table[:] = [a for a in table if a["id"] not in ids]
    return doc


def codes(health: DiskHealth) -> dict[str, str]:
    return {f.code: f.severity for f in health.findings}


# Medium of every real sample, by what the drive is (model and SOURCES.md entry).
MEDIUM = {
    "Crucial_CT275MX300SSD1_healthy.json": "ssd",
    "Hikvision_HS-SSD-WAVE_240G_new.json": "ssd",
    "Hitachi_HDS721050DLE630_usb-jmicron_failing.json": "hdd",
    "Hitachi_HDT722520DLAT80_reallocated.json": "hdd",
    "Intel_SSDPEKNW010T8_healthy.json": "nvme",
    "Kingston_SA400S37240G_healthy.json": "ssd",
    "Kingston_SA400S37240G_worn.json": "ssd",
    "LITEONIT_LMT-256M6M_mSATA_healthy.json": "ssd",
    "Samsung_MZVLW1T0HMLH-000L7_nvme_healthy.json": "nvme",
    "Samsung_SSD_840_crc-errors.json": "ssd",
    "Samsung_SSD_850_EVO_mSATA_500GB_healthy.json": "ssd",
    "Samsung_SSD_860_EVO_500GB_healthy.json": "ssd",
    "Samsung_SSD_970_EVO_500GB_media-errors.json": "nvme",
    "Seagate_ST4000NM0043_sas_grown-defects.json": "scsi",
    "Seagate_ST500DM002-1BD142_old.json": "hdd",
    "WDC_WD140EDFZ-11A0VA0_healthy.json": "hdd",
    "WDC_WD1600BEVT-22A23T0_healthy.json": "hdd",
    "WDC_WD4000FYYX_reallocated.json": "hdd",
    "WDC_WD5000AAKX-08U6AA0_healthy.json": "hdd",
    "WDC_WDS240G2G0A-00JH30_uncorrectable.json": "ssd",
    "WD_BLACK_SN770_500GB_healthy.json": "nvme",
    "Apple_SSD_AP0512Z_nvme_macos_healthy.txt": "nvme",
    "Apple_SSD_SM0256F_macbook_healthy.txt": "ssd",
    "HGST_HTS545050A7E380_failing.txt": "hdd",
    "HGST_HUH721212AL4204_sas_healthy.txt": "scsi",
    "HGST_HUS724040ALE640_old.txt": "hdd",
    "Hikvision_HS-SSD-C100_120G_healthy.txt": "ssd",
    "LITEONIT_LCT-512L9S-11_healthy.txt": "ssd",
    "LITEONIT_LCT-512L9S-11_usb_no-thresholds.txt": "ssd",
    "Plextor_PX-512M8PeG_nvme_media-errors.txt": "nvme",
    "Samsung_Portable_SSD_T7_usb-asmedia_healthy.txt": "nvme",
    "Samsung_SSD_980_PRO_1TB_nvme_used13.txt": "nvme",
    "Seagate_OOS12000G_selftest-in-progress.txt": "hdd",
    "Seagate_ST320LT007-9ZV142_failing.txt": "hdd",
    "Toshiba_KBG30ZMV256G_nvme_used28.txt": "nvme",
    "Toshiba_MK2565GSX_reallocated.txt": "hdd",
    "WDC_PC_SN730_nvme_healthy.txt": "nvme",
    "WDC_WDS100T2B0C_nvme_smartctl66_healthy.txt": "nvme",
}


@pytest.mark.parametrize("name", sorted(MEDIUM))
def test_medium_of_every_assessable_corpus_sample(name: str) -> None:
    path = next(CORPUS.glob(f"*/{name}"))
    data = parse_output(path.read_bytes())
    assert medium_of(data) == MEDIUM[name]
    health = judge_file(path)
    flash_codes = {c for c in codes(health) if c.startswith("ssd.")}
    if MEDIUM[name] != "ssd":
        # Flash rules never touch a spinning disk (nor NVMe, which has its own log).
        assert not flash_codes - {"ssd.wear"}, flash_codes
        assert "ssd.wear_unknown" not in flash_codes
    else:
        # Every SATA SSD of the corpus exposes one of the vendor wear attributes.
        assert "ssd.wear_unknown" not in flash_codes
        assert health.percentage_used is not None


def test_medium_without_rotation_rate_comes_from_flash_attributes() -> None:
    """The Crucial report is an attribute table alone: no rotation rate, flash names."""
    data = parse_output(CRUCIAL.read_bytes())
    assert data.rotation_rate is None
    assert medium_of(data) == "ssd"
    hdd = load("WDC_WD5000AAKX-08U6AA0_healthy.json")
    del hdd["rotation_rate"]
    assert medium_of(parse_output(json.dumps(hdd).encode())) == "hdd"


def test_real_ssd_with_a_few_retired_blocks_and_full_spare_is_ok() -> None:
    health = judge_file(CRUCIAL)
    assert health.verdict == "OK", [(f.severity, f.code, f.value) for f in health.findings]
    retired = next(f for f in health.findings if f.code == "ssd.retired_blocks")
    assert retired.severity == "INFO"
    assert retired.value == 2
    assert retired.attribute == "5 Reallocate_NAND_Blk_Cnt"
    # 2 050 unused reserve blocks against 2 retired: 99 % of the spare left.
    assert "99 %" in retired.message.fr and "99%" in retired.message.en
    assert health.percentage_used == 51  # Percent_Lifetime_Remain 49
    assert health.reason is not None and health.reason.en == "No problem found."


def test_the_same_report_under_a_count_rule_is_suspect() -> None:
    """What the issue saw: with attribute 5 counted on SSDs too, the same drive is SUSPECT."""
    text = default_policy_text().replace('media = ["hdd"]', 'media = ["hdd", "ssd"]', 1)
    health = judge_file(CRUCIAL, parse_policy(text, "count-rule.toml"))
    assert health.verdict == "SUSPECT"
    assert health.findings[0].code == "ata.reallocated_sectors"


def test_real_ssd_with_uncorrectable_errors_is_judged_on_the_errors() -> None:
    early = judge_file(KINGSTON_81H)
    assert early.verdict == "SUSPECT"
    assert early.findings[0].code == "ata.reported_uncorrectable"
    assert codes(early)["ssd.retired_blocks"] == "INFO"
    assert early.percentage_used == 0  # Wear_Leveling_Count 100
    late = judge_file(KINGSTON_93H)
    assert late.verdict == "FAIL"
    assert late.findings[0].code == "ata.reported_uncorrectable"
    assert late.findings[0].value == 104
    assert codes(late)["ata.error_log"] == "SUSPECT"
    retired = next(f for f in late.findings if f.code == "ssd.retired_blocks")
    assert retired.severity == "INFO" and retired.value == 25
    assert "ata.reallocated_sectors" not in codes(late)
    assert "ata.reallocation_events" not in codes(late)


def _kingston_with_spare(unused: int) -> bytes:
    """The 93 h Kingston report without its errors, with ``unused`` reserve blocks left."""
    text = KINGSTON_93H.read_text()
    text = text.replace("Always       -       104\n", "Always       -       0\n")
    text = text.replace("Always       -       1265\n", f"Always       -       {unused}\n")
    text = text.replace("ATA Error Count: 204", "ATA Error Count: 0")
    return text.encode()


@pytest.mark.parametrize(
    ("unused", "left", "verdict", "code"),
    [
        (1265, 98, "OK", "ssd.retired_blocks"),  # 25 retired against 1 265 unused
        (25, 50, "WORN", "ata.reserve_low"),  # half the spare used
        (2, 7, "FAIL", "ssd.spare_exhausted"),  # 25 retired, 2 left: below 10 %
    ],
)
def test_retired_blocks_are_weighed_against_the_spare(
    unused: int, left: int, verdict: str, code: str
) -> None:
    health = assess_output(_kingston_with_spare(unused), POLICY, "kingston")
    assert health.verdict == verdict, [(f.severity, f.code, f.value) for f in health.findings]
    assert health.findings[0].code == code
    if code != "ssd.retired_blocks":
        assert health.findings[0].value == left


@pytest.mark.parametrize(
    ("value", "thresh", "verdict", "code"),
    [
        (100, 10, "OK", None),
        (60, 10, "OK", None),
        (40, 10, "WORN", "ata.reserve_low"),
        (12, 10, "WORN", "ata.reserve_low"),
        (10, 10, "FAIL", "ssd.spare_exhausted"),  # at the drive's threshold
        (8, 5, "FAIL", "ssd.spare_exhausted"),  # the policy's 10 % floor
        (3, 0, "FAIL", "ssd.spare_exhausted"),  # a drive that gives no threshold
    ],
)
def test_samsung_spare_left(value: int, thresh: int, verdict: str, code: str | None) -> None:
    """Samsung 179 Used_Rsvd_Blk_Cnt_Tot: the normalised value is the spare left."""
    doc = set_attr(
        load("Samsung_SSD_860_EVO_500GB_healthy.json"),
        179,
        "Used_Rsvd_Blk_Cnt_Tot",
        value=value,
        thresh=thresh,
        raw={"value": 40, "string": "40"},
    )
    doc = set_attr(doc, 5, "Reallocated_Sector_Ct", thresh=10, raw={"value": 40, "string": "40"})
    health = judge_doc(doc)
    assert health.verdict == verdict, [(f.severity, f.code, f.value) for f in health.findings]
    if code is not None:
        assert health.findings[0].code == code
        assert health.findings[0].value == value
    retired = next(f for f in health.findings if f.code == "ssd.retired_blocks")
    assert retired.severity == "INFO" and retired.value == 40


def test_wd_available_reserved_space_below_threshold_fails() -> None:
    doc = load("WDC_WDS240G2G0A-00JH30_uncorrectable.json")
    assert codes(judge_doc(doc)).get("ssd.spare_exhausted") is None
    low = set_attr(doc, 232, "Available_Reservd_Space", value=4, thresh=5)
    health = judge_doc(low)
    assert health.verdict == "FAIL"
    spare = next(f for f in health.findings if f.code == "ssd.spare_exhausted")
    assert spare.attribute == "232 Available_Reservd_Space"
    assert spare.threshold == 10


def test_retired_blocks_without_any_spare_indicator_are_counted() -> None:
    ssd = drop_attr(load("Samsung_SSD_860_EVO_500GB_healthy.json"), 179, 180, 170, 232)
    for raw, verdict in ((3, "OK"), (25, "SUSPECT"), (250, "FAIL")):
        doc = set_attr(
            ssd, 5, "Reallocated_Sector_Ct", thresh=10, raw={"value": raw, "string": str(raw)}
        )
        health = judge_doc(doc)
        assert health.verdict == verdict
        retired = next(f for f in health.findings if f.code == "ssd.retired_blocks")
        assert retired.value == raw
        assert "réserve n'est pas connue" in retired.message.fr
        assert "spare is not known" in retired.message.en


def test_hdd_reallocated_sectors_still_count() -> None:
    hdd = load("WDC_WD5000AAKX-08U6AA0_healthy.json")
    doc = set_attr(hdd, 5, "Reallocated_Sector_Ct", raw={"value": 2, "string": "2"})
    health = judge_doc(doc)
    assert health.verdict == "SUSPECT"
    assert health.findings[0].code == "ata.reallocated_sectors"
    assert "ssd.retired_blocks" not in codes(health)


def test_ssd_program_erase_failures_and_uncorrectable_errors() -> None:
    ssd = load("Samsung_SSD_860_EVO_500GB_healthy.json")
    failing = set_attr(ssd, 181, "Program_Fail_Cnt_Total", raw={"value": 12, "string": "12"})
    assert codes(judge_doc(failing))["ssd.program_erase_failures"] == "SUSPECT"
    unc = set_attr(ssd, 187, "Uncorrectable_Error_Cnt", raw={"value": 150, "string": "150"})
    # Samsung names 187 differently; the id decides, as for every ATA counter.
    assert codes(judge_doc(unc))["ata.reported_uncorrectable"] == "FAIL"


def test_wear_unknown_is_shown_in_both_languages() -> None:
    doc = drop_attr(load("Samsung_SSD_860_EVO_500GB_healthy.json"), 177)
    health = judge_doc(doc)
    assert health.verdict == "OK"
    assert health.percentage_used is None
    unknown = next(f for f in health.findings if f.code == "ssd.wear_unknown")
    assert unknown.severity == "INFO"
    assert "inconnue" in unknown.message.fr and "unknown" in unknown.message.en
    assert "177" in unknown.message.en and "231" in unknown.message.en
    # The reason does not say "no problem" alone: the wear could not be read.
    assert health.reason is not None
    assert "inconnue" in health.reason.fr and "unknown" in health.reason.en


def test_wear_unknown_level_is_a_policy_choice() -> None:
    text = default_policy_text().replace('wear_unknown = "INFO"', 'wear_unknown = "WORN"')
    policy = parse_policy(text, "strict.toml")
    doc = drop_attr(load("Samsung_SSD_860_EVO_500GB_healthy.json"), 177)
    health = assess_output(json.dumps(doc).encode(), policy, "/dev/sdx")
    assert health.verdict == "WORN"
    assert health.findings[0].code == "ssd.wear_unknown"


def test_toshiba_erase_count_is_not_wear() -> None:
    """Toshiba/Kioxia client SSDs: 173 Erase_Count (normalised 137 on an HG6) is no percentage."""
    ssd = drop_attr(load("Samsung_SSD_860_EVO_500GB_healthy.json"), 177)
    health = judge_doc(set_attr(ssd, 173, "Erase_Count", value=137))
    assert "ssd.wear_unknown" in codes(health)


def test_a_name_that_is_not_wear_is_not_read_as_wear() -> None:
    """233 is Media_Wearout_Indicator on Intel but NAND_GB_Written_TLC on WD."""
    doc = drop_attr(load("WDC_WDS240G2G0A-00JH30_uncorrectable.json"), 230)
    health = judge_doc(doc)
    assert "ssd.wear_unknown" in codes(health)
    assert health.percentage_used is None


@pytest.mark.parametrize(
    ("attr_id", "name", "value", "used"),
    [
        (177, "Wear_Leveling_Count", 25, 75),  # Samsung
        (202, "Percent_Lifetime_Remain", 20, 80),  # Crucial/Micron
        (173, "Ave_Block-Erase_Count", 28, 72),  # Crucial/Micron
        (233, "Media_Wearout_Indicator", 29, 71),  # Intel
        (233, "Remaining_Lifetime_Perc", 29, 71),  # OCZ (Toshiba/Kioxia)
        (230, "Media_Wearout_Indicator", 10, 90),  # WD
        (230, "Perc_Write/Erase_Count", 10, 90),  # SanDisk
        (231, "SSD_Life_Left", 16, 84),  # Kingston
        (169, "Remaining_Lifetime_Perc", 30, 70),  # Silicon Motion
        (173, "Wear_Leveling_Count", 5, 95),  # SK hynix: at the FAIL level
    ],
)
def test_vendor_wear_attributes(attr_id: int, name: str, value: int, used: int) -> None:
    ssd = drop_attr(load("Samsung_SSD_860_EVO_500GB_healthy.json"), 177)
    health = judge_doc(set_attr(ssd, attr_id, name, value=value))
    assert health.percentage_used == used
    wear = health.findings[0]
    assert wear.code == "ssd.wear"
    assert wear.attribute == f"{attr_id} {name}"
    assert health.verdict == ("FAIL" if used >= 95 else "WORN")


def test_nvme_spare_follows_the_drive_threshold() -> None:
    """NVMe: the spec's Available Spare Threshold decides FAIL; the 10 % floor is SATA only."""
    doc = load("Intel_SSDPEKNW010T8_healthy.json")
    log = doc["nvme_smart_health_information_log"]
    log["available_spare"], log["available_spare_threshold"] = 6, 10
    health = judge_doc(doc)
    assert health.verdict == "FAIL"
    assert health.findings[0].code == "nvme.spare_at_threshold"
    assert health.findings[0].threshold == 10
    log["available_spare_threshold"] = 0  # a drive that gives no threshold
    health = judge_doc(doc)
    assert health.verdict == "WORN"
    assert health.findings[0].code == "nvme.spare_low"
    log["available_spare"] = 100
    assert judge_doc(doc).verdict == "OK"
