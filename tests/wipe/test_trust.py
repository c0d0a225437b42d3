"""Which certificates `bench-agent verify` calls VALID: only those whose key the network
stated, at the time they were signed (wipe.trust), with the attacks a hostile tester tries."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.evidence_samples import certificate_payload

from bench_agent.cli import main
from bench_agent.context import Environment
from wipe.certificate import CertificateResult, sign_certificate
from wipe.signing import BenchKey, public_key_pem
from wipe.trust import issue_statement

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REVOKED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
EXIT_VALID, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_TRUSTED = 0, 1, 2, 3


def _run(argv: list[str], home: Path, lang: str = "en") -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(home), "LANG": "fr_FR.UTF-8" if lang == "fr" else "C"},
        lang=lang,
    )
    code = main(argv, env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


class Network:
    """A network key, a bench key it stated, and a bench home that trusts the network."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.key = BenchKey.generate()
        self.bench = BenchKey.generate()
        self.home = tmp / "home"
        (self.home / "trust").mkdir(parents=True)
        (self.home / "trust" / "network-key.pub").write_text(public_key_pem(self.key.public_raw))

    def statement(
        self,
        bench: BenchKey | None = None,
        *,
        signer: BenchKey | None = None,
        valid_until: datetime | None = None,
        revoked_at: datetime | None = None,
        now: datetime = T0,
        name: str = "statement.json",
    ) -> Path:
        envelope = issue_statement(
            signer or self.key,
            tenant="atelier-grenoble",
            bench="GR-BENCH-01",
            public_raw=(bench or self.bench).public_raw,
            valid_from=T0,
            valid_until=valid_until,
            revoked_at=revoked_at,
            now=now,
        )
        path = self.tmp / name
        path.write_text(json.dumps(envelope, ensure_ascii=False))
        return path

    def store(self, statement: Path) -> None:
        (self.home / "trust" / "key-statement.json").write_bytes(statement.read_bytes())

    def certificate(self, key: BenchKey | None = None, **fields: Any) -> Path:
        envelope = sign_certificate(key or self.bench, certificate_payload(**fields))
        path = self.tmp / f"cert-{len(list(self.tmp.glob('cert-*')))}.json"
        path.write_text(json.dumps(envelope, ensure_ascii=False, indent=2))
        return path

    def verify(self, cert: Path, *extra: str, lang: str = "en") -> tuple[int, str, str]:
        return _run(["verify", str(cert), *extra], self.home, lang)


@pytest.fixture
def net(tmp_path: Path) -> Network:
    return Network(tmp_path)


def test_stated_key_is_valid_and_the_full_fingerprint_shown(net: Network) -> None:
    net.store(net.statement())
    cert = net.certificate()
    code, out, _ = net.verify(cert)
    assert code == EXIT_VALID, out
    assert "Certificate VALID" in out and "GR-BENCH-01" in out
    assert f"Key fingerprint: {net.bench.fingerprint}" in out
    assert len(net.bench.fingerprint) == 64
    code, out, _ = net.verify(cert, "--json")
    data = json.loads(out)
    assert code == EXIT_VALID and data["valid"] and data["trusted"]
    assert data["fingerprint"] == net.bench.fingerprint
    assert data["trust"]["bench"] == "GR-BENCH-01"
    code, out, _ = net.verify(cert, lang="fr")
    assert code == EXIT_VALID and "Certificat VALIDE" in out and "Empreinte de la clé" in out


def test_forgery_resigned_with_a_fresh_key_is_not_trusted(net: Network) -> None:
    net.store(net.statement())
    forged = json.loads(net.certificate().read_text())["payload"]
    forged.pop("digests")
    forged["media"]["serial"] = "S3Z9NB0K123456"
    forged["media"]["model"] = "SAMSUNG MZ7LN256HMJP"
    path = net.tmp / "forged.json"
    path.write_text(json.dumps(sign_certificate(BenchKey.generate(), forged)))
    code, out, _ = net.verify(path)
    assert code == EXIT_NOT_TRUSTED, out
    assert "Signature correct, key NOT TRUSTED" in out and "VALID:" not in out
    assert "no network statement for this key" in out
    code, out, _ = net.verify(path, lang="fr")
    assert code == EXIT_NOT_TRUSTED and "Signature correcte, clé NON RECONNUE" in out
    code, out, _ = net.verify(path, "--json")
    assert json.loads(out)["valid"] is False and json.loads(out)["signature_valid"] is True


def test_without_any_anchor_a_good_signature_is_not_trusted(tmp_path: Path) -> None:
    key = BenchKey.generate()
    cert = tmp_path / "c.json"
    cert.write_text(json.dumps(sign_certificate(key, certificate_payload())))
    code, out, _ = _run(["verify", str(cert)], tmp_path / "empty-home")
    assert code == EXIT_NOT_TRUSTED and "no network key known" in out
    # --public-key: a direct trust of one bench key (what a bench does with its own).
    code, out, _ = _run(["verify", str(cert), "--public-key", key.public_b64], tmp_path)
    assert code == EXIT_VALID and "--public-key" in out


def test_revocation_is_dated(net: Network) -> None:
    net.store(net.statement(revoked_at=REVOKED, now=REVOKED))
    before = net.certificate(started_at="2026-11-20T09:00:00Z", ended_at="2026-11-20T11:59:59Z")
    after = net.certificate(started_at="2026-11-20T11:00:00Z", ended_at="2026-11-20T12:00:00Z")
    assert net.verify(before)[0] == EXIT_VALID
    code, out, _ = net.verify(after)
    assert code == EXIT_NOT_TRUSTED and "signed after the key was revoked" in out
    # An interrupted certificate has no end: its start is when it was signed.
    started_after = net.certificate(
        started_at="2026-11-21T08:00:00Z", ended_at=None, result="INTERRUPTED"
    )
    assert net.verify(started_after)[0] == EXIT_NOT_TRUSTED


def test_an_older_unrevoked_statement_does_not_undo_a_revocation(net: Network) -> None:
    old = net.statement(name="old.json")
    net.store(net.statement(revoked_at=REVOKED, now=REVOKED))
    after = net.certificate(ended_at="2026-12-01T00:00:00Z")
    code, out, _ = net.verify(after, "--statement", str(old))
    assert code == EXIT_NOT_TRUSTED and "revoked" in out


def test_expired_statement_is_not_trusted(net: Network) -> None:
    net.store(net.statement(valid_until=datetime(2026, 6, 1, tzinfo=UTC)))
    code, out, _ = net.verify(net.certificate())
    assert code == EXIT_NOT_TRUSTED and "signed after the key expired" in out


def test_statement_signed_by_another_network_is_not_trusted(net: Network) -> None:
    rogue = net.statement(signer=BenchKey.generate(), name="rogue.json")
    code, out, _ = net.verify(net.certificate(), "--statement", str(rogue))
    assert code == EXIT_NOT_TRUSTED
    assert "signed by a network key not trusted" in out


def test_statement_for_another_key_is_not_trusted(net: Network) -> None:
    other = net.statement(bench=BenchKey.generate(), name="other.json")
    code, out, _ = net.verify(net.certificate(), "--statement", str(other))
    assert code == EXIT_NOT_TRUSTED and "no network statement for this key" in out


def test_trust_given_on_the_command_line(net: Network, tmp_path: Path) -> None:
    statement = net.statement()
    cert = net.certificate()
    elsewhere = tmp_path / "verifier-home"  # a third party: nothing stored
    pem = tmp_path / "network.pub"
    pem.write_text(public_key_pem(net.key.public_raw))
    b64 = tmp_path / "network.b64"
    b64.write_text(net.key.public_b64 + "\n")
    for anchor in (pem, b64):
        code, out, _ = _run(
            ["verify", str(cert), "--trust", str(anchor), "--statement", str(statement)], elsewhere
        )
        assert code == EXIT_VALID, out
    # The statement itself as --trust: its signer is the network trusted.
    code, _, _ = _run(["verify", str(cert), "--trust", str(statement)], elsewhere)
    assert code == EXIT_VALID
    # Without the statement the network key alone does not vouch for the bench key.
    code, out, _ = _run(["verify", str(cert), "--trust", str(pem)], elsewhere)
    assert code == EXIT_NOT_TRUSTED


def test_unreadable_trust_file_is_a_usage_error(net: Network, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    code, _, err = net.verify(net.certificate(), "--trust", str(bad))
    assert code == EXIT_USAGE and "bad.pub" in err
    code, _, err = net.verify(net.certificate(), "--statement", str(tmp_path / "missing.json"))
    assert code == EXIT_USAGE and "missing.json" in err
    tampered = net.statement()
    doc = json.loads(tampered.read_text())
    doc["payload"]["revoked_at"] = None
    doc["payload"]["valid_until"] = "2099-01-01T00:00:00Z"
    tampered.write_text(json.dumps(doc))
    code, _, err = net.verify(net.certificate(), "--statement", str(tampered))
    assert code == EXIT_USAGE and "signature does not verify" in err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda raw: raw.replace('"result": "ERASED"', '"result": "FAILED", "result": "ERASED"'),
            "duplicate key 'result'",
        ),
        (
            lambda raw: raw.replace('"alg": "ed25519"', '"alg": "ed25519", "note": "x"'),
            "unsigned extra field: note",
        ),
        (lambda raw: raw[:-2] + ', "comment": "ok"}\n', "unsigned extra field: comment"),
        (lambda raw: raw.replace('"dry_run": false', '"dry_run": NaN'), "not valid JSON"),
    ],
    ids=["duplicate-key", "extra-signature-field", "extra-top-level-field", "nan"],
)
def test_malformed_envelopes_are_refused(net: Network, edit: Any, expected: str) -> None:
    net.store(net.statement())
    cert = net.certificate()
    raw = cert.read_text()
    edited = edit(raw)
    assert edited != raw
    cert.write_text(edited)
    code, out, _ = net.verify(cert)
    assert code == EXIT_INVALID, out
    assert "Certificate INVALID" in out and expected in out


def test_signed_payload_that_is_not_a_certificate_is_invalid(net: Network) -> None:
    net.store(net.statement())
    path = net.tmp / "statement-as-cert.json"
    path.write_text(json.dumps(net.bench.sign({"schema": "something-else", "result": "ERASED"})))
    code, out, _ = net.verify(path)
    assert code == EXIT_INVALID and "not an erasure certificate" in out


def test_result_enum_is_the_one_list() -> None:
    assert [r.value for r in CertificateResult] == [
        "ERASED",
        "FAILED",
        "ABORTED",
        "UNVERIFIED",
        "DRY_RUN",
        "INTERRUPTED",
    ]
    with pytest.raises(ValueError, match="result must be one of"):
        sign_certificate(BenchKey.generate(), certificate_payload(result="WIPED"))


def test_an_interrupted_certificate_as_the_journal_writes_it_fits_the_model() -> None:
    """record_interrupted builds its payload from the journal: the firmware method is a
    name there, the media whatever the session start recorded, no end time."""
    from bench_agent.unit import summarize_certificate
    from wipe.certificate import certificate_of

    payload = certificate_payload(result="INTERRUPTED", ended_at=None)
    payload["method"] = {"overwrite": None, "firmware": "ata-sanitize-crypto"}
    for key in ("verification", "errors", "bytes_written", "device_size_bytes", "duration_s"):
        payload.pop(key)
    payload["last_journal_event"] = {"event": "checkpoint", "time": "2026-11-20T09:01:00Z"}
    cert = certificate_of(payload)
    assert cert.method.name == "ata-sanitize-crypto" and cert.signed_at == cert.started_at
    assert summarize_certificate(payload).method == "ata-sanitize-crypto"
    sign_certificate(BenchKey.generate(), payload)
