"""Builders for the units the grading tests grade (UnitReport objects, no probes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading.engine import internal_disks
from bench_agent.model import (
    Battery,
    Cpu,
    Device,
    Disk,
    DiskHealth,
    Display,
    Inventory,
    Memory,
    UnitIdentity,
    UnitReport,
    Win11Readiness,
)
from bench_agent.model.report import BenchInfo, ErasureSummary, FunctionalTest

GIB = 1024**3
GB = 1000**3


def ssd(name: str, capacity_bytes: int, serial: str | None = None, nvme: bool = False) -> Disk:
    return Disk(
        name=name,
        path=f"/dev/{name}",
        serial=serial,
        capacity_bytes=capacity_bytes,
        rotational=False,
        media="ssd",
        transport="nvme" if nvme else "sata",
    )


def hdd(name: str, capacity_bytes: int, serial: str | None = None) -> Disk:
    return Disk(
        name=name,
        path=f"/dev/{name}",
        serial=serial,
        capacity_bytes=capacity_bytes,
        rotational=True,
        media="hdd",
        transport="sata",
    )


def unknown_media(name: str, capacity_bytes: int) -> Disk:
    return Disk(name=name, path=f"/dev/{name}", capacity_bytes=capacity_bytes, transport="sata")


def usb_stick(name: str, capacity_bytes: int, boot: bool = False) -> Disk:
    return Disk(
        name=name,
        path=f"/dev/{name}",
        capacity_bytes=capacity_bytes,
        media="unknown",
        transport="usb",
        removable=True,
        boot_medium=boot,
    )


def healthy(disk: Disk, verdict: str = "OK") -> DiskHealth:
    return DiskHealth(device=disk.path, serial=disk.serial, verdict=verdict)  # type: ignore[arg-type]


def erased(disk: Disk, result: str = "ERASED", device: str | None = None) -> ErasureSummary:
    """One erasure certificate's summary for ``disk`` (its serial, its path)."""
    return ErasureSummary(
        certificate_id=f"cert-{disk.name}-{result.lower()}",
        device=device or disk.path,
        disk_model=disk.model,
        disk_serial=disk.serial,
        method="overwrite-zero",
        level="clear",
        result=result,  # type: ignore[arg-type]
        finished_at="2026-01-01T00:00:00Z",
    )


def functional_results(results: Mapping[str, str | None] | None = None) -> list[FunctionalTest]:
    """Every catalogue test with a result: ``pass`` unless ``results`` says otherwise
    (``None`` as a result leaves that test out: not done)."""
    chosen = {t.name: "pass" for t in CATALOGUE} | dict(results or {})
    return [
        FunctionalTest(name=name, result=result, by="Awa", at="2026-01-01T00:00:00Z")  # type: ignore[arg-type]
        for name, result in chosen.items()
        if result is not None
    ]


def unit(
    *,
    cpu: str | None,
    ram_installed_bytes: int | None = None,
    ram_total_bytes: int | None = None,
    disks: Sequence[Disk] = (),
    health: Sequence[DiskHealth] | None = None,
    win11: bool | None = True,
    battery_pct: float | None = None,
    screen_in: float | None = None,
    screen_height_px: int | None = None,
    webcam: bool = False,
    erasures: Sequence[ErasureSummary] | None = None,
    functional: Sequence[FunctionalTest] | None = None,
) -> UnitReport:
    """A UnitReport of a unit through the bench: disks without an explicit health list
    get an OK verdict each, internal disks without an explicit erasure list an ERASED
    certificate each, and every catalogue test passes unless ``functional`` is given."""
    records = list(health) if health is not None else [healthy(d) for d in disks]
    batteries = (
        [Battery(name="BAT0", health_pct=battery_pct, design_wh=50.0, full_wh=battery_pct / 2)]
        if battery_pct is not None
        else []
    )
    displays = (
        [
            Display(
                connector="eDP-1",
                internal=True,
                diagonal_in=screen_in,
                height_px=screen_height_px,
            )
        ]
        if screen_in is not None or screen_height_px is not None
        else []
    )
    devices = [Device(kind="webcam", bus="usb")] if webcam else []
    inventory = Inventory(
        cpu=Cpu(model_name=cpu),
        memory=Memory(installed_bytes=ram_installed_bytes, total_bytes=ram_total_bytes),
        disks=list(disks),
        batteries=batteries,
        displays=displays,
        devices=devices,
        win11=Win11Readiness(ready=win11),
    )
    report = UnitReport(
        report_id="00000000-0000-4000-8000-000000000000",
        created_at="2026-01-01T00:00:00Z",
        unit=UnitIdentity(key="test", basis="none"),
        bench=BenchInfo(agent_version="test"),
        inventory=inventory,
        health=records,
        functional_tests=list(functional) if functional is not None else functional_results(),
    )
    report.erasures = (
        list(erasures) if erasures is not None else [erased(d) for d in internal_disks(report)]
    )
    return report
