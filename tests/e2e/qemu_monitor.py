"""QEMU's machine protocol (QMP) on a unix socket: hot-plug and unplug devices of a
running virtual machine, as a technician plugs a drive into a dock and pulls it.

``qmp_args(path)`` gives the QEMU options that create the socket (QEMU then waits for no
one: ``wait=off``); ``Qmp(path)`` connects, negotiates and runs commands. Events QEMU
sends meanwhile (``DEVICE_DELETED`` once the guest let a device go) are kept and waited
for with :meth:`Qmp.wait_event`.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class QmpError(Exception):
    """QEMU answered a command with an error, or the monitor did not answer."""


def qmp_args(path: Path) -> list[str]:
    return ["-qmp", f"unix:{path},server=on,wait=off"]


class Qmp:
    def __init__(self, path: Path, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() > deadline:
                    raise QmpError(f"no QMP socket at {path}") from None
                time.sleep(0.1)  # polling for QEMU to create its socket, not timing a test
        self.sock = sock
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        greeting = self._read(timeout_s)
        if "QMP" not in greeting:
            raise QmpError(f"not a QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def _read(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError("QMP: no answer")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise QmpError("QMP: QEMU closed the monitor")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, command: str, timeout_s: float = 30.0, **arguments: Any) -> Any:
        """Runs ``command``; returns its ``return`` value, raises QmpError on ``error``."""
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            message = self._read(timeout_s)
            if "event" in message:
                self.events.append(message)
                continue
            if "error" in message:
                raise QmpError(f"{command}: {message['error'].get('desc', message['error'])}")
            return message.get("return")

    def wait_event(self, name: str, timeout_s: float = 60.0, **data: Any) -> dict[str, Any]:
        """The first event ``name`` whose data has ``data`` (kept or still to come)."""
        deadline = time.monotonic() + timeout_s
        while True:
            for i, event in enumerate(self.events):
                got = event.get("data") or {}
                if event["event"] == name and all(got.get(k) == v for k, v in data.items()):
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError(f"QMP: no {name} event {data} (seen: {self.events})")
            self.events.append(self._read(left))

    # -- drives ------------------------------------------------------------------------

    def plug_usb_drive(
        self, image: Path, *, node: str, device_id: str, serial: str, bus: str, port: str
    ) -> None:
        """A raw image as a USB mass-storage drive on ``bus`` at ``port`` (``3`` or a
        hub's ``3.1``), with its serial: ``blockdev-add`` then ``device_add``."""
        self.execute(
            "blockdev-add",
            driver="raw",
            **{"node-name": node},
            file={"driver": "file", "filename": str(image), "aio": "threads"},
        )
        self.execute(
            "device_add",
            driver="usb-storage",
            id=device_id,
            drive=node,
            serial=serial,
            bus=bus,
            port=port,
        )

    def unplug(self, device_id: str, timeout_s: float = 60.0) -> None:
        """``device_del`` and wait until QEMU reports the device gone."""
        self.execute("device_del", id=device_id)
        self.wait_event("DEVICE_DELETED", timeout_s, device=device_id)

    def drop_node(self, node: str) -> None:
        """The drive's block node, once its device is gone (to plug it again)."""
        self.execute("blockdev-del", **{"node-name": node})

    def close(self) -> None:
        self.sock.close()
