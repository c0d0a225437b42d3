"""Inventory: run every probe over a host and assemble the Inventory.

Command-backed probes (dmidecode, lspci) start first in threads so their
process start-up overlaps the sysfs reads; py-cpuinfo is never on this path.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from bench_agent.host import Host
from bench_agent.model.common import Note
from bench_agent.model.inventory import Inventory
from bench_agent.probes import (
    battery,
    cpu,
    devices,
    display,
    dmidecode,
    firmware,
    identity,
    memory,
    os_release,
    storage,
    win11,
)


def collect_inventory(host: Host) -> Inventory:
    """Probe everything the bench needs to know about the machine behind ``host``."""
    start = time.perf_counter()
    notes: list[Note] = []
    # Threaded probes keep their own notes, merged in a fixed order afterwards,
    # so a report (and a recorded replay of it) is deterministic.
    dmi_notes: list[Note] = []
    devices_notes: list[Note] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        dmi_future = pool.submit(dmidecode.probe_dmidecode, host, dmi_notes)
        devices_future = pool.submit(devices.probe_devices, host, devices_notes)
        ident = identity.probe_identity(host, notes)
        cpu_info = cpu.probe_cpu(host, notes)
        disks = storage.probe_disks(host, notes)
        batteries = battery.probe_batteries(host, notes)
        displays = display.probe_displays(host, notes)
        fw = firmware.probe_firmware(host, notes)
        os_info = os_release.probe_os(host, notes)
        dmi = dmi_future.result()
        devs = devices_future.result()
    notes.extend(dmi_notes)
    notes.extend(devices_notes)
    mem = memory.probe_memory(host, notes, dmi)
    identity.complete_from_dmidecode(ident, dmi)
    battery.complete_from_dmidecode(batteries, dmi, notes)
    inv = Inventory(
        identity=ident,
        cpu=cpu_info,
        memory=mem,
        disks=disks,
        batteries=batteries,
        displays=displays,
        devices=devs,
        firmware=fw,
        os=os_info,
        notes=notes,
    )
    inv.win11 = win11.assess_win11(inv)
    inv.duration_ms = round((time.perf_counter() - start) * 1000, 1)
    return inv
