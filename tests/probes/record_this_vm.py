"""Record what the part-B probes read on the machine running this script.

Used once to make tests/probes/hosts/this-vm (the project's CI-like VM: virtio
disk, zram, no DRM, no TPM, legacy boot). /proc/self/mountinfo is trimmed to
the system mounts (/, /proc, /sys, /dev...): the rest belongs to the machine's
sandboxing, not to the hardware under test.

    .venv/bin/python tests/probes/record_this_vm.py tests/probes/hosts/this-vm
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench_agent.host.base import Recording
from bench_agent.host.live import LiveHost
from bench_agent.host.recorded import write_recording
from bench_agent.probes import devices, display, firmware, os_release, storage

KEEP_MOUNTS = {"/", "/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/run"}


def main(target: Path) -> None:
    recording = Recording()
    host = LiveHost(recording)
    notes: list = []  # type: ignore[type-arg]
    storage.probe_disks(host, notes)
    storage.mounted_disks(host)
    display.probe_displays(host, notes)
    devices.probe_devices(host, notes)
    firmware.probe_firmware(host, notes)
    os_release.probe_os(host, notes)
    mountinfo = recording.files.get("/proc/self/mountinfo")
    if mountinfo:
        kept = [
            line
            for line in mountinfo.decode().splitlines()
            if len(line.split()) > 4 and line.split()[4] in KEEP_MOUNTS
        ]
        recording.files["/proc/self/mountinfo"] = ("\n".join(kept) + "\n").encode()
    write_recording(
        recording,
        target,
        "this project's VM (virtio disk, zram, no DMI/DRM/TPM), "
        "recorded by tests/probes/record_this_vm.py",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
