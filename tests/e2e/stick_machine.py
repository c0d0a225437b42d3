"""A virtual laptop booting the bench stick image (packaging/build-image.sh) under QEMU.

The stick is the built image behind a qcow2 overlay (the image itself is never
written), plugged as a USB stick (xHCI, ``usb-storage``, first in the boot order).
The laptop also has an NVMe drive and a SATA disk with serials (sparse files) and
the SMBIOS identity given. Firmware: SeaBIOS (``bios``), OVMF (``uefi``) or OVMF
with Secure Boot enforced and Microsoft's keys enrolled (``uefi-secure``, which is
what lets Debian's signed shim boot).

Serial port 0 is the console (QEMU's stdout, read by a thread into ``console``);
the test presses ``s`` in the GRUB menu for the diagnostics entry, which adds
``console=ttyS0 stick.mirror=ttyS0 stick.shell=ttyS1``: the image then copies the
app's screen (tty1) to ttyS0 and gives a root shell on serial port 1 (a unix
socket here), which ``run`` drives. ``kernel_boot`` skips the firmware and GRUB
(QEMU's ``-kernel``/``-initrd``/``-append``): the PXE test boots that way.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
OVMF_CODE_SECURE = Path("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
OVMF_VARS_MS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
"""Debian's ovmf package: plain, and Secure Boot with Microsoft's keys enrolled."""

SCREEN = re.compile(r"=== tty1 ===\n(.*?)\n=== /tty1 ===", re.DOTALL)
_END = re.compile(rb"@@END (\d+)@@\n")


class StickError(Exception):
    """The virtual laptop did not boot or did not answer."""


def accelerator() -> str:
    """``tcg`` unless BENCH_QEMU_ACCEL says otherwise (as tests/wipe/firmware/qemu_guest.py)."""
    return os.environ.get("BENCH_QEMU_ACCEL") or "tcg"


@dataclass(frozen=True)
class Laptop:
    """The identity of the virtual laptop."""

    smbios: tuple[str, ...]
    nvme_serial: str = "VNVME0001"
    sata_serial: str = "VSATA0001"
    sata_model: str = "VIRT-SATA-SSD"
    disk_bytes: int = 64 * 1024 * 1024
    cpu: str = "max"
    """QEMU's ``-cpu``: a model with its properties (``max,vendor=GenuineIntel,model-id=...``)."""


class StickMachine:
    """One QEMU process: the laptop with the stick plugged in."""

    def __init__(
        self,
        work: Path,
        image: Path,
        laptop: Laptop,
        *,
        firmware: str = "bios",
        kernel_boot: tuple[Path, Path, str] | None = None,
        memory_mb: int = 1536,
        stick: bool = True,
        network: str = "user",
        extra: Sequence[str] = (),
    ) -> None:
        self.work = work
        self.image = image
        self.laptop = laptop
        self.firmware = firmware
        self.kernel_boot = kernel_boot
        self.memory_mb = memory_mb
        self.stick = stick
        self.network = network
        self.extra = tuple(extra)
        self.proc: subprocess.Popen[bytes] | None = None
        self.shell: socket.socket | None = None
        self._console = bytearray()
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self.started = 0.0

    # -- set-up ---------------------------------------------------------------------------

    def _disks(self) -> list[str]:
        stick = self.work / "stick.qcow2"
        if self.stick and not stick.exists():  # a second boot keeps the first one's writes
            subprocess.run(
                ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                 "-b", str(self.image.resolve()), str(stick)],
                check=True,
            )  # fmt: skip
        for name in ("nvme", "sata"):
            path = self.work / f"{name}.img"
            if not path.exists():
                with open(path, "wb") as fh:
                    fh.truncate(self.laptop.disk_bytes)
        argv = [
            "-drive", f"file={self.work / 'nvme.img'},if=none,id=nv0,format=raw",
            "-device", f"nvme,serial={self.laptop.nvme_serial},drive=nv0",
            "-drive", f"file={self.work / 'sata.img'},if=none,id=sat0,format=raw",
            "-device", f"ide-hd,bus=ide.0,drive=sat0,model={self.laptop.sata_model},"
            f"serial={self.laptop.sata_serial},rotation_rate=1",
            "-device", "qemu-xhci,id=xhci",
        ]  # fmt: skip
        if self.stick:
            # First in the firmware's boot order; QEMU's -kernel takes boot index 0 itself.
            boot = ",bootindex=0" if self.kernel_boot is None else ""
            argv += [
                "-drive", f"file={stick},if=none,id=stick,format=qcow2",
                "-device", f"usb-storage,bus=xhci.0,drive=stick,serial=BENCHSTICK01{boot}",
            ]  # fmt: skip
        return argv

    def _firmware(self) -> list[str]:
        if self.kernel_boot is not None:
            kernel, initrd, append = self.kernel_boot
            return ["-M", "q35", "-kernel", str(kernel), "-initrd", str(initrd), "-append", append]
        if self.firmware == "bios":
            return ["-M", "q35"]
        secure = self.firmware == "uefi-secure"
        code, template = (OVMF_CODE_SECURE, OVMF_VARS_MS) if secure else (OVMF_CODE, OVMF_VARS)
        variables = self.work / "OVMF_VARS.fd"
        if not variables.exists():
            shutil.copyfile(template, variables)
        argv = [
            "-M", "q35,smm=on" if secure else "q35",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,unit=1,file={variables}",
        ]  # fmt: skip
        if secure:
            argv += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
        return argv

    def _nic(self) -> list[str]:
        """``user``: QEMU's user network (10.0.2.2 is the host's loopback); ``offline``: the
        same card with its cable in a network that reaches nothing (``restrict=on``: DHCP
        answers, the host and the outside do not); ``none``: no network card."""
        if self.network == "none":
            return ["-nic", "none"]
        restrict = ",restrict=on" if self.network == "offline" else ""
        return ["-nic", f"user,model=e1000{restrict}"]

    def start(self) -> None:
        shell_path = self.work / "shell.sock"
        shell_path.unlink(missing_ok=True)
        argv = [
            "qemu-system-x86_64",
            *self._firmware(),
            "-accel", accelerator(), "-cpu", self.laptop.cpu, "-m", str(self.memory_mb),
            "-smp", "2",
            "-display", "none", "-vga", "std", "-monitor", "none", "-no-reboot",
            "-serial", "stdio",
            "-serial", f"unix:{shell_path},server=on,wait=off",
            *self._nic(),
            *self._disks(),
            *self.extra,
        ]  # fmt: skip
        for entry in self.laptop.smbios:
            argv += ["-smbios", entry]
        self._console.clear()
        self.started = time.monotonic()
        with open(self.work / "qemu.stderr", "ab") as stderr:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
            )
        self._reader = threading.Thread(target=self._read_console, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(str(shell_path))
                self.shell = sock
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise StickError(f"QEMU did not start:\n{self.tail()}") from None
                time.sleep(0.1)  # polling for QEMU to create its socket, not timing a test

    def _read_console(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with open(self.work / "console.log", "ab") as log:
            while chunk := self.proc.stdout.read1(4096):
                log.write(chunk)
                log.flush()
                with self._lock:
                    self._console += chunk

    # -- reading the console ----------------------------------------------------------------

    @property
    def console(self) -> str:
        with self._lock:
            return self._console.decode("utf-8", errors="replace").replace("\r", "")

    def tail(self, chars: int = 4000) -> str:
        stderr = self.work / "qemu.stderr"
        text = stderr.read_text(errors="replace") if stderr.exists() else ""
        return (text + self.console)[-chars:]

    def screens(self) -> list[str]:
        """Every copy of the app's screen (tty1) seen on the serial console so far."""
        return SCREEN.findall(self.console)

    def choose_diagnostics_entry(self, timeout_s: float) -> float:
        """Presses ``s`` in the GRUB menu (on the serial terminal); returns when pressed."""
        deadline = time.monotonic() + timeout_s
        while "GNU GRUB" not in self.console and "Banc LaCollecte" not in self.console:
            self._alive(deadline, "the GRUB menu")
            time.sleep(0.2)  # polling the console, not timing a test
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"s")
        self.proc.stdin.flush()
        return time.monotonic() - self.started

    def wait_for_screen(self, text: str, timeout_s: float) -> str:
        """Waits until the app's screen shows ``text``; returns that screen."""
        deadline = time.monotonic() + timeout_s
        while True:
            for screen in self.screens():
                if text in screen:
                    return screen
            self._alive(deadline, f"the screen text {text!r}")
            time.sleep(0.5)  # polling the console, not timing a test

    def _alive(self, deadline: float, what: str) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise StickError(f"QEMU exited before {what}:\n{self.tail()}")
        if time.monotonic() > deadline:
            raise StickError(f"timed out waiting for {what}:\n{self.tail()}")

    # -- the root shell on serial port 1 ----------------------------------------------------

    def run(self, command: str, timeout_s: float = 60.0) -> tuple[int, str]:
        """Runs a shell command in the guest; returns its exit status and output."""
        if self.shell is None:
            raise StickError("no shell: the machine is not started")
        self.shell.sendall(f"{command}\necho @@END $?@@\n".encode())
        buffer = b""
        deadline = time.monotonic() + timeout_s
        self.shell.settimeout(1.0)
        while not (match := _END.search(buffer)):
            if time.monotonic() > deadline:
                raise StickError(f"no answer to {command!r}:\n{buffer.decode(errors='replace')}")
            with contextlib.suppress(TimeoutError):
                chunk = self.shell.recv(65536)
                if not chunk:
                    raise StickError(f"shell closed during {command!r}")
                buffer += chunk
        return int(match.group(1)), buffer[: match.start()].decode(errors="replace")

    def wait_for_shell(self, timeout_s: float) -> None:
        """Waits until the guest's diagnostics shell answers."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._alive(deadline, "the diagnostics shell")
            with contextlib.suppress(StickError):
                status, out = self.run("echo ready", timeout_s=5)
                if status == 0 and "ready" in out:
                    return

    def power_off(self, timeout_s: float = 120.0) -> None:
        """Powers the guest off from inside (systemd: disks synced, unmounted)."""
        assert self.proc is not None
        if self.shell is not None:
            with contextlib.suppress(OSError):
                self.shell.sendall(b"systemctl poweroff\n")
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise StickError(f"the guest did not power off:\n{self.tail()}") from None
        self._close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self._reader is not None:  # QEMU has exited: its stdout ends
            self._reader.join(timeout=10)
            self._reader = None
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        if self.shell is not None:
            self.shell.close()
            self.shell = None
