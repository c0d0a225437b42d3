"""Our canonical JSON is RFC 8785: checked against the reference implementation.

``wipe.signing.canonical_json`` checks the values (what jq would print differently is
refused) and lets the standard library write them; ``rfc8785`` is the oracle here, on
generated documents and on the real payloads the bench signs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from wipe.signing import FLOAT_MAX, FLOAT_MIN, MAX_SAFE_INTEGER, CanonicalJSONError, canonical_json

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"

keys = st.text(
    alphabet=st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",)), max_size=12
)
strings = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x7f"),
    max_size=40,
)
floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or FLOAT_MIN <= abs(x) < FLOAT_MAX
)
scalars = (
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | floats | strings
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=600, deadline=None)
@given(documents)
def test_the_same_bytes_as_the_reference_implementation(document: Any) -> None:
    assert canonical_json(document) == rfc8785.dumps(document)


@pytest.mark.parametrize(
    "value",
    [2.0, -0.0, 1e-4, 0.1, 1.5e14, 123.456, 999999999999999.9, 'é\u2028\x00\x1f"\\/', "𝄞"],
)
def test_edge_values(value: Any) -> None:
    document = {"v": value, "l": [value], "é": {"\uffff": value}}
    assert canonical_json(document) == rfc8785.dumps(document)


def test_the_shipped_example_and_real_certificates_agree() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        payload = json.loads(path.read_bytes())["payload"]
        assert canonical_json(payload) == rfc8785.dumps(payload), path.name


@pytest.mark.parametrize("value", [1e-5, 1e16, 2**53, float("nan"), "\x7f", {"𝄞": 1}])
def test_what_jq_would_print_differently_is_refused(value: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value if isinstance(value, dict) else {"v": value})
