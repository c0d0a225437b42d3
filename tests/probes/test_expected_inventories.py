"""Probes part A on recorded laptops, compared field by field with inventories written by hand.

Each tests/probes/expected/<Model>.json was written from the raw corpus
dmidecode file (and, for the Dell XPS 13, the upower output of that machine),
not from the probes' output; its "reviewed" line says what is tricky in it.
Every field of Identity, Cpu, Memory, Dimm and Battery must be listed, so a new
model field cannot slip through unreviewed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory
from bench_agent.model.common import Note
from bench_agent.model.inventory import Battery, Cpu, Dimm, Identity, Memory
from bench_agent.probes import battery, cpu, dmidecode, identity, memory

EXPECTED_DIR = Path(__file__).parent / "expected"
EXPECTED = sorted(EXPECTED_DIR.glob("*.json"))
HOSTS_DIR = Path(__file__).parent.parent / "fixtures" / "hosts"


def _fields(struct: type[msgspec.Struct]) -> set[str]:
    return set(struct.__struct_fields__)


def _run_probes(host: RecordedHost) -> dict[str, Any]:
    notes: list[Note] = []
    dmi = dmidecode.probe_dmidecode(host, notes)
    ident = identity.probe_identity(host, notes)
    identity.complete_from_dmidecode(ident, dmi)
    cpu_info = cpu.probe_cpu(host, notes)
    mem = memory.probe_memory(host, notes, dmi)
    bats = battery.probe_batteries(host, notes)
    battery.complete_from_dmidecode(bats, dmi, notes)
    return {
        "identity": msgspec.to_builtins(ident),
        "cpu": msgspec.to_builtins(cpu_info),
        "memory": msgspec.to_builtins(mem),
        "batteries": msgspec.to_builtins(bats),
        "notes": [n.code for n in notes],
    }


def test_at_least_eight_laptops_are_written_out() -> None:
    assert len(EXPECTED) >= 8


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.stem)
def test_expected_files_list_every_field(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert set(expected["identity"]) == _fields(Identity)
    assert set(expected["cpu"]) == _fields(Cpu)
    assert set(expected["memory"]) == _fields(Memory)
    for dimm in expected["memory"]["dimms"] or []:
        assert set(dimm) == _fields(Dimm)
    for bat in expected["batteries"]:
        assert set(bat) == _fields(Battery)
    assert (Path(__file__).parent.parent.parent / expected["source"]).is_file()


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.stem)
def test_probes_match_hand_written_inventory(expected_file: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    actual = _run_probes(RecordedHost(HOSTS_DIR / expected_file.stem))
    for section in ("identity", "cpu"):
        for name, want in expected[section].items():
            assert actual[section][name] == want, f"{section}.{name}"
    for name, want in expected["memory"].items():
        if name == "dimms":
            continue
        assert actual["memory"][name] == want, f"memory.{name}"
    want_dimms = expected["memory"]["dimms"]
    got_dimms = actual["memory"]["dimms"]
    assert len(got_dimms) == len(want_dimms)
    for index, (got, want) in enumerate(zip(got_dimms, want_dimms, strict=True)):
        for name, value in want.items():
            assert got.get(name) == value, f"memory.dimms[{index}].{name}"
    assert len(actual["batteries"]) == len(expected["batteries"])
    for index, (got, want) in enumerate(
        zip(actual["batteries"], expected["batteries"], strict=True)
    ):
        for name, value in want.items():
            assert got.get(name, [] if name == "anomalies" else None) == value, (
                f"batteries[{index}].{name}"
            )


def test_v330_reports_the_device_count_mismatch() -> None:
    notes = _run_probes(RecordedHost(HOSTS_DIR / "Lenovo_V330-15IKB_81AX"))["notes"]
    assert "memory.device_count_mismatch" in notes


CORPUS_HOSTS = sorted(
    HOSTS_DIR / p.stem for p in (HOSTS_DIR.parent.parent / "corpus" / "dmidecode").glob("*.txt")
)


@pytest.mark.parametrize("host_dir", CORPUS_HOSTS, ids=lambda p: p.name)
def test_whole_inventory_runs_on_every_corpus_host(host_dir: Path) -> None:
    inv = collect_inventory(RecordedHost(host_dir))
    assert inv.identity.maker is not None
    assert inv.memory.source == "dmidecode"
    assert inv.memory.installed_bytes is not None and inv.memory.installed_bytes > 0
    assert not any(n.code.startswith("dmidecode.") for n in inv.notes)
