"""Loose drives in the donor batch report, on SQLite and PostgreSQL: a drive erased on
its own at an erasure station names its batch in its signed certificate
(``source_computer`` = ``{"loose_drive": true, "batch": CODE}``); the batch's page, CSV
and PDF list it (masked serial, model, size, method and result in words, certificate
link) after the batch's computers. A drive interrupted then resumed is one drive with two
certificates; another batch's or another tenant's drives never appear. End to end: a loop device
erased by the real station, its certificate sent by ``bench-agent sync``, listed."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_harness import Running, TenantSetup, make_tenant
from central_samples import certificate_payload, drives, sign_certificate

from bench_agent.bench.site import Station as StationSettings
from central_inventory.admin import create_batch, create_token, register_bench
from central_inventory.config import Settings
from central_inventory.evidence import mask_serial
from central_inventory.formatting import disk_size
from tests.bench.station_helpers import Docks, docks, start_station
from tests.central.test_central_documents import pdf_text, qr_codes
from wipe.signing import BenchKey, parse_json

__all__ = ["docks"]  # the fixture, used by name below


def loose_certificate(
    code: str, drive: Any, result: str, started: str, **source: object
) -> tuple[str, dict[str, Any]]:
    certificate_id = str(uuid.uuid4())
    payload = certificate_payload(certificate_id, drive, result)
    payload["source_computer"] = {"loose_drive": True, "batch": code, "station": "poste-2"}
    payload["source_computer"].update(source)
    payload["started_at"] = started
    payload["operator"]["donor"] = code
    return certificate_id, payload


def post(server: Running, tenant: TenantSetup, payload: dict[str, Any]) -> None:
    bench = tenant.benches[0]
    response = httpx.post(
        f"{server.base_url}/api/v1/certificates",
        content=sign_certificate(bench.key, payload),
        headers={"Authorization": f"Bearer {bench.token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text


def csv_rows(donor_url: str, lang: str) -> list[dict[str, str]]:
    response = httpx.get(f"{donor_url}/report.csv", params={"lang": lang}, timeout=30)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_batch_report_lists_the_batch_loose_drives(server: Running, tmp_path: Path) -> None:
    tenant = make_tenant(server.sessions)
    other_tenant = make_tenant(server.sessions)
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    _id, token = create_batch(server.sessions, tenant.slug, code, "Mairie de Grenoble")
    donor_url = f"{server.base_url}/donor/{token}"
    resumed, failed, elsewhere = drives()[0], drives()[1], drives()[2]
    # Pulled mid-pass (INTERRUPTED), plugged back in, resumed: ERASED. One drive.
    first_id, first = loose_certificate(code, resumed, "INTERRUPTED", "2026-12-03T09:00:00Z")
    second_id, second = loose_certificate(code, resumed, "ERASED", "2026-12-03T09:20:00Z")
    failed_id, failed_payload = loose_certificate(code, failed, "FAILED", "2026-12-03T09:05:00Z")
    for payload in (second, first, failed_payload):  # sent in any order
        post(server, tenant, payload)
    # Not this batch's: another batch code, another tenant's same code, a computer's drive.
    post(server, tenant, loose_certificate("LOT-OTHER", elsewhere, "ERASED", "2026-12-03")[1])
    post(server, other_tenant, loose_certificate(code, elsewhere, "ERASED", "2026-12-03")[1])
    post(server, tenant, certificate_payload(str(uuid.uuid4()), elsewhere))

    page = httpx.get(donor_url, params={"lang": "fr"}, timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "Disques seuls (effacés sans leur ordinateur)" in html
    # Counted in drives, not certificates: the resumed drive is one drive, erased.
    assert "2 disques seuls : 1 effacé, 1 non prouvé" in html
    listing = html.split('id="loose-drives"', 1)[1].split("</ol>", 1)[0]
    assert listing.count('class="donor-unit loose-drive"') == 2
    # Serials partly masked, as the laptops' disks; the full ones never shown.
    for drive in (resumed, failed):
        assert mask_serial(drive.serial) in listing
        assert drive.serial not in html
    assert mask_serial(elsewhere.serial) not in listing
    assert resumed.model in listing
    assert disk_size(resumed.capacity_bytes, "fr") in listing
    for cid in (first_id, second_id, failed_id):
        assert f'href="/verify/{cid}"' in listing
    assert "Effacé et vérifié" in listing and "Échec de l&#39;effacement" in listing
    assert ">ERASED<" not in listing and ">FAILED<" not in listing
    # The page's search finds a loose drive by its certificate id, and only it.
    found = httpx.get(donor_url, params={"lang": "fr", "q": failed_id[:13]}, timeout=30).text
    found = found.split('id="loose-drives"', 1)[1].split("</ol>", 1)[0]
    assert found.count('class="donor-unit loose-drive"') == 1 and failed_id in found

    for lang, kind, erased in (("fr", "disque seul", "Effacé et vérifié"),
                               ("en", "loose drive", "Erased and verified")):  # fmt: skip
        rows = csv_rows(donor_url, lang)
        assert {r["type_code"] for r in rows} == {"loose_drive"}
        rows = [r for r in rows if r["type"] == kind]
        masked = "disques_numeros_masques" if lang == "fr" else "disk_serials_masked"
        by_serial = {r[masked]: r for r in rows}
        assert set(by_serial) == {mask_serial(resumed.serial), mask_serial(failed.serial)}
        row = by_serial[mask_serial(resumed.serial)]
        assert row["certificats_effacement" if lang == "fr" else "erasure_certificates"] == (
            f"{first_id} {second_id}"
        )
        assert row["resultats_codes" if lang == "fr" else "result_codes"] == "INTERRUPTED ERASED"
        assert row["devenir" if lang == "fr" else "outcome"] == erased
        assert row["devenir_code" if lang == "fr" else "outcome_code"] == "ERASED"
        assert row["taille" if lang == "fr" else "size"] == disk_size(resumed.capacity_bytes, lang)
        failed_row = by_serial[mask_serial(failed.serial)]
        assert failed_row["disques_effaces" if lang == "fr" else "disks_erased"] == "0"

    pdf = httpx.get(f"{donor_url}/report.pdf", params={"lang": "en"}, timeout=60).content
    found = pdf_text(pdf, tmp_path)
    assert "Loose drives (erased without their computer)" in found
    assert "Loose drives erased" in found  # the summary's column
    assert "2 loose drives: 1 erased, 1 not proven" in found
    assert mask_serial(resumed.serial) in found and mask_serial(failed.serial) in found
    assert mask_serial(elsewhere.serial) not in found and resumed.serial not in found
    assert "Erasure failed" in found and "Erased and verified" in found
    links = Settings(database_url="sqlite://").link_base()
    assert sorted(qr_codes(pdf, tmp_path)) == sorted(
        f"{links}/verify/{c}" for c in (first_id, second_id, failed_id)
    )


def test_a_bad_batch_in_a_loose_certificate_is_refused_in_words(server: Running) -> None:
    tenant = make_tenant(server.sessions)
    bench = tenant.benches[0]
    _cid, payload = loose_certificate("x" * 65, drives()[0], "ERASED", "2026-12-03")
    response = httpx.post(
        f"{server.base_url}/api/v1/certificates",
        content=sign_certificate(bench.key, payload),
        headers={"Authorization": f"Bearer {bench.token}"},
        timeout=30,
    )
    assert response.status_code == 422, response.text
    assert "source_computer.batch" in response.text


@pytest.mark.root
@pytest.mark.loop
def test_a_drive_erased_at_the_station_reaches_its_batch_report(
    server: Running, tmp_path: Path, docks: Docks
) -> None:
    """The real chain: the station erases a loop device for the batch, ``bench-agent
    sync`` sends its certificate, the batch's CSV lists the drive."""
    from tests.central.test_bench_sync import _sync

    tenant = make_tenant(server.sessions)
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    _id, token = create_batch(server.sessions, tenant.slug, code, "Mairie de Grenoble")
    home = tmp_path / "station-home"
    key = BenchKey.load_or_create(home / "bench-key.pem")
    name = f"{tenant.slug}-station"
    register_bench(server.sessions, tenant.slug, name, key.public_raw)
    token_file = tmp_path / "token.txt"
    token_file.write_text(create_token(server.sessions, "bench", bench=name).token + "\n")
    code_, _out, err = _sync(
        home, "configure", "--url", server.base_url, "--token-file", str(token_file)
    )
    assert code_ == 0, err

    n = docks.port()
    settings = StationSettings(slots={"dock-1": f"*/block/loop{n}"}, delay_s=0, batch=code)
    running = start_station(home, settings)
    try:
        docks.plug(n, docks.disk("loose", 8 << 20))
        running.wait_for(lambda v: any(s.slot == "dock-1" and s.result for s in v), 60)
    finally:
        running.stop.set()
        running.thread.join(30)
    (view,) = [v for v in running.station.slots() if v.slot == "dock-1"]
    assert view.result == "ERASED", view
    assert view.certificate is not None

    code_, out, err = _sync(home, "now")
    assert code_ == 0, (out, err)
    (row,) = csv_rows(f"{server.base_url}/donor/{token}", "fr")
    assert row["type"] == "disque seul"
    sent = parse_json(view.certificate.read_bytes())["payload"]
    assert sent["source_computer"]["batch"] == code
    assert row["certificats_effacement"] == sent["certificate_id"]
    assert row["resultats_codes"] == "ERASED" and row["devenir"] == "Effacé et vérifié"
    assert row["taille"] == "8,4\u00a0Mo" and row["modele"] == "loop device"
