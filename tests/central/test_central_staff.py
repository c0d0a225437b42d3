"""Staff work in the pages, over HTTP on SQLite and PostgreSQL: server-side sessions
(never the bearer token in the cookie, revoked at logout, expiring), CSRF-checked forms
answering with redirects, batch creation, donor link shown and re-issued, units assigned
by scanned asset tags, statuses set by hand with who, when and why; the attacks the
issue lists. The same pages in Chromium: test_central_staff_pages.py."""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from central_harness import Running, TenantSetup, make_tenant, serve_in_thread
from central_samples import drives, machines
from sqlalchemy import select, text, update
from staff_support import Posted, logged_in, post_unit

from central_inventory.admin import create_batch, create_token, revoke_token
from central_inventory.app import create_app
from central_inventory.auth import hash_token
from central_inventory.cli import Console, main
from central_inventory.config import Settings
from central_inventory.db import (
    Batch,
    StatusChange,
    Unit,
    WebSession,
    make_engine,
    make_sessionmaker,
    utcnow,
)
from central_inventory.migrate import current_revision, downgrade, head_revision, upgrade


@dataclass
class Shop:
    tenant: TenantSetup
    other: TenantSetup
    units: list[Posted]
    other_unit: Posted
    label_token: str
    """A staff token labelled with a person's name (what the history shows)."""


@pytest.fixture(scope="module")
def shop(server: Running) -> Shop:
    tenant = make_tenant(server.sessions, "GR")
    other = make_tenant(server.sessions, "LY")
    all_machines, all_drives = machines(), drives()
    tag = uuid.uuid4().hex[:4].upper()
    units = [
        post_unit(
            server,
            tenant.benches[0],
            all_machines[i],
            all_drives[i],
            id_esn=f"ST{tag}-{i:03d}",
            category=("B", "A", "C", "NOT_DISTRIBUTABLE")[i],
        )
        for i in range(4)
    ]
    other_unit = post_unit(
        server, other.benches[0], all_machines[5], all_drives[5], id_esn=f"OT{tag}-000"
    )
    labelled = create_token(server.sessions, "staff", tenant=tenant.slug, label="Camille Martin")
    return Shop(tenant, other, units, other_unit, labelled.token)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def _visible(page: str) -> str:
    """The text a reader sees (tags and attributes left out)."""
    body = page.split("<body>", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _session_row(server: Running, cookie: str) -> WebSession:
    with server.sessions() as session:
        row = session.scalars(
            select(WebSession).where(WebSession.session_hash == hash_token(cookie))
        ).one()
        session.expunge(row)
        return row


# --- Sessions ---------------------------------------------------------------------------


def test_the_cookie_holds_a_session_id_never_the_token(server: Running, shop: Shop) -> None:
    token = shop.tenant.staff_token
    with httpx.Client(base_url=server.base_url) as client:
        answer = client.post("/login", data={"token": token, "next": "/batches"})
        assert answer.status_code == 303 and answer.headers["location"] == "/batches"
        set_cookie = answer.headers["set-cookie"]
        cookie = client.cookies["ci_session"]
        assert token not in set_cookie and cookie != token and len(cookie) >= 40
        assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
        assert "Secure" not in set_cookie  # plain http in development
        row = _session_row(server, cookie)
        assert row.revoked_at is None and row.token_id == shop.tenant.staff_token_id
        # Only the hash is stored: the database never holds the cookie's value.
        with server.engine.connect() as connection:
            stored = connection.execute(text("SELECT session_hash FROM web_sessions")).scalars()
            assert cookie not in set(stored)
        assert client.get("/units").status_code == 200
    # The bearer token itself no longer opens the pages as a cookie.
    with httpx.Client(base_url=server.base_url, cookies={"ci_session": token}) as raw:
        assert raw.get("/units").status_code == 303


def test_logout_revokes_the_session_and_a_replayed_cookie_opens_nothing(
    server: Running, shop: Shop
) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        client.post("/login", data={"token": shop.tenant.staff_token})
        before = client.cookies["ci_session"]
        # Logging in again gives a new session id and ends the one held before.
        client.post("/login", data={"token": shop.tenant.staff_token})
        cookie = client.cookies["ci_session"]
        assert cookie != before and _session_row(server, before).revoked_at is not None
        assert client.get("/units").status_code == 200
        answer = client.post("/logout")
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert _session_row(server, cookie).revoked_at is not None
    with httpx.Client(base_url=server.base_url, cookies={"ci_session": cookie}) as replay:
        answer = replay.get("/units")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert replay.get(f"/units/{shop.units[0].unit_id}").status_code == 303
        # A form posted with the replayed cookie (and its old CSRF token) changes nothing.
        posted = replay.post("/batches", data={"csrf": "x", "code": "REPLAY", "donor_name": "X"})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/login")


def test_sessions_expire_when_idle_past_their_lifetime_or_with_their_token(
    server: Running, shop: Shop
) -> None:
    def fresh() -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=server.base_url)
        client.post("/login", data={"token": shop.tenant.staff_token})
        return client, client.cookies["ci_session"]

    def age(cookie: str, **values: object) -> None:
        with server.sessions.begin() as session:
            session.execute(
                update(WebSession)
                .where(WebSession.session_hash == hash_token(cookie))
                .values(**values)
            )

    for field, value in (
        ("last_seen_at", utcnow() - timedelta(hours=2, minutes=1)),  # idle too long
        ("expires_at", utcnow() - timedelta(seconds=1)),  # past its lifetime
    ):
        client, cookie = fresh()
        try:
            age(cookie, **{field: value})
            assert client.get("/units").status_code == 303, field
        finally:
            client.close()
    # Still fresh: one hour idle is fine, and the visit refreshes last_seen_at.
    recent, cookie = fresh()
    try:
        age(cookie, last_seen_at=utcnow() - timedelta(hours=1))
        assert recent.get("/units").status_code == 200
        seen = _session_row(server, cookie).last_seen_at.replace(tzinfo=None)
        assert seen > (utcnow() - timedelta(minutes=5)).replace(tzinfo=None)
    finally:
        recent.close()
    # Sessions ended more than 30 days ago are dropped at the next login; recent ones kept.
    old, old_cookie = fresh()
    old.close()
    kept, kept_cookie = fresh()
    kept.close()
    age(old_cookie, expires_at=utcnow() - timedelta(days=31))
    age(kept_cookie, expires_at=utcnow() - timedelta(days=29))
    fresh()[0].close()
    with server.sessions() as session:
        hashes = set(session.scalars(select(WebSession.session_hash)))
    assert hash_token(old_cookie) not in hashes and hash_token(kept_cookie) in hashes
    # Revoking the access code ends its sessions at once.
    issued = create_token(server.sessions, "staff", tenant=shop.tenant.slug)
    with logged_in(server, issued.token) as client:
        assert client.get("/units").status_code == 200
        revoke_token(server.sessions, issued.token_pk)
        assert client.get("/units").status_code == 303


def test_the_cookie_is_secure_when_the_public_url_is_https(
    server: Running, shop: Shop, network_key_path: Path
) -> None:
    settings = Settings(
        database_url="sqlite://",  # unused: the engine is given
        public_url="https://inventaire.example.org",
        network_key=network_key_path,
    )
    base_url, uv_server, thread = serve_in_thread(create_app(settings, engine=server.engine))
    try:
        with httpx.Client(base_url=base_url) as client:
            answer = client.post("/login", data={"token": shop.tenant.staff_token})
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)


def test_login_speaks_plainly_and_refuses_bench_codes(server: Running, shop: Shop) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        page = _visible(client.get("/login").text)
        assert "Code d'accès" in page and "coordination" in page
        for word in ("jeton", "central-inventory", "create-token"):
            assert word not in page
        english = _visible(client.get("/login", params={"lang": "en"}).text)
        assert "access code" in english and "token" not in english.lower()
        refused = client.post("/login", data={"token": shop.tenant.benches[0].token})
        assert refused.status_code == 401 and "ci_session" not in refused.cookies
        assert "not recognised" in refused.text  # the language choice is remembered
        assert client.post("/login", data={"token": "x" * 10_000}).status_code == 401
        # An open redirect is refused: "next" stays on this site.
        answer = client.post(
            "/login", data={"token": shop.tenant.staff_token, "next": "//evil.example"}
        )
        assert answer.headers["location"] == "/units"


# --- CSRF -------------------------------------------------------------------------------


def test_forms_without_the_sessions_csrf_token_are_refused(server: Running, shop: Shop) -> None:
    unit = shop.units[0]
    with (
        logged_in(server, shop.tenant.staff_token) as client,
        logged_in(server, shop.tenant.staff_token) as second,
    ):
        other_sessions_token = _csrf(second.get("/batches").text)
        batch_id, _ = create_batch(
            server.sessions, shop.tenant.slug, f"L-{uuid.uuid4().hex[:6]}", "D"
        )
        for csrf in (None, "", "wrong", other_sessions_token, "x" * 5000):
            data = {"code": f"CSRF-{uuid.uuid4().hex[:6]}", "donor_name": "Donateur"}
            if csrf is not None:
                data["csrf"] = csrf
            answer = client.post("/batches", data=data)
            assert answer.status_code == 403 and "Formulaire refusé" in answer.text, csrf
            assert (
                client.post(
                    f"/units/{unit.unit_id}/status",
                    data={"status": "SAV", "reason": "x", **({"csrf": csrf} if csrf else {})},
                ).status_code
                == 403
            )
            assert (
                client.post(
                    f"/batches/{batch_id}/assign",
                    data={"tags": unit.id_esn, **({"csrf": csrf} if csrf else {})},
                ).status_code
                == 403
            )
            assert (
                client.post(
                    f"/batches/{batch_id}/donor-link", data={"csrf": csrf or "", "confirm": "yes"}
                ).status_code
                == 403
            )
        # Hostile ids in the forms' addresses (with a valid token): not found, never a crash.
        csrf = _csrf(client.get("/batches").text)
        for hostile in ("0", "-1", "2147483648", "99999999999", "1e3", "%C2%B9", "..%2F1", "x"):
            for path in (
                f"/batches/{hostile}/assign",
                f"/batches/{hostile}/donor-link",
                f"/units/{hostile}/status",
            ):
                answer = client.post(path, data={"csrf": csrf, "confirm": "yes", "tags": "A"})
                assert answer.status_code == 404, (path, answer.status_code)
    with server.sessions() as session:
        assert session.scalar(select(Batch.id).where(Batch.code.like("CSRF-%"))) is None
        changed = session.scalars(
            select(StatusChange).where(StatusChange.unit_id == unit.unit_id)
        ).all()
        assert changed == []
        assert session.get(Unit, unit.unit_id).batch_id is None  # type: ignore[union-attr]


# --- Batches ----------------------------------------------------------------------------


def test_create_a_batch_then_show_and_reissue_its_donor_link(server: Running, shop: Shop) -> None:
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    with logged_in(server, shop.tenant.staff_token) as client:
        csrf = _csrf(html.unescape(client.get("/batches").text))
        answer = client.post(
            "/batches", data={"csrf": csrf, "code": f"  {code} ", "donor_name": "Mairie de Crolles"}
        )
        assert answer.status_code == 303
        batch_url = answer.headers["location"]
        assert re.fullmatch(r"/batches/\d+", batch_url)
        page = html.unescape(client.get(batch_url).text)
        assert "Lot créé" in page and "Mairie de Crolles" in page
        first_link = re.search(r'id="donor-url"[^>]*value="([^"]+)"', page)
        assert first_link and "/donor/" in first_link.group(1)
        donor_path = "/donor/" + first_link.group(1).rsplit("/donor/", 1)[1]
        assert client.get(donor_path).status_code == 200
        # Shown again later (the message is one-time).
        again = html.unescape(client.get(batch_url).text)
        assert "Lot créé" not in again and first_link.group(1) in again
        # The same code again: refused in plain French, with the way out.
        dup = client.post("/batches", data={"csrf": csrf, "code": code, "donor_name": "Autre"})
        assert dup.status_code == 303 and dup.headers["location"].endswith("#new-batch")
        listing = html.unescape(client.get("/batches").text)
        assert f"Le lot « {code} » existe déjà" in listing and "renouveler le lien" in listing
        assert 'value="Autre"' in listing  # what was typed is kept
        # Re-issue: the old link stops working at once, the new one works.
        unconfirmed = client.post(f"{batch_url}/donor-link", data={"csrf": csrf})
        assert unconfirmed.status_code == 303
        assert "Cochez la case" in html.unescape(client.get(batch_url).text)
        assert client.get(donor_path).status_code == 200  # not re-issued without the tick
        renewed = client.post(f"{batch_url}/donor-link", data={"csrf": csrf, "confirm": "yes"})
        assert renewed.status_code == 303
        page = html.unescape(client.get(batch_url).text)
        assert "l'ancien ne fonctionne plus" in page
        new_link = re.search(r'id="donor-url"[^>]*value="([^"]+)"', page)
        assert new_link and new_link.group(1) != first_link.group(1)
        assert client.get(donor_path).status_code == 404
        assert client.get("/donor/" + new_link.group(1).rsplit("/donor/", 1)[1]).status_code == 200
    # The API says the same (one implementation), in both languages.
    with server.client(shop.tenant.staff_token) as api:
        refused = api.post("/api/v1/batches", json={"code": code, "donor_name": "X"})
        assert refused.status_code == 409
        message = refused.json()["error"]["message"]
        assert f"Le lot « {code} » existe déjà" in message["fr"]
        assert f"Batch '{code}' already exists" in message["en"]


def test_a_coordinator_creates_a_batch_for_a_chosen_reconditioner(
    server: Running, shop: Shop
) -> None:
    coordinator = create_token(server.sessions, "coordinator")
    code = f"LOT-{uuid.uuid4().hex[:6].upper()}"
    with logged_in(server, coordinator.token) as client:
        page = html.unescape(client.get("/batches").text)
        assert f'<option value="{shop.other.slug}"' in page  # every reconditioner offered
        csrf = _csrf(page)
        client.post("/batches", data={"csrf": csrf, "code": code, "donor_name": "Département"})
        assert "Choisissez le reconditionneur du lot" in html.unescape(client.get("/batches").text)
        answer = client.post(
            "/batches",
            data={
                "csrf": csrf,
                "code": code,
                "donor_name": "Département",
                "tenant": shop.other.slug,
            },
        )
        assert answer.status_code == 303
    with server.sessions() as session:
        batch = session.scalars(select(Batch).where(Batch.code == code)).one()
        assert batch.tenant_id == shop.other.tenant_id
    # The other reconditioner's staff see it; this one's do not.
    with logged_in(server, shop.tenant.staff_token) as client:
        assert client.get(f"/batches/{batch.id}").status_code == 404
        assert code not in client.get("/batches").text


def test_the_command_line_refuses_a_batch_again_in_one_language(tmp_path: Path) -> None:
    env = {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'ci.db'}", "CENTRAL_PORT": "9999"}

    def run(argv: list[str], lang: str) -> tuple[int, str]:
        err = io.StringIO()
        code = main(argv, Console(stdout=io.StringIO(), stderr=err, environ=env, lang=lang))
        return code, err.getvalue()

    assert run(["migrate"], "fr")[0] == 0
    assert run(["create-tenant", "atelier-gr", "Atelier Grenoble"], "fr")[0] == 0
    batch = ["create-batch", "--tenant", "atelier-gr", "--code", "LOT-1", "--donor", "Mairie"]
    assert run(batch, "fr")[0] == 0
    code, err = run(batch, "fr")
    assert code == 1 and err.startswith("Refusé : Le lot « LOT-1 » existe déjà.")
    assert "already" not in err
    code, err = run(batch, "en")
    assert code == 1 and err.startswith("Refused: Batch 'LOT-1' already exists.")
    assert "existe" not in err


def test_assign_units_by_scanned_asset_tags(server: Running, shop: Shop) -> None:
    mine = make_tenant(server.sessions, "GR")
    all_machines, all_drives = machines(), drives()
    tag = uuid.uuid4().hex[:4].upper()
    units = [
        post_unit(server, mine.benches[0], all_machines[i], all_drives[i], id_esn=f"AS{tag}-{i}")
        for i in range(3)
    ]
    target_id, _ = create_batch(server.sessions, mine.slug, "LOT-CIBLE", "Donateur")
    _other_batch_id, _ = create_batch(server.sessions, mine.slug, "LOT-AUTRE", "Autre")
    with server.client(mine.staff_token) as api:
        assert (
            api.patch(f"/api/v1/units/{units[2].unit_id}", json={"batch": "LOT-AUTRE"}).status_code
            == 200
        )
    scanned = "\n".join(
        [
            units[0].id_esn.lower(),  # a scanner in lower case
            "",
            f"  {units[1].serial}  ",  # a serial works too
            units[0].id_esn,  # scanned twice
            units[2].id_esn,  # already in LOT-AUTRE: left there
            shop.other_unit.id_esn,  # another tenant's unit: unknown here
            "NOPE-404",
            "Z" * 200,
        ]
    )
    with logged_in(server, mine.staff_token) as client:
        csrf = _csrf(html.unescape(client.get(f"/batches/{target_id}").text))
        answer = client.post(
            f"/batches/{target_id}/assign", data={"csrf": csrf, "tags": scanned + "\r\n"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/batches/{target_id}#assign"
        page = html.unescape(client.get(f"/batches/{target_id}").text)
        section = lambda name: re.search(rf'<div id="{name}">(.*?)</div>', page, re.S)  # noqa: E731
        assigned = section("assigned")
        assert assigned and units[0].id_esn.lower() in assigned.group(1)
        assert units[1].serial in assigned.group(1)
        other = section("in-other-batch")
        assert other and units[2].id_esn in other.group(1) and "LOT-AUTRE" in other.group(1)
        unknown = section("unknown")
        assert (
            unknown
            and shop.other_unit.id_esn in unknown.group(1)
            and "NOPE-404" in unknown.group(1)
        )
        assert section("invalid")
        assert 'data-count="2"' in page
        # Again: now "already in this batch".
        client.post(f"/batches/{target_id}/assign", data={"csrf": csrf, "tags": units[0].id_esn})
        again = html.unescape(client.get(f"/batches/{target_id}").text)
        assert re.search(r'<div id="already-here">.*?' + units[0].id_esn, again, re.S)
        # Another tenant's batch id in the form's address: not found, nothing moved.
        foreign_batch, _ = create_batch(server.sessions, shop.other.slug, "LOT-ETRANGER", "X")
        refused = client.post(
            f"/batches/{foreign_batch}/assign", data={"csrf": csrf, "tags": units[0].id_esn}
        )
        assert refused.status_code == 404
        assert (
            client.post(
                f"/batches/{foreign_batch}/donor-link", data={"csrf": csrf, "confirm": "yes"}
            ).status_code
            == 404
        )
        assert client.get(f"/batches/{foreign_batch}").status_code == 404
        too_many = "\n".join(f"T{i}" for i in range(501))
        client.post(f"/batches/{target_id}/assign", data={"csrf": csrf, "tags": too_many})
        assert "500 étiquettes au plus" in html.unescape(client.get(f"/batches/{target_id}").text)
    with server.sessions() as session:
        foreign = session.get(Unit, shop.other_unit.unit_id)
        assert foreign is not None and foreign.batch_id is None
        moved = session.get(Unit, units[2].unit_id)
        assert moved is not None and moved.batch_id == _other_batch_id


# --- Status -----------------------------------------------------------------------------


def test_set_a_status_with_a_reason_recorded_with_who_and_when(server: Running, shop: Shop) -> None:
    unit = shop.units[1]
    with logged_in(server, shop.label_token) as client:
        page = html.unescape(client.get(f"/units/{unit.unit_id}").text)
        assert "Aucun changement à la main" in page
        csrf = _csrf(page)
        answer = client.post(
            f"/units/{unit.unit_id}/status",
            data={"csrf": csrf, "status": "SAV", "reason": "Retour client : charnière cassée"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/units/{unit.unit_id}#status-history"
        page = html.unescape(client.get(f"/units/{unit.unit_id}").text)
        history = re.search(r'<table class="list" id="status-changes">(.*?)</table>', page, re.S)
        assert history, page[:2000]
        row = history.group(1)
        assert "Camille Martin" in row and "Retour client : charnière cassée" in row
        assert "En SAV" in row and 'data-code="SAV"' in row and "UTC" in row
        assert "Statut changé" in page
        # Outside the vocabulary, or without a reason: refused with a message, unchanged.
        for data in (
            {"status": "VOLÉ", "reason": "test"},
            {"status": "pret_a_distribuer", "reason": "test"},
            {"status": "PRET_A_DISTRIBUER", "reason": "   "},
            {"status": "PRET_A_DISTRIBUER", "reason": "x" * 501},
        ):
            client.post(f"/units/{unit.unit_id}/status", data={"csrf": csrf, **data})
            page = html.unescape(client.get(f"/units/{unit.unit_id}").text)
            assert 'id="status-error"' in page, data
        # Another tenant's unit id: not found.
        assert (
            client.post(
                f"/units/{shop.other_unit.unit_id}/status",
                data={"csrf": csrf, "status": "SAV", "reason": "intrusion"},
            ).status_code
            == 404
        )
    # The API's change is recorded too (who, through the API).
    with server.client(shop.tenant.staff_token) as api:
        patched = api.patch(f"/api/v1/units/{unit.unit_id}", json={"status": "DISTRIBUE"})
        assert patched.status_code == 200
    with server.sessions() as session:
        changes = session.scalars(
            select(StatusChange)
            .where(StatusChange.unit_id == unit.unit_id)
            .order_by(StatusChange.id)
        ).all()
        assert [(c.from_status, c.to_status, c.via) for c in changes][-2:] == [
            (changes[-2].from_status, "SAV", "page"),
            ("SAV", "DISTRIBUE", "api"),
        ]
        assert changes[-1].actor == f"#{shop.tenant.staff_token_id}"
        foreign = session.get(Unit, shop.other_unit.unit_id)
        assert foreign is not None and foreign.status != "SAV"
        assert session.get(Unit, unit.unit_id).status == "DISTRIBUE"  # type: ignore[union-attr]


# --- Migration --------------------------------------------------------------------------


@pytest.fixture
def migrated_to_0005(empty_database_url: str) -> Iterator[str]:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0005")
        yield empty_database_url
    finally:
        engine.dispose()


def test_migration_0006_keeps_batches_and_goes_back_down(migrated_to_0005: str) -> None:
    engine = make_engine(migrated_to_0005)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tenants (slug, name, created_at) "
                    "VALUES ('t-old', 'Atelier', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO batches (tenant_id, code, donor_name, donor_token_hash, "
                    "created_at) SELECT id, 'LOT-OLD', 'Mairie', :hash, CURRENT_TIMESTAMP "
                    "FROM tenants WHERE slug = 't-old'"
                ),
                {"hash": hash_token("old-donor-token")},
            )
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            old = session.scalars(select(Batch).where(Batch.code == "LOT-OLD")).one()
            # Only the hash was ever kept: no link to show until it is re-issued.
            assert old.donor_token is None and old.donor_token_hash == hash_token("old-donor-token")
            assert session.scalars(select(WebSession)).all() == []
            assert session.scalars(select(StatusChange)).all() == []
        downgrade(engine, "0005")
        with engine.connect() as connection:
            names = set(
                connection.execute(
                    text("SELECT code FROM batches")  # the batch is still there
                ).scalars()
            )
        assert names == {"LOT-OLD"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
