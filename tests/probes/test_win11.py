"""Windows 11 readiness over a table of machines (pure: Inventory in, verdict out)."""

from __future__ import annotations

from typing import Any

import pytest

from bench_agent.model.inventory import Cpu, Disk, Firmware, Inventory, Memory
from bench_agent.probes.win11 import assess_win11, cpu_supported

GIB = 1024**3
GB = 1000**3


def _inv(
    *,
    cpu: dict[str, Any] | None = None,
    fw: dict[str, Any] | None = None,
    mem: dict[str, Any] | None = None,
    disks: list[Disk] | None = None,
) -> Inventory:
    cpu_fields = {
        "vendor": "Intel",
        "model_name": "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz",
        "generation_number": 8,
        "flags_64bit": True,
    }
    fw_fields = {
        "boot_mode": "uefi",
        "secure_boot": "enabled",
        "tpm_present": "yes",
        "tpm_version": "2.0",
    }
    return Inventory(
        cpu=Cpu(**(cpu_fields | (cpu or {}))),
        firmware=Firmware(**(fw_fields | (fw or {}))),
        memory=Memory(
            **({"installed_bytes": 8 * GIB, "total_bytes": int(7.6 * GIB)} | (mem or {}))
        ),
        disks=disks if disks is not None else [_disk("nvme0n1", 256 * GB, "nvme")],
    )


def _disk(name: str, size: int | None, transport: str = "sata", **kw: Any) -> Disk:
    return Disk(name=name, path=f"/dev/{name}", capacity_bytes=size, transport=transport, **kw)


def _checks(inv: Inventory) -> dict[str, bool | None]:
    return {c.code.removeprefix("win11."): c.ok for c in assess_win11(inv).checks}


ALL_OK = {
    "tpm": True,
    "uefi_secure_boot": True,
    "cpu": True,
    "cpu_64bit": True,
    "ram": True,
    "storage": True,
}

CASES: list[tuple[str, Inventory, bool | None, dict[str, bool | None]]] = [
    ("i5-8250U, everything right", _inv(), True, ALL_OK),
    ("Secure Boot disabled is still capable", _inv(fw={"secure_boot": "disabled"}), True, ALL_OK),
    (
        "i5-7200U is 7th gen",
        _inv(cpu={"generation_number": 7, "model_name": "Intel(R) Core(TM) i5-7200U CPU"}),
        False,
        ALL_OK | {"cpu": False},
    ),
    ("TPM 1.2", _inv(fw={"tpm_version": "1.2"}), False, ALL_OK | {"tpm": False}),
    (
        "no TPM visible",
        _inv(fw={"tpm_present": "no", "tpm_version": None}),
        False,
        ALL_OK | {"tpm": False},
    ),
    ("TPM of unknown version", _inv(fw={"tpm_version": None}), None, ALL_OK | {"tpm": None}),
    (
        "legacy boot: cannot tell",
        _inv(fw={"boot_mode": "legacy", "secure_boot": "unsupported"}),
        None,
        ALL_OK | {"uefi_secure_boot": None},
    ),
    (
        "UEFI without Secure Boot",
        _inv(fw={"secure_boot": "unsupported"}),
        False,
        ALL_OK | {"uefi_secure_boot": False},
    ),
    (
        "UEFI, Secure Boot unknown",
        _inv(fw={"secure_boot": "unknown"}),
        None,
        ALL_OK | {"uefi_secure_boot": None},
    ),
    (
        "Ryzen 5 3500U (Zen+)",
        _inv(
            cpu={
                "vendor": "AMD",
                "generation_number": 3,
                "model_name": "AMD Ryzen 5 3500U with Radeon Vega",
            }
        ),
        True,
        ALL_OK,
    ),
    (
        "Ryzen 7 1700 (Zen)",
        _inv(
            cpu={
                "vendor": "AMD",
                "generation_number": 1,
                "model_name": "AMD Ryzen 7 1700 Eight-Core Processor",
            }
        ),
        False,
        ALL_OK | {"cpu": False},
    ),
    (
        "AMD A6-9220 APU",
        _inv(
            cpu={
                "vendor": "AMD",
                "generation_number": None,
                "model_name": "AMD A6-9220 RADEON R4, 5 COMPUTE CORES 2C+3G",
            }
        ),
        False,
        ALL_OK | {"cpu": False},
    ),
    (
        "Atom N450 netbook",
        _inv(
            cpu={"generation_number": None, "model_name": "Intel(R) Atom(TM) CPU N450 @ 1.66GHz"},
            mem={"installed_bytes": 1 * GIB},
            fw={"tpm_present": "no"},
            disks=[_disk("sda", 160 * GB)],
        ),
        False,
        ALL_OK | {"cpu": False, "ram": False, "tpm": False},
    ),
    (
        "Celeron N4000 (Gemini Lake)",
        _inv(
            cpu={
                "generation_number": None,
                "microarchitecture": "Gemini Lake",
                "model_name": "Intel(R) Celeron(R) N4000 CPU",
            }
        ),
        True,
        ALL_OK,
    ),
    (
        "unknown vendor",
        _inv(cpu={"vendor": None, "generation_number": None, "model_name": None}),
        None,
        ALL_OK | {"cpu": None},
    ),
    ("32-bit only CPU", _inv(cpu={"flags_64bit": False}), False, ALL_OK | {"cpu_64bit": False}),
    (
        "64-bit from architecture",
        _inv(cpu={"flags_64bit": None, "architecture": "x86_64"}),
        True,
        ALL_OK,
    ),
    ("3 GB installed", _inv(mem={"installed_bytes": 3 * GIB}), False, ALL_OK | {"ram": False}),
    # Not root: only MemTotal. A 4 GB laptop with a 256 MB iGPU carve-out shows ~3.6 GiB.
    (
        "MemTotal 3.6 GiB",
        _inv(mem={"installed_bytes": None, "total_bytes": int(3.6 * GIB)}),
        True,
        ALL_OK,
    ),
    (
        "MemTotal 3.0 GiB: 4 GB with a big carve-out, or 3 GB?",
        _inv(mem={"installed_bytes": None, "total_bytes": int(3.0 * GIB)}),
        None,
        ALL_OK | {"ram": None},
    ),
    (
        "MemTotal 1.9 GiB",
        _inv(mem={"installed_bytes": None, "total_bytes": int(1.9 * GIB)}),
        False,
        ALL_OK | {"ram": False},
    ),
    (
        "memory unknown",
        _inv(mem={"installed_bytes": None, "total_bytes": None}),
        None,
        ALL_OK | {"ram": None},
    ),
    (
        "32 GB eMMC",
        _inv(disks=[_disk("mmcblk0", 31_268_536_320, "mmc")]),
        False,
        ALL_OK | {"storage": False},
    ),
    # "64 GB" eMMC = 62.5 GB: sold and running Windows 11.
    ("64 GB eMMC", _inv(disks=[_disk("mmcblk0", 62_537_072_640, "mmc")]), True, ALL_OK),
    (
        "no internal disk, only the live stick",
        _inv(disks=[_disk("sdb", 16 * GB, "usb", removable=True, boot_medium=True)]),
        None,
        ALL_OK | {"storage": None},
    ),
    (
        "the live stick is larger than the internal disk: the internal one counts",
        _inv(disks=[_disk("sda", 32 * GB), _disk("sdb", 128 * GB, "usb", boot_medium=True)]),
        False,
        ALL_OK | {"storage": False},
    ),
    (
        "two disks, the largest passes",
        _inv(disks=[_disk("mmcblk0", 32 * GB, "mmc"), _disk("sda", 500 * GB)]),
        True,
        ALL_OK,
    ),
]


@pytest.mark.parametrize(("label", "inv", "ready", "checks"), CASES, ids=[c[0] for c in CASES])
def test_win11_cases(
    label: str, inv: Inventory, ready: bool | None, checks: dict[str, bool | None]
) -> None:
    result = assess_win11(inv)
    assert _checks(inv) == checks, label
    assert result.ready is ready, label
    for check in result.checks:
        assert check.message.fr and check.message.en
        assert check.message.fr != check.message.en


def test_failed_check_message_names_the_cpu() -> None:
    inv = _inv(cpu={"generation_number": 6, "model_name": "Intel(R) Core(TM) i5-6300U CPU"})
    cpu_check = next(c for c in assess_win11(inv).checks if c.code == "win11.cpu")
    assert "i5-6300U" in cpu_check.message.fr and "i5-6300U" in cpu_check.message.en


@pytest.mark.parametrize(
    ("vendor", "model", "gen", "arch", "expected"),
    [
        ("Intel", "Intel(R) Core(TM) i7-10510U", 10, None, True),
        ("Intel", "Intel(R) Core(TM) i5-1135G7", 11, None, True),
        ("Intel", "Intel(R) Core(TM) i5-2520M", 2, None, False),
        ("Intel", "Intel(R) Core(TM)2 Duo CPU T7500", None, None, False),
        ("Intel", "Intel(R) Pentium(R) CPU 4415U", None, "Kaby Lake", False),
        ("Intel", "Intel(R) Pentium(R) Silver N5000", None, "Gemini Lake", True),
        ("Intel", "Intel(R) Celeron(R) CPU N3060", None, "Airmont", False),
        ("Intel", "Intel(R) Celeron(R) CPU N3060", None, None, None),
        ("Intel", "Intel(R) Celeron(R) N4100", None, "Goldmont Plus", True),
        ("Intel", "Intel(R) Celeron(R) N3350", None, "Goldmont", False),
        ("Intel", "Intel(R) Core(TM) i5-8250U", None, "Kaby Lake R", True),
        ("Intel", "Intel(R) Pentium(R) M processor 1.73GHz", None, "Dothan", False),
        ("AMD", "AMD Ryzen 5 2500U", 2, None, True),
        ("AMD", "AMD Athlon Silver 3050U", None, None, True),
        ("AMD", "AMD E-350 Processor", None, None, False),
        ("AMD", "AMD A8-3500M APU", None, "K10 (Llano)", False),
        ("AMD", "AMD Athlon 300U with Radeon Vega Mobile Gfx", None, "Zen+", True),
        ("AMD", "AMD Ryzen 3 2200U", 2, "Zen", True),
        ("AMD", "AMD Athlon 200GE", None, "Zen", None),
        ("AMD", "AMD E2-9000e RADEON R2", None, None, False),
        ("AMD", "AMD Turion(tm) II P520", None, None, False),
        ("Apple", "Apple M1", None, None, None),
    ],
)
def test_cpu_support(
    vendor: str, model: str, gen: int | None, arch: str | None, expected: bool | None
) -> None:
    cpu = Cpu(vendor=vendor, model_name=model, generation_number=gen, microarchitecture=arch)
    assert cpu_supported(cpu) is expected
