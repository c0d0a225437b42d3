"""Typed models of everything a bench produces. Pure data: no I/O."""

from bench_agent.model.common import Model, Note, Text
from bench_agent.model.grade import Grade, RuleHit
from bench_agent.model.health import DiskHealth, Finding
from bench_agent.model.inventory import (
    Battery,
    Check,
    Cpu,
    Device,
    Dimm,
    Disk,
    Display,
    Firmware,
    Identity,
    Inventory,
    Memory,
    OperatingSystem,
    Win11Readiness,
)
from bench_agent.model.report import SCHEMA_VERSION, UnitIdentity, UnitReport

__all__ = [
    "SCHEMA_VERSION",
    "Battery",
    "Check",
    "Cpu",
    "Device",
    "Dimm",
    "Disk",
    "DiskHealth",
    "Display",
    "Finding",
    "Firmware",
    "Grade",
    "Identity",
    "Inventory",
    "Memory",
    "Model",
    "Note",
    "OperatingSystem",
    "RuleHit",
    "Text",
    "UnitIdentity",
    "UnitReport",
    "Win11Readiness",
    "from_json",
    "json_schema",
    "to_json",
]


def json_schema() -> dict[str, object]:
    """The UnitReport JSON Schema (draft 2020-12)."""
    import msgspec

    schema: dict[str, object] = msgspec.json.schema(UnitReport)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"bench-agent UnitReport {SCHEMA_VERSION}"
    return schema


def to_json(obj: object, indent: int = 2) -> bytes:
    import msgspec

    raw = msgspec.json.encode(obj)
    return msgspec.json.format(raw, indent=indent) if indent else raw


def from_json(data: bytes | str) -> UnitReport:
    """Decode and validate a UnitReport; raises msgspec.ValidationError with the JSON path."""
    import msgspec

    return msgspec.json.decode(data, type=UnitReport)
