"""Firmware probe: boot mode, Secure Boot, TPM, MSDM presence; and the OS probe."""

from __future__ import annotations

import pytest

from bench_agent.host.base import FixtureMissingError
from bench_agent.model.common import Note
from bench_agent.probes.firmware import SECURE_BOOT_VAR, probe_firmware, tpm_version_from
from bench_agent.probes.os_release import parse_os_release, probe_os

ACPI_TABLES = ["APIC", "DSDT", "FACP", "FACS", "HPET", "MCFG", "MSDM", "SSDT1", "TPM2", "data"]


def _uefi(
    secure_boot: bytes | None,
    tpm: str | None = "2",
    tables: list[str] | None = None,
    efivars: list[str] | None = None,
) -> dict[str, object]:
    files: dict[str, bytes | str] = {}
    absent = []
    listings: dict[str, object] = {
        "/sys/firmware/efi": ["efivars", "systab", "runtime"],
        "/sys/firmware/efi/efivars": efivars if efivars is not None else ["Boot0000-x"],
        "/sys/firmware/acpi/tables": tables if tables is not None else ACPI_TABLES,
        "/sys/class/tpm": ["tpm0"] if tpm else [],
    }
    if secure_boot is None:
        absent.append(SECURE_BOOT_VAR)
    else:
        files[SECURE_BOOT_VAR] = secure_boot
    if tpm:
        files["/sys/class/tpm/tpm0/tpm_version_major"] = tpm
    return {"files": files, "listings": listings, "absent": absent}


def test_uefi_secure_boot_enabled_tpm2_msdm_present(make_host) -> None:  # type: ignore[no-untyped-def]
    # The MSDM table file is NOT recorded: reading it would raise FixtureMissingError.
    host = make_host(**_uefi(b"\x06\x00\x00\x00\x01"))
    with pytest.raises(FixtureMissingError):
        host.read_bytes("/sys/firmware/acpi/tables/MSDM")
    notes: list[Note] = []
    fw = probe_firmware(host, notes)
    assert (fw.boot_mode, fw.secure_boot) == ("uefi", "enabled")
    assert (fw.tpm_present, fw.tpm_version) == ("yes", "2.0")
    assert fw.windows_key_in_acpi == "yes"
    assert notes == []


def test_uefi_secure_boot_disabled_no_msdm(make_host) -> None:  # type: ignore[no-untyped-def]
    fw = probe_firmware(make_host(**_uefi(b"\x06\x00\x00\x00\x00", tables=["DSDT", "FACP"])), [])
    assert (fw.boot_mode, fw.secure_boot, fw.windows_key_in_acpi) == ("uefi", "disabled", "no")


def test_uefi_without_secure_boot_variable(make_host) -> None:  # type: ignore[no-untyped-def]
    notes: list[Note] = []
    fw = probe_firmware(make_host(**_uefi(None)), notes)
    assert fw.secure_boot == "unsupported"
    assert [n.code for n in notes] == ["firmware.secure_boot_absent"]


def test_uefi_efivars_not_mounted(make_host) -> None:  # type: ignore[no-untyped-def]
    notes: list[Note] = []
    fw = probe_firmware(make_host(**_uefi(None, efivars=[])), notes)
    assert fw.secure_boot == "unknown"
    assert [n.code for n in notes] == ["firmware.efivars_unreadable"]


@pytest.mark.parametrize("value", [b"", b"\x06\x00\x00\x00", b"\x06\x00\x00\x00\x07", b"\x01" * 9])
def test_garbled_secure_boot_variable(make_host, value: bytes) -> None:  # type: ignore[no-untyped-def]
    notes: list[Note] = []
    fw = probe_firmware(make_host(**_uefi(value)), notes)
    assert fw.secure_boot == "unknown"
    assert [n.code for n in notes] == ["firmware.secure_boot_garbled"]


def test_legacy_boot_tpm_12_from_caps(make_host) -> None:  # type: ignore[no-untyped-def]
    # Kernels before 5.6 have no tpm_version_major; TPM 1.2 chips expose caps.
    host = make_host(
        listings={
            "/sys/firmware/efi": None,
            "/sys/firmware": ["acpi", "dmi", "memmap"],
            "/sys/class/tpm": ["tpm0"],
            "/sys/firmware/acpi/tables": ["DSDT", "FACP"],
        },
        files={
            "/sys/class/tpm/tpm0/device/caps": "Manufacturer: 0x49465800\n"
            "TCG version: 1.2\nFirmware version: 6.40"
        },
        absent=["/sys/class/tpm/tpm0/tpm_version_major"],
    )
    fw = probe_firmware(host, [])
    assert (fw.boot_mode, fw.secure_boot) == ("legacy", "unsupported")
    assert (fw.tpm_present, fw.tpm_version, fw.windows_key_in_acpi) == ("yes", "1.2", "no")


def test_no_tpm_and_unreadable_acpi(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        listings={
            "/sys/firmware/efi": None,
            "/sys/firmware": ["acpi"],
            "/sys/class/tpm": None,
            "/sys/firmware/acpi/tables": None,
        },
    )
    notes: list[Note] = []
    fw = probe_firmware(host, notes)
    assert (fw.tpm_present, fw.tpm_version, fw.windows_key_in_acpi) == ("no", None, "unknown")
    assert [n.code for n in notes] == ["firmware.no_tpm"]
    assert "PTT" in notes[0].message.fr


def test_no_sysfs_firmware_at_all(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        listings={
            "/sys/firmware/efi": None,
            "/sys/firmware": None,
            "/sys/class/tpm": [],
            "/sys/firmware/acpi/tables": None,
        },
    )
    notes: list[Note] = []
    fw = probe_firmware(host, notes)
    assert (fw.boot_mode, fw.secure_boot) == ("unknown", "unknown")
    assert "firmware.no_sysfs" in [n.code for n in notes]


@pytest.mark.parametrize(
    ("major", "caps", "description", "expected"),
    [
        ("2", None, None, "2.0"),
        ("1", None, None, "1.2"),
        ("9", None, None, None),
        (None, "TCG version: 1.2", None, "1.2"),
        (None, None, "TPM 2.0 Device", "2.0"),
        (None, None, "TPM 1.2 Device", "1.2"),
        (None, None, None, None),
    ],
)
def test_tpm_version_sources(major, caps, description, expected) -> None:  # type: ignore[no-untyped-def]
    assert tpm_version_from(major, caps, description) == expected


def test_tpm_version_unknown_gets_a_note(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        listings={
            "/sys/firmware/efi": None,
            "/sys/firmware": [],
            "/sys/class/tpm": ["tpm0"],
            "/sys/firmware/acpi/tables": [],
        },
        absent=[
            "/sys/class/tpm/tpm0/tpm_version_major",
            "/sys/class/tpm/tpm0/device/caps",
            "/sys/class/tpm/tpm0/device/description",
        ],
    )
    notes: list[Note] = []
    fw = probe_firmware(host, notes)
    assert (fw.tpm_present, fw.tpm_version) == ("yes", None)
    assert [n.code for n in notes] == ["firmware.tpm_version_unknown"]


DEBIAN_OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
HOME_URL="https://www.debian.org/"
"""


def test_os_probe(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        files={"/proc/sys/kernel/osrelease": "6.1.0-25-amd64", "/etc/os-release": DEBIAN_OS_RELEASE}
    )
    notes: list[Note] = []
    os_info = probe_os(host, notes)
    assert (os_info.kernel, os_info.distribution) == (
        "6.1.0-25-amd64",
        "Debian GNU/Linux 12 (bookworm)",
    )
    assert notes == []


def test_os_probe_falls_back_to_usr_lib_and_notes_unknowns(make_host) -> None:  # type: ignore[no-untyped-def]
    host = make_host(
        files={"/usr/lib/os-release": "NAME=Alpine\n"},
        absent=["/proc/sys/kernel/osrelease", "/etc/os-release"],
    )
    notes: list[Note] = []
    os_info = probe_os(host, notes)
    assert (os_info.kernel, os_info.distribution) == (None, "Alpine")
    assert [n.code for n in notes] == ["os.unknown"]


def test_os_release_parser_tolerates_garbage() -> None:
    text = "junk\nPRETTY_NAME=\"unbalanced\nNAME='Ubuntu' # c\n=x\nID=ubuntu\n\x00\xff"
    values = parse_os_release(text)
    assert "PRETTY_NAME" not in values
    assert values["ID"] == "ubuntu"
    assert values["NAME"] == "Ubuntu"
