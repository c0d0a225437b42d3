"""The network's categorisation, computed by hand, against the engine — both profiles.

Profiles: "2024" = profiles/grading/network-2024.toml (current: no tolerance, CPU <
3500 caps at B); "2022" = network-2022.toml (previous: 6 % tolerance on RAM/SSD/HDD
limits, no CPU < 3500 cap).

Tables used for the hand computation (note of the first limit the value is below):
  RAM GiB   2024: <4→0 <5→1 <8→2 <16→3 else 4    2022 (×0.94): <3.76 <4.7 <7.52 <15.04
  SSD GB    2024: <64→0 <128→1 <200→2 <500→3 else 4  2022: <60.16 <120.32 <188 <470
  HDD GB    2024: <160→0 <257→1 else 2              2022: <150.4 <241.58
  CPU score both: <2000→0 <3500→1 <5000→2 <7000→3 else 4 (unscored CPU → 0)
  NVMe +1. Caps: HDD & CPU<2500 → 5; SSD & CPU<2500 → 7; HDD → 7; not Win11 → 7;
  2024 only: CPU<3500 → 7 (B). An unscored CPU counts as below every CPU limit.
  Bands: 0–3 D, 4–5 C, 6–7 B, 8–10 A, ≥11 PREMIUM. Disk FAIL / no disk → NOT_DISTRIBUTABLE.
CPU scores come from profiles/cpu/cpus.csv (the network's table; profiles/cpu/SOURCES.md).
GB = 10^9 bytes; GiB = 2^30 bytes.

The Windows 11 flag of the corpus units is set by hand: every corpus CPU is older
than Intel's 8th generation (or Apple silicon), so none is Windows 11 capable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from grading_units import GB, GIB, hdd, healthy, ssd, unit, unknown_media, usb_stick

from bench_agent.grading import default_cpu_table, grade_unit, load_profile
from bench_agent.model import UnitReport


@dataclass(frozen=True)
class Case:
    name: str
    report: UnitReport
    expect_2024: tuple[int, str]
    expect_2022: tuple[int, str]


CASES: list[Case] = []


def case(name: str, report: UnitReport, e2024: tuple[int, str], e2022: tuple[int, str]) -> None:
    CASES.append(Case(name, report, e2024, e2022))


# --- Real inventories from tests/corpus/ ---------------------------------------------

# Dell Latitude E7240. CPU: dmidecode/Dell_Latitude_E7240.txt:245 "Intel(R) Core(TM)
# i7-4600U CPU @ 2.10GHz" → 2723. RAM: same file :644 and :665, 2 × 8 GB = 16 GiB.
# Disks: inxi/Dell_Latitude_E7240.inxi.txt (Drives): LITE-ON LMT-256M6M mSATA SSD and
# Samsung SSD 850 EVO mSATA 500GB; bytes from smartctl/json/LITEONIT_LMT-256M6M_mSATA_
# healthy.json and Samsung_SSD_850_EVO_mSATA_500GB_healthy.json (user_capacity).
# 2024: RAM 16→4, SSD 500.1 (best disk sdb)→4, CPU 2723→1 = 9; not Win11 → 7 (−2);
#       CPU<3500 → 7 (0). Note 7 → B.
# 2022: 4 + 4 (500.1 ≥ 470) + 1 = 9; not Win11 → 7. Note 7 → B.
case(
    "Dell Latitude E7240",
    unit(
        cpu="Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz",
        ram_installed_bytes=16 * GIB,
        disks=[
            ssd("sda", 256_060_514_304, "TW0XXM305508539G1361"),
            ssd("sdb", 500_107_862_016, "S33HNX0J203755R"),
        ],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# Lenovo ThinkPad X1 Carbon 5th. CPU: dmidecode/Lenovo_ThinkPad_X1_Carbon_5th_
# 20HRCTO1WW.txt:176 "i7-7500U" → 3630. RAM: same file :41 and :65, 2 × 8192 MB.
# Disk: lshw/Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.lshw.json:752 "NVMe disk" nvme0n1,
# size 1024209543168.
# 2024: RAM 4 + SSD 1024.2→4 + CPU 3630→2 + NVMe 1 = 11; not Win11 → 7 (−4);
#       CPU<3500: 3630 is not below. Note 7 → B.
# 2022: same 11 → 7 → B.
case(
    "Lenovo ThinkPad X1 Carbon 5th",
    unit(
        cpu="Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz",
        ram_installed_bytes=2 * 8192 * 1024**2,
        disks=[ssd("nvme0n1", 1_024_209_543_168, nvme=True)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# HP ProBook 450 G2. CPU: lshw/HP_ProBook_450_G2.lshw.json:410 cpu product "Intel(R)
# Core(TM) i5-4210U CPU @ 1.70GHz" → 2315. RAM: same file :481 "System Memory" size
# 8589934592 (8 GiB). Disks: same file :1318, ATA Disk ST500LT012-1DG14 (a 2.5" HDD)
# 500107862016 bytes; "TransMemory" USB stick 15.5 GB (removable, not counted).
# 2024: RAM 8→3 + HDD 500.1→2 + CPU 2315→1 = 6; HDD & CPU<2500 → 5 (−1); HDD → 7
#       (0); not Win11 → 7 (0); CPU<3500 → 7 (0). Note 5 → C.
# 2022: RAM 8 (≥7.52, <15.04)→3 + HDD 2 + CPU 1 = 6 → 5 → C.
case(
    "HP ProBook 450 G2",
    unit(
        cpu="Intel(R) Core(TM) i5-4210U CPU @ 1.70GHz",
        ram_installed_bytes=8_589_934_592,
        disks=[hdd("sda", 500_107_862_016), usb_stick("sdb", 15_500_574_720)],
        win11=False,
    ),
    (5, "C"),
    (5, "C"),
)

# Lenovo B570. CPU: dmidecode/Lenovo_B570_HuronRiver.txt:497 "i3-2330M" → 1248. RAM:
# same file :629, one 4 GB module (three slots empty). Disk: lshw/Lenovo_B570_
# HuronRiver.lshw.json:1014 ATA Disk "WDC WDS240G2G0A-" (WD Green SSD) 240065183744 bytes.
# 2024: RAM 4→1 + SSD 240.1→3 + CPU 1248→0 = 4; SSD & CPU<2500 → 7 (0); not Win11 (0);
#       CPU<3500 (0). Note 4 → C.
# 2022: RAM 4 (≥3.76, <4.7)→1 + SSD (≥188, <470)→3 + 0 = 4 → C.
case(
    "Lenovo B570",
    unit(
        cpu="Intel(R) Core(TM) i3-2330M CPU @ 2.20GHz",
        ram_installed_bytes=4 * GIB,
        disks=[ssd("sda", 240_065_183_744)],
        win11=False,
    ),
    (4, "C"),
    (4, "C"),
)

# Lenovo G50-80. CPU: hwinfo/Lenovo_G50-80_80E5.hwinfo.txt:1192 "i3-5005U" → 2010.
# RAM: dmidecode/Lenovo_G50-80_80E5.txt:480 and :504, 2 × 4 GB. Disks: lshw/Lenovo_
# G50-80_80E5.lshw.json:1139 "KINGSTON SA400S3" SSD 240057409536 bytes; "SanDisk 3.2Gen1"
# USB stick (the live USB: boot medium, not counted).
# 2024: RAM 8→3 + SSD 240.1→3 + CPU 2010→1 = 7; SSD & CPU<2500 → 7 (0); not Win11 (0);
#       CPU<3500 (0). Note 7 → B.
# 2022: 3 + 3 + 1 = 7 → B.
case(
    "Lenovo G50-80",
    unit(
        cpu="Intel(R) Core(TM) i3-5005U CPU @ 2.00GHz",
        ram_installed_bytes=8 * GIB,
        disks=[ssd("sda", 240_057_409_536), usb_stick("sdb", 30_765_219_840, boot=True)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# Lenovo G560. CPU: dmidecode/Lenovo_G560_0679.txt:556 "Intel(R) Core(TM) i3 CPU
# M 370  @ 2.40GHz" (the "i3 M 370" order) → table "Intel Core i3-370M" → 1170.
# RAM: same file :309 (2 GB) and :394 (4 GB) = 6 GiB. Disk: lshw/Lenovo_G560_0679.lshw.json
# :1048 "Crucial_CT275MX3" SSD 275064201216 bytes.
# 2024: RAM 6→2 + SSD 275.1→3 + CPU 1170→0 = 5; SSD & CPU<2500 → 7 (0). Note 5 → C.
# 2022: RAM 6 (≥4.7, <7.52)→2 + 3 + 0 = 5 → C.
case(
    "Lenovo G560",
    unit(
        cpu="Intel(R) Core(TM) i3 CPU       M 370  @ 2.40GHz",
        ram_installed_bytes=6 * GIB,
        disks=[ssd("sda", 275_064_201_216)],
        win11=False,
    ),
    (5, "C"),
    (5, "C"),
)

# Lenovo V330-15IKB. CPU: dmidecode/Lenovo_V330-15IKB_81AX.txt:171 "i3-7020U" → 2567.
# RAM: same file :36 (4 GB) and :60 (8 GB) = 12 GiB. Disk: lshw/Lenovo_V330-15IKB_
# 81AX.lshw.json:642 "KINGSTON SA400S3" SSD 240057409536 bytes.
# 2024: RAM 12→3 + SSD 3 + CPU 2567→1 = 7; SSD & CPU<2500: 2567 is not below; not
#       Win11 → 7 (0); CPU<3500 → 7 (0). Note 7 → B.
# 2022: 3 + 3 + 1 = 7 → B.
case(
    "Lenovo V330-15IKB",
    unit(
        cpu="Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        ram_installed_bytes=12 * GIB,
        disks=[ssd("sda", 240_057_409_536)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# Acer Aspire A315-53. CPU: dmidecode/Acer_Aspire_A315-53.txt:119 "i3-7020U" → 2567.
# RAM: same file :244, one 4 GB module. Disk: lshw/Acer_Aspire_A315-53.lshw.json:593
# "WDC WDS240G2G0A-" SSD 240065183744 bytes; its health is set SUSPECT (the corpus
# WDS240G2G0A sample has 12 reported uncorrectable errors): an action, no cap.
# 2024: RAM 4→1 + SSD 3 + CPU 1 = 5; no cap lowers it. Note 5 → C.
# 2022: 1 + 3 + 1 = 5 → C.
_a315_disk = ssd("sda", 240_065_183_744, "A315-SSD")
case(
    "Acer Aspire A315-53",
    unit(
        cpu="Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        ram_installed_bytes=4 * GIB,
        disks=[_a315_disk],
        health=[healthy(_a315_disk, "SUSPECT")],
        win11=False,
    ),
    (5, "C"),
    (5, "C"),
)

# Acer Aspire One AOHAPPY. CPU: dmidecode/Acer_Aspire_One_AOHAPPY.txt:347 "Intel(R)
# Atom(TM) CPU N450   @ 1.66GHz" → 202. RAM: same file :229, 1 GB. Disks: lshw/
# Acer_Aspire_One_AOHAPPY.lshw.json:915 "WDC WD1600BEVT-2" HDD 160041885696 bytes, and a
# USB "Flash Disk" (removable, not counted).
# 2024: RAM 1→0 + HDD 160.04 (≥160, <257)→1 + CPU 202→0 = 1; caps do not lower 1.
#       Note 1 → D.
# 2022: 0 + HDD (≥150.4, <241.58)→1 + 0 = 1 → D.
case(
    "Acer Aspire One AOHAPPY",
    unit(
        cpu="Intel(R) Atom(TM) CPU N450   @ 1.66GHz",
        ram_installed_bytes=1 * GIB,
        disks=[hdd("sda", 160_041_885_696), usb_stick("sdb", 8_053_063_680)],
        win11=False,
    ),
    (1, "D"),
    (1, "D"),
)

# Dell XPS 13 9350 (GLPI example). CPU: schemas/glpi-examples/computer_1.json:355
# cpus[0].name "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz" → 2987. RAM: same file :462
# and :473, memories 2 × 4096 MB. Disk: :699 storages[0] "PM951 NVMe SAMSUNG 256GB",
# :696 disksize 256060 MB = 256.06 GB.
# 2024: RAM 8→3 + SSD 256.06→3 + CPU 2987→1 + NVMe 1 = 8; not Win11 → 7 (−1); CPU<3500
#       → 7 (0). Note 7 → B.
# 2022: 3 + 3 + 1 + 1 = 8 → 7 → B.
case(
    "Dell XPS 13 9350",
    unit(
        cpu="Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz",
        ram_installed_bytes=8 * GIB,
        disks=[ssd("nvme0n1", 256_060_000_000, nvme=True)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# Lenovo ThinkPad Edge E320. CPU: dmidecode/Lenovo_ThinkPad_Edge_E320_1298A8G.txt:51
# "i5-2450M" → 2078. RAM: same file :133 and :184, 2 × 4096 MB. No disk in the corpus
# for it: a unit without a disk → NOT_DISTRIBUTABLE ("Fit a disk").
# Both: RAM 3 + CPU 2078→1 = 4 (no storage criterion, storage caps do not apply);
#       category NOT_DISTRIBUTABLE.
case(
    "Lenovo ThinkPad Edge E320 (no disk)",
    unit(
        cpu="Intel(R) Core(TM) i5-2450M CPU @ 2.50GHz",
        ram_installed_bytes=8 * GIB,
        disks=[],
        win11=False,
    ),
    (4, "NOT_DISTRIBUTABLE"),
    (4, "NOT_DISTRIBUTABLE"),
)

# HP Pavilion dv6. CPU: dmidecode/HP_Pavilion_dv6_Notebook.txt:286 "Intel(R) Core(TM)
# i5 CPU       M 430  @ 2.27GHz" → "Intel Core i5-430M" → 1208. RAM: same file :384 and
# :425, 2 × 2048 MB = 4 GiB. Disk (the dv6 dump has none): the corpus laptop HDD
# smartctl/text/Toshiba_MK2565GSX_reallocated.txt, 250059350016 bytes, verdict FAIL.
# 2024: RAM 4→1 + HDD 250.06 (<257)→1 + CPU 0 = 2 → disk FAIL → NOT_DISTRIBUTABLE.
# 2022: RAM 1 + HDD 250.06 (≥241.58)→2 + 0 = 3 → NOT_DISTRIBUTABLE.
_dv6_disk = hdd("sda", 250_059_350_016, "MK2565GSX")
case(
    "HP Pavilion dv6 (failing HDD)",
    unit(
        cpu="Intel(R) Core(TM) i5 CPU       M 430  @ 2.27GHz",
        ram_installed_bytes=4 * GIB,
        disks=[_dv6_disk],
        health=[healthy(_dv6_disk, "FAIL")],
        win11=False,
    ),
    (2, "NOT_DISTRIBUTABLE"),
    (3, "NOT_DISTRIBUTABLE"),
)

# Apple MacBook10,1. CPU: dmidecode/Apple_MacBook10,1.txt:396 "Intel(R) Core(TM)
# m3-7Y32 CPU @ 1.10GHz" → 2723. RAM: same file :21 and :61, 2 × 4 GB. Disk (not in
# the dump): the corpus NVMe module smartctl/text/Toshiba_KBG30ZMV256G_nvme_used28.txt,
# 256060514304 bytes.
# 2024: RAM 8→3 + SSD 256.06→3 + CPU 2723→1 + NVMe 1 = 8; not Win11 → 7 (−1). → B.
# 2022: same → 7 → B.
case(
    "Apple MacBook10,1",
    unit(
        cpu="Intel(R) Core(TM) m3-7Y32 CPU @ 1.10GHz",
        ram_installed_bytes=8 * GIB,
        disks=[ssd("nvme0n1", 256_060_514_304, nvme=True)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# Dell Latitude D610. CPU: dmidecode/Dell_Latitude_D610.txt:115 "Version: Not
# Specified" → unscored (0, and counted as below every CPU limit). RAM: same file
# :294 and :313, 2 × 1024 MB = 2 GiB. Disk (not in the dump): the corpus 2.5" HDD
# smartctl/json/WDC_WD1600BEVT-22A23T0_healthy.json, 160041885696 bytes.
# 2024: RAM 2→0 + HDD 160.04→1 + CPU unscored 0 = 1; HDD & CPU<2500 (cautious) → 5 (0).
#       Note 1 → D.
# 2022: 0 + 1 + 0 = 1 → D.
case(
    "Dell Latitude D610 (CPU not specified)",
    unit(
        cpu="Not Specified",
        ram_installed_bytes=2 * GIB,
        disks=[hdd("sda", 160_041_885_696)],
        win11=False,
    ),
    (1, "D"),
    (1, "D"),
)

# Toshiba Satellite 2410. CPU: dmidecode/Toshiba_Satellite_2410.txt:78 "Version:" empty
# → unscored. RAM: same file :360 (256 MB) and :375 (512 MB) = 0.75 GiB → 0. No disk.
# Both: 0 + 0 = 0 → NOT_DISTRIBUTABLE.
case(
    "Toshiba Satellite 2410 (no CPU name, no disk)",
    unit(cpu="", ram_installed_bytes=768 * 1024**2, disks=[], win11=False),
    (0, "NOT_DISTRIBUTABLE"),
    (0, "NOT_DISTRIBUTABLE"),
)

# Apple MacBook2,1. macos/system_profiler_MacBook2,1.txt:7 "Processor Name: Intel Core
# 2 Duo" (no model number → unscored); :12 "Memory: 1 GB"; :418 "FUJITSU MHW2080BHPL"
# 80,026,361,856 bytes, :427 "Medium Type: Rotational".
# 2024: RAM 1→0 + HDD 80.03 (<160)→0 + CPU 0 = 0 → D.
# 2022: 0 + 0 (<150.4) + 0 = 0 → D.
case(
    "Apple MacBook2,1",
    unit(
        cpu="Intel Core 2 Duo",
        ram_installed_bytes=1 * GIB,
        disks=[hdd("disk0", 80_026_361_856, "K10RT792D51G")],
        win11=False,
    ),
    (0, "D"),
    (0, "D"),
)

# Apple MacBookAir10,1 (M1). macos/system_profiler_MacBookAir10,1_M1.txt:7 "Chip: Apple
# M1" → table "Apple M1 8 Core 3200 MHz" → 14147; :9 "Memory: 16 GB"; :170 capacity
# 494 384 795 648 bytes (the APFS container system_profiler shows), :180 "Medium Type:
# SSD", protocol "Apple Fabric" (not NVMe for our rules).
# 2024: RAM 16→4 + SSD 494.38 (<500)→3 + CPU 4 = 11; not Win11 → 7 (−4). → B.
# 2022: 4 + SSD (≥470)→4 + 4 = 12 → 7 (−5) → B.
case(
    "Apple MacBookAir10,1 M1",
    unit(
        cpu="Apple M1",
        ram_installed_bytes=16 * GIB,
        disks=[ssd("disk3", 494_384_795_648)],
        win11=False,
    ),
    (7, "B"),
    (7, "B"),
)

# --- Edge cases -----------------------------------------------------------------------
I5_8250U = "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz"  # → 5809 → note 3

# 16 GiB seen as 15.3 GiB (MemTotal only) and a 480 GB SSD: the 6 % tolerance matters.
# 2024: RAM 15.3 (<16)→3 + SSD 480 (<500)→3 + CPU 5809→3 = 9 → A.
# 2022: RAM 15.3 (≥15.04)→4 + SSD 480 (≥470)→4 + 3 = 11 → PREMIUM.
case(
    "16 GiB seen as 15.3 GiB, 480 GB SSD",
    unit(cpu=I5_8250U, ram_total_bytes=int(15.3 * GIB), disks=[ssd("sda", 480 * GB)]),
    (9, "A"),
    (11, "PREMIUM"),
)

# Premium: 32 GiB → 4, NVMe 1000 GB → 4 + 1, Apple M1 14147 → 4, technical note +1.
# Both: 4 + 4 + 4 + 1 (technical) + 1 (NVMe) = 14 → PREMIUM.
case(
    "Premium with technical +1",
    unit(
        cpu="Apple M1", ram_installed_bytes=32 * GIB, disks=[ssd("nvme0n1", 1000 * GB, nvme=True)]
    ),
    (14, "PREMIUM"),
    (14, "PREMIUM"),
)

# CPU between 2500 and 3500 on a strong unit: only the newer revision caps it.
# RAM 16→4 + SSD 512→4 + CPU i5-7200U 3368→1 = 9.
# 2024: CPU<3500 → B max 7 (−2) → 7 → B.   2022: 9 → A.
case(
    "CPU 3368 on a strong unit",
    unit(
        cpu="Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz",
        ram_installed_bytes=16 * GIB,
        disks=[ssd("sda", 512 * GB)],
    ),
    (7, "B"),
    (9, "A"),
)

# CPU missing from the table, with an HDD: CPU scores 0 and, by caution, counts as
# below 2500 → the HDD & CPU<2500 cap applies.
# Both: RAM 16→4 + HDD 1000→2 + CPU 0 = 6; HDD & CPU<2500 → 5 (−1); HDD → 7 (0);
#       2024 CPU<3500 → 7 (0). Note 5 → C.
case(
    "Unknown CPU with an HDD",
    unit(
        cpu="Intel(R) Core(TM) i7-9999X CPU @ 9.99GHz",
        ram_installed_bytes=16 * GIB,
        disks=[hdd("sda", 1000 * GB)],
    ),
    (5, "C"),
    (5, "C"),
)

# Technician notes −2 and −2. RAM 8→3 + SSD 256→3 + CPU 5809→3 − 2 − 2 = 5 → C (both).
case(
    "Technician notes −2/−2",
    unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)]),
    (5, "C"),
    (5, "C"),
)

# Negative note: RAM 2→0 + HDD 80→0 + Atom N450 202→0 − 1 (technical) − 2 (aesthetic)
# = −3; caps cannot raise it. Below the lowest band → D (both).
case(
    "Negative note",
    unit(
        cpu="Intel(R) Atom(TM) CPU N450   @ 1.66GHz",
        ram_installed_bytes=2 * GIB,
        disks=[hdd("sda", 80 * GB)],
    ),
    (-3, "D"),
    (-3, "D"),
)

# Worn battery (50 %): an action, no effect on the note.
# Both: RAM 8→3 + SSD 256→3 + CPU 3 = 9 → A.
case(
    "Battery at 50 %",
    unit(cpu=I5_8250U, ram_installed_bytes=8 * GIB, disks=[ssd("sda", 256 * GB)], battery_pct=50.0),
    (9, "A"),
    (9, "A"),
)

# SSD 120 GB + HDD 1000 GB: the system disk is the one giving the best note.
# SSD as system: RAM 3 + SSD 120 (<128, and 2022 <120.32)→1 + CPU 3 = 7, no cap → 7.
# HDD as system: 3 + HDD 2 + 3 = 8, HDD cap → 7. Tie at 7: the SSD is kept.
# Both: 7 → B.
case(
    "SSD 120 GB and HDD 1 TB",
    unit(
        cpu=I5_8250U,
        ram_installed_bytes=8 * GIB,
        disks=[ssd("sda", 120 * GB), hdd("sdb", 1000 * GB)],
    ),
    (7, "B"),
    (7, "B"),
)

# Failed NVMe on a strong unit: RAM 16→4 + SSD 512→4 + CPU 3 + NVMe 1 = 12, but disk
# FAIL → NOT_DISTRIBUTABLE (both).
_fail_nvme = ssd("nvme0n1", 500_107_862_016, "S466NX0M776250H", nvme=True)
case(
    "Failed NVMe (Samsung 970 EVO media errors)",
    unit(
        cpu=I5_8250U,
        ram_installed_bytes=16 * GIB,
        disks=[_fail_nvme],
        health=[healthy(_fail_nvme, "FAIL")],
    ),
    (12, "NOT_DISTRIBUTABLE"),
    (12, "NOT_DISTRIBUTABLE"),
)

# Windows 11 readiness unknown: counted as not ready (cautious).
# Both: RAM 16→4 + SSD 512→4 + CPU 3 = 11; not Win11 → 7 (−4) → B.
case(
    "Windows 11 readiness unknown",
    unit(cpu=I5_8250U, ram_installed_bytes=16 * GIB, disks=[ssd("sda", 512 * GB)], win11=None),
    (7, "B"),
    (7, "B"),
)

# RAM unreadable (no DIMM data, no MemTotal): RAM criterion gives 0.
# Both: 0 + SSD 256→3 + CPU 3 = 6 → B.
case(
    "RAM unknown",
    unit(cpu=I5_8250U, disks=[ssd("sda", 256 * GB)]),
    (6, "B"),
    (6, "B"),
)

# Disk of unknown media (not NVMe): graded as a hard disk, HDD cap applies.
# Both: RAM 8→3 + HDD 500→2 + CPU 3 = 8; HDD → 7 (−1) → B.
case(
    "Disk of unknown media",
    unit(
        cpu=I5_8250U,
        ram_installed_bytes=8 * GIB,
        disks=[unknown_media("sda", 500 * GB)],
    ),
    (7, "B"),
    (7, "B"),
)

# Exactly at the limits: RAM 16 GiB and SSD 500 GB take the top note; Apple M1 → 4.
# Both: 4 + 4 + 4 = 12 → PREMIUM.
case(
    "Exactly at the limits",
    unit(cpu="Apple M1", ram_installed_bytes=16 * GIB, disks=[ssd("sda", 500 * GB)]),
    (12, "PREMIUM"),
    (12, "PREMIUM"),
)

# A 250 GB HDD: the tolerance moves it up a step.
# 2024: RAM 4→1 + HDD 250 (<257)→1 + CPU i3-7020U 2567→1 = 3; HDD → 7 (0); CPU<3500
#       → 7 (0). Note 3 → D.
# 2022: 1 + HDD (≥241.58)→2 + 1 = 4 → C.
case(
    "250 GB HDD",
    unit(
        cpu="Intel(R) Core(TM) i3-7020U CPU @ 2.30GHz",
        ram_installed_bytes=4 * GIB,
        disks=[hdd("sda", 250 * GB)],
    ),
    (3, "D"),
    (4, "C"),
)

TECHNICIAN = {
    "Premium with technical +1": (1, 0),
    "Technician notes −2/−2": (-2, -2),
    "Negative note": (-1, -2),
}


@pytest.fixture(scope="module")
def profiles() -> dict[str, object]:
    return {"2024": load_profile("network-2024"), "2022": load_profile("network-2022")}


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("revision", ["2024", "2022"])
@pytest.mark.parametrize("item", CASES, ids=[c.name for c in CASES])
def test_hand_computed_category(item: Case, revision: str, profiles: dict[str, object]) -> None:
    from bench_agent.grading import TechnicianInput

    technical, aesthetic = TECHNICIAN.get(item.name, (0, 0))
    grade = grade_unit(
        item.report,
        profiles[revision],  # type: ignore[arg-type]
        default_cpu_table(),
        technician=TechnicianInput(technical_note=technical, aesthetic_note=aesthetic),
    )
    expected = item.expect_2024 if revision == "2024" else item.expect_2022
    explanation = "\n".join(f"{h.contribution:+d} {h.message.en}" for h in grade.rules)
    assert (grade.note, grade.category) == expected, explanation
    assert sum(h.contribution for h in grade.rules) == grade.note
