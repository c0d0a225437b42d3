"""The central record holds only what evidence proves (SQLite and PostgreSQL): a unit's
erasure state, hence whether it can be PRET_A_DISTRIBUER, comes from stored certificates
of its tenant whose disk is in its inventory, never from the report's own claims; reports
are ordered by what they signed, not by arrival; ids are each tenant's own."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from central_harness import Running, TenantSetup, postgres_only
from central_samples import (
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)
from sqlalchemy import text

from central_inventory.auth import authenticate
from central_inventory.ingest import (
    _store_certificate,
    ingest_report,
    parse_envelope,
    validate_certificate,
    verify_for_bench,
)

MACHINES = machines()
DRIVES = drives()


def _report(
    tenant: TenantSetup,
    machine: int,
    *,
    certificate_ids: tuple[str, ...] = (),
    drive: int | None = None,
    category: str = "B",
    created_at: str | None = None,
    report_id: str | None = None,
) -> dict[str, Any]:
    disk = DRIVES[(machine if drive is None else drive) % len(DRIVES)]
    report = unit_report(
        MACHINES[machine % len(MACHINES)],
        disk,
        bench_id=tenant.benches[0].name,
        category=category,
        certificate_id=certificate_ids[0] if certificate_ids else None,
        report_id=report_id,
    )
    payload = report_payload(report)
    for extra in certificate_ids[1:]:  # more erasures listed, all claiming ERASED
        payload["erasures"].append(dict(payload["erasures"][0], certificate_id=extra))
    if created_at is not None:
        payload["created_at"] = created_at
    return payload


def _post(server: Running, tenant: TenantSetup, path: str, body: bytes) -> Any:
    with server.client(tenant.benches[0].token) as client:
        return client.post(path, content=body, headers={"Content-Type": "application/json"})


def _send_report(server: Running, tenant: TenantSetup, payload: dict[str, Any]) -> Any:
    response = _post(server, tenant, "/api/v1/reports", signed(tenant.benches[0].key, payload))
    assert response.status_code == 201, response.text
    return response.json()


def _certificate(
    certificate_id: str, drive: int, result: str = "ERASED", **changes: Any
) -> dict[str, Any]:
    payload = certificate_payload(certificate_id, DRIVES[drive % len(DRIVES)], result)
    payload.update(changes)
    return payload


def _send_certificate(server: Running, tenant: TenantSetup, payload: dict[str, Any]) -> Any:
    body = sign_certificate(tenant.benches[0].key, payload)
    return _post(server, tenant, "/api/v1/certificates", body)


def _unit(server: Running, tenant: TenantSetup, unit_id: int) -> dict[str, Any]:
    with server.client(tenant.staff_token) as client:
        response = client.get(f"/api/v1/units/{unit_id}")
    assert response.status_code == 200, response.text
    unit: dict[str, Any] = response.json()
    return unit


def _state(server: Running, tenant: TenantSetup, unit_id: int) -> tuple[str, str | None]:
    unit = _unit(server, tenant, unit_id)
    return unit["status"], unit["erasure_state"]


def _page(server: Running, tenant: TenantSetup, unit_id: int) -> str:
    with server.client() as client:
        assert client.post("/login", data={"token": tenant.staff_token}).status_code == 303
        page = client.get(f"/units/{unit_id}")
    assert page.status_code == 200
    return page.text


def test_a_report_claiming_erased_with_a_failed_certificate_is_not_distributable(
    server: Running, tenant_a: TenantSetup
) -> None:
    cid = str(uuid.uuid4())
    assert _send_certificate(server, tenant_a, _certificate(cid, 0, "FAILED")).status_code == 201
    stored = _send_report(server, tenant_a, _report(tenant_a, 0, certificate_ids=(cid,)))
    assert _state(server, tenant_a, stored["unit_id"]) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")
    (disk,) = _unit(server, tenant_a, stored["unit_id"])["disks"]
    assert disk == {
        "serial": DRIVES[0].serial,
        "required": True,
        "erased": False,
        "certificate_id": None,
        "certificates": [{"certificate_id": cid, "outcome": "FAILED"}],
    }
    page = _page(server, tenant_a, stored["unit_id"])
    assert 'data-state="NOT_ERASED"' in page and 'data-erased="no"' in page
    assert "no valid certificate" in _page_en(server, tenant_a, stored["unit_id"])


def _page_en(server: Running, tenant: TenantSetup, unit_id: int) -> str:
    with server.client() as client:
        assert client.post("/login", data={"token": tenant.staff_token}).status_code == 303
        return client.get(f"/units/{unit_id}", params={"lang": "en"}).text


def test_a_missing_certificate_holds_the_unit_until_a_valid_one_arrives(
    server: Running, tenant_a: TenantSetup
) -> None:
    cid = str(uuid.uuid4())
    stored = _send_report(server, tenant_a, _report(tenant_a, 1, certificate_ids=(cid,)))
    unit_id = stored["unit_id"]
    assert _state(server, tenant_a, unit_id) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")
    assert _unit(server, tenant_a, unit_id)["pending_certificates"] == [cid]
    # The certificate arriving after the report recomputes the unit.
    assert _send_certificate(server, tenant_a, _certificate(cid, 1)).status_code == 201
    assert _state(server, tenant_a, unit_id) == ("PRET_A_DISTRIBUER", "ERASED")
    (disk,) = _unit(server, tenant_a, unit_id)["disks"]
    assert (disk["erased"], disk["certificate_id"]) == (True, cid)
    assert 'data-erased="yes"' in _page(server, tenant_a, unit_id)


def test_the_order_of_arrival_does_not_matter(server: Running, tenant_a: TenantSetup) -> None:
    """Two disks, two certificates: every interleaving with the report ends the same."""
    results = set()
    orders = (("c0", "c1", "r"), ("c0", "r", "c1"), ("r", "c1", "c0"))
    for n, order in enumerate(orders):
        cids = (str(uuid.uuid4()), str(uuid.uuid4()))
        payload = _report(tenant_a, 11 + n, certificate_ids=cids, drive=2)
        # A second internal disk, erased by the second certificate.
        second = dict(payload["inventory"]["disks"][0], name="sdb", path="/dev/sdb")
        second["serial"] = DRIVES[5].serial
        payload["inventory"]["disks"].append(second)
        unit_id = None
        for step in order:
            if step == "r":
                unit_id = _send_report(server, tenant_a, payload)["unit_id"]
            else:
                index = int(step[1])
                drive = 2 if index == 0 else 5
                cert = _certificate(cids[index], drive)
                assert _send_certificate(server, tenant_a, cert).status_code == 201
            if unit_id is not None and step != order[-1]:
                assert _state(server, tenant_a, unit_id)[1] == "NOT_ERASED"
        assert unit_id is not None
        results.add(_state(server, tenant_a, unit_id))
        assert len(results) == 1, order
    assert results == {("PRET_A_DISTRIBUER", "ERASED")}


def test_a_certificate_of_another_disk_is_unlinked_and_never_counts(
    server: Running, tenant_a: TenantSetup
) -> None:
    """The 268 MB loop-device certificate listed for a unit with another disk."""
    cid = str(uuid.uuid4())
    loop = _certificate(cid, 7)
    loop["media"] = dict(loop["media"], model="loop", serial="LOOP-268MB", size_bytes=268435456)
    assert _send_certificate(server, tenant_a, loop).status_code == 201
    stored = _send_report(server, tenant_a, _report(tenant_a, 3, certificate_ids=(cid,), drive=3))
    unit = _unit(server, tenant_a, stored["unit_id"])
    assert (unit["status"], unit["erasure_state"]) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")
    assert unit["unlinked_certificates"] == [{"certificate_id": cid, "disk_serial": "LOOP-268MB"}]
    assert unit["disks"][0]["certificates"] == []
    page = _page_en(server, tenant_a, stored["unit_id"])
    assert "Unlinked certificates" in page and "LOOP-268MB" in page


def test_a_unit_without_a_disk_serial_or_any_disk_is_never_erased_from_evidence(
    server: Running, tenant_a: TenantSetup
) -> None:
    cid = str(uuid.uuid4())
    cert = _certificate(cid, 4)
    cert["media"] = dict(cert["media"], serial=None)
    assert _send_certificate(server, tenant_a, cert).status_code == 201
    payload = _report(tenant_a, 4, certificate_ids=(cid,))
    payload["inventory"]["disks"][0]["serial"] = None
    stored = _send_report(server, tenant_a, payload)
    assert _state(server, tenant_a, stored["unit_id"]) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")
    diskless = _report(tenant_a, 5)
    diskless["inventory"]["disks"] = []
    stored = _send_report(server, tenant_a, diskless)
    assert _state(server, tenant_a, stored["unit_id"]) == ("EN_COURS_DE_TRAITEMENT", "NO_DISK")


def test_an_older_report_arriving_last_is_ignored_for_the_state(
    server: Running, tenant_a: TenantSetup
) -> None:
    """Sitting 2 (made at 11:00) graded the unit NOT_DISTRIBUTABLE; sitting 1's report
    (made at 09:00, all erased) was held back by a retry and arrives last."""
    cid = str(uuid.uuid4())
    assert _send_certificate(server, tenant_a, _certificate(cid, 6)).status_code == 201
    newer = _report(
        tenant_a,
        6,
        certificate_ids=(cid,),
        category="NOT_DISTRIBUTABLE",
        created_at="2026-11-20T11:00:00+00:00",
    )
    older = _report(tenant_a, 6, certificate_ids=(cid,), created_at="2026-11-20T10:30:00+01:00")
    first = _send_report(server, tenant_a, newer)
    late = _send_report(server, tenant_a, older)
    assert first["current"] is True and late["current"] is False and late["version"] is None
    assert late["unit_id"] == first["unit_id"]
    unit = _unit(server, tenant_a, first["unit_id"])
    assert unit["status"] == "NON_REEMPLOYABLE" and unit["category"] == "NOT_DISTRIBUTABLE"
    assert unit["current_report"] == {"report_id": newer["report_id"], "revision": 1}
    assert {v["report_id"]: v["current"] for v in unit["versions"]} == {
        newer["report_id"]: True,
        older["report_id"]: False,
    }
    # A revision of the old sitting still made before the current one: history too.
    older_rev = dict(older, revision=2, created_at="2026-11-20T10:45:00Z")
    assert _send_report(server, tenant_a, older_rev)["current"] is False
    assert _unit(server, tenant_a, first["unit_id"])["status"] == "NON_REEMPLOYABLE"
    # A later sitting moves the unit forward again.
    latest = _report(tenant_a, 6, certificate_ids=(cid,), created_at="2026-11-21T08:00:00Z")
    assert _send_report(server, tenant_a, latest)["current"] is True
    assert _state(server, tenant_a, first["unit_id"]) == ("PRET_A_DISTRIBUER", "ERASED")


def test_an_unparseable_creation_time_is_refused(server: Running, tenant_a: TenantSetup) -> None:
    payload = _report(tenant_a, 7, created_at="yesterday")
    response = _post(server, tenant_a, "/api/v1/reports", signed(tenant_a.benches[0].key, payload))
    assert response.status_code == 422
    assert "created_at" in response.json()["error"]["detail"]


@pytest.mark.parametrize(
    ("changes", "shown", "headline"),
    [
        ({"dry_run": True}, "DRY_RUN", "Dry run: nothing was erased"),
        (
            {"verification": {"mode": "sample", "passes": [], "passed": False}},
            "UNVERIFIED",
            "Erasure not verified",
        ),
    ],
    ids=["dry-run", "verification-failed"],
)
def test_a_certificate_saying_erased_without_proof_is_never_shown_erased(
    server: Running, tenant_a: TenantSetup, changes: dict[str, Any], shown: str, headline: str
) -> None:
    cid = str(uuid.uuid4())
    cert = _certificate(cid, 8, **changes)
    cert["method"]["firmware"] = dict(cert["method"]["firmware"], completed=False)
    assert cert["result"] == "ERASED"
    assert _send_certificate(server, tenant_a, cert).status_code == 201
    with server.client() as client:
        (data,) = client.get(f"/api/v1/verify/{cid}").json()["certificates"]
        page = client.get(f"/verify/{cid}", params={"lang": "en"}).text
    assert (data["claimed_result"], data["result"], data["erased"]) == ("ERASED", shown, False)
    assert data["level"] is None
    assert headline in page and "Disk erased" not in page
    assert "The certificate states « Erased and verified », but" in page
    stored = _send_report(server, tenant_a, _report(tenant_a, 8, certificate_ids=(cid,)))
    assert _state(server, tenant_a, stored["unit_id"]) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")


def test_two_tenants_using_one_certificate_id_each_see_their_own(
    server: Running, tenant_a: TenantSetup, tenant_b: TenantSetup
) -> None:
    cid = str(uuid.uuid4())
    # Tenant B's bench takes the id first (a certificate of nothing in particular).
    squat = sign_certificate(tenant_b.benches[0].key, _certificate(cid, 9, "FAILED"))
    assert _post(server, tenant_b, "/api/v1/certificates", squat).status_code == 201
    genuine = sign_certificate(tenant_a.benches[0].key, _certificate(cid, 9))
    answer = _post(server, tenant_a, "/api/v1/certificates", genuine)
    assert answer.status_code == 201 and answer.json()["status"] == "stored"
    for tenant, body in ((tenant_a, genuine), (tenant_b, squat)):
        with server.client(tenant.staff_token) as client:
            assert client.get(f"/api/v1/certificates/{cid}").content == body
        # A retry is "already stored" to each, whatever the other did.
        assert _post(server, tenant, "/api/v1/certificates", body).status_code == 200
    # B's FAILED certificate does not touch A's unit, and A's does not make B's erased.
    a_unit = _send_report(server, tenant_a, _report(tenant_a, 9, certificate_ids=(cid,)))
    b_report = _report(tenant_b, 9, certificate_ids=(cid,))
    b_report["bench"]["bench_id"] = tenant_b.benches[0].name
    b_unit = _send_report(server, tenant_b, b_report)
    assert _state(server, tenant_a, a_unit["unit_id"]) == ("PRET_A_DISTRIBUER", "ERASED")
    assert _state(server, tenant_b, b_unit["unit_id"]) == ("EN_COURS_DE_TRAITEMENT", "NOT_ERASED")
    # The public page shows both, each with its reconditioner's name.
    with server.client() as client:
        data = client.get(f"/api/v1/verify/{cid}").json()
        page = client.get(f"/verify/{cid}", params={"lang": "en"}).text
    assert data["count"] == 2
    assert [(c["tenant_name"], c["result"]) for c in data["certificates"]] == [
        (f"Atelier {tenant_b.slug}", "FAILED"),
        (f"Atelier {tenant_a.slug}", "ERASED"),
    ]
    assert f'data-tenant="Atelier {tenant_a.slug}"' in page
    assert f'data-tenant="Atelier {tenant_b.slug}"' in page
    assert "Several reconditioners" in page


class _HeldCertificate:
    """A certificate stored in a transaction left open until released."""

    def __init__(self, server: Running, tenant: TenantSetup, payload: dict[str, Any]) -> None:
        self.stored = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        body = sign_certificate(tenant.benches[0].key, payload)
        self.thread = threading.Thread(target=self._run, args=(server, tenant, body))
        self.thread.start()
        assert self.stored.wait(30), self.error

    def _run(self, server: Running, tenant: TenantSetup, body: bytes) -> None:
        try:
            with server.engine.begin() as connection:
                principal = authenticate(connection, tenant.benches[0].token)
                envelope, envelope_text = parse_envelope(body)
                verified = verify_for_bench(envelope, principal)
                facts = validate_certificate(verified.payload)
                _store_certificate(connection, principal, facts, verified.sha256, envelope_text)
                self.stored.set()
                self.release.wait(30)
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.stored.set()


@postgres_only
def test_a_certificate_and_its_report_committing_together_end_erased(
    server: Running, tenant_a: TenantSetup
) -> None:
    """PostgreSQL, READ COMMITTED: the certificate is written, not committed, when the
    report listing it arrives. Without a lock each would miss the other (the report's
    recomputation does not see the certificate, the certificate's does not see the
    report's links) and the unit would stay NOT_ERASED: the report waits for it."""
    cid = str(uuid.uuid4())
    held = _HeldCertificate(server, tenant_a, _certificate(cid, 10))
    body = signed(tenant_a.benches[0].key, _report(tenant_a, 10, certificate_ids=(cid,)))
    answers: list[Any] = []
    racer = threading.Thread(
        target=lambda: answers.append(ingest_report(server.engine, tenant_a.benches[0].token, body))
    )
    racer.start()
    with server.engine.connect() as watcher:
        for _ in range(3000):  # the report must be waiting on the certificate's lock
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            watcher.rollback()
            if waiting or not racer.is_alive():
                break
            threading.Event().wait(0.01)
    assert waiting, "the report did not wait for the certificate listed in it"
    held.release.set()
    held.thread.join(30)
    racer.join(30)
    assert held.error is None, held.error
    ((_, stored),) = answers
    assert _state(server, tenant_a, stored.unit_id) == ("PRET_A_DISTRIBUER", "ERASED")


def test_a_battery_the_firmware_describes_but_the_system_cannot_see_is_a_fault_to_check(
    server: Running, tenant_a: TenantSetup
) -> None:
    payload = _report(tenant_a, 2)
    payload["inventory"]["batteries"] = []
    payload["inventory"]["notes"] = [
        {
            "code": "battery.dmi_only",
            "message": {"fr": "Batterie décrite, non vue", "en": "Battery described, not seen"},
        }
    ]
    stored = _send_report(server, tenant_a, payload)
    page = _page(server, tenant_a, stored["unit_id"])
    assert 'id="battery-unseen"' in page and "non détectée : à vérifier" in page
    assert "pas de batterie" not in page
    payload = _report(tenant_a, 3)
    payload["inventory"]["batteries"] = []
    payload["inventory"]["notes"] = []
    stored = _send_report(server, tenant_a, payload)
    page = _page(server, tenant_a, stored["unit_id"])
    assert "pas de batterie" in page and "battery-unseen" not in page
