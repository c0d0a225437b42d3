"""The HTTP API against a running server (SQLite and PostgreSQL): idempotency, conflicts,
forged and replayed signatures, tenancy, revocation, hostile bodies."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from central_harness import Running, TenantSetup, make_tenant
from central_samples import (
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)

from central_inventory.admin import revoke_bench, revoke_token
from central_inventory.reference import scan

MACHINES = machines()
DRIVES = drives()


def _report(tenant: TenantSetup, bench: int = 0, machine: int = 0, **kwargs: Any) -> dict[str, Any]:
    b = tenant.benches[bench]
    report = unit_report(
        MACHINES[machine], DRIVES[machine % len(DRIVES)], bench_id=b.name, **kwargs
    )
    return report_payload(report)


def _post(server: Running, token: str | None, body: bytes, path: str = "/api/v1/reports") -> Any:
    with server.client(token) as client:
        return client.post(path, content=body, headers={"Content-Type": "application/json"})


def _assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]["fr"] and error["message"]["en"]


def test_corpus_gives_realistic_units() -> None:
    # The samples come from real dmidecode/smartctl outputs: several distinct machines.
    assert len(MACHINES) >= 8
    assert len({m.serial for m in MACHINES}) == len(MACHINES)
    assert any(m.maker.startswith("LENOVO") for m in MACHINES)
    assert len(DRIVES) >= 10


def test_report_stored_once_and_retry_answered_as_already_stored(
    server: Running, tenant_a: TenantSetup
) -> None:
    bench = tenant_a.benches[0]
    payload = _report(tenant_a)
    body = signed(bench.key, payload)
    before = server.counts()
    first = _post(server, bench.token, body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "stored"
    assert first.json()["version"] == 1
    retry = _post(server, bench.token, body)
    assert retry.status_code == 200
    assert retry.json()["status"] == "already_stored"
    assert retry.json()["unit_id"] == first.json()["unit_id"]
    # A retry re-serialised differently (whitespace, key order) is still the same report.
    reordered = json.dumps(json.loads(body), indent=3, sort_keys=True).encode()
    assert _post(server, bench.token, reordered).status_code == 200
    after = server.counts()
    assert after["reports"] == before["reports"] + 1
    assert after["units"] == before["units"] + 1
    # Stored verbatim: the envelope comes back byte for byte.
    with server.client(bench.token) as client:
        stored = client.get(f"/api/v1/reports/{payload['report_id']}")
    assert stored.status_code == 200
    assert stored.content == body


def test_concurrent_identical_retries_store_one_row(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    body = signed(bench.key, _report(tenant_a, machine=1))
    before = server.counts()
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        response = _post(server, bench.token, body)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert server.counts()["reports"] == before["reports"] + 1


def test_different_body_under_same_report_id_is_a_conflict(
    server: Running, tenant_a: TenantSetup
) -> None:
    bench = tenant_a.benches[0]
    payload = _report(tenant_a, machine=2)
    original = signed(bench.key, payload)
    assert _post(server, bench.token, original).status_code == 201
    changed = dict(payload, created_at="2026-11-21T10:00:00Z")
    before = server.counts()
    _assert_error(_post(server, bench.token, signed(bench.key, changed)), 409, "conflict")
    assert server.counts() == before
    with server.client(bench.token) as client:
        assert client.get(f"/api/v1/reports/{payload['report_id']}").content == original


def test_retested_unit_keeps_its_history(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    first = _post(
        server, bench.token, signed(bench.key, _report(tenant_a, machine=3, category="C"))
    )
    second = _post(
        server, bench.token, signed(bench.key, _report(tenant_a, machine=3, category="B"))
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["unit_id"] == second.json()["unit_id"]
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    with server.client(bench.token) as client:
        unit = client.get(f"/api/v1/units/{first.json()['unit_id']}").json()
    assert [v["version"] for v in unit["versions"]] == [2, 1]
    assert [v["category"] for v in unit["versions"]] == ["B", "C"]
    assert unit["category"] == "B"


def test_tampered_report_is_rejected_and_not_stored(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    envelope = json.loads(signed(bench.key, _report(tenant_a)))
    envelope["payload"]["grade"]["category"] = "PREMIUM"  # after signing
    before = server.counts()
    _assert_error(_post(server, bench.token, json.dumps(envelope).encode()), 403, "bad_signature")
    assert server.counts() == before


def test_unsigned_report_is_rejected(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    body = json.dumps(_report(tenant_a)).encode()
    before = server.counts()
    _assert_error(_post(server, bench.token, body), 400, "not_signed")
    envelope = json.loads(signed(bench.key, _report(tenant_a)))
    envelope["signature"] = {"alg": "ed25519"}
    _assert_error(
        _post(server, bench.token, json.dumps(envelope).encode()), 400, "malformed_signature"
    )
    envelope["signature"] = "c2lnbmF0dXJl"
    _assert_error(
        _post(server, bench.token, json.dumps(envelope).encode()), 400, "malformed_signature"
    )
    assert server.counts() == before


def test_signature_by_an_unregistered_key_is_rejected(
    server: Running, tenant_a: TenantSetup
) -> None:
    from wipe.signing import BenchKey

    intruder = BenchKey.generate()
    body = signed(intruder, _report(tenant_a))
    before = server.counts()
    _assert_error(_post(server, tenant_a.benches[0].token, body), 403, "key_mismatch")
    # Claiming the registered key_id while signing with another key does not help.
    envelope = json.loads(body)
    registered = tenant_a.benches[0].key
    envelope["signature"]["key_id"] = registered.key_id
    _assert_error(
        _post(server, tenant_a.benches[0].token, json.dumps(envelope).encode()),
        403,
        "bad_signature",
    )
    envelope["signature"]["public_key"] = registered.public_b64
    _assert_error(
        _post(server, tenant_a.benches[0].token, json.dumps(envelope).encode()),
        403,
        "bad_signature",
    )
    assert server.counts() == before


def test_replayed_envelope_under_another_bench_token_is_rejected(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    genuine = signed(tenant_a.benches[0].key, _report(tenant_a))
    before = server.counts()
    # Another tenant's bench, and a sibling bench of the same tenant: neither may replay it.
    _assert_error(_post(server, tenant_b.benches[0].token, genuine), 403, "key_mismatch")
    _assert_error(_post(server, tenant_a.benches[1].token, genuine), 403, "key_mismatch")
    assert server.counts() == before
    assert _post(server, tenant_a.benches[0].token, genuine).status_code == 201


def test_missing_unknown_and_revoked_tokens(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    body = signed(bench.key, _report(tenant_a))
    before = server.counts()
    _assert_error(_post(server, None, body), 401, "unauthenticated")
    _assert_error(_post(server, "cit_" + "x" * 43, body), 401, "unauthenticated")
    with server.client() as client:
        response = client.post(
            "/api/v1/reports", content=body, headers={"Authorization": "Basic Zm9vOmJhcg=="}
        )
    _assert_error(response, 401, "unauthenticated")
    revoke_token(server.sessions, bench.token_id)
    _assert_error(_post(server, bench.token, body), 401, "token_revoked")
    assert server.counts() == before


def test_deactivated_bench_can_no_longer_submit(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[1]
    revoke_bench(server.sessions, bench.name)
    before = server.counts()
    _assert_error(
        _post(server, bench.token, signed(bench.key, _report(tenant_a, bench=1))),
        403,
        "bench_revoked",
    )
    assert server.counts() == before


def test_a_tenant_never_reads_another_tenants_units(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    from central_inventory.admin import create_token

    bench_a = tenant_a.benches[0]
    payload = _report(tenant_a, machine=4)
    stored = _post(server, bench_a.token, signed(bench_a.key, payload)).json()
    unit_id = stored["unit_id"]
    for token in (tenant_b.benches[0].token, tenant_b.staff_token):
        with server.client(token) as client:
            _assert_error(client.get(f"/api/v1/units/{unit_id}"), 404, "not_found")
            _assert_error(client.get(f"/api/v1/reports/{payload['report_id']}"), 404, "not_found")
            listed = client.get("/api/v1/units", params={"serial": MACHINES[4].serial}).json()
            assert listed["total"] == 0
            _assert_error(
                client.patch(f"/api/v1/units/{unit_id}", json={"status": "DISTRIBUE"}),
                403 if token == tenant_b.benches[0].token else 404,
                "staff_only" if token == tenant_b.benches[0].token else "not_found",
            )
    with server.client(tenant_a.staff_token) as client:
        assert client.get(f"/api/v1/units/{unit_id}").status_code == 200
        listed = client.get("/api/v1/units", params={"serial": MACHINES[4].serial}).json()
        assert [u["unit_id"] for u in listed["data"]] == [unit_id]
    coordinator = create_token(server.sessions, "coordinator")
    with server.client(coordinator.token) as client:
        assert client.get(f"/api/v1/units/{unit_id}").json()["unit_id"] == unit_id
        listed = client.get("/api/v1/units", params={"serial": MACHINES[4].serial}).json()
        assert unit_id in [u["unit_id"] for u in listed["data"]]


def test_same_machine_in_two_tenants_stays_separate(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    a = _post(
        server,
        tenant_a.benches[0].token,
        signed(tenant_a.benches[0].key, _report(tenant_a, machine=5)),
    )
    b = _post(
        server,
        tenant_b.benches[0].token,
        signed(tenant_b.benches[0].key, _report(tenant_b, machine=5)),
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["unit_id"] != b.json()["unit_id"]
    assert b.json()["version"] == 1


def test_report_id_used_by_another_tenant_is_its_own(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    """Report ids are per tenant: the same id from another tenant is stored as that
    tenant's (201, not 409: nothing tells it the id exists elsewhere)."""
    payload = _report(tenant_a)
    assert (
        _post(
            server, tenant_a.benches[0].token, signed(tenant_a.benches[0].key, payload)
        ).status_code
        == 201
    )
    before = server.counts()
    copy = dict(payload, bench=dict(payload["bench"], bench_id=tenant_b.benches[0].name))
    body_b = signed(tenant_b.benches[0].key, copy)
    stored = _post(server, tenant_b.benches[0].token, body_b)
    assert stored.status_code == 201, stored.text
    assert server.counts()["reports"] == before["reports"] + 1
    with server.client(tenant_b.staff_token) as client:
        assert client.get(f"/api/v1/reports/{payload['report_id']}").content == body_b


def test_staff_and_coordinators_cannot_submit_evidence(
    server: Running, tenant_a: TenantSetup
) -> None:
    body = signed(tenant_a.benches[0].key, _report(tenant_a))
    _assert_error(_post(server, tenant_a.staff_token, body), 403, "bench_only")


def test_oversize_body_gets_413_json(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    payload = _report(tenant_a)
    payload["comments"] = [{"fr": "x" * 300_000, "en": "x"}]  # limit is 256 KiB in the fixture
    body = signed(bench.key, payload)
    before = server.counts()
    _assert_error(_post(server, bench.token, body), 413, "body_too_large")

    def chunks() -> Any:  # no Content-Length: the limit must hold on the stream too
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    with server.client(bench.token) as client:
        response = client.post("/api/v1/reports", content=chunks())
    _assert_error(response, 413, "body_too_large")
    assert server.counts() == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe{}",
        b"[]",
        b"null",
        b'"payload"',
        b"[" * 5000 + b"]" * 5000,
        b'{"payload": {}, "signature": {}, "extra": 1}',
        b'{"payload": NaN, "signature": {}}',
    ],
    ids=["empty", "truncated", "not-utf8", "array", "null", "string", "deep", "extra-key", "nan"],
)
def test_malformed_bodies_get_400_json(server: Running, tenant_a: TenantSetup, body: bytes) -> None:
    before = server.counts()
    response = _post(server, tenant_a.benches[0].token, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in {"malformed_json", "not_signed"}
    assert server.counts() == before


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda p: p.pop("inventory"), "inventory"),
        (lambda p: p.update(report_id=12), "report_id"),
        (lambda p: p.update(report_id="../../etc/passwd"), "report_id"),
        (lambda p: p["unit"].update(serial="SN\x00123"), "serial"),
        (lambda p: p["unit"].update(serial="S" * 500), "serial"),
        (lambda p: p["grade"].update(category="Z"), "category"),
        (lambda p: p["health"][0].update(power_on_hours="many"), "power_on_hours"),
        (lambda p: p["unit"].update(key="   "), "unit.key"),
    ],
    ids=["no-inventory", "id-type", "id-path", "nul", "too-long", "category", "hours", "blank-key"],
)
def test_signed_but_schema_invalid_report_gets_422(
    server: Running, tenant_a: TenantSetup, mutate: Any, where: str
) -> None:
    bench = tenant_a.benches[0]
    payload = _report(tenant_a)
    mutate(payload)
    before = server.counts()
    response = _post(server, bench.token, signed(bench.key, payload))
    _assert_error(response, 422, "invalid_report")
    assert where in response.json()["error"]["detail"]
    assert server.counts() == before


def test_certificate_ingestion_links_to_unit_and_is_idempotent(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    bench = tenant_a.benches[0]
    certificate_id = str(uuid.uuid4())
    drive = DRIVES[6]
    cert_body = sign_certificate(bench.key, certificate_payload(certificate_id, drive))
    # The certificate may arrive before the report that lists it.
    assert _post(server, bench.token, cert_body, "/api/v1/certificates").status_code == 201
    retry = _post(server, bench.token, cert_body, "/api/v1/certificates")
    assert (retry.status_code, retry.json()["status"]) == (200, "already_stored")
    report = _post(
        server,
        bench.token,
        signed(bench.key, _report(tenant_a, machine=6, certificate_id=certificate_id)),
    )
    unit_id = report.json()["unit_id"]
    with server.client(bench.token) as client:
        unit = client.get(f"/api/v1/units/{unit_id}").json()
        assert unit["certificates"] == [
            {"certificate_id": certificate_id, "result": "ERASED", "outcome": "ERASED"}
        ]
        assert client.get(f"/api/v1/certificates/{certificate_id}").content == cert_body
    with server.client(tenant_b.staff_token) as client:
        _assert_error(client.get(f"/api/v1/certificates/{certificate_id}"), 404, "not_found")
    # Another body under the same certificate id from the same tenant: conflict.
    before = server.counts()
    changed = sign_certificate(
        bench.key, certificate_payload(certificate_id, drive, result="FAILED")
    )
    _assert_error(_post(server, bench.token, changed, "/api/v1/certificates"), 409, "conflict")
    # Replayed under another bench's token: the key does not match.
    _assert_error(
        _post(server, tenant_b.benches[0].token, cert_body, "/api/v1/certificates"),
        403,
        "key_mismatch",
    )
    assert server.counts() == before


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("certificate_id"),
        lambda p: p.update(result="PROBABLY_ERASED"),
        lambda p: p.pop("media"),
        lambda p: (p.pop("started_at"), p.pop("ended_at")),
        lambda p: p["media"].update(serial=["not", "a", "string"]),
        lambda p: p["media"].update(serial="S\x00N", model=None),
    ],
    ids=["no-id", "bad-result", "no-media", "no-timestamps", "serial-type", "serial-nul"],
)
def test_invalid_certificate_gets_422(server: Running, tenant_a: TenantSetup, mutate: Any) -> None:
    bench = tenant_a.benches[0]
    payload = certificate_payload(str(uuid.uuid4()), DRIVES[0])
    mutate(payload)
    before = server.counts()
    _assert_error(
        _post(server, bench.token, signed(bench.key, payload), "/api/v1/certificates"),
        422,
        "invalid_certificate",
    )
    assert server.counts() == before


@pytest.mark.parametrize("result", ["INTERRUPTED", "UNVERIFIED", "DRY_RUN"])
def test_every_wipe_result_is_accepted_and_not_shown_as_erased(
    server: Running, tenant_a: TenantSetup, result: str
) -> None:
    bench = tenant_a.benches[0]
    certificate_id = str(uuid.uuid4())
    body = sign_certificate(bench.key, certificate_payload(certificate_id, DRIVES[1], result))
    assert _post(server, bench.token, body, "/api/v1/certificates").status_code == 201
    with server.client() as client:
        (data,) = client.get(f"/api/v1/verify/{certificate_id}").json()["certificates"]
        page = client.get(f"/verify/{certificate_id}?lang=en").text
    assert (data["genuine"], data["result"], data["level"]) == (True, result, None)
    assert data["erased"] is False
    assert "Disk erased" not in page and 'data-result="' + result + '"' in page


def test_a_certificate_outside_the_typed_model_is_refused(
    server: Running, tenant_a: TenantSetup
) -> None:
    # device/finished_at/method.name, as in the first drafts: one typed certificate now
    # (wipe.model), so a signed payload of another layout is not a certificate.
    bench = tenant_a.benches[0]
    payload = {
        "certificate_id": str(uuid.uuid4()),
        "result": "ERASED",
        "device": {"model": DRIVES[2].model, "serial": DRIVES[2].serial, "capacity_bytes": 1000},
        "method": {"name": "zero-fill", "level": "clear"},
        "finished_at": "2026-11-20T10:00:00Z",
    }
    before = server.counts()
    response = _post(server, bench.token, signed(bench.key, payload), "/api/v1/certificates")
    _assert_error(response, 422, "invalid_certificate")
    assert "schema" in json.dumps(response.json()["error"]["detail"])
    assert server.counts() == before


def test_public_verification_shows_no_personal_data(server: Running, tenant_a: TenantSetup) -> None:
    bench = tenant_a.benches[0]
    certificate_id = str(uuid.uuid4())
    drive = DRIVES[2]
    _post(
        server,
        bench.token,
        sign_certificate(bench.key, certificate_payload(certificate_id, drive)),
        "/api/v1/certificates",
    )
    with server.client() as client:  # no token: the QR code is public
        found = client.get(f"/api/v1/verify/{certificate_id}")
        missing = client.get(f"/api/v1/verify/{uuid.uuid4()}")
    assert found.status_code == 200
    (data,) = found.json()["certificates"]
    assert data["genuine"] is True and data["result"] == "ERASED" and data["erased"] is True
    assert data["disk_model"] == drive.model
    assert drive.serial not in found.text and data["disk_serial_masked"].endswith(drive.serial[-4:])
    assert "Camille" not in found.text  # the operator's name stays private
    assert missing.status_code == 404
    # The key that signed, in full: what `bench-agent verify`, the PDF and openssl show.
    assert data["key_fingerprint"] == bench.key.fingerprint
    with server.client() as client:
        page = client.get(f"/verify/{certificate_id}")
    assert bench.key.fingerprint in page.text


def test_altered_row_shows_as_not_genuine(server: Running, tenant_a: TenantSetup) -> None:
    from sqlalchemy import update

    from central_inventory.db import Certificate

    bench = tenant_a.benches[0]
    certificate_id = str(uuid.uuid4())
    body = sign_certificate(
        bench.key, certificate_payload(certificate_id, DRIVES[3], result="FAILED")
    )
    _post(server, bench.token, body, "/api/v1/certificates")
    forged = body.decode().replace('"FAILED"', '"ERASED"')
    with server.sessions.begin() as session:
        session.execute(
            update(Certificate)
            .where(Certificate.certificate_id == certificate_id)
            .values(envelope=forged)
        )
    with server.client() as client:
        (data,) = client.get(f"/api/v1/verify/{certificate_id}").json()["certificates"]
    assert data["genuine"] is False
    assert data["result"] == "UNVERIFIED" and data["erased"] is False


def test_staff_set_status_and_batch(server: Running, tenant_a: TenantSetup) -> None:
    from central_inventory.admin import create_batch

    bench = tenant_a.benches[0]
    unit_id = _post(server, bench.token, signed(bench.key, _report(tenant_a, machine=7))).json()[
        "unit_id"
    ]
    create_batch(server.sessions, tenant_a.slug, "LOT-7", "Donateur 7")
    with server.client(tenant_a.staff_token) as client:
        ok = client.patch(
            f"/api/v1/units/{unit_id}", json={"status": "DISTRIBUE", "batch": "LOT-7"}
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "DISTRIBUE"
        _assert_error(
            client.patch(f"/api/v1/units/{unit_id}", json={"status": "VENDU"}),
            422,
            "invalid_status",
        )
        _assert_error(
            client.patch(f"/api/v1/units/{unit_id}", json={"batch": "NOPE"}), 422, "unknown_batch"
        )
        _assert_error(
            client.patch(f"/api/v1/units/{unit_id}", content=b"[1]"), 400, "malformed_json"
        )
    # A later report does not override a status set by hand.
    _post(server, bench.token, signed(bench.key, _report(tenant_a, machine=7)))
    with server.client(tenant_a.staff_token) as client:
        assert client.get(f"/api/v1/units/{unit_id}").json()["status"] == "DISTRIBUE"


def test_report_assigned_to_batch_on_ingestion(server: Running, tenant_a: TenantSetup) -> None:
    from central_inventory.admin import create_batch

    bench = tenant_a.benches[0]
    create_batch(server.sessions, tenant_a.slug, "LOT-ING", "Donateur")
    body = signed(bench.key, _report(tenant_a, machine=8))
    before = server.counts()
    with server.client(bench.token) as client:
        _assert_error(
            client.post("/api/v1/reports", params={"batch": "UNKNOWN"}, content=body),
            422,
            "unknown_batch",
        )
        assert server.counts() == before
        assert (
            client.post("/api/v1/reports", params={"batch": "LOT-ING"}, content=body).status_code
            == 201
        )


def test_reference_data_is_versioned_and_served_byte_for_byte(
    server: Running, tenant_a: TenantSetup
) -> None:
    from central_inventory.config import default_profiles_dir

    expected = scan(default_profiles_dir())
    with server.client(tenant_a.benches[0].token) as client:
        index = client.get("/api/v1/reference")
        assert index.status_code == 200
        assert index.json()["version"] == expected.version
        assert (
            client.get(
                "/api/v1/reference", headers={"If-None-Match": index.headers["etag"]}
            ).status_code
            == 304
        )
        for item in index.json()["files"][:3]:
            data = client.get(f"/api/v1/reference/files/{item['path']}")
            assert data.status_code == 200
            assert data.content == (default_profiles_dir() / item["path"]).read_bytes()
        for hostile in ("../pyproject.toml", "..%2F..%2Fetc%2Fpasswd", "__init__.py"):
            assert client.get(f"/api/v1/reference/files/{hostile}").status_code == 404
        assert client.get("/api/v1/reference/files/%00").status_code == 400
    with server.client() as client:
        _assert_error(client.get("/api/v1/reference"), 401, "unauthenticated")


def test_health_and_openapi(server: Running) -> None:
    with server.client() as client:
        health = client.get("/healthz")
        schema = client.get("/openapi.json").json()
    assert health.json()["status"] == "ok"
    assert {"/api/v1/reports", "/api/v1/certificates", "/api/v1/reference"} <= set(schema["paths"])
    body = schema["paths"]["/api/v1/reports"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["required"] == ["payload", "signature"]


def test_second_tenant_bench_sees_only_its_own_units(server: Running) -> None:
    lonely = make_tenant(server.sessions, "VI")
    with server.client(lonely.benches[0].token) as client:
        assert client.get("/api/v1/units").json() == {"total": 0, "data": []}


def test_staff_create_donor_batch_through_the_api(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    from central_inventory.admin import create_token

    with server.client(tenant_a.staff_token) as client:
        created = client.post("/api/v1/batches", json={"code": "LOT-API", "donor_name": "Région"})
        assert created.status_code == 201, created.text
        donor_url = created.json()["donor_url"]
        assert "/donor/" in donor_url
        again = client.post("/api/v1/batches", json={"code": "LOT-API", "donor_name": "Région"})
        _assert_error(again, 409, "conflict")
        _assert_error(client.post("/api/v1/batches", json={"code": ""}), 422, "invalid_request")
        _assert_error(client.post("/api/v1/batches", content=b"nope"), 400, "malformed_json")
    with server.client(tenant_a.benches[0].token) as client:
        refused = client.post("/api/v1/batches", json={"code": "X", "donor_name": "Y"})
        _assert_error(refused, 403, "staff_only")
    # The link opens the batch for anyone holding it, and only that batch.
    with server.client() as client:
        # Links come from the configured address (here the development default), never
        # from the request's Host header: open the link's path on the test server.
        assert donor_url.startswith("http://127.0.0.1:8080/donor/")
        page = client.get(urlsplit(donor_url).path)
        assert page.status_code == 200 and "LOT-API" in page.text
    coordinator = create_token(server.sessions, "coordinator")
    with server.client(coordinator.token) as client:
        body = {"code": "LOT-COORD", "donor_name": "Département", "tenant": tenant_b.slug}
        assert client.post("/api/v1/batches", json=body).status_code == 201
        missing = {"code": "LOT-COORD2", "donor_name": "Département"}
        _assert_error(client.post("/api/v1/batches", json=missing), 422, "invalid_request")


def test_bench_tokens_cannot_open_staff_pages(server: Running, tenant_a: TenantSetup) -> None:
    with server.client() as client:
        response = client.post(
            "/login", data={"token": tenant_a.benches[0].token, "next": "/units"}
        )
        assert response.status_code == 401
        assert "ci_session" not in response.cookies
        client.cookies.set("ci_session", tenant_a.benches[0].token)
        assert client.get("/units", follow_redirects=False).status_code == 303
        # An open redirect after login is refused: only local paths are followed.
        ok = client.post("/login", data={"token": tenant_a.staff_token, "next": "//evil.example"})
        assert ok.status_code == 303 and ok.headers["location"] == "/units"


def test_staff_download_the_signed_envelopes_of_their_units(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    from wipe.signing import verify_envelope

    bench = tenant_a.benches[0]
    certificate_id = str(uuid.uuid4())
    cert_body = sign_certificate(bench.key, certificate_payload(certificate_id, DRIVES[4]))
    payload = _report(tenant_a, machine=9, certificate_id=certificate_id)
    report_body = signed(bench.key, payload)
    _post(server, bench.token, cert_body, "/api/v1/certificates")
    _post(server, bench.token, report_body)
    with server.client() as client:
        assert client.post("/login", data={"token": tenant_a.staff_token}).status_code == 303
        got = client.get(f"/evidence/report/{payload['report_id']}.json")
        assert got.status_code == 200 and got.content == report_body
        assert "attachment" in got.headers["content-disposition"]
        cert = client.get(f"/evidence/certificate/{certificate_id}.json")
        assert (
            verify_envelope(cert.json(), bench.key.public_raw)["certificate_id"] == certificate_id
        )
        unit_page = client.get(
            f"/units/{_post(server, bench.token, report_body).json()['unit_id']}"
        )
        assert f"/evidence/report/{payload['report_id']}.json" in unit_page.text
        assert client.get("/evidence/other/x.json").status_code == 404
        assert client.post("/login", data={"token": tenant_b.staff_token}).status_code == 303
        assert client.get(f"/evidence/report/{payload['report_id']}.json").status_code == 404
        client.cookies.clear()
        anonymous = client.get(
            f"/evidence/report/{payload['report_id']}.json", follow_redirects=False
        )
        assert anonymous.status_code == 303
