"""The staff units search (/units) with N units (default 3,000), on SQLite and, when
BENCH_TEST_POSTGRES_URL is set, PostgreSQL (a schema of its own, dropped afterwards).

Units, reports, inventoried disks and listed certificates are written straight into the
tables (what ingestion stores), the service runs in a thread on loopback, and a logged-in
client times each search through HTTP (query and rendering): median and p95 of 21 runs.

    BENCH_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@127.0.0.1/db \\
        .venv/bin/python benchmarks/bench_central_search.py --units 3000
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "central"))
sys.path.insert(0, str(REPO))

from central_harness import Running, make_tenant, serve_in_thread  # noqa: E402
from sqlalchemy import text  # noqa: E402
from staff_support import bulk_units, logged_in  # noqa: E402

from central_inventory.app import create_app  # noqa: E402
from central_inventory.config import Settings  # noqa: E402
from central_inventory.db import make_engine, make_sessionmaker  # noqa: E402
from central_inventory.migrate import upgrade  # noqa: E402

RUNS = 21


def measure(url: str, backend: str, count: int) -> dict[str, tuple[float, float]]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    base_url, server, thread = serve_in_thread(
        create_app(Settings(database_url=url), engine=engine)
    )
    running = Running(backend, base_url, engine, sessions)
    try:
        tenant = make_tenant(sessions, "GR")
        made = bulk_units(running, tenant.tenant_id, tenant.benches[0].name, count, prefix="BS")
        disk_serial = made[count // 2][2]
        cases = {
            "disk serial, middle fragment (1 hit, opens the unit)": {"q": disk_serial[4:12]},
            "model fragment (a third of the units)": {"q": "thinkpad"},
            "no search, by category (vocabulary order)": {"sort": "category", "dir": "asc"},
            "status filter, page 10": {"status": "A_TRAITER", "page": "10"},
            "no match": {"q": "zz-nothing-zz"},
        }
        figures = {}
        with logged_in(running, tenant.staff_token) as client:
            for name, params in cases.items():
                runs = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    answer = client.get("/units", params=params)
                    runs.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code in {200, 303}, answer.status_code
                runs.sort()
                figures[name] = (statistics.median(runs), runs[int(len(runs) * 0.95) - 1])
        return figures
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=20)
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = measure(f"sqlite:///{directory}/search.db", "sqlite", args.units)
    base = os.environ.get("BENCH_TEST_POSTGRES_URL")
    if base:
        schema = f"bench_search_{secrets.token_hex(4)}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in base else "?"
            url = f"{base}{separator}options=-csearch_path%3D{schema}"
            results["postgres"] = measure(url, "postgres", args.units)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    load = os.getloadavg()[0]
    print(f"/units with {args.units} units, {RUNS} runs each (load average {load:.1f}):")
    for backend, figures in results.items():
        for name, (median, p95) in figures.items():
            print(f"  {backend:8} {name}: median {median:.1f} ms, p95 {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
