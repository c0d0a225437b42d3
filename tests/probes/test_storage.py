"""Disk probe over hosts derived from the corpus (hwinfo + lshw) and small synthetic hosts.

Expected values come from what lshw/hwinfo say about each machine (see
tests/fixtures/build_hosts.py for how the sysfs was derived).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.model.common import Note
from bench_agent.probes import storage
from bench_agent.probes.storage import (
    mounted_disks,
    parse_vpd_pg80,
    parse_vpd_pg89,
    probe_disks,
    transport_from_path,
)

HOSTS = Path(__file__).parents[1] / "fixtures" / "hosts"


def _disks(name: str) -> tuple[dict[str, storage.Disk], list[Note]]:
    notes: list[Note] = []
    disks = probe_disks(RecordedHost(HOSTS / name), notes)
    return {d.name: d for d in disks}, notes


def test_probook_sata_hdd_and_live_usb_stick() -> None:
    disks, notes = _disks("HP_ProBook_450_G2")
    assert sorted(disks) == ["sda", "sdb"]  # sr0 is an optical drive, not a disk
    sda = disks["sda"]
    # lshw: "ATA Disk", product ST500LT012-1DG14, 500107862016 bytes; hwinfo serial S3P9A80F.
    # The SCSI revision "YAM1" is a truncated ATA firmware revision: not reported.
    assert (sda.model, sda.serial, sda.firmware) == ("ST500LT012-1DG14", "S3P9A80F", None)
    assert sda.capacity_bytes == 500107862016
    assert (sda.transport, sda.media, sda.rotational) == ("sata", "hdd", True)
    assert not sda.removable and not sda.boot_medium
    assert (sda.logical_block_size, sda.physical_block_size) == (512, 4096)
    sdb = disks["sdb"]
    # lshw: usb-storage KIOXIA TransMemory, 15500574720 bytes, the ISOIMAGE live stick
    assert sdb.model == "KIOXIA TransMemory"
    assert sdb.capacity_bytes == 15500574720
    assert sdb.transport == "usb" and sdb.removable
    assert sdb.boot_medium, "the live medium mounted at /run/live/medium must be flagged"
    # USB bridges say rotational=1 for flash: reported unknown, with a note.
    assert sdb.rotational is None and sdb.media == "unknown"
    assert [n.code for n in notes] == ["storage.usb_rotational_unreliable"]
    assert "sdb" in notes[0].message.fr and "sdb" in notes[0].message.en


def test_x1_carbon_nvme_is_the_running_system_and_empty_readers_are_skipped() -> None:
    disks, notes = _disks("Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW")
    assert list(disks) == ["nvme0n1"]
    d = disks["nvme0n1"]
    # lshw: SAMSUNG MZVLW1T0HMLH-000L7, serial S35ANX0J401001, version 6L7QCXY7,
    # 1024209543168 bytes, wwid eui.002538b471b40718
    assert (d.model, d.serial, d.firmware) == (
        "SAMSUNG MZVLW1T0HMLH-000L7",
        "S35ANX0J401001",
        "6L7QCXY7",
    )
    assert d.capacity_bytes == 1024209543168
    assert (d.transport, d.media) == ("nvme", "ssd")
    assert d.wwn == "eui.002538b471b40718"
    assert d.boot_medium  # / is on nvme0n1p2
    # The dock's SD/MMC and Micro SD slots have no card (lshw gives them no size).
    assert sorted(n.code for n in notes) == ["storage.no_medium", "storage.no_medium"]


def test_aspire_one_old_sata_hdd_and_usb_flash_boot() -> None:
    disks, _ = _disks("Acer_Aspire_One_AOHAPPY")
    sda, sdb = disks["sda"], disks["sdb"]
    # The SCSI model is cut at 16 characters by the kernel: lshw shows the same.
    assert sda.model == "WDC WD1600BEVT-2"
    assert sda.serial == "WD-WX11A80W7430"
    assert sda.capacity_bytes == 160041885696
    assert (sda.transport, sda.media, sda.boot_medium) == ("sata", "hdd", False)
    assert sdb.model == "Generic Flash Disk" and sdb.capacity_bytes == 8053063680
    assert sdb.boot_medium and sdb.removable and sdb.transport == "usb"


def test_v330_full_ata_identity_from_vpd_page_89_and_network_boot() -> None:
    disks, notes = _disks("Lenovo_V330-15IKB_81AX")
    sda = disks["sda"]
    # sysfs model is "KINGSTON SA400S3" (16 chars, as lshw shows); page 0x89
    # carries the full IDENTIFY model/serial/firmware (smartctl of the same snapshot).
    assert sda.model == "KINGSTON SA400S37240G"
    assert sda.serial == "50026B768305483D"
    assert sda.firmware == "SBFKB1D1"
    assert sda.capacity_bytes == 240057409536
    assert sda.media == "ssd"
    assert not sda.boot_medium  # PXE boot: nothing local mounted
    assert notes == []


# machine: {disk: (model, serial, capacity_bytes, transport, media, removable, boot_medium)}
# Models/capacities from lshw; serials from hwinfo or, with a full model, from the
# smartctl JSON of the same eReuse snapshot (page 0x89 in the fixture).
MORE_MACHINES = {
    "Acer_Aspire_A315-53": {
        "sda": ("WDC WDS240G2G0A-", "192267801547", 240065183744, "sata", "ssd", False, False),
    },
    "Lenovo_B570_HuronRiver": {
        "sda": (
            "WDC WDS240G2G0A-00JH30",
            "185140800457",
            240065183744,
            "sata",
            "ssd",
            False,
            False,
        ),
    },
    "Lenovo_G50-80_80E5": {
        "sda": (
            "KINGSTON SA400S37240G",
            "50026B7783D25098",
            240057409536,
            "sata",
            "ssd",
            False,
            False,
        ),
        # SCSI vendor "USB" is a placeholder, not a maker. The serial is the USB device's
        # (lshw's USB storage node; its SCSI disk node shows it cut at 20 characters).
        "sdb": (
            "SanDisk 3.2Gen1",
            "0901ce95829055751fc731898b46907a9506031a6fa49d83cb5a97e71ad5145d9961000000000000",
            30765219840,
            "usb",
            "unknown",
            True,
            True,
        ),
    },
    "Lenovo_G560_0679": {
        # sdb (the card reader's empty slot) is skipped with a note.
        "sda": (
            "Crucial_CT275MX300SSD1",
            "1651150FC220",
            275064201216,
            "sata",
            "ssd",
            False,
            False,
        ),
    },
}


@pytest.mark.parametrize("machine", sorted(MORE_MACHINES))
def test_more_corpus_machines(machine: str) -> None:
    disks, _ = _disks(machine)
    got = {
        name: (
            d.model,
            d.serial,
            d.capacity_bytes,
            d.transport,
            d.media,
            d.removable,
            d.boot_medium,
        )
        for name, d in disks.items()
    }
    assert got == MORE_MACHINES[machine]


@pytest.mark.parametrize(
    ("path", "name", "expected"),
    [
        (
            "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda",
            "sda",
            "sata",
        ),
        (
            "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host4/target4:0:0/4:0:0:0/block/sdb",
            "sdb",
            "usb",
        ),
        ("/sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0/nvme/nvme0/nvme0n1", "nvme0n1", "nvme"),
        (
            "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/rtsx_pci_sdmmc.0/mmc_host/mmc0/mmc0:aaaa/block/mmcblk0",
            "mmcblk0",
            "mmc",
        ),
        ("/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda", "vda", "virtio"),
        (
            "/sys/devices/pci0000:00/0000:00:1f.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sdc",
            "sdc",
            "sas",
        ),
        ("/sys/devices/pci0000:00/0000:00:10.0/host0/target0:0:0/0:0:0:0/block/sda", "sda", "scsi"),
        ("/sys/devices/virtual/block/xyz", "xyz", "unknown"),
        (None, "sda", "unknown"),
    ],
)
def test_transport_from_path(path: str | None, name: str, expected: str) -> None:
    assert transport_from_path(path, name) == expected


def test_skipped_block_devices() -> None:
    for name in (
        "loop0",
        "ram0",
        "zram0",
        "dm-0",
        "md127",
        "nbd0",
        "sr0",
        "fd0",
        "mmcblk0boot0",
        "mmcblk0boot1",
        "mmcblk0rpmb",
    ):
        assert not storage.is_disk_name(name), name
    for name in ("sda", "nvme0n1", "mmcblk0", "vda", "hda", "xvda"):
        assert storage.is_disk_name(name), name


SATA_PATH = "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda"
EMMC_PATH = "/sys/devices/pci0000:00/0000:00:1c.0/mmc_host/mmc0/mmc0:0001/block/mmcblk0"
SD_PATH = "/sys/devices/pci0000:00/0000:00:1e.6/mmc_host/mmc1/mmc1:aaaa/block/mmcblk1"


def test_emmc_and_sd_card(make_host) -> None:  # type: ignore[no-untyped-def]
    """Synthetic Celeron N-class laptop: 64 GB eMMC (mmc0) + SD card in the slot (mmc1).

    Values follow the kernel's MMC sysfs ABI (Documentation/ABI/testing/sysfs-bus-mmc):
    name, serial (hex), fwrev, type MMC/SD.
    """
    files = {}
    for name, kind, sectors, cid_name, serial in (
        ("mmcblk0", "MMC", "122142720", "DF4064", "0x1a2b3c4d"),
        ("mmcblk1", "SD", "62333952", "SD32G", "0x0badf00d"),
    ):
        base = f"/sys/block/{name}"
        files |= {
            f"{base}/size": sectors,
            f"{base}/removable": "0",
            f"{base}/queue/rotational": "0",
            f"{base}/queue/logical_block_size": "512",
            f"{base}/queue/physical_block_size": "512",
            f"{base}/device/name": cid_name,
            f"{base}/device/serial": serial,
            f"{base}/device/fwrev": "0x0",
            f"{base}/device/type": kind,
        }
    files["/proc/self/mountinfo"] = "20 1 0:19 / / rw - overlay overlay rw\n"
    host = make_host(
        files=files,
        listings={"/sys/block": ["loop0", "mmcblk0", "mmcblk0boot0", "mmcblk0boot1", "mmcblk1"]},
        links={"/sys/block/mmcblk0": EMMC_PATH, "/sys/block/mmcblk1": SD_PATH},
    )
    notes: list[Note] = []
    disks = {d.name: d for d in probe_disks(host, notes)}
    assert sorted(disks) == ["mmcblk0", "mmcblk1"]
    emmc, sd = disks["mmcblk0"], disks["mmcblk1"]
    assert (emmc.transport, emmc.model, emmc.serial, emmc.media) == (
        "mmc",
        "DF4064",
        "0x1a2b3c4d",
        "ssd",
    )
    assert emmc.capacity_bytes == 122142720 * 512
    assert not emmc.removable
    assert sd.removable, "an SD card is removable even when the kernel says 0"
    assert notes == []


def _scsi_files(name: str, **extra: str | bytes) -> dict[str, str | bytes]:
    base = f"/sys/block/{name}"
    files: dict[str, str | bytes] = {
        f"{base}/size": "1000",
        f"{base}/removable": "0",
        f"{base}/queue/rotational": "0",
        f"{base}/queue/logical_block_size": "512",
        f"{base}/queue/physical_block_size": "512",
        f"{base}/device/vendor": "ATA     ",
        f"{base}/device/model": "SSD",
        f"{base}/device/rev": "1.0",
    }
    files.update({f"{base}/{k}": v for k, v in extra.items()})
    return files


def test_root_on_lvm_flags_the_disk_under_device_mapper(make_host) -> None:  # type: ignore[no-untyped-def]
    sata = "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda"
    files = _scsi_files("sda") | _scsi_files("sdb")
    files["/proc/self/mountinfo"] = "25 1 254:0 / / rw - ext4 /dev/mapper/vg-root rw\n"
    host = make_host(
        files=files,
        listings={"/sys/block": ["dm-0", "sda", "sdb"], "/sys/block/dm-0/slaves": ["sda3"]},
        links={
            "/sys/block/sda": sata,
            "/sys/block/sdb": sata.replace("sda", "sdb").replace("ata1", "ata2"),
            "/sys/dev/block/254:0": "/sys/devices/virtual/block/dm-0",
            "/sys/class/block/sda3": sata + "/sda3",
        },
        absent=[
            f"/sys/block/{n}/device/{f}"
            for n in ("sda", "sdb")
            for f in ("wwid", "vpd_pg89", "vpd_pg80")
        ],
    )
    disks = {d.name: d for d in probe_disks(host, [])}
    assert disks["sda"].boot_medium and not disks["sdb"].boot_medium
    assert mounted_disks(host) == {"sda"}


def test_junk_and_non_utf8_identity_fields_are_unknown(make_host) -> None:  # type: ignore[no-untyped-def]
    files = _scsi_files("sda", **{"device/vpd_pg80": b"\x00\x80\x00\x04\xff\xfe\x00\x01"})
    files["/sys/block/sda/device/model"] = b"\xff\xfeJUNK\n"
    files["/sys/block/sda/device/rev"] = "    "
    files["/proc/self/mountinfo"] = ""
    host = make_host(
        files=files,
        listings={"/sys/block": ["sda"]},
        links={"/sys/block/sda": SATA_PATH},
        absent=["/sys/block/sda/device/wwid", "/sys/block/sda/device/vpd_pg89"],
    )
    (disk,) = probe_disks(host, [])
    assert disk.model is None and disk.firmware is None and disk.serial is None


def test_garbage_size_and_missing_queue_files(make_host) -> None:  # type: ignore[no-untyped-def]
    base = "/sys/block/vda"
    host = make_host(
        files={
            f"{base}/size": "lots",
            f"{base}/removable": "0",
            "/proc/self/mountinfo": "garbage\n",
        },
        listings={"/sys/block": ["vda"]},
        links={"/sys/block/vda": "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda"},
        absent=[
            f"{base}/queue/rotational",
            f"{base}/queue/logical_block_size",
            f"{base}/queue/physical_block_size",
            f"{base}/serial",
        ],
    )
    (disk,) = probe_disks(host, [])
    assert disk.capacity_bytes is None and disk.rotational is None and disk.media == "unknown"
    assert disk.transport == "virtio" and disk.serial is None and not disk.boot_medium


def test_no_sysfs_block_gives_a_note(make_host) -> None:  # type: ignore[no-untyped-def]
    notes: list[Note] = []
    assert probe_disks(make_host(listings={"/sys/block": None}), notes) == []
    assert [n.code for n in notes] == ["storage.no_sysfs"]


def test_vpd_parsers_reject_wrong_pages() -> None:
    assert parse_vpd_pg80(b"") is None
    assert parse_vpd_pg80(b"\x00\x83\x00\x04ABCD") is None
    assert parse_vpd_pg80(b"\x00\x80\x00\x0c    S3P9A80F") == "S3P9A80F"
    assert parse_vpd_pg89(b"\x00\x89" + bytes(10)) == (None, None, None)
    assert parse_vpd_pg89(bytes(600)) == (None, None, None)  # page code 0


def test_luks_on_lvm_two_device_mapper_levels(make_host) -> None:  # type: ignore[no-untyped-def]
    files = _scsi_files("sda")
    files["/proc/self/mountinfo"] = "25 1 254:1 / / rw - ext4 /dev/mapper/vg-root rw\n"
    host = make_host(
        files=files,
        listings={
            "/sys/block": ["dm-0", "dm-1", "sda"],
            "/sys/block/dm-1/slaves": ["dm-0"],  # LV on the opened LUKS volume
            "/sys/block/dm-0/slaves": ["sda3"],  # LUKS on the partition
        },
        links={
            "/sys/block/sda": SATA_PATH,
            "/sys/dev/block/254:1": "/sys/devices/virtual/block/dm-1",
            "/sys/class/block/dm-0": "/sys/devices/virtual/block/dm-0",
            "/sys/class/block/sda3": SATA_PATH + "/sda3",
        },
        absent=[f"/sys/block/sda/device/{f}" for f in ("wwid", "vpd_pg89", "vpd_pg80")],
    )
    (sda,) = probe_disks(host, [])
    assert sda.boot_medium


def test_dracut_live_medium_is_flagged(make_host) -> None:  # type: ignore[no-untyped-def]
    usb = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0"
    files = _scsi_files("sdc")
    files["/proc/self/mountinfo"] = (
        "20 1 253:0 / / rw - ext4 /dev/mapper/live-rw rw\n"
        "30 20 8:33 / /run/initramfs/live ro - iso9660 /dev/sdc1 ro\n"
    )
    host = make_host(
        files=files,
        listings={"/sys/block": ["sdc"], "/sys/block/dm-0/slaves": ["loop1"]},
        links={
            "/sys/block/sdc": usb + "/block/sdc",
            "/sys/dev/block/253:0": "/sys/devices/virtual/block/dm-0",
            "/sys/class/block/loop1": "/sys/devices/virtual/block/loop1",
            "/sys/dev/block/8:33": usb + "/block/sdc/sdc1",
        },
        absent=[
            *(f"/sys/block/sdc/device/{f}" for f in ("wwid", "vpd_pg89", "vpd_pg80")),
            "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/serial",
        ],
    )
    (sdc,) = probe_disks(host, [])
    assert sdc.boot_medium and sdc.transport == "usb"


def test_unreadable_mount_table_is_said_loudly(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        files=_scsi_files("sda"),
        listings={"/sys/block": ["sda"]},
        links={"/sys/block/sda": SATA_PATH},
        absent=["/proc/self/mountinfo"]
        + [f"/sys/block/sda/device/{f}" for f in ("wwid", "vpd_pg89", "vpd_pg80")],
    )
    notes: list[Note] = []
    (sda,) = probe_disks(host, notes)
    assert not sda.boot_medium
    assert [n.code for n in notes] == ["storage.boot_disk_unknown"]
    assert "effacer" in notes[0].message.fr and "erase" in notes[0].message.en


# machine, disk -> (maker, serial): the maker never "ATA" (libata's SCSI vendor), the USB
# stick's serial the USB device's own (lshw's USB storage node; what lsblk shows).
MAKERS_AND_USB_SERIALS = {
    ("HP_ProBook_450_G2", "sda"): ("Seagate", "S3P9A80F"),
    ("HP_ProBook_450_G2", "sdb"): ("Kioxia", "0022CFF6B8A6C461331718B1"),
    ("Acer_Aspire_One_AOHAPPY", "sda"): ("Western Digital", "WD-WX11A80W7430"),
    # "Generic" is no maker.
    ("Acer_Aspire_One_AOHAPPY", "sdb"): (None, "87396259"),
    ("Lenovo_V330-15IKB_81AX", "sda"): ("Kingston", "50026B768305483D"),
    ("Lenovo_G560_0679", "sda"): ("Crucial", "1651150FC220"),
    ("Lenovo_B570_HuronRiver", "sda"): ("Western Digital", "185140800457"),
    ("Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW", "nvme0n1"): ("Samsung", "S35ANX0J401001"),
}


@pytest.mark.parametrize(("machine", "disk"), sorted(MAKERS_AND_USB_SERIALS))
def test_real_maker_and_usb_serial(machine: str, disk: str) -> None:
    disks, _ = _disks(machine)
    assert (disks[disk].maker, disks[disk].serial) == MAKERS_AND_USB_SERIALS[(machine, disk)]


def test_udev_gives_the_full_sata_model_and_the_usb_serial(make_host) -> None:  # type: ignore[no-untyped-def]
    """A bench with udev but a kernel without page 0x89: the udev database completes sysfs.

    The entries are written the way systemd-udevd writes /run/udev/data/b8:0 (ata_id's
    properties for the SATA disk, usb_id's for the stick, ``\\x20`` escapes in *_ENC).
    """
    usb = "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host4/target4:0:0/4:0:0:0"
    files = _scsi_files("sda", dev="8:0", **{"device/model": "WDC WD5000LPCX-2"})
    files |= _scsi_files(
        "sdb", dev="8:16", **{"device/vendor": "SanDisk ", "device/model": "Cruzer Blade    "}
    )
    files["/run/udev/data/b8:0"] = (
        "S:disk/by-id/ata-WDC_WD5000LPCX-24VHAT0_WD-WXA1A6853ZZZ\n"
        "E:ID_ATA=1\nE:ID_TYPE=disk\nE:ID_BUS=ata\n"
        "E:ID_MODEL=WDC_WD5000LPCX-24VHAT0\n"
        "E:ID_MODEL_ENC=WDC\\x20WD5000LPCX-24VHAT0\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20"
        "\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\n"
        "E:ID_REVISION=01.01A01\nE:ID_SERIAL=WDC_WD5000LPCX-24VHAT0_WD-WXA1A6853ZZZ\n"
        "E:ID_SERIAL_SHORT=WD-WXA1A6853ZZZ\nE:ID_VENDOR=ATA\n"
    )
    files["/run/udev/data/b8:16"] = (
        "E:ID_BUS=usb\nE:ID_MODEL=Cruzer_Blade\nE:ID_MODEL_ENC=Cruzer\\x20Blade\\x20\\x20\\x20\\x20\n"
        "E:ID_VENDOR=SanDisk\nE:ID_VENDOR_ENC=SanDisk\\x20\nE:ID_SERIAL_SHORT=4C530001230917115343\n"
        "E:ID_USB_DRIVER=usb-storage\n"
    )
    files["/proc/self/mountinfo"] = "20 1 0:19 / / rw - overlay overlay rw\n"
    host = make_host(
        files=files,
        listings={"/sys/block": ["sda", "sdb"]},
        links={"/sys/block/sda": SATA_PATH, "/sys/block/sdb": usb + "/block/sdb"},
        absent=[
            *(
                f"/sys/block/{n}/device/{f}"
                for n in ("sda", "sdb")
                for f in ("wwid", "vpd_pg89", "vpd_pg80")
            ),
            "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/serial",
        ],
    )
    disks = {d.name: d for d in probe_disks(host, [])}
    sda, sdb = disks["sda"], disks["sdb"]
    assert (sda.maker, sda.model, sda.serial, sda.firmware) == (
        "Western Digital",
        "WDC WD5000LPCX-24VHAT0",
        "WD-WXA1A6853ZZZ",
        "01.01A01",
    )
    assert (sdb.maker, sdb.model, sdb.serial) == (
        "SanDisk",
        "SanDisk Cruzer Blade",
        "4C530001230917115343",
    )
