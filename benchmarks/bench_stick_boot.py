"""Boot of the bench stick to the app's first screen on a virtual laptop, under TCG.

Boots build/bench-stick.img (``make image``; or BENCH_STICK_IMAGE) with the boot tests'
harness (tests/e2e/stick_machine.py): BIOS (SeaBIOS), UEFI with Secure Boot (OVMF),
and, as the peer in the same run, the same kernel and initrd started directly by QEMU
(no firmware, no GRUB; the root still found on the stick), so the firmware's and the
boot loader's share stays visible on a noisy machine. Each time is power on to the
first screen text ("Scannez ou tapez") copied from tty1 to the serial console, and to
GRUB's menu. TCG only (no KVM on the CI machine): a real laptop boots several times
faster. Run: .venv/bin/python benchmarks/bench_stick_boot.py [ROUNDS]
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
