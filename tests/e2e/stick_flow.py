"""The unattended flow inside the booted stick: what the boot tests and the benchmark share.

- the laptop's identity beyond QEMU's ``-smbios type=N`` options: a Notebook chassis
  (type 3), two SO-DIMMs (type 17) and a portable battery (type 22) given as raw SMBIOS
  structures (``-smbios file=``; QEMU 7.2 has no chassis-type option and then leaves
  out its own structures of those types), the CPU's vendor and model strings;
- canary data written into the raw disk images before boot and looked for afterwards;
- a drive with injected I/O errors (QEMU ``blkdebug``, on the raw format's reads and
  writes of one range);
- the central inventory service on the host's loopback (SQLite), which the guest reaches
  as 10.0.2.2 through QEMU's user network, with the stick's own bench key enrolled;
- the site settings written onto BENCH-DATA (``site.toml``) through the serial shell,
  and the app started again as the tty1 session does (getty logs in again).

QEMU 7.2 (Debian 12) emulates no ACPI battery (no device of the kind: the guest's
/sys/class/power_supply stays empty); only the SMBIOS record describes one.
"""

from __future__ import annotations

import json
import re
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from stick_machine import StickMachine

from central_inventory.admin import create_tenant, create_token, parse_public_key, register_bench
from central_inventory.app import create_app
from central_inventory.config import Settings
from central_inventory.db import Certificate, Report, Unit, make_engine, make_sessionmaker
from central_inventory.evidence import Verification, verify_certificates
from central_inventory.migrate import upgrade
from central_inventory.trust import create_network_key
from tests.central.central_harness import serve_in_thread
from wipe.signing import verify_envelope

CANARY = b"LACOLLECTE-CANARY-DONOR-DATA:"
"""Starts every 4 KiB block of a disk image before boot (then the block's number)."""
BLOCK = 4096
DONE = re.compile(r"(?:Terminé|Finished) \(code (\d+)\) ?:[^.]*\.")
"""The unattended run's last line, whole (``Terminé (code 0) : ... central.``): the
screen copy may catch it half written."""

CPU_MODEL = "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz"
CPU = f"max,vendor=GenuineIntel,family=6,model=142,stepping=10,model-id={CPU_MODEL}"
"""An 8th-generation ThinkPad's CPU (6104 points in profiles/cpu/cpus.csv)."""
DIMM_MB = 2048
DIMMS = 2
MEMORY_MB = DIMM_MB * DIMMS
"""What QEMU gives the guest: the sum of the SO-DIMMs the SMBIOS records describe."""


# -- SMBIOS structures -------------------------------------------------------------------


def _structure(kind: int, handle: int, formatted: bytes, strings: list[str]) -> bytes:
    header = struct.pack("<BBH", kind, 4 + len(formatted), handle)
    text = b"".join(s.encode("ascii") + b"\0" for s in strings) or b"\0"
    return header + formatted + text + b"\0"


def chassis_notebook(manufacturer: str, serial: str) -> bytes:
    """Type 3, System Enclosure: 0x0A Notebook (SMBIOS 3.x, 22 bytes with the SKU)."""
    formatted = struct.pack(
        "<BBBBBBBBBIBBBBB",
        1, 0x0A, 2, 3, 4,  # manufacturer, type Notebook, version, serial, asset tag
        3, 3, 3, 3,  # boot-up, power supply, thermal, security: safe / none
        0, 0, 1, 0, 0,  # OEM, height, power cords, contained elements (none)
        5,  # SKU
    )  # fmt: skip
    strings = [manufacturer, "None", serial, "No Asset Information", "LENOVO_MT_20HR"]
    return _structure(3, 0x0300, formatted, strings)


def sodimm(index: int, size_mb: int) -> bytes:
    """Type 17, Memory Device: a DDR4-2400 SO-DIMM in QEMU's memory array (handle 0x1000)."""
    formatted = struct.pack(
        "<HHHHHBBBBBHHBBBBBIHHHH",
        0x1000, 0xFFFE, 64, 64, size_mb,  # array, no error info, widths, size in MB
        0x0D, 0, 1, 2, 0x1A,  # SODIMM, no set, locator, bank, DDR4
        0x0080, 2400,  # synchronous, MT/s
        3, 4, 5, 6, 1,  # manufacturer, serial, asset, part number, rank 1
        0, 2400, 1200, 1200, 1200,  # extended size, configured speed, voltages (mV)
    )  # fmt: skip
    strings = [
        f"ChannelA-DIMM{index}",
        f"BANK {index}",
        "Samsung",
        f"3A1B2C{index:02d}",
        "None",
        "M471A5244CB0-CRC",
    ]
    return _structure(17, 0x1100 + index, formatted, strings)


def battery() -> bytes:
    """Type 22, Portable Battery: 57 Wh lithium polymer, 11.58 V (an X1 Carbon 5th's)."""
    formatted = struct.pack(
        "<BBBBBBHHBBHHBBI",
        1, 2, 3, 4, 5,  # location, manufacturer, date, serial, name
        0x08, 57000, 11580,  # lithium polymer, mWh (x1), mV
        0, 0xFF, 0, 0, 0, 1, 0,  # SBDS: none; capacity multiplier 1
    )  # fmt: skip
    strings = ["Front", "SMP", "01/15/2019", "0431", "01AV430"]
    return _structure(22, 0x1600, formatted, strings)


def notebook_smbios(work: Path, serial: str) -> tuple[str, ...]:
    """``-smbios file=`` entries for the chassis, memory and battery structures."""
    work.mkdir(parents=True, exist_ok=True)
    blobs = {
        "smbios-chassis.bin": chassis_notebook("LENOVO", serial),
        "smbios-memory.bin": b"".join(sodimm(i, DIMM_MB) for i in range(DIMMS)),
        "smbios-battery.bin": battery(),
    }
    entries = []
    for name, data in blobs.items():
        (work / name).write_bytes(data)
        entries.append(f"file={work / name}")
    return tuple(entries)


# -- canaries and a failing drive --------------------------------------------------------


def fill_canary(path: Path, size: int) -> None:
    """The donor's data: every 4 KiB block starts with CANARY and its number."""
    with open(path, "wb") as fh:
        for start in range(0, size, 1 << 20):
            chunk = bytearray(1 << 20)
            for offset in range(0, len(chunk), BLOCK):
                mark = CANARY + b"%012d" % ((start + offset) // BLOCK)
                chunk[offset : offset + len(mark)] = mark
            fh.write(chunk)


def canary_offsets(path: Path) -> list[int]:
    """The byte offsets where a canary mark is still found (the whole image is read)."""
    found: list[int] = []
    with open(path, "rb") as fh:
        position = 0
        while chunk := fh.read(1 << 22):
            index = chunk.find(CANARY)
            while index >= 0:
                found.append(position + index)
                index = chunk.find(CANARY, index + 1)
            position += len(chunk)
    return found


def blkdebug_drive(work: Path, image: Path, bad_start: int, bad_sectors: int, ident: str) -> str:
    """A ``-drive`` value: raw format over blkdebug over ``image``, every read and write
    touching the sectors from ``bad_start`` (512-byte sectors) failing with EIO. Only
    reads and writes: the drive's own Format (QEMU writes zeroes) still works, as a
    drive with a few bad sectors may format; with write-zeroes failing too, QEMU's
    NVMe Format ends in an internal error and every later I/O fails."""
    rules = []
    for sector in range(bad_start, bad_start + bad_sectors):
        for event, iotype in (("read_aio", "read"), ("write_aio", "write")):
            rules.append(
                f'[inject-error]\nevent = "{event}"\niotype = "{iotype}"\nerrno = "5"\n'
                f'sector = "{sector}"\nonce = "off"\nimmediately = "off"\n'
            )
    config = work / f"{ident}-blkdebug.conf"
    config.write_text("\n".join(rules))
    return (
        f"driver=raw,if=none,id={ident},file.driver=blkdebug,file.config={config},"
        f"file.image.driver=file,file.image.filename={image}"
    )


# -- the central service on the host's loopback -------------------------------------------


@dataclass
class Central:
    base_url: str
    port: int
    sessions: Any
    tenant: str

    def enrol(self, public_key: str, name: str = "stick-poste1") -> str:
        """Registers the bench's public key; its token."""
        register_bench(self.sessions, self.tenant, name, parse_public_key(public_key), site="GR")
        return create_token(self.sessions, "bench", bench=name).token

    def reports(self) -> list[tuple[str, int]]:
        with self.sessions() as session:
            rows = session.execute(select(Report.report_id, Report.revision)).all()
            return [(r[0], r[1]) for r in rows]

    def certificates(self) -> list[tuple[str, dict[str, Any]]]:
        """Every stored certificate: its id and its signed payload."""
        with self.sessions() as session:
            rows = session.execute(select(Certificate.certificate_id, Certificate.envelope)).all()
        out = []
        for certificate_id, envelope in rows:
            payload = verify_envelope(json.loads(envelope))
            out.append((certificate_id, payload if isinstance(payload, dict) else {}))
        return out

    def verify(self, certificate_id: str) -> list[Verification]:
        with self.sessions() as session:
            return verify_certificates(session, certificate_id)

    def units(self) -> list[tuple[str | None, str | None, str | None]]:
        with self.sessions() as session:
            rows = session.execute(select(Unit.maker, Unit.model, Unit.serial)).all()
            return [(r[0], r[1], r[2]) for r in rows]

    def report_payloads(self) -> list[dict[str, Any]]:
        """Every stored report revision's signed payload."""
        with self.sessions() as session:
            envelopes = session.execute(select(Report.envelope)).scalars().all()
        payloads = [verify_envelope(json.loads(e)) for e in envelopes]
        return [p if isinstance(p, dict) else {} for p in payloads]


@contextmanager
def central_on_loopback(work: Path) -> Iterator[Central]:
    """The central inventory service over SQLite on 127.0.0.1 (the guest's 10.0.2.2)."""
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'central.db'}"
    key = work / "network-key.pem"
    create_network_key(key)
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, max_body_bytes=256 * 1024, network_key=key)
    base_url, server, thread = serve_in_thread(create_app(settings, engine=engine))
    sessions = make_sessionmaker(engine)
    create_tenant(sessions, "lyon", "Atelier de Lyon")
    try:
        yield Central(base_url, int(base_url.rsplit(":", 1)[1]), sessions, "lyon")
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


# -- inside the guest -------------------------------------------------------------------

HOME = "/var/lib/bench-agent"
GUEST_PYTHON = "/opt/bench-agent/bin/python"


def guest_public_key(machine: StickMachine) -> str:
    """The stick's bench key (created on BENCH-DATA if the app has not yet), base64."""
    status, out = machine.run(
        f"{GUEST_PYTHON} -c 'from wipe.signing import BenchKey; "
        f'print(BenchKey.load_or_create("{HOME}/bench-key.pem").public_b64)\''
    )
    assert status == 0, out
    return out.strip().splitlines()[-1]


def site_toml(central_port: int, token: str, *, after: str = "wait") -> str:
    return (
        'name = "GR"\nlang = "fr"\n\n[unattended]\nenabled = true\n'
        f'after = "{after}"\nlabel = "file"\noperator = "automate (poste 1)"\nretry_s = 5\n\n'
        f'[central]\nurl = "http://10.0.2.2:{central_port}"\ntoken = "{token}"\n'
    )


def write_site(machine: StickMachine, text: str) -> None:
    """``site.toml`` on BENCH-DATA, synced."""
    status, out = machine.run(
        f"cat > {HOME}/site.toml <<'SITE_EOF'\n{text}SITE_EOF\nsync {HOME}/site.toml"
    )
    assert status == 0, out


def restart_app(machine: StickMachine) -> None:
    """Ends the tty1 session's bench-agent, asking bench-session to start it anew at once
    (an app that ends by itself waits for Enter): it now reads site.toml."""
    status, out = machine.run(
        "mkdir -p /run/bench-session && touch /run/bench-session/restart;"
        " pid=$(grep -l -a '[/]opt/bench-agent/bin/bench-agent' /proc/[0-9]*/cmdline | head -1);"
        " pid=${pid#/proc/}; kill ${pid%/cmdline}"
    )
    assert status == 0, out


def wait_done(machine: StickMachine, timeout_s: float) -> tuple[int, str]:
    """Waits for the unattended run's last line on the app's screen (tty1); its exit
    code and the screen."""
    deadline = time.monotonic() + timeout_s
    while True:
        exited = machine.proc is not None and machine.proc.poll() is not None
        if exited:  # powered off by itself (after = "poweroff"): its console is complete
            machine._close()
        for screen in reversed(machine.screens()):
            match = DONE.search(" ".join(screen.split()))
            if match:
                return int(match.group(1)), screen
        machine._alive(deadline, "the unattended run's last line")
        time.sleep(1.0)  # polling the console, not timing a test


def outbox_status(machine: StickMachine) -> dict[str, Any]:
    status, out = machine.run(f"cd {HOME} && bench-agent sync status --json 2>/dev/null")
    assert status == 0, out
    parsed: dict[str, Any] = json.loads(out[out.index("{") :])
    return parsed


# -- what the central service holds ------------------------------------------------------


def certificate_serial(payload: dict[str, Any]) -> str | None:
    media = payload.get("media")
    return media.get("serial") if isinstance(media, dict) else None


def error_ranges(payload: dict[str, Any]) -> list[tuple[int, int]]:
    """The certificate's I/O error ranges: (start byte, length)."""
    errors = payload.get("errors")
    ranges = errors.get("ranges", []) if isinstance(errors, dict) else []
    return [(int(r["start_byte"]), int(r["length_bytes"])) for r in ranges]


def grade_rules(report: dict[str, Any], rule: str) -> list[Any]:
    """The values of the grade's rules of that name (``erasure.not_erased``...)."""
    return [r.get("value") for r in report["grade"]["rules"] if r.get("rule") == rule]


def firmware_done(payload: dict[str, Any]) -> bool:
    """Whether the certificate says a firmware erasure ran and completed (or a Purge)."""
    method = payload.get("method")
    firmware = method.get("firmware") if isinstance(method, dict) else None
    completed = isinstance(firmware, dict) and bool(
        firmware.get("completed") or firmware.get("claimed_completed")
    )
    level = (payload.get("sanitization") or {}).get("level")
    return completed or str(level).lower() == "purge"


def check_identity_and_grade(report: dict[str, Any], serial: str) -> None:
    """The report describes the identity given and grades it from it: a Notebook chassis
    (a laptop), two 2 GiB DDR4 SO-DIMMs (4 GiB: RAM note 1), the i5-8350U (6104 points:
    CPU note 3), a 64 MiB NVMe system disk (SSD note 0, NVMe +1): note 5, band C; not
    distributable while the tests that need a person are not done."""
    inventory = report["inventory"]
    identity = inventory["identity"]
    assert identity["chassis_type"] == "Notebook", identity
    assert identity["form_factor"] == "laptop", identity
    assert identity["maker"] == "Lenovo" and identity["serial"] == serial, identity
    memory = inventory["memory"]
    dimms = memory.get("dimms") or []
    assert [d.get("size_bytes") for d in dimms] == [DIMM_MB << 20] * DIMMS, memory
    assert {d.get("form_factor") for d in dimms} == {"SODIMM"}, memory
    assert {d.get("type") for d in dimms} == {"DDR4"}, memory
    cpu = inventory["cpu"]
    assert cpu["model_name"] == CPU_MODEL and cpu["vendor"] == "Intel", cpu
    assert inventory["batteries"] == []  # QEMU 7.2: no ACPI battery, the SMBIOS record only
    grade = report["grade"]
    assert grade["cpu"]["score"] == 6104, grade["cpu"]
    assert (grade["note"], grade["system_disk"]) == (5, "nvme0n1"), grade
    assert grade["category"] == grade["computed_category"] == "NOT_DISTRIBUTABLE", grade
    missing = {r["value"] for r in grade["rules"] if r["rule"] == "functional.missing"}
    assert {"keyboard", "screen"} <= missing, grade["rules"]
