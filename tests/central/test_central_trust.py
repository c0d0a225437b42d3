"""The central service's side of issue 11: it refuses anything outside the signed content
(duplicate keys, extra fields), holds the network key and hands each bench its signed key
statement; the CLI issues statements at registration and dated revocation."""

from __future__ import annotations

import io
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from central_harness import Running, TenantSetup
from central_samples import certificate_payload, drives, sign_certificate

from central_inventory.cli import Console, main
from wipe.certificate import verify_certificate
from wipe.signing import BenchKey, read_public_key
from wipe.trust import Anchors, evaluate, read_statement

DRIVES = drives()


def _post(server: Running, token: str, body: bytes, path: str) -> Any:
    with server.client(token) as client:
        return client.post(path, content=body, headers={"Content-Type": "application/json"})


def _certificate_text(key: BenchKey, **changes: Any) -> str:
    payload = certificate_payload(str(uuid.uuid4()), DRIVES[0], **changes)
    return sign_certificate(key, payload).decode("utf-8")


EDITS = {
    # The signed value last: a reader keeping the first one would see ERASED.
    "duplicate-key": (
        lambda raw: raw.replace('"result": "FAILED"', '"result": "ERASED", "result": "FAILED"'),
        "malformed_json",
    ),
    "extra-signature-field": (
        lambda raw: raw.replace('"alg": "ed25519"', '"alg": "ed25519", "comment": "ok"'),
        "malformed_signature",
    ),
    "extra-top-level-field": (lambda raw: raw[:-1] + ', "note": "unsigned"}', "not_signed"),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
@pytest.mark.parametrize("path", ["/api/v1/certificates", "/api/v1/reports"])
def test_anything_outside_the_signed_content_is_refused(
    server: Running, tenant_a: TenantSetup, edit: str, path: str
) -> None:
    bench = tenant_a.benches[0]
    raw = _certificate_text(bench.key, result="FAILED")
    if path == "/api/v1/reports":
        from central_samples import machines, report_payload, signed, unit_report

        report = report_payload(unit_report(machines()[0], DRIVES[0], bench_id=bench.name))
        raw = signed(bench.key, {**report, "result": "FAILED"}).decode("utf-8")
    change, code = EDITS[edit]
    edited = change(raw)
    assert edited != raw
    before = server.counts()
    response = _post(server, bench.token, edited.encode(), path)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert server.counts() == before
    # The unedited certificate is accepted: the refusal is the edit's.
    if path == "/api/v1/certificates":
        assert _post(server, bench.token, raw.encode(), path).status_code == 201


def test_trust_endpoint_gives_the_network_key_and_a_statement(
    server: Running, tenant_a: TenantSetup, network_key_path: Path
) -> None:
    bench = tenant_a.benches[0]
    with server.client(bench.token) as client:
        answer = client.get("/api/v1/trust")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    network = BenchKey.load(network_key_path)
    assert read_public_key(data["network_public_key_pem"]) == network.public_raw
    assert data["network_key_fingerprint"] == network.fingerprint
    signed = read_statement(data["statement"])
    assert signed.signer == network.public_raw
    statement = signed.statement
    assert (statement.tenant, statement.bench) == (tenant_a.slug, bench.name)
    assert statement.fingerprint == bench.key.fingerprint and statement.revoked_at is None
    # A certificate that bench signs now is trusted with what the endpoint gave; one it
    # claims to have signed before its registration is not.
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {**certificate_payload("c-1", DRIVES[1]), "started_at": now, "ended_at": now}
    check = verify_certificate(sign_certificate(bench.key, payload))
    assert check.ok and check.public_key is not None and check.certificate is not None
    anchors = Anchors((network.public_raw,), (), (signed,))
    assert evaluate(check.public_key, check.certificate.signed_at, anchors).trusted
    before = evaluate(check.public_key, "2020-01-01T00:00:00Z", anchors)
    assert not before.trusted and "before the key was valid" in before.problems_en[0]
    # Staff: the network key, no statement; nobody: 401.
    with server.client(tenant_a.staff_token) as client:
        assert client.get("/api/v1/trust").json()["statement"] is None
    with server.client() as client:
        assert client.get("/api/v1/trust").status_code == 401


def _cli(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Console(stdout=out, stderr=err, environ=environ, lang="en"))
    return code, out.getvalue(), err.getvalue()


def test_network_key_statements_at_registration_and_dated_revocation(tmp_path: Path) -> None:
    env = {
        "CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "CENTRAL_NETWORK_KEY": str(tmp_path / "keys" / "network-key.pem"),
    }
    assert _cli(["migrate"], env)[0] == 0
    assert _cli(["create-tenant", "atelier-gr", "Atelier Grenoble"], env)[0] == 0
    bench = BenchKey.generate()
    # Without a network key a bench registers; no statement, and the operator is told.
    code, out, err = _cli(
        ["--json", "register-bench", "--tenant", "atelier-gr", "--name", "GR-1",
         "--public-key", bench.public_b64],
        env,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["statement"] is None and "init-network-key" in err
    code, out, _ = _cli(["--json", "init-network-key"], env)
    created = json.loads(out)
    assert code == 0 and created["created"] is True
    path = Path(env["CENTRAL_NETWORK_KEY"])
    assert os.stat(path).st_mode & 0o777 == 0o600
    code, out, _ = _cli(["--json", "init-network-key"], env)  # never replaced
    assert json.loads(out) == {**created, "created": False}
    network = read_public_key(created["public_key_pem"])

    second = BenchKey.generate()
    out_file = tmp_path / "statement.json"
    code, out, _ = _cli(
        ["--json", "register-bench", "--tenant", "atelier-gr", "--name", "GR-2",
         "--public-key", second.public_b64, "--statement-out", str(out_file)],
        env,
    )  # fmt: skip
    assert code == 0 and json.loads(out)["fingerprint"] == second.fingerprint
    issued = read_statement(json.loads(out_file.read_text()))
    assert issued.signer == network and issued.statement.revoked_at is None

    at = datetime.now(UTC) + timedelta(days=1)
    at_text = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, _ = _cli(
        ["--json", "revoke-bench", "GR-2", "--at", at_text, "--statement-out", str(out_file)],
        env,
    )
    assert code == 0
    revoked = read_statement(json.loads(out_file.read_text()))
    assert revoked.statement.revoked_at == at_text
    anchors = Anchors((network,), (), (issued, revoked))
    # Dated: signed before the revocation still trusted, after not (the later statement
    # decides, the earlier unrevoked one cannot undo it).
    before = (at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert evaluate(second.public_raw, before, anchors).trusted
    after = evaluate(second.public_raw, at_text, anchors)
    assert not after.trusted and "revoked" in after.problems_en[0]
    code, _, err = _cli(["revoke-bench", "GR-2", "--at", "yesterday"], env)
    assert code == 1 and "ISO 8601" in err
