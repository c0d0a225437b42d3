"""The units search (/units): any part of a serial, asset tag, maker and model, an
inventoried disk's serial or a certificate id; one hit opens the unit; total, paging,
sorting, filters in words; hostile input answered with a clear message; timed with
3,000 units. SQLite and PostgreSQL (the ``server`` fixture)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from central_harness import Running, TenantSetup, make_tenant
from central_samples import drives, machines
from staff_support import Posted, bulk_units, codes_in, logged_in, post_unit

from central_inventory.admin import create_batch, create_token


@dataclass
class Workshop:
    tenant: TenantSetup
    other: TenantSetup
    units: list[Posted]
    other_unit: Posted
    batch_code: str
    coordinator_token: str


@pytest.fixture(scope="module")
def workshop(server: Running) -> Workshop:
    tenant = make_tenant(server.sessions, "GR")
    other = make_tenant(server.sessions, "LY")
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    create_batch(server.sessions, tenant.slug, code, "Mairie de Crolles")
    all_machines, all_drives = machines(), drives()
    suffix = uuid.uuid4().hex[:4].upper()
    units = []
    for i, (category, outcome) in enumerate(
        [("B", "ERASED"), ("A", "ERASED"), ("NOT_DISTRIBUTABLE", "FAILED"), ("PREMIUM", "ERASED")]
    ):
        units.append(
            post_unit(
                server,
                tenant.benches[0],
                all_machines[i + 2],
                all_drives[i + 1],
                # An underscore in one asset tag: "_" must match only itself.
                id_esn=f"GR_{suffix}-{i:03d}" if i == 3 else f"GR{suffix}-{i:03d}",
                category=category,
                outcome=outcome,
                batch=code if i < 2 else None,
            )
        )
    other_unit = post_unit(
        server, other.benches[0], all_machines[7], all_drives[7], id_esn=f"LY{suffix}-001"
    )
    coordinator = create_token(server.sessions, "coordinator")
    return Workshop(tenant, other, units, other_unit, code, coordinator.token)


def _opens(answer: object, unit_id: int) -> bool:
    return (
        getattr(answer, "status_code", 0) == 303
        and getattr(answer, "headers", {}).get("location") == f"/units/{unit_id}"
    )


def _middle(value: str) -> str:
    """A fragment from the middle: neither the start nor the end of ``value``."""
    assert len(value) >= 6, value
    return value[2:-2]


def test_a_middle_fragment_of_each_field_opens_its_unit(
    server: Running, workshop: Workshop
) -> None:
    with logged_in(server, workshop.tenant.staff_token) as client:
        target = workshop.units[1]
        for fragment in (
            _middle(target.disk_serial),  # a disk's serial, from the middle
            _middle(target.disk_serial).lower(),  # case does not matter
            _middle(target.certificate_id),
            target.id_esn[3:],  # not its start
            _middle(target.serial).lower(),
        ):
            answer = client.get("/units", params={"q": fragment})
            assert _opens(answer, target.unit_id), (fragment, answer.status_code, answer.text[:300])
        # Maker and model, across the two fields.
        model_words = workshop.units[0].model.split()[0].lower()
        answer = client.get("/units", params={"q": model_words})
        assert answer.status_code in {200, 303}
        if answer.status_code == 200:
            assert f'data-unit="{workshop.units[0].unit_id}"' in answer.text


def test_another_tenants_units_are_never_found(server: Running, workshop: Workshop) -> None:
    with (
        logged_in(server, workshop.tenant.staff_token) as client,
        logged_in(server, workshop.coordinator_token) as coordinator,
    ):
        for q in (workshop.other_unit.id_esn, workshop.other_unit.disk_serial[2:-2]):
            answer = client.get("/units", params={"q": q})
            assert answer.status_code == 200 and 'data-total="0"' in answer.text
        # A staff member's "tenant" parameter is ignored (coordinators only).
        answer = client.get("/units", params={"tenant": workshop.other.slug})
        assert f'data-unit="{workshop.other_unit.unit_id}"' not in answer.text
        answer = coordinator.get(
            "/units", params={"tenant": workshop.other.slug, "q": workshop.other_unit.id_esn}
        )
        assert _opens(answer, workshop.other_unit.unit_id)
        page = coordinator.get("/units", params={"tenant": workshop.tenant.slug})
        assert f'data-total="{len(workshop.units)}"' in page.text
        assert f">Atelier {workshop.tenant.slug}</option>" in page.text  # names shown, slugs sent


def test_like_metacharacters_and_sql_are_taken_literally(
    server: Running, workshop: Workshop
) -> None:
    with logged_in(server, workshop.tenant.staff_token) as client:
        # "_" matches only the asset tag that holds one, "%" and "\\" nothing: not wildcards.
        assert _opens(client.get("/units", params={"q": "_"}), workshop.units[3].unit_id)
        for q in ("%", "\\", "%%", "\\%", "' OR 1=1 --", '"; DROP TABLE units; --', "*"):
            answer = client.get("/units", params={"q": q})
            assert answer.status_code == 200, q
            assert 'data-total="0"' in answer.text, q
        assert server.counts()["units"] >= len(workshop.units)  # the table is still there


def test_hostile_search_gets_a_clear_message(server: Running, workshop: Workshop) -> None:
    with logged_in(server, workshop.tenant.staff_token) as client:
        answer = client.get("/units", params={"q": "A" * 10_240})
        assert answer.status_code == 400
        assert "Recherche trop longue" in answer.text and 'data-total="0"' in answer.text
        answer = client.get("/units", params={"q": "GR\x01", "lang": "en"})
        assert answer.status_code == 400 and "control characters" in answer.text
        answer = client.get("/units", params={"category": "PRET_A_DISTRIBUER", "status": "BOGUS"})
        assert answer.status_code == 200
        assert "Unknown category: filter ignored." in answer.text  # language remembered
        assert "Unknown status: filter ignored." in answer.text
        assert f'data-total="{len(workshop.units)}"' in answer.text
        for page in ("0", "-1", "99999999999", "x"):
            assert client.get("/units", params={"page": page}).status_code == 200


def test_filters_offer_words_and_send_codes(server: Running, workshop: Workshop) -> None:
    with logged_in(server, workshop.tenant.staff_token) as client:
        page = client.get("/units", params={"category": "NOT_DISTRIBUTABLE", "lang": "fr"})
        assert '<option value="NOT_DISTRIBUTABLE" selected>NON DISTRIBUABLE</option>' in page.text
        assert f'data-unit="{workshop.units[2].unit_id}"' in page.text
        assert 'data-total="1"' in page.text
        statuses = client.get("/units", params={"status": "PRET_A_DISTRIBUER"})
        assert (
            '<option value="PRET_A_DISTRIBUER" selected>Prêt à distribuer</option>' in statuses.text
        )
        batch = client.get("/units", params={"batch": workshop.batch_code})
        assert 'data-total="2"' in batch.text
        visible = re.sub(r"<[^>]+>", " ", page.text)
        assert codes_in(visible) == []


def test_total_paging_and_sorting(server: Running) -> None:
    tenant = make_tenant(server.sessions, "GR")
    made = bulk_units(server, tenant.tenant_id, tenant.benches[0].name, 120, prefix="PG")
    with logged_in(server, tenant.staff_token) as client:
        first = client.get("/units")
        assert 'data-total="120"' in first.text and "page 1 / 3" in first.text
        assert first.text.count("data-unit=") == 50
        third = client.get("/units", params={"page": "3"})
        assert third.text.count("data-unit=") == 20
        beyond = client.get("/units", params={"page": "9"})  # past the end: the last page
        assert beyond.text.count("data-unit=") == 20
        # Sorted by asset tag, both ways; the header links carry the sort.
        ascending = client.get("/units", params={"sort": "tag", "dir": "asc"})
        ids = re.findall(r'data-unit="(\d+)"', ascending.text)
        assert ids[0] == str(made[0][0]) and ids[1] == str(made[1][0])
        descending = client.get("/units", params={"sort": "tag", "dir": "desc"})
        assert re.findall(r'data-unit="(\d+)"', descending.text)[0] == str(made[-1][0])
        # Category in the vocabulary's order: Premium first, not alphabetical.
        by_category = client.get("/units", params={"sort": "category", "dir": "asc"})
        codes = re.findall(r'<span class="cat cat-[^"]*" data-code="([^"]*)"', by_category.text)
        assert codes[0] == "PREMIUM" and "NOT_DISTRIBUTABLE" not in codes[:20]
        last = client.get("/units", params={"sort": "category", "dir": "asc", "page": "3"})
        tail = re.findall(r'<span class="cat cat-[^"]*" data-code="([^"]*)"', last.text)
        assert tail[-1] == "NOT_DISTRIBUTABLE"
        links = re.findall(r'href="([^"]*)" class="sort" data-sort="category"', by_category.text)
        assert links and parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)["dir"] == ["desc"]
        by_status = client.get("/units", params={"sort": "status", "dir": "asc"})
        assert (
            re.findall(r'<td data-label="[^"]*" data-code="([^"]*)">', by_status.text)[0]
            == "A_TRAITER"
        )
        next_link = re.search(r'href="([^"]*)" rel="next"', by_category.text)
        assert (
            next_link and "page=2" in next_link.group(1) and "sort=category" in next_link.group(1)
        )


def test_search_with_3000_units(server: Running) -> None:
    """Correct at the size the network runs at (its speed: benchmarks/bench_central_search.py)."""
    tenant = make_tenant(server.sessions, "GR")
    made = bulk_units(server, tenant.tenant_id, tenant.benches[0].name, 3000, prefix="PF")
    target_id, tag, disk_serial = made[1234]
    with logged_in(server, tenant.staff_token) as client:
        assert _opens(client.get("/units", params={"q": disk_serial[4:12]}), target_id)
        assert _opens(client.get("/units", params={"q": tag}), target_id)
        page = client.get("/units", params={"q": "thinkpad", "page": "20"})
        assert 'data-total="1000"' in page.text and "page 20 / 20" in page.text
        assert page.text.count("data-unit=") == 1000 - 19 * 50
        by_status = client.get("/units", params={"status": "A_TRAITER", "sort": "tag"})
        assert 'data-total="750"' in by_status.text
