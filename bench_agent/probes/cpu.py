"""CPU: model, vendor, topology and frequencies from /proc/cpuinfo and cpufreq.

py-cpuinfo is deliberately not used here: it costs about a second per call,
and /proc/cpuinfo already holds everything the inventory needs.
"""

from __future__ import annotations

import re

from bench_agent.host import Host
from bench_agent.i18n import _t
from bench_agent.model.common import Note
from bench_agent.model.inventory import Cpu
from bench_agent.probes.cpu_generation import derive_generation
from bench_agent.probes.values import parse_int

__all__ = ["derive_generation", "parse_cpuinfo", "probe_cpu"]

CPUINFO_PATH = "/proc/cpuinfo"
ARCH_PATH = "/proc/sys/kernel/arch"
CPUFREQ_DIR = "/sys/devices/system/cpu/cpu0/cpufreq"

_VENDORS = {
    "GenuineIntel": "Intel",
    "AuthenticAMD": "AMD",
    "CentaurHauls": "Centaur",
    "HygonGenuine": "Hygon",
    "  Shanghai  ": "Zhaoxin",
    "VIA VIA VIA ": "VIA",
}
# ARM "CPU implementer" codes of the makers likely on a bench.
_ARM_IMPLEMENTERS = {"0x41": "ARM", "0x51": "Qualcomm", "0x61": "Apple"}
_NOMINAL_GHZ_RE = re.compile(r"@\s*([\d.]+)\s*GHz", re.I)


def _blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current.setdefault(key.strip().lower(), value.strip())
    if current:
        blocks.append(current)
    return blocks


def parse_cpuinfo(text: str) -> Cpu:
    """A Cpu from /proc/cpuinfo text (x86 or ARM); fields it cannot find stay None."""
    blocks = _blocks(text)
    processors = [b for b in blocks if "processor" in b and parse_int(b["processor"]) is not None]
    cpu = Cpu()
    if not processors:
        return cpu
    first = processors[0]
    common = {k: v for b in blocks for k, v in b.items() if k not in first}
    common.update(first)
    raw_name = common.get("model name") or common.get("hardware") or common.get("cpu model")
    cpu.model_name = " ".join(raw_name.split()) if raw_name else None
    vendor_id = common.get("vendor_id")
    if vendor_id is not None:
        cpu.vendor = _VENDORS.get(vendor_id, vendor_id.strip() or None)
    elif "cpu implementer" in common:
        cpu.vendor = _ARM_IMPLEMENTERS.get(common["cpu implementer"].lower())
    cpu.family = parse_int(common.get("cpu family"))
    cpu.model_number = parse_int(common.get("model"))
    cpu.stepping = parse_int(common.get("stepping"))
    cpu.threads = len(processors)
    physical_ids = {b["physical id"] for b in processors if "physical id" in b}
    cpu.sockets = len(physical_ids) if physical_ids else None
    core_ids = {(b.get("physical id"), b["core id"]) for b in processors if "core id" in b}
    if core_ids:
        cpu.cores = len(core_ids)
    elif "cpu cores" in common:
        per_socket = parse_int(common["cpu cores"])
        cpu.cores = per_socket * (cpu.sockets or 1) if per_socket else None
    flags = (common.get("flags") or common.get("features") or "").split()
    if "flags" in common:
        cpu.flags_64bit = "lm" in flags
        cpu.architecture = "x86_64" if cpu.flags_64bit else "i686"
    elif "cpu architecture" in common:
        arch = parse_int(common["cpu architecture"])
        cpu.architecture = "aarch64" if arch is not None and arch >= 8 else "arm"
        cpu.flags_64bit = cpu.architecture == "aarch64"
    generation, number, micro = derive_generation(
        cpu.vendor, cpu.model_name, cpu.family, cpu.model_number
    )
    cpu.generation, cpu.generation_number, cpu.microarchitecture = generation, number, micro
    return cpu


def _khz_to_mhz(host: Host, name: str) -> float | None:
    value = parse_int(host.read_text(f"{CPUFREQ_DIR}/{name}"))
    return round(value / 1000, 1) if value and value > 0 else None


def probe_cpu(host: Host, notes: list[Note]) -> Cpu:
    """CPU identity, topology, base/max frequency and generation."""
    text = host.read_text(CPUINFO_PATH)
    if text is None:
        notes.append(
            Note(
                code="cpu.no_cpuinfo",
                message=_t("/proc/cpuinfo illisible : processeur inconnu"),
            )
        )
        return Cpu()
    cpu = parse_cpuinfo(text)
    if cpu.model_name is None:
        notes.append(
            Note(
                code="cpu.no_model_name",
                message=_t("/proc/cpuinfo ne donne pas le nom du processeur"),
            )
        )
    arch = host.read_text(ARCH_PATH)
    if arch:
        cpu.architecture = arch.strip()
    cpu.base_mhz = _khz_to_mhz(host, "base_frequency")
    cpu.max_mhz = _khz_to_mhz(host, "cpuinfo_max_freq")
    if cpu.base_mhz is None and cpu.model_name:
        # Without intel_pstate (older CPUs, AMD, VMs) sysfs has no base frequency;
        # Intel prints the nominal one in the model name ("@ 2.30GHz").
        nominal = _NOMINAL_GHZ_RE.search(cpu.model_name)
        if nominal:
            try:
                cpu.base_mhz = round(float(nominal.group(1)) * 1000, 1)
            except ValueError:
                cpu.base_mhz = None
    if cpu.max_mhz is None:
        notes.append(
            Note(
                code="cpu.no_cpufreq",
                message=_t(
                    "Fréquence maximale inconnue (pas de cpufreq : machine virtuelle "
                    "ou pilote absent)"
                ),
            )
        )
    return cpu
