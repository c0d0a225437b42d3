"""Hostile input never makes a hardware parser raise, and each still keeps its contract
(property tests, small budget)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench_agent.probes.devices import parse_lspci_vmm
from bench_agent.probes.edid import BLOCK_SIZE, EDID_HEADER, parse_edid
from bench_agent.probes.os_release import parse_os_release
from bench_agent.probes.storage import _mount_majmin, parse_vpd_pg80, parse_vpd_pg89

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.binary(max_size=300), st.booleans(), st.booleans())
def test_edid_never_raises(body: bytes, with_header: bool, fix_checksum: bool) -> None:
    data = bytearray(EDID_HEADER + body if with_header else body)
    if fix_checksum and len(data) >= BLOCK_SIZE:  # reach the valid case too
        data[BLOCK_SIZE - 1] = (data[BLOCK_SIZE - 1] - sum(data[:BLOCK_SIZE])) % 256
    info = parse_edid(bytes(data))
    block = bytes(data[:BLOCK_SIZE])
    structural = len(data) >= BLOCK_SIZE and block[:8] == EDID_HEADER
    # valid: 128 bytes or more, the header, and a base block that sums to 0 mod 256.
    assert info.valid is (structural and sum(block) % 256 == 0)
    # An invalid EDID always says why, in both languages; a valid one never has an error.
    if info.valid:
        assert info.error is None
    else:
        assert info.error is not None and info.error.fr and info.error.en
    if not structural:  # empty, truncated or headerless: nothing is decoded from it
        assert (info.version, info.maker_code, info.width_px) == (None, None, None)


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
