"""The bench stick boots on a virtual laptop: BIOS, UEFI with Secure Boot, and PXE.

Each test boots the image ``make image`` built (``stick_image``, built once per
session when missing or stale) under QEMU/TCG as a ThinkPad with an NVMe drive,
a SATA disk (a full 40-character model) and the stick on USB, and waits for the
app's first screen, read from the serial console (the image copies tty1 there
in its diagnostics boot entry). Then, through the image's serial root shell: the
stick is refused as an erasure target, BENCH-DATA is the bench's home and keeps
what was written across a power off (BIOS), Secure Boot was enforced (UEFI), and
the same kernel and initrd boot with the root fetched over HTTP (PXE recipe of
docs/stick.md). Slow (a few minutes of TCG boots); needs root for a cold build.
"""

from __future__ import annotations

import functools
import http.server
import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stick_machine import OVMF_CODE_SECURE, OVMF_VARS_MS, Laptop, StickMachine
from support.requirements import require, require_program

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
FIRST_SCREEN = "Scannez ou tapez"
FIRST_SCREEN_EN = "Scan or type"
BOOT_TIMEOUT_S = 600.0
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
def bios_machine(tmp_path: Path, stick_image: Path) -> Iterator[StickMachine]:
    _require_qemu()
    machine = StickMachine(tmp_path, stick_image, LAPTOP, firmware="bios")
    try:
        yield machine
    finally:
        machine.stop()


def test_bios_boot_first_screen_stick_refused_and_persistence(bios_machine: StickMachine) -> None:
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

    # The stick is refused as an erasure target; the laptop's disks are erasable.
    targets = erase_list(bios_machine)
    stick = target(targets, "device_path", stick_disk)
    assert stick["erasable"] is False
    assert {"boot-disk", "mounted"} <= {r["code"] for r in stick["refusals"]}, stick
    assert target(targets, "serial", "VNVMESTICK1")["erasable"] is True
    sata = target(targets, "serial", "VSATASTICK1")
    assert sata["erasable"] is True
    assert sata["model"] == SATA_MODEL

    # Persistence: written and synced (as the app does), then the power cut (QEMU killed,
    # no shutdown: a pulled stick), booted again: still there, the journal replayed.
    token = secrets.token_hex(8)
    status, out = bios_machine.run(
        f"echo {token} > /var/lib/bench-agent/persistence-check && sync && ls /var/lib/bench-agent"
    )
    assert status == 0, out
    bios_machine.stop()
    boot_to_first_screen(bios_machine)
    bios_machine.wait_for_shell(120)
    status, out = bios_machine.run("cat /var/lib/bench-agent/persistence-check")
    assert status == 0 and out.strip() == token, out
    # A clean power off from inside works too (systemd unmounts BENCH-DATA).
    bios_machine.power_off()


@pytest.fixture
def uefi_machine(tmp_path: Path, stick_image: Path) -> Iterator[StickMachine]:
    _require_qemu()
    require(
        OVMF_CODE_SECURE.exists() and OVMF_VARS_MS.exists(),
        "needs Debian's ovmf (Secure Boot firmware with Microsoft's keys)",
    )
    machine = StickMachine(tmp_path, stick_image, LAPTOP, firmware="uefi-secure")
    try:
        yield machine
    finally:
        machine.stop()


def test_uefi_secure_boot_first_screen(uefi_machine: StickMachine) -> None:
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
