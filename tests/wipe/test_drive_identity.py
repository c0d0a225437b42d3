"""A drive's identity (wipe.drive_identity): real smartctl captures, recorded laptops, odd input.

The same function names a drive in the inventory and on its erasure certificate:
the recorded Acer Aspire One's disk is read by the inventory probe (through the
bench's host seam) and by ``wipe.targets`` (through a SystemView over the same
recorded sysfs, laid out as the kernel lays it out), then a certificate is
written for it; maker, model and serial must agree everywhere, ``verify``
included.
"""

from __future__ import annotations

import io
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from wipe_helpers import Loop

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.host.recorded import RecordedHost
from bench_agent.probes.storage import probe_disks
from wipe.blockdev import open_device
from wipe.drive_identity import (
    DriveReadings,
    clean_id,
    drive_identity,
    maker_from_model,
    parse_udev_data,
    read_drive,
)
from wipe.engine import EraseContext, EraseRequest, erase_device
from wipe.methods import Verification, load_method
from wipe.system import SystemView
from wipe.targets import select_targets

TESTS = Path(__file__).resolve().parents[1]
HOSTS = TESTS / "fixtures" / "hosts"
SMARTCTL = TESTS / "corpus" / "smartctl" / "json"

# Corpus file -> the maker its model names (hand-checked against SOURCES.md's names).
CORPUS_MAKERS = {
    "Crucial_CT275MX300SSD1_healthy.json": "Crucial",
    "Hikvision_HS-SSD-WAVE_240G_new.json": "Hikvision",
    "Hitachi_HDS721050DLE630_usb-jmicron_failing.json": "Hitachi",
    "Hitachi_HDT722520DLAT80_reallocated.json": "Hitachi",
    "Intel_SSDPEKNW010T8_healthy.json": "Intel",
    "Kingston_SA400S37240G_healthy.json": "Kingston",
    "Kingston_SA400S37240G_worn.json": "Kingston",
    "LITEONIT_LMT-256M6M_mSATA_healthy.json": "Lite-On",
    "Samsung_MZVLW1T0HMLH-000L7_nvme_healthy.json": "Samsung",
    "Samsung_SSD_840_crc-errors.json": "Samsung",
    "Samsung_SSD_850_EVO_mSATA_500GB_healthy.json": "Samsung",
    "Samsung_SSD_860_EVO_500GB_healthy.json": "Samsung",
    "Samsung_SSD_970_EVO_500GB_media-errors.json": "Samsung",
    "Seagate_ST4000NM0043_sas_grown-defects.json": "Seagate",
    "Seagate_ST500DM002-1BD142_old.json": "Seagate",
    "WDC_WD140EDFZ-11A0VA0_healthy.json": "Western Digital",
    "WDC_WD1600BEVT-22A23T0_healthy.json": "Western Digital",
    "WDC_WD4000FYYX_reallocated.json": "Western Digital",
    "WDC_WD5000AAKX-08U6AA0_healthy.json": "Western Digital",
    "WDC_WDS240G2G0A-00JH30_uncorrectable.json": "Western Digital",
    "WD_BLACK_SN770_500GB_healthy.json": "Western Digital",
}
SATA = "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"


def test_every_corpus_drive_with_a_model_is_listed() -> None:
    with_model = {
        p.name for p in SMARTCTL.glob("*.json") if json.loads(p.read_text()).get("model_name")
    }
    assert with_model == set(CORPUS_MAKERS)


@pytest.mark.parametrize("name", sorted(CORPUS_MAKERS))
def test_smartctl_completes_the_16_character_scsi_model(name: str) -> None:
    """libata's sysfs says vendor "ATA" and the model cut at 16 characters; smartctl says all."""
    doc = json.loads((SMARTCTL / name).read_text())
    readings = DriveReadings(
        name="sda",
        sys_path=SATA,
        sysfs={
            "device/vendor": b"ATA     ",
            "device/model": doc["model_name"][:16].encode(),
            "device/rev": doc.get("firmware_version", "")[-4:].encode(),
        },
        smartctl=doc,
    )
    ident = drive_identity(readings)
    assert ident.model == doc["model_name"]
    assert ident.maker == CORPUS_MAKERS[name] != "ATA"
    assert ident.serial == clean_id(doc["serial_number"])
    assert ident.firmware == doc.get("firmware_version")
    assert ident.model_source == "smartctl"


def test_aspire_one_disk_gets_its_full_model_from_its_own_smartctl_capture() -> None:
    """The Aspire One's sysfs says "WDC WD1600BEVT-2"; smartctl of that drive says the rest."""
    host = RecordedHost(HOSTS / "Acer_Aspire_One_AOHAPPY")
    doc = json.loads((SMARTCTL / "WDC_WD1600BEVT-22A23T0_healthy.json").read_text())
    readings = read_drive("sda", host.read_bytes, host.realpath("/sys/block/sda"))
    alone = drive_identity(readings)
    assert (alone.model, alone.maker, alone.serial) == (
        "WDC WD1600BEVT-2",
        "Western Digital",
        "WD-WX11A80W7430",
    )
    readings.smartctl = doc
    full = drive_identity(readings)
    assert (full.model, full.maker, full.serial, full.firmware) == (
        "WDC WD1600BEVT-22A23T0",
        "Western Digital",
        "WD-WX11A80W7430",
        "01.01A01",
    )


@pytest.mark.parametrize(
    ("model", "maker"),
    [
        ("WDC WD5000LPCX-24VHAT0", "Western Digital"),
        ("SAMSUNG MZ7LN256HMJP-000L7", "Samsung"),
        ("MZ7LN256HMJP-000L7", "Samsung"),
        ("ST500LT012-1DG14", "Seagate"),
        ("TOSHIBA MQ01ABD100", "Toshiba"),
        ("HGST HTS541010A9E680", "HGST"),
        ("Hitachi HTS545050A7E380", "Hitachi"),
        ("KINGSTON SA400S37240G", "Kingston"),
        ("Crucial_CT275MX300SSD1", "Crucial"),
        ("CT500MX500SSD1", "Crucial"),
        ("SanDisk SDSSDA240G", "SanDisk"),
        ("INTEL SSDSC2BW240A4", "Intel"),
        ("Micron_1100_MTFDDAV256TBN", "Micron"),
        ("MTFDDAK256MAY-1AH1ZABHA", "Micron"),
        ("SK hynix SC311 SATA 256GB", "SK hynix"),
        ("HFS256G39TND-N210A", "SK hynix"),
        ("LITEON CV3-8D128", "Lite-On"),
        ("QEMU HARDDISK", None),
        ("ATA", None),
        ("", None),
        (None, None),
    ],
)
def test_maker_from_model(model: str | None, maker: str | None) -> None:
    assert maker_from_model(model) == maker


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"  WDC WD5000LPCX-24VHAT0          \n", "WDC WD5000LPCX-24VHAT0"),
        (b"\xff\xfeJUNK", None),  # not UTF-8
        ("caf\udce9", None),  # undecodable byte kept as a surrogate by the host seam
        ("To Be Filled By O.E.M.", None),
        ("   ", None),
        ("00000000", None),
        ("\x00\x00\x00", None),
        ("A\x00B\tC", "A B C"),
        (None, None),
    ],
)
def test_clean_id(raw: str | bytes | None, expected: str | None) -> None:
    assert clean_id(raw) == expected


def test_udev_properties_are_decoded_and_bad_lines_skipped() -> None:
    data = (
        b"S:disk/by-id/ata-X\nE:ID_MODEL_ENC=WDC\\x20WD5000LPCX-24VHAT0\\x20\\x20\n"
        b"E:ID_VENDOR=\xff\xfe\nE:ID_SERIAL_SHORT=WD-WXA1\nnot a line\nE:NOEQUALS\n"
    )
    props = parse_udev_data(data)
    assert props == {"ID_MODEL_ENC": "WDC WD5000LPCX-24VHAT0  ", "ID_SERIAL_SHORT": "WD-WXA1"}


def test_udev_vendor_ata_is_never_the_maker() -> None:
    """Without ata_id (ID_ATA), udev's vendor is libata's "ATA": the model names the maker."""
    ident = drive_identity(
        DriveReadings(
            name="sda",
            sys_path=SATA,
            sysfs={"device/vendor": b"ATA", "device/model": b"SAMSUNG MZ7LN256"},
            udev={"ID_VENDOR": "ATA", "ID_MODEL": "SAMSUNG_MZ7LN256", "ID_SERIAL_SHORT": "S2X9"},
        )
    )
    assert (ident.maker, ident.model, ident.serial) == ("Samsung", "SAMSUNG MZ7LN256", "S2X9")


def test_random_bytes_in_every_field_never_crash() -> None:
    rng = random.Random(11)
    fields = ("dev", "device/vendor", "device/model", "device/rev", "device/vpd_pg89")
    for _ in range(300):
        blobs = {f: rng.randbytes(rng.choice((0, 3, 16, 200, 600))) for f in fields}
        blobs["device/vpd_pg89"] = bytes((0, 0x89)) + blobs["device/vpd_pg89"]
        ident = drive_identity(
            DriveReadings(
                name="sda",
                sys_path=rng.choice((SATA, None, "/sys/devices/usb1/1-1/1-1:1.0/x/block/sda")),
                sysfs=dict(blobs),
                udev=parse_udev_data(b"E:ID_MODEL_ENC=" + rng.randbytes(40)),
                usb_serial=rng.randbytes(12),
                smartctl={"model_name": 42, "serial_number": None},
            )
        )
        for value in (ident.model, ident.maker, ident.serial, ident.firmware):
            assert value is None or (value.isprintable() and value == value.strip())


# ------------------------------------------------ the same disk in inventory and certificate


def _kernel_layout(host_dir: Path, root: Path) -> SystemView:
    """A recorded laptop's files laid out as the kernel does: /sys/block/X -> /sys/devices/..."""
    shutil.copytree(host_dir / "fs", root)
    links = json.loads((host_dir / "host.json").read_text())["links"]
    for link, target in links.items():
        if not link.startswith("/sys/block/") or not target:
            continue
        flat, real = root / link.lstrip("/"), root / target.lstrip("/")
        real.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(flat, real)
        flat.symlink_to(real)
    return SystemView(root)


def _verify_json(cert: Path, home: Path) -> dict[str, Any]:
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(home), "LANG": "C"},
        lang="en",
    )
    # The bench trusts no key by itself (the network's statement does): the key that
    # signed is given, as a technician checking the bench's own certificate would.
    public = json.loads(cert.read_text())["signature"]["public_key"]
    assert main(["verify", str(cert), "--json", "--public-key", public], env=env) == 0
    return json.loads(env.stdout.getvalue())  # type: ignore[attr-defined, no-any-return]


@pytest.mark.root
@pytest.mark.loop
def test_inventory_erase_list_certificate_and_verify_name_the_disk_alike(
    tmp_path: Path, ctx: EraseContext, loop_factory: Any
) -> None:
    host_dir = HOSTS / "Acer_Aspire_One_AOHAPPY"
    inventory = {d.name: d for d in probe_disks(RecordedHost(host_dir), [])}
    view = _kernel_layout(host_dir, tmp_path / "root")
    (sda, sdb) = select_targets(["/dev/sda", "/dev/sdb"], view)
    for target in (sda, sdb):
        disk = inventory[target.name]
        assert (target.vendor, target.model, target.serial, target.transport) == (
            disk.maker,
            disk.model,
            disk.serial,
            disk.transport,
        )
    assert (sda.vendor, sda.serial) == ("Western Digital", "WD-WX11A80W7430")
    assert sdb.serial == "87396259"  # the USB stick's own serial, not null
    # A dry run of the recorded disk: the engine opens a real loop device in its place.
    loop: Loop = loop_factory(4 << 20, canaries=False)
    ctx.open_device = lambda _path, *, write: open_device(loop.device, write=write)
    outcome = erase_device(
        EraseRequest(sda, load_method("zero"), Verification("last"), dry_run=True), ctx
    )
    assert outcome.result == "DRY_RUN" and outcome.certificate_path is not None
    media = outcome.envelope["payload"]["media"]  # type: ignore[index]
    disk = inventory["sda"]
    assert (media["vendor"], media["manufacturer"], media["model"], media["serial"]) == (
        disk.maker,
        disk.maker,
        disk.model,
        disk.serial,
    )
    shown = _verify_json(outcome.certificate_path, tmp_path / "home")
    assert (shown["maker"], shown["model"], shown["serial"]) == (
        disk.maker,
        disk.model,
        disk.serial,
    )
