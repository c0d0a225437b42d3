"""The central service holds the current CPU table; a bench takes a newer one from it
(real service on loopback, real HTTP): stored in its home, used by later grades, its
version recorded; a cut download, a refused token or a service that is down leave the
bench's table as it was."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from central_harness import Running, make_tenant, serve_in_thread

from bench_agent.bench.cpu_reference import ENDPOINT, GetAnswer, http_get, refresh_cpu_table
from bench_agent.bench.paths import BenchPaths
from bench_agent.grading.cpu_table import (
    STORED_ORIGIN,
    current_table,
    default_cpu_table,
    stored_table_path,
    table_version,
)
from central_inventory.app import create_app
from central_inventory.config import Settings, default_profiles_dir
from central_inventory.db import make_engine, make_sessionmaker
from central_inventory.migrate import upgrade

SHIPPED = default_cpu_table().version
NEWER_ROW = b";Intel Core i7-8650U @ 1.90GHz;4;7100;;15;FC-BGA1356;Laptop\r\n"


@pytest.fixture(scope="module")
def network_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    """A central service whose reference data the coordinator can change (SQLite)."""
    root = tmp_path_factory.mktemp("central-ref")
    profiles = root / "profiles"
    shutil.copytree(default_profiles_dir(), profiles, ignore=shutil.ignore_patterns("*.py"))
    engine = make_engine(f"sqlite:///{root / 'central.db'}")
    upgrade(engine)
    settings = Settings(database_url=str(engine.url), profiles_dir=profiles)
    base_url, uv_server, thread = serve_in_thread(create_app(settings, engine=engine))
    try:
        yield Running("sqlite", base_url, engine, make_sessionmaker(engine)), profiles
    finally:
        uv_server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


def test_endpoint_serves_the_table_with_its_version(server: Running) -> None:
    tenant = make_tenant(server.sessions)
    shipped = (default_profiles_dir() / "cpu" / "cpus.csv").read_bytes()
    with server.client(tenant.benches[0].token) as client:
        answer = client.get(ENDPOINT)
        assert answer.status_code == 200 and answer.content == shipped
        assert answer.headers["x-cpu-table-version"] == SHIPPED == table_version(shipped)
        assert answer.headers["etag"] == f'"{SHIPPED}"'
        assert answer.headers["content-type"].startswith("text/csv")
        again = client.get(ENDPOINT, headers={"If-None-Match": f'"{SHIPPED}"'})
        assert again.status_code == 304 and again.content == b""
    with server.client() as client:
        assert client.get(ENDPOINT).status_code == 401


def test_bench_takes_a_newer_table_and_grades_with_it(
    network_server: tuple[Running, Path], tmp_path: Path
) -> None:
    running, profiles = network_server
    token = make_tenant(running.sessions).benches[0].token
    paths = BenchPaths(tmp_path / "home")

    # Same table on both sides: nothing to take.
    same = refresh_cpu_table(paths, running.base_url, token)
    assert (same.version, same.changed) == (SHIPPED, False)
    assert same.message.en == f"CPU table up to date ({SHIPPED})."
    assert not stored_table_path(paths).exists()

    # The coordinator publishes a newer table on the central service.
    table_file = profiles / "cpu" / "cpus.csv"
    original = table_file.read_bytes()
    newer = original.replace(
        b";Intel Core i7-8650U @ 1.90GHz;4;6192;;15;FC-BGA1356;Laptop\r\n", NEWER_ROW
    )
    assert newer != original
    table_file.write_bytes(newer)
    try:
        taken = refresh_cpu_table(paths, running.base_url, token)
        assert (taken.version, taken.changed) == (table_version(newer), True)
        assert taken.message.fr == f"Nouvelle table CPU du service central : {taken.version}."
        assert stored_table_path(paths).read_bytes() == newer
        table = current_table(paths)
        assert (table.origin, table.version) == (STORED_ORIGIN, table_version(newer))
        assert table.lookup("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz").score == 7100

        # The next sync asks with the new version: 304, nothing rewritten.
        before = stored_table_path(paths).stat().st_mtime_ns
        again = refresh_cpu_table(paths, running.base_url, token)
        assert (again.version, again.changed) == (table_version(newer), False)
        assert stored_table_path(paths).stat().st_mtime_ns == before
    finally:
        table_file.write_bytes(original)


def test_cut_download_refused_and_table_kept(
    network_server: tuple[Running, Path], tmp_path: Path
) -> None:
    running, profiles = network_server
    token = make_tenant(running.sessions).benches[0].token
    paths = BenchPaths(tmp_path / "home")
    table_file = profiles / "cpu" / "cpus.csv"
    original = table_file.read_bytes()
    table_file.write_bytes(original + b";Intel Core i5-9999Z;4;5000;;15;X;Laptop\r\n")

    def cut(url: str, headers: dict[str, str], timeout_s: float) -> GetAnswer:
        # The real answer, its body cut after 100 kB (a connection lost mid-transfer
        # behind a proxy that does not report it).
        answer = http_get(url, headers, timeout_s)
        return replace(answer, body=answer.body[:100_000])

    try:
        refused = refresh_cpu_table(paths, running.base_url, token, get=cut)
    finally:
        table_file.write_bytes(original)
    assert (refused.version, refused.changed) == (SHIPPED, False)
    assert "incomplete or altered download" in refused.message.en
    assert "le banc garde la sienne" in refused.message.fr
    assert not stored_table_path(paths).exists()


def test_refused_token_and_service_down_keep_the_table(
    network_server: tuple[Running, Path], tmp_path: Path
) -> None:
    running, _profiles = network_server
    paths = BenchPaths(tmp_path / "home")
    refused = refresh_cpu_table(paths, running.base_url, "not-a-token")
    assert (refused.version, refused.changed) == (SHIPPED, False)
    assert refused.message.en == ("CPU table unchanged (HTTP answer 401): the bench keeps its own.")
    # Nothing listens on port 9 of loopback (discard, never served in CI).
    down = refresh_cpu_table(paths, "http://127.0.0.1:9", "t", timeout_s=2)
    assert (down.version, down.changed) == (SHIPPED, False)
    assert "central service unreachable" in down.message.en
    assert not stored_table_path(paths).exists()
