"""Documents for people from the central service, on SQLite and PostgreSQL: the donor
batch report PDF (categories and results in words, the reconditioner's name and address,
its date, per disk the serial, method, result and a QR code that decodes to the
verification page) and the unit's test report PDF (staff only, erasures from the stored
certificates, not from the report's claims). Read back with poppler and zbar."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
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
from sqlalchemy import text

from central_inventory.admin import (
    AdminError,
    create_batch,
    create_tenant,
    create_token,
    register_bench,
    set_tenant_address,
)
from central_inventory.config import Settings
from central_inventory.evidence import mask_serial
from central_inventory.migrate import current_revision, downgrade, head_revision, upgrade
from tests.support.requirements import require_program
from wipe.signing import BenchKey

TENANT_NAME = "Atelier Łukasz Nguyễn & <R&D>"
ADDRESS = "12 rue <b>Voltaire</b> & Cie\n38000 Grenoble"
DONOR = "Mairie de <Grenoble> & Co"
RAW_CODES = (
    "NOT_DISTRIBUTABLE",
    "TO_REPAIR",
    "PRET_A_DISTRIBUER",
    "NON_REEMPLOYABLE",
    "EN_COURS_DE_TRAITEMENT",
    "ERASED",
    "FAILED",
    "ata-sanitize-crypto",
)


@dataclass
class Donation:
    tenant: TenantSetup
    donor_url: str
    code: str
    unit_ids: list[int] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    disk_serials: list[str] = field(default_factory=list)
    certificate_ids: list[str] = field(default_factory=list)
    pending_id: str = ""


def odd_tenant(server: Running) -> TenantSetup:
    """A tenant whose name and address need escaping and a font beyond Latin-1."""
    slug = f"t-{uuid.uuid4().hex[:10]}"
    tenant_id = create_tenant(server.sessions, slug, TENANT_NAME, address=ADDRESS)
    key = BenchKey.generate()
    name = f"{slug}-bench-0"
    register_bench(server.sessions, slug, name, key.public_raw, site="GR")
    bench_token = create_token(server.sessions, "bench", bench=name)
    staff = create_token(server.sessions, "staff", tenant=slug)
    from central_harness import BenchSetup

    bench = BenchSetup(name, key, bench_token.token, bench_token.token_pk)
    return TenantSetup(slug, tenant_id, [bench], staff.token, staff.token_pk)


@pytest.fixture(scope="module")
def donation(server: Running) -> Donation:
    """Three units of a donor batch: B erased, A erased, not distributable with a failed
    erasure whose report claims ERASED; the second also lists a certificate never sent."""
    tenant = odd_tenant(server)
    bench = tenant.benches[0]
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    _batch_id, token = create_batch(server.sessions, tenant.slug, code, DONOR)
    result = Donation(tenant, f"{server.base_url}/donor/{token}", code)
    all_machines, all_drives = machines(), drives()
    for i, (category, certified) in enumerate(
        [("B", "ERASED"), ("A", "ERASED"), ("NOT_DISTRIBUTABLE", "FAILED")]
    ):
        machine, drive = all_machines[i + 3], all_drives[i + 2]
        certificate_id = str(uuid.uuid4())
        report = unit_report(
            machine,
            drive,
            bench_id=bench.name,
            id_esn=f"GRPC25-{i:04d}",
            certificate_id=certificate_id,
            category=category,
            erasure_result="ERASED",  # the report's claim; the certificate says otherwise
        )
        report.functional_tests[0].by = "Łukasz Nguyễn"
        report.functional_tests[1].by = "<b> & R&D"
        if i == 1:
            result.pending_id = str(uuid.uuid4())
            pending = report.erasures[0].__copy__()
            pending.certificate_id = result.pending_id
            report.erasures.append(pending)
        headers = {"Authorization": f"Bearer {bench.token}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            cert = client.post(
                "/api/v1/certificates",
                content=sign_certificate(
                    bench.key, certificate_payload(certificate_id, drive, certified)
                ),
            )
            rep = client.post(
                "/api/v1/reports",
                params={"batch": code},
                content=signed(bench.key, report_payload(report)),
            )
        assert cert.status_code == 201 and rep.status_code == 201, (cert.text, rep.text)
        result.unit_ids.append(rep.json()["unit_id"])
        result.serials.append(machine.serial)
        result.disk_serials.append(drive.serial)
        result.certificate_ids.append(certificate_id)
    return result


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex[:8]}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [require_program("pdftotext"), str(path), "-"], capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    prefix = tmp_path / "page"
    subprocess.run(
        [require_program("pdftoppm"), "-r", "200", "-gray", "-png", str(path), str(prefix)],
        check=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    out = subprocess.run(
        [require_program("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"]
        + [str(p) for p in pages],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in out.stdout.splitlines() if line]


@contextmanager
def staff_client(server: Running, token: str) -> Iterator[httpx.Client]:
    """Logged in through the login form, as a person would (the session cookie)."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        response = client.post("/login", data={"token": token, "next": "/units"})
        assert response.status_code == 303, response.text
        assert client.cookies.get("ci_session")
        yield client


BATCH_WORDS = {
    "fr": {
        "title": "Rapport de lot donateur",
        "categories": ("B", "A", "NON DISTRIBUABLE"),
        "outcomes": ("Prêt au réemploi", "Recyclé"),
        "erased": "Effacé et vérifié",
        "failed": "Échec de l'effacement",
        "method": "ATA Sanitize, brouillage cryptographique",
        "purge": "niveau Purge (NIST SP 800-88)",
        "date": "Lot ouvert le ",
    },
    "en": {
        "title": "Donor batch report",
        "categories": ("B", "A", "NOT DISTRIBUTABLE"),
        "outcomes": ("Ready for reuse", "Recycled"),
        "erased": "Erased and verified",
        "failed": "Erasure failed",
        "method": "ATA Sanitize, crypto scramble",
        "purge": "Purge level (NIST SP 800-88)",
        "date": "Batch opened on ",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_batch_report_pdf_in_words_with_address_date_and_qr_codes(
    server: Running, donation: Donation, lang: str, tmp_path: Path
) -> None:
    response = httpx.get(f"{donation.donor_url}/report.pdf", params={"lang": lang}, timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    words = BATCH_WORDS[lang]
    found = pdf_text(pdf, tmp_path)
    assert words["title"] in found
    assert TENANT_NAME in found and DONOR in found and donation.code in found
    for line in ADDRESS.splitlines():
        assert line in found, line
    assert re.search(re.escape(words["date"]) + r"\d{1,2} \w+ \d{4}", found)
    for category in words["categories"]:
        assert category in found, category
    for outcome_word in words["outcomes"]:
        assert outcome_word in found, outcome_word
    for serial in donation.serials:
        assert serial in found
    for disk_serial in donation.disk_serials:
        # Masked as on the public page: the report is filed and passed around.
        assert f"S/N {mask_serial(disk_serial)}" in found and disk_serial not in found
    assert found.count(words["erased"]) == 2 and found.count(words["failed"]) == 1
    assert words["method"] in found and words["purge"] in found
    for raw in RAW_CODES:
        assert raw not in found, raw
    assert "&amp;" not in found and "&lt;" not in found
    # Each disk's QR code decodes to its certificate's verification page.
    # Links come from the configured address (the development default here), never from
    # the request's Host header.
    links = Settings(database_url="sqlite://").link_base()
    expected = {f"{links}/verify/{c}" for c in donation.certificate_ids}
    assert sorted(qr_codes(pdf, tmp_path)) == sorted(expected)


def test_batch_report_pdf_embeds_its_fonts(donation: Donation, tmp_path: Path) -> None:
    path = tmp_path / "batch.pdf"
    path.write_bytes(httpx.get(f"{donation.donor_url}/report.pdf", timeout=60).content)
    fonts = subprocess.run(
        [require_program("pdffonts"), str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        assert "DejaVuSans" in line and " yes yes yes " in line, line


def test_donor_page_says_it_in_words(donation: Donation) -> None:
    page = httpx.get(donation.donor_url, params={"lang": "fr"}, timeout=30)
    assert page.status_code == 200
    html = page.text
    assert "NON DISTRIBUABLE" in html and "Effacé et vérifié" in html
    assert "Échec de l&#39;effacement" in html or "Échec de l'effacement" in html
    assert "12 rue &lt;b&gt;Voltaire&lt;/b&gt; &amp; Cie" in html  # escaped, not markup
    assert 'id="batch-date"' in html
    visible = re.sub(r"<[^>]+>", " ", html)  # codes stay in data-* attributes only
    for raw in ("NOT_DISTRIBUTABLE", "ERASED", "FAILED"):
        assert raw not in visible


UNIT_WORDS = {
    "fr": (
        "Rapport de tests de l'unité reconditionnée",
        "Clavier OK Łukasz Nguyễn",
        "OK <b> & R&D",
    ),
    "en": ("Test report of the refurbished unit", "Keyboard PASS Łukasz Nguyễn", "PASS <b> & R&D"),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_unit_report_pdf_for_staff_with_erasures_from_the_certificates(
    server: Running, donation: Donation, lang: str, tmp_path: Path
) -> None:
    unit_id = donation.unit_ids[2]  # report claims ERASED, the certificate says FAILED
    with staff_client(server, donation.tenant.staff_token) as client:
        page = client.get(f"/units/{unit_id}")
        assert f'href="/units/{unit_id}/report.pdf' in page.text
        response = client.get(f"/units/{unit_id}/report.pdf", params={"lang": lang})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    found = pdf_text(response.content, tmp_path)
    title, keyboard, screen = UNIT_WORDS[lang]
    assert title in found and keyboard in found and screen in found
    assert "2026-11-20 09:03 UTC" in found  # when the keyboard was tested
    words = BATCH_WORDS[lang]
    assert words["failed"] in found and words["erased"] not in found
    assert f"S/N {donation.disk_serials[2]}" in found
    assert words["categories"][2] in found
    for raw in ("NOT_DISTRIBUTABLE", "ERASED", "FAILED", "ata-sanitize-crypto"):
        assert raw not in found, raw

    # The unit with a certificate its report lists but the service never received.
    with staff_client(server, donation.tenant.staff_token) as client:
        response = client.get(f"/units/{donation.unit_ids[1]}/report.pdf", params={"lang": lang})
    found = pdf_text(response.content, tmp_path)
    pending = {
        "fr": "Annoncé par le rapport, certificat pas encore reçu",
        "en": "Listed by the report, certificate not received yet",
    }[lang]
    assert pending in found and donation.pending_id in found
    assert words["erased"] in found


def test_unit_report_pdf_needs_staff_of_the_unit_tenant(
    server: Running, donation: Donation, tenant_b: TenantSetup
) -> None:
    url = f"/units/{donation.unit_ids[0]}/report.pdf"
    anonymous = httpx.get(f"{server.base_url}{url}", timeout=30)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    with staff_client(server, tenant_b.staff_token) as other:
        refused = other.get(url)
    assert refused.status_code == 404 and b"%PDF" not in refused.content
    bench = httpx.get(
        f"{server.base_url}{url}",
        cookies={"ci_session": donation.tenant.benches[0].token},
        timeout=30,
    )
    assert bench.status_code == 303  # a bench token is not a person's login
    with staff_client(server, donation.tenant.staff_token) as own:
        assert own.get(url).status_code == 200
        assert own.get("/units/999999999/report.pdf").status_code == 404
        assert own.get("/units/not-a-number/report.pdf").status_code == 404


def test_tenant_address_is_checked(server: Running) -> None:
    tenant = make_tenant(server.sessions)
    set_tenant_address(server.sessions, tenant.slug, "  1 place Grenette \r\n\n 38000 Grenoble ")
    with server.sessions() as session:
        stored = session.execute(
            text("SELECT address FROM tenants WHERE id = :id"), {"id": tenant.tenant_id}
        ).scalar_one()
    assert stored == "1 place Grenette\n38000 Grenoble"
    for bad in ("", "x" * 501, "a\x00b"):
        with pytest.raises(AdminError, match="tenant address"):
            set_tenant_address(server.sessions, tenant.slug, bad)


def test_address_migration_keeps_tenants(empty_database_url: str) -> None:
    from central_inventory.db import make_engine

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tenants (slug, name, created_at) "
                    "VALUES ('old', 'Atelier', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(engine)
        with engine.begin() as connection:
            assert connection.execute(text("SELECT address FROM tenants")).all() == [(None,)]
            connection.execute(text("UPDATE tenants SET address = '1 rue A'"))
        downgrade(engine, "0002")
        with engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM tenants")).all() == [("old",)]
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_tenant_address_from_the_command_line(tmp_path: Path) -> None:
    import io
    import json

    from central_inventory.cli import Console, main

    environ = {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'ci.db'}"}

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), Console(stdout=out, stderr=err, environ=environ, lang="fr"))
        return code, out.getvalue(), err.getvalue()

    assert run("migrate")[0] == 0
    code, _, err = run("create-tenant", "gr", "Atelier", "--address", "1 rue A\\n38000 Grenoble")
    assert (code, err) == (0, "")
    code, out, _ = run("--json", "set-tenant", "gr", "--address", "2 rue B\\n38100 Grenoble")
    assert code == 0 and json.loads(out)["address"] == "2 rue B\n38100 Grenoble"
    code, _, err = run("set-tenant", "gr", "--address", "a\x07b")
    assert code == 1 and "tenant address" in err
    code, _, err = run("set-tenant", "nope", "--address", "x")
    assert code == 1 and "unknown tenant" in err
    code, out, _ = run("--json", "set-tenant", "gr", "--address", "")
    assert code == 0 and json.loads(out)["address"] is None
