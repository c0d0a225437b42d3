"""Boot of the bench stick to the app's first screen on a virtual laptop, under TCG.

Boots build/bench-stick.img (``make image``; or BENCH_STICK_IMAGE) with the boot tests'
harness (tests/e2e/stick_machine.py): BIOS (SeaBIOS), UEFI with Secure Boot (OVMF),
and, as the peer in the same run, the same kernel and initrd started directly by QEMU
(no firmware, no GRUB; the root still found on the stick), so the firmware's and the
boot loader's share stays visible on a noisy machine. Each time is power on to the
first screen text ("Scannez ou tapez") copied from tty1 to the serial console, and to
GRUB's menu. TCG only (no KVM on the CI machine): a real laptop boots several times
faster.

Then the whole unattended flow as an erasure station runs it: a first BIOS boot puts
``site.toml`` on the stick's BENCH-DATA (unattended, power off at the end, a central
service on the host's loopback with the stick's key enrolled) and powers off; a second
laptop (another serial, two 64 MiB drives full of canary data: NVMe and SATA) boots the
same stick and is timed from power on to the run's last line ("Terminé (code 0)") and to
QEMU's exit (powered off by the bench). The erasure's share is the span of the
certificates' start and end times (both drives in parallel) over that whole time.

Run: .venv/bin/python benchmarks/bench_stick_boot.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(1, str(ROOT))  # tests.central.central_harness, for stick_flow

import stick_flow  # noqa: E402
from stick_machine import Laptop, StickMachine  # noqa: E402

LAPTOP = Laptop(
    smbios=(
        "type=1,manufacturer=LENOVO,product=20HRCTO1WW,version=ThinkPad X1 Carbon 5th,"
        "serial=PF0QBENCH",
        "type=3,manufacturer=LENOVO,serial=PF0QBENCH",
    )
)
FIRST_SCREEN = "Scannez ou tapez"


def boot(image: Path, firmware: str) -> tuple[float, float]:
    """Seconds from power on to GRUB's menu (0 when booting the kernel directly) and to
    the app's first screen."""
    with tempfile.TemporaryDirectory(prefix="bench-stick-") as work:
        kernel_boot = None
        if firmware == "kernel":
            pxe = image.parent / "pxe"
            kernel_boot = (
                pxe / "vmlinuz",
                pxe / "initrd.img",
                "boot=live quiet console=tty0 console=ttyS0,115200 stick.mirror=ttyS0",
            )
        machine = StickMachine(
            Path(work), image, LAPTOP, firmware=firmware, kernel_boot=kernel_boot
        )
        try:
            machine.start()
            menu = 0.0
            if kernel_boot is None:
                menu = machine.choose_diagnostics_entry(600)
            machine.wait_for_screen(FIRST_SCREEN, 600)
            return menu, time.monotonic() - machine.started
        finally:
            machine.stop()


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def unattended_flow(image: Path) -> dict[str, float]:
    """Seconds from power on to the unattended run's last line and to power off, and
    the erasure's span (first certificate start to last certificate end)."""
    with tempfile.TemporaryDirectory(prefix="bench-stick-flow-") as tmp:
        work = Path(tmp)
        with stick_flow.central_on_loopback(work / "central") as central:
            (work / "setup").mkdir()
            setup = StickMachine(work / "setup", image, LAPTOP, firmware="bios")
            try:
                setup.start()
                setup.choose_diagnostics_entry(600)
                setup.wait_for_screen(FIRST_SCREEN, 600)
                setup.wait_for_shell(120)
                token = central.enrol(stick_flow.guest_public_key(setup))
                site = stick_flow.site_toml(central.port, token, after="poweroff")
                stick_flow.write_site(setup, site)
                setup.power_off()
            finally:
                setup.stop()
            unit = work / "unit"
            unit.mkdir()
            (work / "setup" / "stick.qcow2").rename(unit / "stick.qcow2")
            size = 64 * 1024 * 1024
            for name in ("nvme", "sata"):
                stick_flow.fill_canary(unit / f"{name}.img", size)
            laptop = Laptop(
                smbios=tuple(e.replace("PF0QBENCH", "PF0QFLOW") for e in LAPTOP.smbios),
                nvme_serial="VNVMEFLOW1",
                sata_serial="VSATAFLOW1",
                disk_bytes=size,
            )
            machine = StickMachine(unit, image, laptop, firmware="bios")
            try:
                machine.start()
                machine.choose_diagnostics_entry(600)
                code, screen = stick_flow.wait_done(machine, 1800)
                done = time.monotonic() - machine.started
                if code != 0:
                    raise RuntimeError(f"the unattended run ended with code {code}:\n{screen}")
                assert machine.proc is not None
                machine.proc.wait(timeout=300)
                off = time.monotonic() - machine.started
            finally:
                machine.stop()
            for name in ("nvme", "sata"):
                if stick_flow.canary_offsets(unit / f"{name}.img"):
                    raise RuntimeError(f"canary data left on {name}.img")
            spans = [
                (_seconds(p["started_at"]), _seconds(p["ended_at"]))
                for _, p in central.certificates()
            ]
            if len(spans) != 2:
                raise RuntimeError(f"{len(spans)} certificates on the central service, not 2")
            erasure = max(e for _, e in spans) - min(s for s, _ in spans)
    return {"done": done, "off": off, "erasure": erasure}


def main() -> int:
    image = Path(os.environ.get("BENCH_STICK_IMAGE") or ROOT / "build" / "bench-stick.img")
    if not image.is_file():
        print(f"skipped: no image at {image} (`sudo make image` builds it)")
        return 0
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(f"image {image} ({image.stat().st_size / 2**20:.0f} MiB), TCG, {rounds} round(s)")
    print(f"{'boot':<22} {'to GRUB menu':>13} {'to first screen':>16}")
    for firmware in ("bios", "uefi-secure", "kernel"):
        menus, screens = [], []
        for _ in range(rounds):
            menu, screen = boot(image, firmware)
            menus.append(menu)
            screens.append(screen)
        label = {"bios": "BIOS (SeaBIOS)", "uefi-secure": "UEFI Secure Boot (OVMF)"}.get(
            firmware, "kernel direct (peer)"
        )
        menu_text = f"{statistics.median(menus):.1f} s" if firmware != "kernel" else "-"
        print(
            f"{label:<22} {menu_text:>13} {statistics.median(screens):>14.1f} s"
            + (f"  (min {min(screens):.1f}, max {max(screens):.1f})" if rounds > 1 else "")
        )
    print()
    print(
        f"{'unattended flow (BIOS)':<22} {'to last line':>13} {'to power off':>16} {'erasure':>9}"
    )
    for _ in range(rounds):
        flow = unattended_flow(image)
        share = 100 * flow["erasure"] / flow["done"]
        print(
            f"{'2 x 64 MiB, sent':<22} {flow['done']:>11.1f} s {flow['off']:>14.1f} s"
            f" {flow['erasure']:>7.1f} s ({share:.0f} % of the run)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
