"""A virtual laptop end to end: our inventory and disk health through the Host protocol.

One QEMU guest (tests/wipe/firmware/qemu_guest.py) with a ThinkPad's SMBIOS
strings, an NVMe drive and a SATA disk with known serials, and this machine's
dmidecode and smartctl inside; ``GuestHost`` answers the probes' file reads,
listings and commands from the guest. Slow (a TCG boot, ~15 s; ~25 s for the
file) and needs qemu-system-x86, busybox-static, dmidecode, smartmontools,
hdparm, nvme-cli and apt access to Debian's kernel package: skipped on a
laptop without them, required in CI.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from guest_host import GuestHost, GuestView
from qemu_guest import Guest, GuestError, debian_kernel
from support.requirements import require, require_program

from bench_agent.health import check_all
from bench_agent.inventory import collect_inventory
from bench_agent.model.inventory import Inventory
from bench_agent.unit import build_report
from wipe.blockdev import open_device
from wipe.engine import EraseContext, EraseRequest, erase_device
from wipe.journal import Journal
from wipe.methods import Verification, load_method
from wipe.policy import load_policy
from wipe.signing import BenchKey
from wipe.targets import list_targets, select_targets

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

DISK_BYTES = 64 * 1024 * 1024
"""Size of each of the guest's sparse drive files (qemu_guest.Guest)."""

SMBIOS = [
    "type=0,vendor=LENOVO,version=N1MET99W (1.99 ),date=01/02/2024",
    "type=1,manufacturer=LENOVO,product=20HRCTO1WW,version=ThinkPad X1 Carbon 5th,"
    "serial=PF0QVIRT,uuid=8c9f3a52-1d2e-4b7a-9f00-5a1e0c0ffee1,family=ThinkPad X1 Carbon 5th",
    "type=2,manufacturer=LENOVO,product=20HRCTO1WW,serial=L1HF7VIRT01",
    "type=3,manufacturer=LENOVO,serial=PF0QVIRT",
]


SATA_MODEL = "WDC WD5000LPCX-24VHAT0-VIRTUAL-SATA-0040"
"""40 characters, the most an ATA IDENTIFY model holds: sysfs's SCSI model keeps 16."""


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guest]:
    for program in ("qemu-system-x86_64", "busybox", "apt-get", "dpkg-deb"):
        require_program(program)
    for program in ("hdparm", "nvme", "dmidecode", "smartctl"):
        if shutil.which(program, path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
            require_program(program)
    try:
        debian_kernel()
    except GuestError as exc:
        require(False, f"Debian kernel for the QEMU guest unavailable: {exc}")
    machine = Guest(
        Path(tmp_path_factory.mktemp("virtual-laptop")),
        smbios=SMBIOS,
        programs=("dmidecode", "smartctl"),
        nvme_serial="VNVME0001",
        sata_serial="VSATA0001",
        sata_model=SATA_MODEL,
    )
    try:
        machine.start()
        yield machine
    finally:
        machine.stop()


@pytest.fixture(scope="module")
def laptop(machine: Guest) -> GuestHost:
    assert machine.runner is not None
    return GuestHost(machine.runner)


@pytest.fixture(scope="module")
def inventory(laptop: GuestHost) -> Inventory:
    return collect_inventory(laptop)


def test_guest_host_answers_like_the_live_host(laptop: GuestHost) -> None:
    assert laptop.read_text("/sys/class/dmi/id/product_serial") == "PF0QVIRT"
    assert laptop.read_bytes("/sys/class/power_supply/BAT0/energy_full") is None
    assert laptop.read_bytes("/sys/block") is None  # a directory is not a file
    assert laptop.list_dir("/sys/class/nosuch") is None
    assert "nvme0n1" in (laptop.list_dir("/sys/block") or [])
    assert (laptop.realpath("/sys/block/nvme0n1") or "").startswith("/sys/devices/pci")
    assert laptop.realpath("/nosuch") is None
    assert laptop.which("dmidecode") == "/usr/sbin/dmidecode"
    assert laptop.which("lspci") is None
    missing = laptop.run(["lspci", "-vmm"])
    assert missing.returncode is None and missing.error == "not-found"
    assert laptop.run(["sh", "-c", "echo $LANG; exit 3"]).returncode == 3
    assert laptop.run(["sh", "-c", "echo $LANG"]).stdout == b"C\n"


def test_unit_identity_comes_from_smbios(inventory: Inventory) -> None:
    unit = build_report(inventory).unit
    # The probes normalise the maker's capitals; Lenovo's model name is in type 1 "version".
    assert (unit.maker, unit.model, unit.serial) == ("Lenovo", "ThinkPad X1 Carbon 5th", "PF0QVIRT")
    assert unit.basis == "system_serial"
    assert unit.key == "lenovo|20hrcto1ww|pf0qvirt"
    ident = inventory.identity
    assert ident.product_name == "20HRCTO1WW"
    assert ident.uuid == "8c9f3a52-1d2e-4b7a-9f00-5a1e0c0ffee1"
    # Only dmidecode (run in the guest as root) and /sys/class/dmi/id know these.
    assert (ident.bios_vendor, ident.bios_version) == ("LENOVO", "N1MET99W (1.99 )")
    assert ident.bios_date == "2024-01-02"
    assert ident.board_serial == "L1HF7VIRT01"
    assert "dmidecode" not in " ".join(n.code for n in inventory.notes)


def test_disks_listed_with_serial_size_and_transport(
    laptop: GuestHost, inventory: Inventory
) -> None:
    disks = {d.path: d for d in inventory.disks}
    nvme, sata = disks["/dev/nvme0n1"], disks["/dev/sda"]
    assert (nvme.serial, nvme.transport, nvme.capacity_bytes) == ("VNVME0001", "nvme", DISK_BYTES)
    assert nvme.model == "QEMU NVMe Ctrl"
    assert (sata.serial, sata.transport, sata.capacity_bytes) == ("VSATA0001", "sata", DISK_BYTES)
    # rotation_rate=1 makes QEMU's disk announce itself as non-rotating.
    assert (sata.model, sata.maker, sata.media) == (SATA_MODEL, "Western Digital", "ssd")
    # What sysfs alone says (the SCSI INQUIRY model): the full one comes from ATA IDENTIFY.
    assert laptop.read_text("/sys/block/sda/device/model") == SATA_MODEL[:16]
    # The third drive sits behind QEMU's usb-storage: listed, but as USB.
    assert disks["/dev/sdb"].transport == "usb"
    assert not any(d.boot_medium for d in inventory.disks)  # the guest runs from RAM


def test_each_internal_disk_gets_an_explained_verdict(laptop: GuestHost) -> None:
    health = {h.device: h for h in check_all(laptop)}
    # The USB disk is not an internal drive: list_drives leaves it out.
    assert sorted(health) == ["/dev/nvme0n1", "/dev/sda"]

    nvme = health["/dev/nvme0n1"]
    assert (nvme.protocol, nvme.serial, nvme.source) == ("NVMe", "VNVME0001", "smartctl-json")
    # QEMU's NVMe health log reports available_spare 0 % (with threshold 0 and no
    # critical warning): it models no spare blocks. A real drive saying that has used
    # up its spare area, so our policy's answer is WORN, found by the spare rule alone.
    raw = json.loads(laptop.run(["smartctl", "--json=c", "-x", "/dev/nvme0n1"], 60).stdout)
    log = raw["nvme_smart_health_information_log"]
    assert (log["available_spare"], log["critical_warning"]) == (0, 0)
    assert nvme.verdict == "WORN"
    assert [f.code for f in nvme.findings if f.severity != "INFO"] == ["nvme.spare_low"]

    sata = health["/dev/sda"]
    assert (sata.protocol, sata.serial, sata.device_type) == ("ATA", "VSATA0001", "sat")
    # QEMU's ATA disk passes its SMART status and its seven attributes are far from their
    # thresholds, but it aborts SMART READ LOG DIRECTORY ("Read SMART Log Directory failed:
    # scsi error aborted command" in smartctl -x), so smartctl's exit status has bit 2
    # ("a command failed"): an INFO finding that leaves the verdict OK.
    assert sata.smartctl_exit_status == 4
    assert sata.verdict == "OK"
    assert [f.code for f in sata.findings] == ["smartctl.command_failed"]


def test_sata_disk_40_character_model_on_its_certificate(
    machine: Guest, laptop: GuestHost, inventory: Inventory, tmp_path: Path
) -> None:
    """wipe.targets names the guest's SATA disk, the engine erases it, the certificate says so.

    The disk is the guest's /dev/sda; the engine writes its backing file (the drive
    itself, seen from the host) and the guest reads the zeros back.
    """
    view = GuestView(laptop)
    listed = {t.name: t for t in list_targets(view)}  # what `erase --list` shows
    (target,) = select_targets(["/dev/sda"], view)
    assert target.erasable, target.refusals
    disk = next(d for d in inventory.disks if d.name == "sda")
    for t in (listed["sda"], target):
        assert (t.model, t.vendor, t.serial, t.transport) == (
            SATA_MODEL,
            "Western Digital",
            "VSATA0001",
            "sata",
        )
    assert (disk.model, disk.maker, disk.serial) == (target.model, target.vendor, target.serial)
    # A sector of "donor data" written by the guest, to be gone afterwards.
    laptop.run(["sh", "-c", "echo DONOR-SECRET | dd of=/dev/sda conv=fsync"], 30)
    key = BenchKey.generate()
    ctx = EraseContext(
        key=key,
        journal=Journal(tmp_path / "journal.jsonl", key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
        open_device=lambda _path, *, write: open_device(
            str(machine.work / "sata.img"), write=write
        ),
    )
    outcome = erase_device(
        EraseRequest(target, load_method("zero"), Verification("last"), confirmed=True), ctx
    )
    assert outcome.result == "ERASED", outcome.reasons_en
    media = outcome.envelope["payload"]["media"]  # type: ignore[index]
    assert (media["model"], media["vendor"], media["manufacturer"], media["serial"]) == (
        SATA_MODEL,
        "Western Digital",
        "Western Digital",
        "VSATA0001",
    )
    assert len(media["model"]) == 40
    first = laptop.run(
        ["sh", "-c", "echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/sda bs=512 count=1"], 30
    )
    assert first.stdout == bytes(512)
