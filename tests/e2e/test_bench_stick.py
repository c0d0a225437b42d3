"""The bench stick boots on a virtual laptop: BIOS, UEFI with Secure Boot, and PXE.

Each test boots the image ``make image`` built (``stick_image``, built once per
session when missing or stale) under QEMU/TCG as a ThinkPad with an NVMe drive,
a SATA disk (a full 40-character model) and the stick on USB, and waits for the
app's first screen, read from the serial console (the image copies tty1 there
in its diagnostics boot entry). Then, through the image's serial root shell: the
stick is refused as an erasure target, BENCH-DATA is the bench's home and keeps
what was written across a power off (BIOS), Secure Boot was enforced (UEFI), and
the same kernel and initrd boot with the root fetched over HTTP (PXE recipe of
docs/stick.md).

The BIOS and UEFI boots then run the whole unattended flow inside the guest
(tests/e2e/stick_flow.py): the disk images hold canary data, the laptop has a
Notebook chassis, two SO-DIMMs, a battery record and an i5-8350U's strings, and a
central inventory service listens on the host's loopback (the guest's 10.0.2.2).
BIOS: the first boot's network reaches nothing, so everything waits in the outbox on
BENCH-DATA through a power cut; the second boot (site.toml read at start) sends it,
each document once. UEFI: online, with a third drive whose reads and writes of one
range fail (blkdebug): it ends FAILED with that range, the others ERASED; the SATA
drive, whose emulated firmware has no erase command, is overwritten and its
certificate claims no firmware erasure. Afterwards no canary is left on an erased
disk image and each certificate stored by the service verifies. Slow (a few minutes
of TCG boots); needs root for a cold build.
"""

from __future__ import annotations

import functools
import http.server
import json
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stick_flow
from stick_flow import Central
from stick_machine import OVMF_CODE_SECURE, OVMF_VARS_MS, Laptop, StickMachine
from support.requirements import require, require_loop_devices, require_program, require_root

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.timeout(3600)]

SATA_MODEL = "LCT VIRTUAL SATA SSD 2TB MODEL NAME 0040"
"""40 characters: the whole of ATA IDENTIFY's model field."""
LAPTOP = Laptop(
    smbios=(
        "type=0,vendor=LENOVO,version=N1MET99W (1.99 ),date=01/02/2024",
        "type=1,manufacturer=LENOVO,product=20HRCTO1WW,version=ThinkPad X1 Carbon 5th,"
        "serial=PF0QSTICK,uuid=8c9f3a52-1d2e-4b7a-9f00-5a1e0c0ffee2,"
        "family=ThinkPad X1 Carbon 5th",
        "type=2,manufacturer=LENOVO,product=20HRCTO1WW,serial=L1HF7STICK01",
        "type=3,manufacturer=LENOVO,serial=PF0QSTICK",
    ),
    nvme_serial="VNVMESTICK1",
    sata_serial="VSATASTICK1",
    sata_model=SATA_MODEL,
)
DISK_BYTES = 64 * 1024 * 1024
BAD_SECTOR = 40960
"""The failing drive's bad range starts 20 MiB in (blkdebug, 8 sectors: one 4 KiB block)."""
BAD_SECTORS = 8
UNATTENDED_TIMEOUT_S = 1200.0
"""Inventory, health, three 64 MiB drives erased and verified, report, label, sending."""


def notebook(work: Path, serial: str) -> Laptop:
    """LAPTOP with a Notebook chassis, two SO-DIMMs, a battery record and its CPU."""
    system = tuple(e.replace("PF0QSTICK", serial) for e in LAPTOP.smbios if "type=3" not in e)
    return Laptop(
        smbios=system + stick_flow.notebook_smbios(work, serial),
        nvme_serial=LAPTOP.nvme_serial,
        sata_serial=LAPTOP.sata_serial,
        sata_model=SATA_MODEL,
        disk_bytes=DISK_BYTES,
        cpu=stick_flow.CPU,
    )


def canary_disks(work: Path, names: tuple[str, ...] = ("nvme", "sata")) -> list[Path]:
    """The laptop's disk images, full of the donor's (canary) data before the first boot."""
    work.mkdir(parents=True, exist_ok=True)
    images = []
    for name in names:
        image = work / f"{name}.img"
        stick_flow.fill_canary(image, DISK_BYTES)
        assert stick_flow.canary_offsets(image)[:1] == [0]
        images.append(image)
    return images


def start_unattended(machine: StickMachine, central: Central) -> None:
    """The stick's own key enrolled on the central service, site.toml on BENCH-DATA saying
    unattended (then wait, sending again every 5 s), and the app started again."""
    token = central.enrol(stick_flow.guest_public_key(machine))
    stick_flow.write_site(machine, stick_flow.site_toml(central.port, token, after="wait"))
    stick_flow.restart_app(machine)


FIRST_SCREEN = "Scannez ou tapez"
FIRST_SCREEN_EN = "Scan or type"
BOOT_TIMEOUT_S = 600.0
POWER_OFF_TIMEOUT_S = 60.0
"""A clean power off takes seconds; systemd's 90 s stop timeout must never be hit."""
"""TCG boots take one to three minutes on 2 cores; a loaded CI machine gets room."""


def _require_qemu() -> None:
    for program in ("qemu-system-x86_64", "qemu-img"):
        require_program(program)


def boot_to_first_screen(machine: StickMachine, text: str = FIRST_SCREEN) -> float:
    """Starts the machine (GRUB's diagnostics entry unless booting a kernel directly) and
    returns the seconds from power on to the app's first screen."""
    machine.start()
    if machine.kernel_boot is None:
        machine.choose_diagnostics_entry(BOOT_TIMEOUT_S)
    machine.wait_for_screen(text, BOOT_TIMEOUT_S)
    return time.monotonic() - machine.started


def erase_list(machine: StickMachine) -> list[dict[str, Any]]:
    """``bench-agent erase --list --json`` inside the guest."""
    status, out = machine.run("bench-agent erase --list --json 2>/dev/null", timeout_s=120)
    assert status == 0, out
    targets: list[dict[str, Any]] = json.loads(out[out.index("[") :])
    return targets


def target(targets: list[dict[str, Any]], key: str, value: object) -> dict[str, Any]:
    found = [t for t in targets if t.get(key) == value]
    assert len(found) == 1, (key, value, targets)
    return found[0]


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    """The central inventory service on the host's loopback (SQLite)."""
    with stick_flow.central_on_loopback(tmp_path / "central") as running:
        yield running


@pytest.fixture
def bios_machine(tmp_path: Path, stick_image: Path) -> Iterator[StickMachine]:
    _require_qemu()
    work = tmp_path / "laptop"
    canary_disks(work)
    machine = StickMachine(
        work,
        stick_image,
        notebook(tmp_path / "smbios", "PF0QSTICK"),
        firmware="bios",
        memory_mb=stick_flow.MEMORY_MB,
        network="offline",
    )
    try:
        yield machine
    finally:
        machine.stop()


def test_bios_boot_first_screen_stick_refused_and_persistence(
    bios_machine: StickMachine, central: Central
) -> None:
    seconds = boot_to_first_screen(bios_machine)
    screen = bios_machine.wait_for_screen(FIRST_SCREEN, 10)
    assert "LaCollecte" in screen or "Banc" in screen or FIRST_SCREEN in screen
    bios_machine.wait_for_shell(120)
    print(f"BIOS boot to first screen: {seconds:.0f} s")

    # The language and keymap of the default entry, the app's environment.
    status, out = bios_machine.run(
        "cat /proc/cmdline; "
        "pid=$(grep -l -a '[/]opt/bench-agent/bin/bench-agent' /proc/[0-9]*/cmdline | head -1); "
        "tr '\\0' '\\n' < ${pid%/cmdline}/environ"
    )
    assert status == 0, out
    assert "bench.lang=fr" in out and "bench.keymap=fr" in out
    assert "BENCH_AGENT_LANG=fr" in out and "BENCH_AGENT_HOME=/var/lib/bench-agent" in out

    # BENCH-DATA is the bench's home, ext4 from the stick.
    status, out = bios_machine.run("findmnt -n -o SOURCE,FSTYPE,LABEL /var/lib/bench-agent")
    assert status == 0, out
    assert "ext4" in out and "BENCH-DATA" in out
    stick_disk = out.split()[0].rstrip("0123456789")  # /dev/sdX2 -> /dev/sdX
    # ... and it was mounted before the app started: bench-session waited for it, and the
    # app's working directory (the home, entered just before starting it) is on it.
    status, out = bios_machine.run(
        "cat /run/bench-session/data; stat -c %d /var/lib/bench-agent; "
        "pid=$(grep -l -a '[/]opt/bench-agent/bin/bench-agent' /proc/[0-9]*/cmdline | head -1); "
        "stat -L -c %d ${pid%/cmdline}/cwd; stat -c %d /"
    )
    assert status == 0, out
    state, home_dev, app_cwd_dev, root_dev = out.strip().splitlines()[-4:]
    assert state == f"mounted {stick_disk}2", out
    assert app_cwd_dev == home_dev != root_dev, out

    # The stick is refused as an erasure target; the laptop's disks are erasable.
    targets = erase_list(bios_machine)
    stick = target(targets, "device_path", stick_disk)
    assert stick["erasable"] is False
    assert {"boot-disk", "mounted"} <= {r["code"] for r in stick["refusals"]}, stick
    assert target(targets, "serial", "VNVMESTICK1")["erasable"] is True
    sata = target(targets, "serial", "VSATASTICK1")
    assert sata["erasable"] is True
    assert sata["model"] == SATA_MODEL

    # The unattended flow with the network down (the cable in a network that reaches
    # nothing): erased, graded, labelled, everything kept in the outbox on BENCH-DATA.
    token = secrets.token_hex(8)
    status, out = bios_machine.run(
        f"echo {token} > /var/lib/bench-agent/persistence-check && sync && ls /var/lib/bench-agent"
    )
    assert status == 0, out
    started = time.monotonic()
    start_unattended(bios_machine, central)
    code, screen = stick_flow.wait_done(bios_machine, UNATTENDED_TIMEOUT_S)
    print(f"BIOS unattended flow, offline: {time.monotonic() - started:.0f} s")
    assert code == 0, screen
    assert "en attente d'envoi" in " ".join(screen.split()), screen
    waiting = stick_flow.outbox_status(bios_machine)
    assert waiting["outbox"].startswith("/var/lib/bench-agent/"), waiting  # BENCH-DATA
    assert waiting["counts"].get("pending", 0) >= 3, waiting  # the report, two certificates
    assert central.reports() == [] and central.certificates() == []
    status, out = bios_machine.run("sync; ls /var/lib/bench-agent/outbox* /var/lib/bench-agent")
    assert status == 0, out

    # Persistence: the power cut (QEMU killed, no shutdown: a pulled stick), then the
    # second boot with the network up: site.toml (read at start) runs unattended at once,
    # resumes the sitting and sends what waited, each document once.
    bios_machine.stop()
    bios_machine.network = "user"
    bios_machine.start()
    bios_machine.choose_diagnostics_entry(BOOT_TIMEOUT_S)
    code, screen = stick_flow.wait_done(bios_machine, UNATTENDED_TIMEOUT_S)
    second = time.monotonic() - bios_machine.started
    print(f"BIOS second boot, power on to the unattended run's end: {second:.0f} s")
    assert code == 0, screen
    assert "envoyé au service central" in " ".join(screen.split()), screen
    bios_machine.wait_for_shell(120)
    status, out = bios_machine.run("cat /var/lib/bench-agent/persistence-check")
    assert status == 0 and out.strip() == token, out
    reports = central.reports()
    assert len(reports) == 1, reports
    certificates = central.certificates()
    assert len(certificates) == 2, [c for c, _ in certificates]
    assert len({c for c, _ in certificates}) == 2
    for certificate_id, _payload in certificates:
        (check,) = central.verify(certificate_id)
        assert check.genuine and check.result == "ERASED", check
    (report,) = central.report_payloads()
    stick_flow.check_identity_and_grade(report, "PF0QSTICK")
    assert stick_flow.grade_rules(report, "erasure.not_erased") == []
    # The sender keeps waiting (after = "wait"): nothing is sent twice.
    time.sleep(12)
    assert central.reports() == reports and len(central.certificates()) == 2
    assert stick_flow.outbox_status(bios_machine)["counts"].get("pending", 0) == 0
    # A clean power off from inside works too: the app stops before systemd unmounts
    # BENCH-DATA, and nothing holds the power off for a stop timeout.
    asked, seen = time.monotonic(), len(bios_machine.console)
    bios_machine.power_off(timeout_s=POWER_OFF_TIMEOUT_S)
    print(f"BIOS power off from the request to QEMU's exit: {time.monotonic() - asked:.0f} s")
    shutdown = bios_machine.console[seen:]
    # (/run/live/medium stays busy: the squashfs root is loop-mounted from it.)
    failed = [line for line in shutdown.splitlines() if "Failed" in line or "timed out" in line]
    assert not [line for line in failed if "bench" in line], shutdown[-3000:]
    # BENCH-DATA was unmounted cleanly: its journal has nothing to replay.
    raw = bios_machine.work / "stick-after.raw"
    subprocess.run(
        ["qemu-img", "convert", "-O", "raw", str(bios_machine.work / "stick.qcow2"), str(raw)],
        check=True,
    )
    offset, _size = data_partition(raw)
    header = subprocess.run(
        ["dumpe2fs", "-h", f"{raw}?offset={offset}"], check=True, capture_output=True, text=True
    ).stdout
    assert "volume name:   BENCH-DATA" in header and "needs_recovery" not in header, header
    raw.unlink()
    for image in ("nvme.img", "sata.img"):
        assert stick_flow.canary_offsets(bios_machine.work / image) == [], image


def data_partition(image: Path) -> tuple[int, int]:
    """Offset and size in bytes of a stick image's second partition (BENCH-DATA)."""
    table = json.loads(
        subprocess.run(["sfdisk", "--json", str(image)], check=True, capture_output=True).stdout
    )["partitiontable"]
    data = table["partitions"][1]
    sector = int(table.get("sectorsize", 512))
    return int(data["start"]) * sector, int(data["size"]) * sector


@pytest.fixture
def stick_without_data(tmp_path: Path, stick_image: Path) -> Path:
    """A copy of the stick image whose second partition is labelled OLD-DATA: a stick
    whose BENCH-DATA the laptop never finds (relabelled through a loop device at the
    partition's offset)."""
    require_root()
    require_loop_devices()
    copy = tmp_path / "stick-without-data.img"
    subprocess.run(["cp", "--sparse=always", str(stick_image), str(copy)], check=True)
    offset, size = data_partition(copy)
    loop = subprocess.run(
        ["losetup", "--find", "--show", "--offset", str(offset), "--sizelimit", str(size),
         str(copy)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    try:
        label = subprocess.run(["e2label", loop], check=True, capture_output=True, text=True)
        assert label.stdout.strip() == "BENCH-DATA", label.stdout
        subprocess.run(["e2label", loop, "OLD-DATA"], check=True)
    finally:
        subprocess.run(["losetup", "-d", loop], check=True)
    return copy


def test_bios_stick_without_bench_data_says_so_and_starts_no_app(
    tmp_path: Path, stick_without_data: Path
) -> None:
    """No BENCH-DATA on a stick: the session says so on tty1 and the app (so no
    erasure) does not start; the laptop's disks keep their data."""
    _require_qemu()
    work = tmp_path / "laptop"
    disks = canary_disks(work)
    machine = StickMachine(
        work,
        stick_without_data,
        notebook(tmp_path / "smbios", "PF0QNODATA"),
        firmware="bios",
        memory_mb=stick_flow.MEMORY_MB,
        network="offline",
    )
    try:
        machine.start()
        machine.choose_diagnostics_entry(BOOT_TIMEOUT_S)
        screen = machine.wait_for_screen("introuvable", BOOT_TIMEOUT_S)
        seconds = time.monotonic() - machine.started
        print(f"BIOS boot to the missing BENCH-DATA message: {seconds:.0f} s")
        flat = " ".join(screen.split())
        assert (
            "La partition BENCH-DATA de la clé est introuvable : rien ne serait conservé." in flat
        )
        assert "Le banc ne démarre pas" in flat, screen
        machine.wait_for_shell(120)
        status, out = machine.run(
            "cat /run/bench-session/data; findmnt -n /var/lib/bench-agent || echo not-mounted; "
            "grep -l -a '[/]opt/bench-agent/bin/bench-agent' /proc/[0-9]*/cmdline || echo no-app"
        )
        assert status == 0, out
        assert out.startswith("missing ") and "not-mounted" in out and "no-app" in out, out
        assert all(FIRST_SCREEN not in s for s in machine.screens())
    finally:
        machine.stop()
    for image in disks:
        assert stick_flow.canary_offsets(image)[:1] == [0], image


@pytest.fixture
def uefi_machine(tmp_path: Path, stick_image: Path) -> Iterator[StickMachine]:
    _require_qemu()
    require(
        OVMF_CODE_SECURE.exists() and OVMF_VARS_MS.exists(),
        "needs Debian's ovmf (Secure Boot firmware with Microsoft's keys)",
    )
    work = tmp_path / "laptop"
    (bad,) = canary_disks(work, ("bad",))
    canary_disks(work)
    failing = stick_flow.blkdebug_drive(work, bad, BAD_SECTOR, BAD_SECTORS, "bad0")
    machine = StickMachine(
        work,
        stick_image,
        notebook(tmp_path / "smbios", "PF0QUEFI"),
        firmware="uefi-secure",
        memory_mb=stick_flow.MEMORY_MB,
        extra=("-drive", failing, "-device", f"nvme,serial={BAD_SERIAL},drive=bad0"),
    )
    try:
        yield machine
    finally:
        machine.stop()


BAD_SERIAL = "VNVMEBAD01"


def test_uefi_secure_boot_first_screen(uefi_machine: StickMachine, central: Central) -> None:
    seconds = boot_to_first_screen(uefi_machine)
    uefi_machine.wait_for_shell(120)
    print(f"UEFI (Secure Boot) boot to first screen: {seconds:.0f} s")
    status, out = uefi_machine.run("dmesg | grep -i 'secure boot'; ls /sys/firmware/efi")
    assert status == 0, out
    assert "Secure boot enabled" in out, out
    targets = erase_list(uefi_machine)
    stick = target(targets, "transport", "usb")
    assert stick["erasable"] is False
    assert "boot-disk" in {r["code"] for r in stick["refusals"]}, stick
    bad_device = target(targets, "serial", BAD_SERIAL)["device_path"]

    # The unattended flow, online: three drives, one failing.
    started = time.monotonic()
    start_unattended(uefi_machine, central)
    code, screen = stick_flow.wait_done(uefi_machine, UNATTENDED_TIMEOUT_S)
    print(f"UEFI unattended flow, online: {time.monotonic() - started:.0f} s")
    flat = " ".join(screen.split())
    assert code == 1, screen  # a disk not erased
    assert "envoyé au service central" in flat, screen

    # The central service holds the unit once, with its three certificates.
    (report,) = central.report_payloads()
    assert len(central.reports()) == 1
    certificates = dict(central.certificates())
    assert len(certificates) == 3, list(certificates)
    by_serial = {stick_flow.certificate_serial(p): (c, p) for c, p in certificates.items()}
    assert set(by_serial) == {"VNVMESTICK1", "VSATASTICK1", BAD_SERIAL}, by_serial.keys()
    for serial, (certificate_id, payload) in by_serial.items():
        (check,) = central.verify(certificate_id)
        assert check.genuine, check
        expected = "FAILED" if serial == BAD_SERIAL else "ERASED"
        assert check.claimed_result == expected, (serial, payload)

    # The failing drive: FAILED with its bad range; the donor's data is gone elsewhere.
    _, bad_payload = by_serial[BAD_SERIAL]
    ranges = stick_flow.error_ranges(bad_payload)
    bad_start, bad_end = BAD_SECTOR * 512, (BAD_SECTOR + BAD_SECTORS) * 512
    assert ranges and all(bad_start <= s and s + n <= bad_end for s, n in ranges), ranges
    assert f"{bad_device} : FAILED" in flat, screen

    # The SATA drive: QEMU's AHCI disk has no ATA Security or Sanitize command, so the
    # policy's firmware step cannot run; the overwrite is verified and the certificate
    # claims no firmware erasure.
    _, sata_payload = by_serial["VSATASTICK1"]
    assert not stick_flow.firmware_done(sata_payload), sata_payload
    assert sata_payload["method"]["firmware"]["method"] is None, sata_payload["method"]
    assert "no safe firmware method is supported" in sata_payload["reasons"]["en"]
    assert sata_payload["sanitization"]["level"] == "clear", sata_payload["sanitization"]
    assert sata_payload["verification"]["passed"] is True

    # The category: the identity given (i5-8350U, 2 x 2 GiB, NVMe system disk), not
    # distributable until a technician does the tests that need a person.
    stick_flow.check_identity_and_grade(report, "PF0QUEFI")
    assert stick_flow.grade_rules(report, "erasure.not_erased") == ["FAILED"]

    uefi_machine.power_off()
    for image in ("nvme.img", "sata.img"):
        assert stick_flow.canary_offsets(uefi_machine.work / image) == [], image
    left = stick_flow.canary_offsets(uefi_machine.work / "bad.img")
    assert all(any(s <= o < s + n for s, n in ranges) for o in left), (left[:5], ranges)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requests.append(self.path)


@pytest.fixture
def http_root(stick_image: Path) -> Iterator[tuple[Path, int, list[str]]]:
    """The image's PXE files (kernel, initrd, squashfs) served on the host's loopback."""
    pxe = stick_image.parent / "pxe"
    require((pxe / "filesystem.squashfs").is_file(), f"no PXE files beside the image ({pxe})")
    requests: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(pxe))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pxe, server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


def test_pxe_boot_fetches_the_root_over_http(
    tmp_path: Path, http_root: tuple[Path, int, list[str]]
) -> None:
    _require_qemu()
    pxe, port, requests = http_root
    append = (
        f"boot=live fetch=http://10.0.2.2:{port}/filesystem.squashfs quiet "
        "console=tty0 console=ttyS0,115200 stick.mirror=ttyS0 stick.shell=ttyS1 "
        "bench.lang=en bench.keymap=us"
    )
    no_stick = Laptop(smbios=LAPTOP.smbios, nvme_serial="VNVMEPXE1", sata_serial="VSATAPXE1")
    machine = StickMachine(
        tmp_path,
        pxe / "filesystem.squashfs",  # never attached: kernel_boot and no stick
        no_stick,
        kernel_boot=(pxe / "vmlinuz", pxe / "initrd.img", append),
        memory_mb=2048,
        stick=False,
    )
    try:
        seconds = boot_to_first_screen(machine, FIRST_SCREEN_EN)
        print(f"PXE (HTTP) boot to first screen: {seconds:.0f} s")
        assert "/filesystem.squashfs" in requests
        machine.wait_for_shell(120)
        _, out = machine.run("mountpoint /var/lib/bench-agent; cat /proc/cmdline")
        assert "is not a mountpoint" in out, out  # no stick: no BENCH-DATA
        targets = erase_list(machine)
        assert target(targets, "serial", "VNVMEPXE1")["erasable"] is True
    finally:
        machine.stop()
