"""A running central service on loopback, over SQLite and PostgreSQL.

``server`` is parametrized over both databases: every test using it runs twice. The
PostgreSQL database gets a fresh schema per test session (dropped afterwards), so the
suite needs only a role that may create schemas in BENCH_TEST_POSTGRES_URL's database.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Imported before any other test package can shadow the name ``wipe`` on sys.path.
import wipe.signing  # noqa: F401

try:
    from tests.support.requirements import postgres_url
except ModuleNotFoundError:  # pytest run without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.support.requirements import postgres_url

from central_harness import Running, TenantSetup, make_tenant, serve_in_thread
from sqlalchemy import text

from central_inventory.app import create_app
from central_inventory.config import Settings
from central_inventory.db import make_engine, make_sessionmaker
from central_inventory.migrate import upgrade


def _postgres_schema_url(schema: str) -> str:
    base = postgres_url()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def _fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database: a SQLite file in ``directory``, or a PostgreSQL schema of its
    own (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'central.db'}"
        return
    schema = f"central_test_{secrets.token_hex(6)}"
    admin = make_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with _fresh_database(request.param, tmp_path_factory.mktemp("central")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for one test (migrations from an older schema)."""
    with _fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def network_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The network key of the test servers (created 0600 as init-network-key does)."""
    from central_inventory.trust import create_network_key

    path = tmp_path_factory.mktemp("network") / "network-key.pem"
    create_network_key(path)
    return path


@pytest.fixture(scope="session")
def server(
    database_url: str, network_key_path: Path, request: pytest.FixtureRequest
) -> Iterator[Running]:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    engine = make_engine(database_url, pool_size=10, max_overflow=20)
    upgrade(engine)
    settings = Settings(
        database_url=database_url, max_body_bytes=256 * 1024, network_key=network_key_path
    )
    base_url, uv_server, thread = serve_in_thread(create_app(settings, engine=engine))
    try:
        yield Running(backend, base_url, engine, make_sessionmaker(engine))
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright driver for the whole session: a second sync driver started while
    one runs fails ("Sync API inside the asyncio loop"), so every Chromium test module
    shares this one."""
    from tests.support.requirements import chromium_path

    chromium_path()  # skip on a laptop without chromium, fail in CI
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def tenant_a(server: Running) -> TenantSetup:
    return make_tenant(server.sessions, "GR", n_benches=2)


@pytest.fixture
def tenant_b(server: Running) -> TenantSetup:
    return make_tenant(server.sessions, "LY")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` (an attribute, see central_harness)
    exercise PostgreSQL-only behaviour: their SQLite variant is deselected, not skipped."""
    deselected = [
        item
        for item in items
        if getattr(getattr(item, "function", None), "postgres_only", False)
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "sqlite"
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]
