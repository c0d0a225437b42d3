"""The staff pages in headless Chromium at 1280×900 and 390×844: search, batches (create),
a batch (donor link, assignment by scanned tags, keyboard only), a unit's status change.
No internal code in the visible text; nothing wider than a phone's screen; screenshots
saved as tests/central/screenshots/<page>-<size>.png for review."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from central_harness import Running, TenantSetup, make_tenant
from central_samples import drives, machines
from staff_support import Posted, codes_in, post_unit

from central_inventory.admin import create_batch, create_token
from tests.support.requirements import chromium_path

pytestmark = pytest.mark.chromium
SCREENSHOTS = Path(__file__).parent / "screenshots"
SIZES = {"1280x900": {"width": 1280, "height": 900}, "390x844": {"width": 390, "height": 844}}
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
class Workshop:
    tenant: TenantSetup
    units: list[Posted]
    batch_id: int
    batch_code: str
    person_token: str


@pytest.fixture(scope="module")
def workshop(server: Running) -> Workshop:
    tenant = make_tenant(server.sessions, "GR")
    code = f"LOT-{uuid.uuid4().hex[:4].upper()}"
    batch_id, _ = create_batch(server.sessions, tenant.slug, code, "Mairie de Crolles")
    all_machines, all_drives = machines(), drives()
    tag = uuid.uuid4().hex[:4].upper()
    units = [
        post_unit(
            server,
            tenant.benches[0],
            all_machines[i + 8],
            all_drives[i + 12],
            id_esn=f"GRPC-{tag}-{i:02d}",
            category=category,
            outcome=outcome,
            batch=code if i == 0 else None,
        )
        for i, (category, outcome) in enumerate(
            [
                ("A", "ERASED"),
                ("PREMIUM", "ERASED"),
                ("NOT_DISTRIBUTABLE", "FAILED"),
                ("C", "ERASED"),
            ]
        )
    ]
    person = create_token(server.sessions, "staff", tenant=tenant.slug, label="Camille Martin")
    return Workshop(tenant, units, batch_id, code, person.token)


@pytest.fixture(params=list(SIZES))
def page(playwright_driver: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=SIZES[request.param],
        accept_downloads=True,
        locale="fr-FR",
    )
    try:
        tab = context.pages[0] if context.pages else context.new_page()
        tab.size_name = request.param
        yield tab
    finally:
        context.close()


def _login(page: Any, server: Running, token: str, target: str) -> None:
    page.goto(f"{server.base_url}{target}")
    assert "/login" in page.url
    page.fill("#token", token)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_url(f"**{target.split('#', maxsplit=1)[0]}*")


def _check(page: Any, name: str, scope: str = "main") -> None:
    """No internal code visible, nothing wider than the window; then the screenshot."""
    text = page.inner_text(scope)
    assert codes_in(text) == [], (name, codes_in(text))
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: {overflow}px wider than the window"
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.size_name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


def test_search_page(page: Any, server: Running, workshop: Workshop) -> None:
    _login(page, server, workshop.tenant.staff_token, "/units")
    assert page.get_attribute("#count", "data-total") == "4"
    # Words in the list and the filters; codes only in attributes.
    table = page.inner_text("#results")
    assert "NON DISTRIBUABLE" in table and "Premium" in table
    page.select_option("#category", label="NON DISTRIBUABLE")
    page.click("#search")
    page.wait_for_url("**category=NOT_DISTRIBUTABLE*")
    assert page.get_attribute("#count", "data-total") == "1"
    # Sorting from the form too (a phone hides the column headers).
    page.select_option("#category", value="")
    page.select_option("#sort", "category")
    page.select_option("#dir", "asc")
    page.click("#search")
    page.wait_for_url("**sort=category*")
    first = page.locator("#results tbody tr").first
    assert "Premium" in first.inner_text()
    _check(page, "units")
    # A middle fragment of a disk's serial opens its unit.
    page.fill("#q", workshop.units[3].disk_serial[3:-3])
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/units/{workshop.units[3].unit_id}")


def test_batches_page_creates_a_batch(page: Any, server: Running, workshop: Workshop) -> None:
    _login(page, server, workshop.tenant.staff_token, "/batches")
    assert workshop.batch_code in page.inner_text("#batches")
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    page.fill("#code", code)
    page.fill("#donor_name", "Lycée Champollion")
    page.click("#create-batch button[type=submit]")
    page.wait_for_url("**/batches/*")
    assert page.inner_text("#batch-code") == code
    first_link = page.input_value("#donor-url")
    assert "/donor/" in first_link
    page.check("#reissue-confirm")
    page.click("#reissue")
    page.wait_for_url("**#donor-link")
    assert "l'ancien ne fonctionne plus" in page.inner_text("#reissued")
    assert page.input_value("#donor-url") not in {first_link, ""}
    page.goto(f"{server.base_url}/batches")
    page.fill("#code", code)
    page.fill("#donor_name", "Encore")
    page.click("#create-batch button[type=submit]")
    page.wait_for_url("**/batches#new-batch")
    assert "existe déjà" in page.inner_text("#form-error")
    _check(page, "batches")


def test_batch_page_assigns_scanned_tags_from_the_keyboard(
    page: Any, server: Running, workshop: Workshop
) -> None:
    _login(page, server, workshop.tenant.staff_token, f"/batches/{workshop.batch_id}")
    # Keyboard only: focus the field, "scan" (type + Enter per tag), Tab to the button.
    page.focus("#tags")
    for unit in workshop.units[:3]:
        page.keyboard.type(unit.id_esn)
        page.keyboard.press("Enter")
    page.keyboard.type("INCONNU-0001")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "assign-submit"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/batches/{workshop.batch_id}*")
    result = page.inner_text("#assign-result")
    assert workshop.units[0].id_esn in page.inner_text("#already-here")
    assert "INCONNU-0001" in page.inner_text("#unknown")
    assert "rangée" in result
    page.locator("#assign").scroll_into_view_if_needed()
    _check(page, "batch")
    # English too.
    page.click("#lang-toggle")
    page.wait_for_load_state()
    assert "Put units in this batch" in page.inner_text("#assign")


def test_unit_status_change_with_reason(page: Any, server: Running, workshop: Workshop) -> None:
    unit = workshop.units[1]
    _login(page, server, workshop.person_token, f"/units/{unit.unit_id}")
    page.click("#status-change summary")  # folded away until wanted
    page.select_option("#new-status", label="En SAV")
    page.fill("#reason", "Retour du bénéficiaire : écran qui clignote")
    page.click("#status-submit")
    page.wait_for_url(f"**/units/{unit.unit_id}#status-history")
    history = page.inner_text("#status-changes")
    assert "Camille Martin" in history and "écran qui clignote" in history
    assert "En SAV" in history and "UTC" in history
    assert "Statut changé" in page.inner_text("#status-changed")
    page.locator("#status-history").scroll_into_view_if_needed()
    _check(page, "unit-status", scope="#status-history")
