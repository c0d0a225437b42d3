"""The erasure station in the virtual laptop, drives hot-plugged through QEMU's monitor.

One boot of the bench stick's kernel and initrd (QEMU's ``-kernel``, root fetched over
HTTP from the host's loopback as in the PXE recipe: no firmware, no GRUB), with a QMP
socket. ``bench-agent station`` runs in the guest (its serial root shell) with docks
named by USB port, listening to udev; then, through QMP, as a technician at a station:

- a drive plugged into dock 1 (``device_add usb-storage`` with its serial) is erased by
  the policy: ERASED, no canary left in its image file on the host;
- a drive in dock 2 pulled mid-pass (``device_del``) ends INTERRUPTED; plugged back
  (same serial) it resumes from its checkpoint and ends ERASED;
- a dock (a USB hub with two drives) reset mid-erasure (``device_del`` of the hub: both
  drives drop at once): each its own INTERRUPTED certificate; the hub and drives back,
  each resumes (mid-pass, or only its read-back left when the write pass had ended:
  a fast host) and ends ERASED.

The certificates are read in the guest; the drives' image files are read on the host.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qemu_monitor import Qmp, qmp_args
from stick_machine import Laptop, StickMachine
from support.requirements import require, require_program

from tests.wipe.wipe_helpers import plant_canaries, surviving_canaries

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.timeout(1800)]

BOOT_TIMEOUT_S = 600.0
HOME = "/root/station"
SITE = """\
[station]
delay_s = 1
batch = "LOT-QEMU"
operator = "poste QEMU"

[station.slots]
dock-1 = "*/usb?/?-2/*"
dock-2 = "*/usb?/?-3/*"
hub-1 = "*/usb?/?-4/?-4.1/*"
hub-2 = "*/usb?/?-4/?-4.2/*"
"""
"""Docks by the guest's kernel DEVPATH: xHCI root ports 2 and 3, a hub on port 4."""
SUMMARY = (
    "import json,glob\n"
    "out=[]\n"
    f"for f in sorted(glob.glob('{HOME}/certificates/erasure-*.json')):\n"
    "    p=json.load(open(f))['payload']\n"
    "    out.append({k: p.get(k) for k in ('result','session_id','bytes_written',"
    "'device_size_bytes','reasons','source_computer')}"
    " | {'serial': p['media'].get('serial'), 'resumed_from': p['method'].get('resumed_from'),"
    " 'coverage': p['verification'].get('coverage_percent')})\n"
    "print('@@J'+json.dumps(out)+'J@@')\n"
)
JOURNAL = (
    "import json\n"
    f"for line in open('{HOME}/erasure-journal.jsonl'):\n"
    "    p = json.loads(line)['payload']\n"
    "    d = p.get('data') or {}\n"
    "    if p['event'] != 'checkpoint':\n"
    "        print(p['event'], {k: d.get(k) for k in ('session_id', 'result', 'resumed_from')},"
    " (d.get('device') or {}).get('serial'), (d.get('device') or {}).get('device_path'))\n"
)
"""The journal's sessions, printed with the test's output (what a failure is read from)."""
DRIVE_BYTES = 128 << 20


@pytest.fixture
def pxe_server(stick_image: Path) -> Iterator[tuple[Path, int]]:
    """The image's kernel, initrd and squashfs, served on the host's loopback (the guest
    reaches it as 10.0.2.2 through QEMU's user networking)."""
    pxe = stick_image.parent / "pxe"
    require((pxe / "filesystem.squashfs").is_file(), f"no PXE files beside the image ({pxe})")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(pxe))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pxe, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class Shell:
    """The guest's serial root shell, each answer found by a marker of its own: answers
    to commands that timed out while the guest booted (``wait_for_shell``) are skipped,
    never taken for the next command's."""

    def __init__(self, machine: StickMachine) -> None:
        assert machine.shell is not None
        self.sock = machine.shell
        self.buffer = b""

    def run(self, command: str, timeout_s: float = 60) -> str:
        token = secrets.token_hex(6)
        self.sock.sendall(f"{command}\necho @@END-{token} $?@@\n".encode())
        end = re.compile(rb"@@END-" + token.encode() + rb" (\d+)@@\n")
        deadline = time.monotonic() + timeout_s
        self.sock.settimeout(1.0)
        while not (match := end.search(self.buffer)):
            assert time.monotonic() < deadline, f"no answer to {command!r}: {self.buffer!r}"
            with contextlib.suppress(TimeoutError):
                chunk = self.sock.recv(65536)
                assert chunk, f"the guest's shell closed during {command!r}"
                self.buffer += chunk
        out, self.buffer = self.buffer[: match.start()], self.buffer[match.end() :]
        # Only what follows the last earlier answer's end belongs to this command.
        out = re.split(rb"@@END(?:-[0-9a-f]+)? \d+@@\n", out)[-1]
        text = out.decode(errors="replace")
        assert match.group(1) == b"0", (command, text)
        return text


def _write(shell: Shell, path: str, text: str) -> None:
    """A file in the guest, in one line (a here-document would echo continuation
    prompts into the shell's answers)."""
    data = base64.b64encode(text.encode()).decode()
    shell.run(f"echo {data} | base64 -d > {path}")


def _certificates(shell: Shell) -> list[dict[str, Any]]:
    out = shell.run("/opt/bench-agent/bin/python /tmp/summary.py")
    match = re.search(r"@@J(.*)J@@", out, re.DOTALL)
    assert match, out
    found: list[dict[str, Any]] = json.loads(match.group(1))
    return found


def _wait(shell: Shell, what: str, test: Any, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > deadline:
            log = shell.run(f"tail -n 40 {HOME}/station.log")
            raise AssertionError(f"timed out waiting for {what}; station.log:\n{log}")
        time.sleep(0.3)  # polling the guest, not timing a test


def _percent(shell: Shell, slot: str) -> int:
    """The last write-pass percentage the station printed for ``slot``."""
    out = shell.run(f"grep -a '^{slot} ' {HOME}/station.log | tail -n 1")
    match = re.search(r"(?:écriture|write) 1/1\s+(\d+) %", out)
    return int(match.group(1)) if match else -1


def _of(certs: list[dict[str, Any]], serial: str, result: str) -> list[dict[str, Any]]:
    return [c for c in certs if c["serial"] == serial and c["result"] == result]


def _when(shell: Shell, result: str, count: int) -> Any:
    """The certificates once ``count`` of them say ``result`` (else None: not yet)."""
    certs = _certificates(shell)
    return certs if sum(1 for c in certs if c["result"] == result) >= count else None


def test_drives_hot_plugged_through_qemu_are_erased_interrupted_and_resumed(
    tmp_path: Path, pxe_server: tuple[Path, int]
) -> None:
    for program in ("qemu-system-x86_64", "qemu-img"):
        require_program(program)
    pxe, port = pxe_server
    append = (
        f"boot=live fetch=http://10.0.2.2:{port}/filesystem.squashfs quiet "
        "console=ttyS0,115200 stick.shell=ttyS1 bench.lang=en bench.keymap=us "
        "systemd.mask=getty@tty1.service"  # no app on tty1: the station is the job here
    )
    qmp_path = tmp_path / "qmp.sock"
    machine = StickMachine(
        tmp_path,
        pxe / "filesystem.squashfs",  # never attached: kernel boot, no stick
        Laptop(smbios=("type=1,manufacturer=LaCollecte,product=Poste d'effacement",)),
        kernel_boot=(pxe / "vmlinuz", pxe / "initrd.img", append),
        memory_mb=2048,
        stick=False,
        extra=qmp_args(qmp_path),
    )
    drives: dict[str, Path] = {}
    for name, size in (
        ("DOCKA0001", 16 << 20),
        *((s, DRIVE_BYTES) for s in ("DOCKB0001", "HUBC0001", "HUBD0001")),
    ):
        drives[name] = tmp_path / f"{name}.img"
        with open(drives[name], "wb") as fh:
            fh.truncate(size)
        plant_canaries(drives[name], size)
    t0 = time.monotonic()
    qmp: Qmp | None = None
    try:
        machine.start()
        qmp = Qmp(qmp_path)
        machine.wait_for_shell(BOOT_TIMEOUT_S)
        shell = Shell(machine)
        booted_s = time.monotonic() - t0
        print(f"booted to the shell in {booted_s:.0f} s")
        shell.run(f"mkdir -p {HOME}")
        _write(shell, f"{HOME}/site.toml", SITE)
        _write(shell, "/tmp/summary.py", SUMMARY)
        _write(shell, "/tmp/journal.py", JOURNAL)
        shell.run(
            f"cd {HOME} && BENCH_AGENT_HOME={HOME} BENCH_AGENT_LANG=en "
            f"nohup bench-agent station --every 1 > {HOME}/station.log 2>&1 & "
            f"echo $! > {HOME}/station.pid",
        )
        _wait(
            shell,
            "the station to listen",
            lambda: "Erasure station" in shell.run(f"cat {HOME}/station.log"),
            120,
        )

        def plug(serial: str, node: str, port_: str) -> None:
            qmp.plug_usb_drive(
                drives[serial], node=node, device_id=node, serial=serial, bus="xhci.0", port=port_
            )

        # Dock 1: plugged, erased by the policy.
        plug("DOCKA0001", "a", "2")
        # Dock 2 and the hub's two drives: pulled / reset once each is past its first
        # checkpoint (10 % of the pass), then plugged back.
        plug("DOCKB0001", "b", "3")
        qmp.execute("device_add", driver="usb-hub", id="hub", bus="xhci.0", port="4")
        plug("HUBC0001", "c", "4.1")
        plug("HUBD0001", "d", "4.2")
        _wait(shell, "dock-2 past 20 %", lambda: _percent(shell, "dock-2") >= 20)
        qmp.unplug("b")
        qmp.drop_node("b")
        _wait(
            shell,
            "the hub's drives past 20 %",
            lambda: min(_percent(shell, s) for s in ("hub-1", "hub-2")) >= 20,
        )
        qmp.unplug("hub")  # the dock's reset: both drives gone at once
        for node in ("c", "d"):
            qmp.drop_node(node)
        _wait(shell, "three INTERRUPTED certificates", lambda: _when(shell, "INTERRUPTED", 3))
        plug("DOCKB0001", "b", "3")
        qmp.execute("device_add", driver="usb-hub", id="hub", bus="xhci.0", port="4")
        plug("HUBC0001", "c", "4.1")
        plug("HUBD0001", "d", "4.2")
        certs = _wait(shell, "four ERASED certificates", lambda: _when(shell, "ERASED", 4))
        took_s = time.monotonic() - t0
        shell.run(f"kill -TERM $(cat {HOME}/station.pid); sleep 2")
        log = shell.run(f"cat {HOME}/station.log")
        journal = shell.run("/opt/bench-agent/bin/python /tmp/journal.py")
    finally:
        if qmp is not None:
            qmp.close()
        machine.stop()
    print(
        f"station hot-plug in the virtual laptop: booted in {booted_s:.0f} s, "
        f"whole test {took_s:.0f} s"
    )

    assert len(certs) == 7, certs  # A erased; B, C, D interrupted then resumed
    print(log)
    print(journal)
    (erased_a,) = _of(certs, "DOCKA0001", "ERASED")
    assert erased_a["resumed_from"] is None
    assert erased_a["source_computer"]["batch"] == "LOT-QEMU"
    assert surviving_canaries(drives["DOCKA0001"]) == []
    for serial in ("DOCKB0001", "HUBC0001", "HUBD0001"):
        (first,) = _of(certs, serial, "INTERRUPTED")
        (second,) = _of(certs, serial, "ERASED")
        assert any("disappeared" in r for r in first["reasons"]["en"]), first
        assert second["result"] == "ERASED", second
        resumed = second["resumed_from"]
        assert resumed is not None and resumed["session_id"] == first["session_id"], second
        if resumed["pass_index"] == 0:  # pulled mid-pass: the rest of the pass written
            assert 0 < resumed["offset_bytes"] < DRIVE_BYTES, resumed
            assert second["bytes_written"] == DRIVE_BYTES - resumed["offset_bytes"]
        else:  # pulled during the read-back (a fast host): the pass stands, read back now
            assert resumed["pass_index"] == 1 and second["bytes_written"] == 0, second
        assert second["coverage"] == 100
        assert surviving_canaries(drives[serial]) == []
    assert "Traceback" not in log, log
