"""wipe.firmware and wipe.hpa against QEMU's emulated NVMe, SATA and USB drives (end to end).

Slow (a TCG boot, ~10-30 s) and needs qemu-system-x86, busybox-static, hdparm,
nvme-cli and apt access to Debian's kernel package: skipped on a laptop
without them, required in CI.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from qemu_guest import Guest, GuestError, GuestRunner, debian_kernel
from support.requirements import require, require_program

from wipe.firmware import detect, execute, policy_choice
from wipe.hpa import detect_hpa

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

CANARY = b"LCTCANARY-"


@pytest.fixture(scope="module")
def guest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuestRunner]:
    for program in ("qemu-system-x86_64", "busybox", "apt-get", "dpkg-deb"):
        require_program(program)
    for program in ("hdparm", "nvme"):
        if shutil.which(program, path="/usr/sbin:/sbin:/usr/bin:/bin") is None:
            require_program(program)
    try:
        debian_kernel()
    except GuestError as exc:
        require(False, f"Debian kernel for the QEMU guest unavailable: {exc}")
    machine = Guest(Path(tmp_path_factory.mktemp("qemu-guest")))
    try:
        yield machine.start()
    finally:
        machine.stop()


def sh(guest: GuestRunner, script: str) -> bytes:
    result = guest.run(["sh", "-c", script], 60)
    assert result.returncode == 0, result
    return result.stdout


def first_sector(guest: GuestRunner, device: str) -> bytes:
    # Drop the page cache first: the read must come from the emulated drive.
    return sh(guest, f"sync; echo 3 > /proc/sys/vm/drop_caches; dd if={device} bs=512 count=1")


def usb_and_sata(guest: GuestRunner) -> tuple[str, str]:
    usb = sata = ""
    for name in ("sda", "sdb"):
        link = sh(guest, f"readlink -f /sys/block/{name}").decode()
        if "/usb" in link:
            usb = f"/dev/{name}"
        else:
            sata = f"/dev/{name}"
    assert usb and sata
    return usb, sata


def test_nvme_format_erases_and_is_confirmed(guest: GuestRunner) -> None:
    device = "/dev/nvme0n1"
    sh(guest, f"yes {CANARY.decode()}nvme | head -c 1048576 | dd of={device} bs=65536 conv=fsync")
    assert first_sector(guest, device).startswith(CANARY)

    caps = detect(guest, device)
    assert caps.known and caps.methods == ("nvme-format-user",)
    assert policy_choice(caps, "nvme") == ["nvme-format-user"]

    outcome = execute(guest, device, "nvme-format-user")
    assert outcome.completed, outcome.reason_en
    assert first_sector(guest, device) == bytes(512)


def test_nvme_sanitize_is_refused_by_the_controller(guest: GuestRunner) -> None:
    outcome = execute(guest, "/dev/nvme0n1", "nvme-sanitize-crypto")
    assert not outcome.completed
    assert "does not offer" in outcome.reason_en


def test_sata_disk_without_security_feature_set(guest: GuestRunner) -> None:
    _, sata = usb_and_sata(guest)
    caps = detect(guest, sata)
    assert caps.known and caps.methods == ()
    outcome = execute(guest, sata, "ata-secure-erase")
    assert not outcome.completed
    status = detect_hpa(guest, sata, kernel_sectors=131072)
    assert status.status == "none"


def test_usb_bridge_is_unknown(guest: GuestRunner) -> None:
    usb, _ = usb_and_sata(guest)
    caps = detect(guest, usb)
    assert not caps.known
    status = detect_hpa(guest, usb)
    assert status.status == "unknown"


def test_security_erase_exit_0_but_aborted_is_judged_failed(guest: GuestRunner) -> None:
    """The live version of the reference's warning: exit 0, ABORTED COMMAND, nothing erased."""
    from wipe.firmware.output import failure_in

    _, sata = usb_and_sata(guest)
    sh(guest, f"yes {CANARY.decode()}sata | head -c 1048576 | dd of={sata} bs=65536 conv=fsync")
    result = guest.run(["hdparm", "--user-master", "u", "--security-erase", "lctE2E", sata], 120)
    assert result.returncode == 0
    assert failure_in(result) is not None
    assert first_sector(guest, sata).startswith(CANARY)
