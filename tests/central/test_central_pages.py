"""The pages in headless Chromium (Debian's chromium driven by Playwright): search, unit
page, public verification from a certificate URL, donor report download, dashboard.

Each test saves a screenshot under tests/central/screenshots/ for review.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

from central_inventory.admin import create_batch
from tests.support.requirements import chromium_path  # conftest put the repo root on sys.path

pytestmark = pytest.mark.chromium
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Shop:
    """A tenant with a donor batch of three real-corpus units, certificates filed."""

    tenant: TenantSetup
    donor_url: str
    batch_code: str
    id_esns: list[str]
    serials: list[str]
    certificate_ids: list[str] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def shop(server: Running) -> Shop:
    import httpx

    tenant = make_tenant(server.sessions, "GR")
    bench = tenant.benches[0]
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    _batch_id, token = create_batch(server.sessions, tenant.slug, code, "Mairie de Grenoble")
    result = Shop(tenant, f"{server.base_url}/donor/{token}", code, [], [])
    all_machines, all_drives = machines(), drives()
    suffix = uuid.uuid4().int % 10000
    for i, (category, outcome) in enumerate(
        [("B", "ERASED"), ("A", "ERASED"), ("NOT_DISTRIBUTABLE", "FAILED")]
    ):
        machine, drive = all_machines[i + 9], all_drives[i + 5]
        certificate_id = str(uuid.uuid4())
        id_esn = f"GRPC25-{(suffix + i) % 10000:04d}"
        report = unit_report(
            machine,
            drive,
            bench_id=bench.name,
            id_esn=id_esn,
            certificate_id=certificate_id,
            category=category,
            erasure_result=outcome,
        )
        headers = {"Authorization": f"Bearer {bench.token}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            cert = client.post(
                "/api/v1/certificates",
                content=sign_certificate(
                    bench.key, certificate_payload(certificate_id, drive, outcome)
                ),
            )
            rep = client.post(
                "/api/v1/reports",
                params={"batch": code},
                content=signed(bench.key, report_payload(report)),
            )
        assert cert.status_code == 201 and rep.status_code == 201, (cert.text, rep.text)
        result.id_esns.append(id_esn)
        result.serials.append(machine.serial)
        result.certificate_ids.append(certificate_id)
        result.unit_ids.append(rep.json()["unit_id"])
    return result


@pytest.fixture
def page(playwright_driver: Any, tmp_path: Path) -> Iterator[Any]:
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),  # fresh user-data-dir per test
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        accept_downloads=True,
        locale="fr-FR",
    )
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


def _shot(page: Any, name: str, server: Running) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{server.backend}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000  # a real rendering, not a blank page
    return path


def _login(page: Any, server: Running, token: str, target: str = "/units") -> None:
    page.goto(f"{server.base_url}{target}")
    assert "/login" in page.url  # pages need a staff token
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}*")


def test_search_by_id_esn_and_serial(page: Any, server: Running, shop: Shop) -> None:
    _login(page, server, shop.tenant.staff_token)
    page.fill("#q", shop.id_esns[1].lower())
    page.click("#search")
    page.wait_for_load_state()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1
    assert shop.id_esns[1] in rows.first.inner_text()
    _shot(page, "search", server)
    page.fill("#q", shop.serials[0][:5])
    page.click("#search")
    page.wait_for_load_state()
    assert shop.serials[0] in page.locator("table.list tbody").inner_text()
    # Filters: category and donor batch.
    page.goto(f"{server.base_url}/units?batch={shop.batch_code}&category=NOT_DISTRIBUTABLE")
    assert page.locator("table.list tbody tr").count() == 1
    assert shop.id_esns[2] in page.locator("table.list tbody").inner_text()
    page.goto(f"{server.base_url}/units?batch={shop.batch_code}&date_from=not-a-date")
    assert page.locator(".alert").count() == 1
    assert page.locator("table.list tbody tr").count() == 3


def test_unit_page_shows_inventory_health_tests_grade_certificates(
    page: Any, server: Running, shop: Shop
) -> None:
    _login(page, server, shop.tenant.staff_token)
    page.fill("#q", shop.id_esns[0])
    page.click("#search")
    page.wait_for_load_state()
    page.click(f"text={shop.id_esns[0]}")
    page.wait_for_url(f"**/units/{shop.unit_ids[0]}")
    assert page.inner_text("#id-esn") == shop.id_esns[0]
    assert page.inner_text("#category") == "B"
    body = page.inner_text("main")
    for heading in (
        "Inventaire",
        "Disques : santé et effacement",
        "Tests fonctionnels",
        "Historique des rapports",
    ):
        assert heading in body
    assert "Clavier" in body and "OK" in body
    link = page.locator(f"#disk-evidence a[href='/verify/{shop.certificate_ids[0]}']")
    assert link.count() == 1
    _shot(page, "unit", server)
    link.click()
    page.wait_for_url(f"**/verify/{shop.certificate_ids[0]}")
    assert page.get_attribute("#verdict", "data-genuine") == "yes"


def test_another_tenants_staff_cannot_open_the_unit(page: Any, server: Running, shop: Shop) -> None:
    other = make_tenant(server.sessions, "LY")
    _login(page, server, other.staff_token)
    page.goto(f"{server.base_url}/units/{shop.unit_ids[0]}")
    assert "introuvable" in page.inner_text("main").lower()
    page.goto(f"{server.base_url}/units?q={shop.id_esns[0]}")
    assert page.locator("table.list tbody tr").first.inner_text().startswith("Aucune")


def test_verification_page_from_a_certificate_url(page: Any, server: Running, shop: Shop) -> None:
    # What a phone opens after scanning the label's QR code: no login.
    page.goto(f"{server.base_url}/verify/{shop.certificate_ids[0]}")
    assert page.get_attribute("#verdict", "data-genuine") == "yes"
    assert page.inner_text("#result") == "Disque effacé, effacement vérifié"
    text = page.inner_text("main")
    assert shop.serials[0] not in text and "Camille" not in text
    _shot(page, "verify", server)
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert page.inner_text("#result") == "Disk erased, erasure verified"
    page.goto(f"{server.base_url}/verify/{shop.certificate_ids[2]}")
    assert "Erasure failed" in page.inner_text("#result")  # the language choice is remembered
    page.goto(f"{server.base_url}/verify/{uuid.uuid4()}?lang=fr")
    assert page.get_attribute("#verdict", "data-genuine") == "unknown"
    _shot(page, "verify-unknown", server)


def test_donor_report_page_and_downloads(page: Any, server: Running, shop: Shop) -> None:
    page.goto(shop.donor_url)
    assert page.inner_text("#received") == "3"
    assert page.inner_text("#reused") == "0"  # ready to hand out is not reused yet
    assert page.inner_text("#ready") == "2"
    assert page.inner_text("#recycled") == "1"
    _shot(page, "donor", server)
    with page.expect_download() as csv_download:
        page.click("#download-csv")
    data = Path(csv_download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["idEsn"] for r in rows) == sorted(shop.id_esns)
    assert {r["certificats_effacement"] for r in rows} == set(shop.certificate_ids)
    assert sorted(r["devenir"] for r in rows) == ["Prêt au réemploi", "Prêt au réemploi", "Recyclé"]
    with page.expect_download() as pdf_download:
        page.click("#download-pdf")
    pdf = Path(pdf_download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    page.goto(shop.donor_url.rsplit("/", 1)[0] + "/not-the-token")
    assert "introuvable" in page.inner_text("main").lower()


def test_dashboard_counts_by_site_category_status(page: Any, server: Running, shop: Shop) -> None:
    _login(page, server, shop.tenant.staff_token, "/dashboard")
    assert page.inner_text("#total").startswith("3 ")
    headers = page.locator("#by-cell thead th").all_inner_texts()
    assert headers[2:] == ["Non réemployable", "Prêt à distribuer", "Total"]
    rows = {
        tuple(row.locator("td").all_inner_texts()[:2]): row.locator("td").all_inner_texts()[2:]
        for row in page.locator("#by-cell tbody tr").all()
    }
    assert rows == {
        ("GR", "A"): ["0", "1", "1"],
        ("GR", "B"): ["0", "1", "1"],
        ("GR", "NON DISTRIBUABLE"): ["1", "0", "1"],
    }
    assert page.locator("#by-month tbody tr").count() == 1
    _shot(page, "dashboard", server)
    page.set_viewport_size({"width": 1280, "height": 800})
    _shot(page, "dashboard-desktop", server)
