"""docs/evidence.md's recipe, run as written with the real jq and openssl on the shipped
example; a one-byte change makes openssl fail; RFC 8785 and `jq -cjS` agree on the values
our documents hold, and the signer refuses those they would print differently."""

from __future__ import annotations

import io
import json
import math
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import rfc8785
from support.requirements import require_program

from bench_agent.cli import main
from bench_agent.context import Environment
from wipe.signing import BenchKey, CanonicalJSONError, canonical_json, verify_envelope

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "evidence.md"
EXAMPLES = REPO / "docs" / "examples"
FILES = ("certificate.json", "key-statement.json", "network-key.pub")


def _recipe() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Verification recipe") :]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found is not None, "no ```sh block in the recipe section"
    return found.group(1)


def _run_recipe(directory: Path) -> subprocess.CompletedProcess[str]:
    require_program("jq")
    require_program("openssl")
    return subprocess.run(
        ["bash", "-c", _recipe()],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def test_recipe_verifies_the_shipped_example(examples: Path) -> None:
    done = _run_recipe(examples)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Signature Verified Successfully") == 2
    envelope = json.loads((examples / "certificate.json").read_text())
    key = BenchKey.generate()  # only for its helpers: the fingerprint of the example's key
    from wipe.signing import fingerprint, unb64

    assert fingerprint(unb64(envelope["signature"]["public_key"])) in done.stdout
    assert done.stdout.rstrip().endswith("trusted")
    assert key.fingerprint not in done.stdout
    # The example holds what must survive exactly: non-ASCII names, markup, a float.
    payload = envelope["payload"]
    assert payload["operator"]["name"] == "Łukasz Nguyễn"
    assert "R&D" in payload["operator"]["organisation"]
    assert isinstance(payload["method"]["passes"][0]["throughput_mb_s"], float)
    # The signed bytes jq gives are exactly ours.
    assert (examples / "payload.bin").read_bytes() == canonical_json(payload)


def test_bench_agent_agrees_with_the_recipe(examples: Path) -> None:
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={}, lang="en")
    env.environ["BENCH_AGENT_HOME"] = str(examples / "home")
    argv = ["verify", str(examples / "certificate.json")]
    argv += ["--trust", str(examples / "network-key.pub")]
    argv += ["--statement", str(examples / "key-statement.json")]
    assert main(argv, env=env) == 0, env.stdout.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("certificate.json", '"result": "ERASED"', '"result": "ERASEE"'),
        ("certificate.json", '"role": "technicien"', '"role": "technicieN"'),
        ("key-statement.json", '"bench": "GR-BENCH-01"', '"bench": "GR-BENCH-02"'),
    ],
    ids=["certificate-result", "certificate-operator", "statement-bench"],
)
def test_a_one_byte_change_makes_openssl_fail(
    examples: Path, name: str, old: str, new: str
) -> None:
    path = examples / name
    raw = path.read_bytes()
    edited = raw.replace(old.encode(), new.encode(), 1)
    assert edited != raw and len(edited) == len(raw)
    assert sum(a != b for a, b in zip(raw, edited, strict=True)) == 1
    path.write_bytes(edited)
    done = _run_recipe(examples)
    assert done.returncode != 0
    assert "Signature Verification Failure" in done.stdout + done.stderr


def _jq_canonical(documents: list[object]) -> list[bytes]:
    """`jq -cS` of each document, in one run (one line each)."""
    require_program("jq")
    stream = "\n".join(json.dumps(d, ensure_ascii=False) for d in documents).encode()
    out = subprocess.run(["jq", "-cS", "."], input=stream, capture_output=True, check=True)
    return out.stdout.splitlines()


def test_rfc8785_and_jq_agree_on_what_our_documents_hold() -> None:
    rng = random.Random(8785)
    values: list[object] = [round(rng.uniform(0, 5000), 1) for _ in range(2000)]  # MB/s
    values += [round(rng.uniform(0, 100_000), 3) for _ in range(2000)]  # seconds
    values += [round(rng.uniform(0, 100), 3) for _ in range(1000)]  # coverage %
    values += [rng.uniform(1e-4, 1e15) for _ in range(2000)]
    values += [rng.randint(-(2**53) + 1, 2**53 - 1) for _ in range(1000)]
    values += [0, 2**53 - 1, -(2**53) + 1, 0.0, 100.0, 1e-4, 999999999999999.9, 115.9]
    values += ["Łukasz Nguyễn", "Tech R&D <b>", '\t\n\r\x01\x1f"\\/', "😀 𝄞", "\u2028"]
    documents = [{"v": v, "nested": [{"é": v}]} for v in values]
    jq = _jq_canonical(documents)
    ours = [canonical_json(d) for d in documents]
    assert [rfc8785.dumps(d) for d in documents] == ours
    differing = [d for d, a, b in zip(documents, ours, jq, strict=True) if a != b]
    assert differing == []


@pytest.mark.parametrize(
    "value",
    [1e-5, -3.5e-7, 1e16, 2.5e20, 2**53, -(2**53), float("nan"), float("inf"), "a\x7fb"],
)
def test_the_signer_refuses_what_jq_would_print_differently(value: object) -> None:
    key = BenchKey.generate()
    with pytest.raises(CanonicalJSONError):
        key.sign({"v": value})
    # ...and jq does print them differently (or RFC 8785 cannot hold them at all).
    if isinstance(value, float) and math.isfinite(value):
        assert _jq_canonical([{"v": value}])[0] != rfc8785.dumps({"v": value})


def test_keys_beyond_the_bmp_and_negative_zero() -> None:
    key = BenchKey.generate()
    with pytest.raises(CanonicalJSONError, match="beyond U\\+FFFF"):
        key.sign({"😀": 1})
    envelope = key.sign({"v": -0.0})
    # The envelope holds what was signed: 0, which jq writes as RFC 8785 does.
    assert json.dumps(envelope["payload"]) == '{"v": 0}'
    assert (
        canonical_json(envelope["payload"]) == b'{"v":0}' == _jq_canonical([envelope["payload"]])[0]
    )
    assert verify_envelope(envelope) == {"v": 0}
    with pytest.raises(CanonicalJSONError, match="must be a JSON object"):
        key.sign([1, 2])  # type: ignore[arg-type]
