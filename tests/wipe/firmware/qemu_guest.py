"""A tiny QEMU guest with emulated NVMe, SATA and USB drives, driven like a command runner.

The guest is Debian's kernel plus a busybox initramfs holding this machine's
own hdparm and nvme-cli (and their libraries). Its /init answers commands on a
second serial port: the host sends one base64-encoded shell line, the guest
replies with the exit status and base64 stdout/stderr. ``GuestRunner.run`` has
the shape of ``wipe.runner_protocol.Runner``, so ``wipe.firmware`` runs against
the emulated controllers exactly as it would against a laptop's drives.

Everything lives in a temporary directory; the drives are sparse files.
``Guest`` takes SMBIOS strings, drive serials and extra programs (dmidecode,
smartctl) so the same guest serves as a virtual laptop for the inventory and
health end-to-end tests (tests/e2e). It runs under TCG (see ``accelerator``).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from firmware_replay import Result

MODULES = [
    "crct10dif_common",
    "crct10dif_generic",
    "crc-t10dif",
    "crc64",
    "crc64_rocksoft_generic",
    "crc64-rocksoft",
    "t10-pi",
    "nvme-core",
    "nvme",
    "scsi_common",
    "scsi_mod",
    "libata",
    "libahci",
    "ahci",
    "sd_mod",
    "usb-common",
    "usbcore",
    "xhci-hcd",
    "xhci-pci",
    "usb-storage",
]

_INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/sbin LANG=C
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in {modules}; do insmod /mods/$m.ko || echo "insmod $m failed"; done
i=0
while [ $i -lt 90 ] && {{ [ ! -b /dev/nvme0n1 ] || [ ! -b /dev/sda ] || [ ! -b /dev/sdb ]; }}; do
  sleep 1; i=$((i+1))
done
stty -F /dev/ttyS1 raw -echo
exec 3<>/dev/ttyS1
echo READY >&3
while read -r line <&3; do
  [ "$line" = EXIT ] && break
  echo "$line" | base64 -d > /tmp/cmd
  sh /tmp/cmd >/tmp/o 2>/tmp/e; rc=$?
  {{ echo "BEGIN $rc"; base64 /tmp/o; echo ---; base64 /tmp/e; echo END; }} >&3
done
poweroff -f
"""


class GuestError(RuntimeError):
    """The QEMU guest could not be built, started or talked to."""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bench-agent" / "qemu-guest"


def debian_kernel() -> tuple[Path, Path]:
    """(vmlinuz, modules dir) of Debian's current kernel, downloaded once with apt-get."""
    cache = _cache_dir()
    found = sorted(cache.glob("boot/vmlinuz-*"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        depends = subprocess.run(
            ["apt-cache", "depends", "linux-image-amd64"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        names = [
            line.split(":", 1)[1].strip()
            for line in depends.splitlines()
            if line.strip().startswith("Depends: linux-image-")
        ]
        if not names:
            raise GuestError("apt-cache knows no linux-image-amd64 dependency")
        download = subprocess.run(
            ["apt-get", "download", names[0]], cwd=cache, capture_output=True, check=False
        )
        debs = sorted(cache.glob("linux-image-*.deb"))
        if download.returncode != 0 or not debs:
            raise GuestError(f"apt-get download {names[0]} failed: {download.stderr[-300:]!r}")
        # Extract only the kernel and the storage/USB modules (the full tree is 400 MB).
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(debs[0])], stdout=subprocess.PIPE)
        subprocess.run(
            [
                "tar",
                "-x",
                "-C",
                str(cache),
                "--wildcards",
                "./boot/vmlinuz-*",
                "./lib/modules/*/kernel/drivers/nvme/*",
                "./lib/modules/*/kernel/drivers/ata/*ahci*",
                "./lib/modules/*/kernel/drivers/ata/libata.ko",
                "./lib/modules/*/kernel/drivers/scsi/*",
                "./lib/modules/*/kernel/drivers/usb/*",
                "./lib/modules/*/kernel/block/*",
                "./lib/modules/*/kernel/lib/*",
                "./lib/modules/*/kernel/crypto/*",
            ],
            stdin=tar.stdout,
            check=True,
        )
        tar.wait()
        if tar.stdout is not None:
            tar.stdout.close()
        debs[0].unlink()
        found = sorted(cache.glob("boot/vmlinuz-*"))
    if not found:
        raise GuestError(f"no kernel extracted into {cache}")
    modules = next((cache / "lib" / "modules").iterdir())
    return found[-1], modules


PROGRAMS = ("hdparm", "nvme")
"""Programs of this machine copied (with their libraries) into every guest."""


def build_initramfs(work: Path, modules_dir: Path, programs: Sequence[str] = PROGRAMS) -> Path:
    root = work / "root"
    for sub in ("bin", "usr/sbin", "mods", "proc", "sys", "dev", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    busybox = shutil.which("busybox")
    if busybox is None:
        raise GuestError("busybox (static) not found")
    shutil.copy(busybox, root / "bin" / "busybox")
    for program in programs:
        path = shutil.which(program, path="/usr/sbin:/sbin:/usr/bin:/bin")
        if path is None:
            raise GuestError(f"{program} not installed")
        shutil.copy(path, root / "usr" / "sbin" / program)
        ldd = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
        for token in ldd.split():
            if token.startswith("/") and Path(token).exists():
                target = root / token.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(Path(token).resolve(), target)
    for name in MODULES:
        matches = list(modules_dir.rglob(f"{name}.ko"))
        if not matches:
            raise GuestError(f"kernel module {name}.ko not found under {modules_dir}")
        shutil.copy(matches[0], root / "mods" / f"{name}.ko")
    init = root / "init"
    init.write_text(_INIT.format(modules=" ".join(MODULES)))
    init.chmod(0o755)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    cpio = subprocess.run(
        [busybox, "cpio", "-o", "-H", "newc"],
        cwd=root,
        input="\n".join([".", *files]).encode(),
        capture_output=True,
        check=True,
    )
    image = work / "initrd.cpio"
    image.write_bytes(cpio.stdout)
    return image


@dataclass
class GuestRunner:
    """Runs argv lists inside the guest; shaped like wipe.runner_protocol.Runner."""

    sock: socket.socket
    buffer: bytes = b""

    def _readline(self, deadline: float) -> bytes:
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("guest did not answer in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise GuestError("guest closed the agent port")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._readline(deadline) != b"READY":
            pass

    def run(self, argv: list[str], timeout_s: float) -> Result:
        line = base64.b64encode(shlex.join(argv).encode()) + b"\n"
        self.sock.sendall(line)
        deadline = time.monotonic() + timeout_s + 30
        try:
            header = self._readline(deadline)
            while not header.startswith(b"BEGIN "):
                header = self._readline(deadline)
            parts: list[list[bytes]] = [[], []]
            index = 0
            while (row := self._readline(deadline)) != b"END":
                if row == b"---":
                    index = 1
                else:
                    parts[index].append(row)
        except TimeoutError:
            return Result(None, error="timeout")
        return Result(
            int(header.split()[1]),
            base64.b64decode(b"".join(parts[0])),
            base64.b64decode(b"".join(parts[1])),
        )


def accelerator() -> str:
    """QEMU's accelerator: ``tcg`` unless BENCH_QEMU_ACCEL says otherwise (``kvm``).

    Not chosen from /dev/kvm alone: on the CI machine /dev/kvm opens but the CPU
    exposes no vmx/svm and a KVM guest hangs after the boot loader, while TCG
    boots this initramfs in about 10 s.
    """
    return os.environ.get("BENCH_QEMU_ACCEL") or "tcg"


class Guest:
    """A QEMU guest with one NVMe, one SATA and one USB drive (64 MiB sparse files each).

    ``smbios`` entries are passed as ``-smbios`` options (``type=1,manufacturer=...``;
    a comma inside a value is written ``,,``); ``programs`` are extra programs of
    this machine to copy into the guest beside hdparm and nvme-cli.
    """

    def __init__(
        self,
        work: Path,
        *,
        smbios: Sequence[str] = (),
        programs: Sequence[str] = (),
        nvme_serial: str = "LCTNVME0001",
        sata_serial: str = "LCTSATA0001",
        sata_model: str = "LCT-SATA-SSD",
    ) -> None:
        self.work = work
        self.smbios = tuple(smbios)
        self.programs = (*PROGRAMS, *programs)
        self.nvme_serial = nvme_serial
        self.sata_serial = sata_serial
        self.sata_model = sata_model
        self.proc: subprocess.Popen[bytes] | None = None
        self.runner: GuestRunner | None = None

    def start(self, boot_timeout_s: float = 180.0) -> GuestRunner:
        vmlinuz, modules = debian_kernel()
        initrd = build_initramfs(self.work, modules, self.programs)
        for name in ("nvme", "sata", "usb"):
            with open(self.work / f"{name}.img", "wb") as fh:
                fh.truncate(64 * 1024 * 1024)
        sock_path = self.work / "agent.sock"
        argv = [
            "qemu-system-x86_64",
            "-M", "q35", "-accel", accelerator(), "-cpu", "max", "-m", "512", "-smp", "1",
            "-kernel", str(vmlinuz), "-initrd", str(initrd),
            "-append", "console=ttyS0 quiet rdinit=/init panic=-1",
            "-display", "none", "-no-reboot", "-nic", "none", "-monitor", "none",
            "-serial", f"file:{self.work / 'console.log'}",
            "-serial", f"unix:{sock_path},server=on,wait=off",
            "-drive", f"file={self.work / 'nvme.img'},if=none,id=nv0,format=raw",
            "-device", f"nvme,serial={self.nvme_serial},drive=nv0",
            "-drive", f"file={self.work / 'sata.img'},if=none,id=sat0,format=raw",
            "-device", f"ide-hd,bus=ide.0,drive=sat0,model={self.sata_model},"
            f"serial={self.sata_serial},rotation_rate=1",
            "-device", "qemu-xhci,id=xhci",
            "-drive", f"file={self.work / 'usb.img'},if=none,id=us0,format=raw",
            "-device", "usb-storage,bus=xhci.0,drive=us0,serial=LCTUSB0001",
        ]  # fmt: skip
        for entry in self.smbios:
            argv += ["-smbios", entry]
        with open(self.work / "qemu.stderr", "wb") as stderr:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + 30
        while True:
            try:
                sock.connect(str(sock_path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise GuestError(f"QEMU did not start: {self.console()}") from None
                time.sleep(0.1)  # polling for QEMU to create its socket, not timing a test
        self.runner = GuestRunner(sock)
        try:
            self.runner.wait_ready(boot_timeout_s)
        except (TimeoutError, GuestError) as exc:
            raise GuestError(f"guest not ready ({exc}); console:\n{self.console()}") from exc
        return self.runner

    def console(self) -> str:
        text = ""
        for name in ("qemu.stderr", "console.log"):
            path = self.work / name
            if path.exists():
                text += path.read_text(errors="replace")[-3000:]
        return text

    def stop(self) -> None:
        if self.runner is not None:
            with contextlib.suppress(OSError):
                self.runner.sock.sendall(b"EXIT\n")
            self.runner.sock.close()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
