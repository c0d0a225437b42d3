"""Hostile input never makes a part-B parser raise (property tests, small budget)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench_agent.probes.devices import parse_lspci_vmm
from bench_agent.probes.edid import EDID_HEADER, parse_edid
from bench_agent.probes.os_release import parse_os_release
from bench_agent.probes.storage import _mount_majmin, parse_vpd_pg80, parse_vpd_pg89

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.binary(max_size=300), st.booleans())
def test_edid_never_raises(body: bytes, with_header: bool) -> None:
    data = EDID_HEADER + body if with_header else body
    info = parse_edid(data)
    assert info.valid in (True, False)
    if not info.valid and info.error is not None:
        assert info.error.fr and info.error.en


@FAST
@given(st.text(max_size=500))
def test_text_parsers_never_raise(text: str) -> None:
    for entry in parse_lspci_vmm(text):
        assert len(entry.class_code) == 4
    parse_os_release(text)
    for majmin in _mount_majmin(text).values():
        assert ":" in majmin


@FAST
@given(st.binary(max_size=700))
def test_vpd_parsers_never_raise(data: bytes) -> None:
    parse_vpd_pg80(data)
    assert len(parse_vpd_pg89(data)) == 3
