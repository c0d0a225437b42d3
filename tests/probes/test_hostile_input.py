"""Hostile input: the pure parsers never raise, whatever bytes the machine hands them."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench_agent.model.common import Note
from bench_agent.model.inventory import Memory
from bench_agent.probes.battery import BATTERY_FILES, battery_from_values
from bench_agent.probes.cpu import parse_cpuinfo
from bench_agent.probes.cpu_generation import derive_generation
from bench_agent.probes.dmi_junk import clean
from bench_agent.probes.dmidecode import parse_dmidecode
from bench_agent.probes.identity import chassis_from_code, commercial_model, iso_date
from bench_agent.probes.memory import fill_from_dmi

CORPUS = Path(__file__).parent.parent / "corpus"
SAMPLE = (CORPUS / "dmidecode/Lenovo_ThinkPad_X1_Carbon_5th_20HRCTO1WW.txt").read_text()
# Text made of the characters real outputs are made of, plus surrogates and controls.
TEXTY = st.text(
    alphabet=st.sampled_from(
        list("Handle 0x1, DMI type 17 bytes:\t\n MemoryDevice Size GB\x00\udcff")
    ),
    max_size=400,
)
FAST = settings(max_examples=100, deadline=None, database=None)


@FAST
@given(TEXTY)
def test_dmidecode_parser_never_raises(text: str) -> None:
    table = parse_dmidecode(text)
    fill_from_dmi(Memory(), table, [])


@FAST
@given(st.integers(0, len(SAMPLE)), st.integers(0, len(SAMPLE)), st.text(max_size=30))
def test_spliced_real_output_never_raises(start: int, end: int, junk: str) -> None:
    table = parse_dmidecode(SAMPLE[:start] + junk + SAMPLE[end:])
    mem = Memory()
    fill_from_dmi(mem, table, [])
    assert mem.slots_free is None or mem.slots_free >= 0


@FAST
@given(TEXTY)
def test_cpuinfo_parser_never_raises(text: str) -> None:
    cpu = parse_cpuinfo(text.replace("Handle", "processor").replace("Size", "model name"))
    assert cpu.threads is None or cpu.threads >= 1


@FAST
@given(
    st.text(max_size=80),
    st.one_of(st.none(), st.integers(0, 300)),
    st.one_of(st.none(), st.integers(0, 300)),
)
def test_derive_generation_never_raises(name: str, family: int | None, model: int | None) -> None:
    generation, number, _ = derive_generation(None, name, family, model)
    assert (generation is None) or isinstance(generation, str)
    assert number is None or 1 <= number <= 99


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=5, max_size=5))
def test_identity_helpers_never_raise(values: list[str | None]) -> None:
    model = commercial_model(*values)
    assert model is None or clean(model) == model
    chassis_from_code(values[0])
    iso_date(values[1])


@FAST
@given(st.dictionaries(st.sampled_from(BATTERY_FILES), st.one_of(st.none(), st.text(max_size=12))))
def test_battery_from_any_values_never_raises(values: dict[str, str | None]) -> None:
    notes: list[Note] = []
    bat = battery_from_values("BAT0", values, notes)
    assert bat.health_pct is None or 0 <= bat.health_pct <= 120
