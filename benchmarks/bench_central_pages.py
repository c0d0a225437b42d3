"""Render time of the central service's staff pages with 3,000 units (SQLite or PostgreSQL).

One tenant, 3,000 realistic signed unit reports (real corpus identities and disks) with one
erasure certificate each, a few units re-tested (three revisions); then the pages are
fetched over loopback from a service in this process: the unit page (a unit with three
revisions), the dashboard and the units list, each ``--repeat`` times. Prints the median
and the 90th percentile of the wall time, and the median CPU time, in milliseconds.

    .venv/bin/python benchmarks/bench_central_pages.py                      # SQLite
    BENCH_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@127.0.0.1/db \\
        .venv/bin/python benchmarks/bench_central_pages.py --postgres

``--state FILE`` keeps the database and writes where it is to FILE; a later run given
the same FILE measures the same data without storing it again (to compare two versions
of the pages, run each with PYTHONPATH on its tree, alternately).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "central"))

import httpx  # noqa: E402
from central_harness import make_tenant, serve_in_thread  # noqa: E402
from central_samples import (  # noqa: E402
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    signed,
    unit_report,
)
from sqlalchemy import text  # noqa: E402

from central_inventory.app import create_app  # noqa: E402
from central_inventory.config import Settings  # noqa: E402
from central_inventory.db import make_engine, make_sessionmaker  # noqa: E402
from central_inventory.ingest import ingest_certificate, ingest_report  # noqa: E402
from central_inventory.migrate import upgrade  # noqa: E402


def populate(url: str, units: int) -> tuple[str, int]:
    """Store ``units`` units; answer the staff token and the id of a unit with three
    revisions."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    tenant = make_tenant(sessions, "LY")
    bench = tenant.benches[0]
    all_machines, all_drives = machines(), drives()
    categories = ("B", "A", "C", "PREMIUM", "D", "NOT_DISTRIBUTABLE", "TO_REPAIR")
    rich_unit = 0
    for i in range(units):
        m = all_machines[i % len(all_machines)]
        machine = type(m)(m.source, m.maker, m.product, f"{m.serial}-{i}")
        drive = all_drives[(i * 7) % len(all_drives)]
        certificate_id = secrets.token_hex(16)
        report_id = secrets.token_hex(16)
        outcome = "FAILED" if i % 17 == 0 else "ERASED"
        ingest_certificate(
            engine,
            bench.token,
            sign_certificate(bench.key, certificate_payload(certificate_id, drive, outcome)),
        )
        for revision in range(1, 4 if i % 100 == 0 else 2):
            report = unit_report(
                machine,
                drive,
                bench_id=bench.name,
                id_esn=f"LYPC25-{i:04d}",
                certificate_id=certificate_id,
                category=categories[(i + revision) % len(categories)],
                report_id=report_id,
                revision=revision,
                erasure_result=outcome,
            )
            _principal, stored = ingest_report(
                engine, bench.token, signed(bench.key, report_payload(report))
            )
            if i == 0:
                rich_unit = stored.unit_id
    engine.dispose()
    return tenant.staff_token, rich_unit


def timed(client: httpx.Client, path: str, repeat: int) -> dict[str, float]:
    """Wall time and this process's CPU time per request (client and server threads both
    run here; the CPU time is what a loaded machine disturbs least)."""
    client.get(path).raise_for_status()  # warm: templates compiled, pages cached
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        answer = client.get(path)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        answer.raise_for_status()
    wall.sort()
    return {
        "median_ms": round(statistics.median(wall), 1),
        "p90_ms": round(wall[int(len(wall) * 0.9) - 1], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def measure(
    url: str, token: str, unit_id: int, args: argparse.Namespace, populate_s: float
) -> dict[str, object]:
    engine = make_engine(url)
    base_url, server, _thread = serve_in_thread(
        create_app(Settings(database_url=url), engine=engine)
    )
    try:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            login = client.post("/login", data={"token": token, "next": "/units"})
            assert login.status_code in {200, 303}, login.status_code
            return {
                "backend": engine.dialect.name,
                "units": args.units,
                "populate_s": round(populate_s, 1),
                "unit_page": timed(client, f"/units/{unit_id}", args.repeat),
                "dashboard": timed(client, "/dashboard", args.repeat),
                "units_list": timed(client, "/units", args.repeat),
            }
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="BENCH_TEST_POSTGRES_URL")
    parser.add_argument("--state", type=Path, help="keep the database; reuse it next time")
    args = parser.parse_args()
    if args.state is not None and args.state.exists():
        state = json.loads(args.state.read_text(encoding="utf-8"))
        print(json.dumps(measure(state["url"], state["token"], state["unit_id"], args, 0.0)))
        return 0
    schema = None
    admin = None
    with tempfile.TemporaryDirectory(prefix="bench-central-pages-") as tmp:
        if args.postgres:
            base = os.environ.get("BENCH_TEST_POSTGRES_URL", "")
            if not base.startswith("postgresql"):
                print("--postgres needs BENCH_TEST_POSTGRES_URL", file=sys.stderr)
                return 3
            schema = f"central_pages_{secrets.token_hex(4)}"
            admin = make_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        else:
            folder = args.state.parent if args.state is not None else Path(tmp)
            url = f"sqlite:///{folder / 'central-pages.db'}"
        try:
            t0 = time.perf_counter()
            token, unit_id = populate(url, args.units)
            results = measure(url, token, unit_id, args, time.perf_counter() - t0)
            if args.state is not None:
                state = {"url": url, "token": token, "unit_id": unit_id}
                args.state.write_text(json.dumps(state), encoding="utf-8")
                schema = None  # kept for the next run
        finally:
            if admin is not None:
                if schema is not None:
                    with admin.begin() as connection:
                        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
