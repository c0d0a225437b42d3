"""USB ports: the root hubs' ports and a stick appearing when the technician plugs it.

``/sys/bus/usb/devices`` lists root hubs (``usb1``), devices (``1-2``, ``1-2.3``) and
interfaces (``1-2:1.0``). A device name starts with its bus and root port, so a new
``3-1`` means "something was plugged into port 1 of bus 3".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench_agent.host.base import Host

USB_DEVICES = "/sys/bus/usb/devices"
_DEVICE = re.compile(r"^(\d+)-(\d+)(?:\.\d+)*$")


@dataclass(frozen=True, slots=True)
class RootHub:
    bus: int
    ports: int
    speed_mbps: int | None


def root_hubs(host: Host) -> list[RootHub]:
    hubs: list[RootHub] = []
    for name in sorted(host.list_dir(USB_DEVICES) or []):
        if not name.startswith("usb") or not name[3:].isdigit():
            continue
        ports = host.read_text(f"{USB_DEVICES}/{name}/maxchild")
        speed = host.read_text(f"{USB_DEVICES}/{name}/speed")
        hubs.append(
            RootHub(
                int(name[3:]),
                int(ports) if ports and ports.isdigit() else 0,
                int(speed) if speed and speed.isdigit() else None,
            )
        )
    return hubs


def devices(host: Host) -> set[str]:
    """Names of the USB devices plugged now (interfaces and root hubs left out)."""
    return {n for n in host.list_dir(USB_DEVICES) or [] if _DEVICE.match(n)}


def root_port(device: str) -> str:
    """``3-1.4`` → ``3-1``: the root port a device hangs from."""
    match = _DEVICE.match(device)
    return f"{match.group(1)}-{match.group(2)}" if match else device


def new_devices(before: set[str], after: set[str]) -> list[str]:
    """Devices present now that were not there before, top-level first."""
    return sorted(after - before, key=lambda n: (n.count("."), n))


def wait_for_new_device(
    host: Host,
    before: set[str],
    timeout_s: float,
    poll_s: float,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Poll the host until a device not in ``before`` appears; its name, or None at timeout."""
    deadline = clock() + timeout_s
    while True:
        fresh = new_devices(before, devices(host))
        if fresh:
            return fresh[0]
        if cancelled() or clock() >= deadline:
            return None
        sleep(poll_s)
