"""Donor batch report PDF for a large batch: generation time, pages, QR codes.

A 500-laptop batch (one disk and one signed certificate each, filed through the real
ingestion path) in a SQLite database under a temporary directory; then the report is
built from the database and rendered to PDF ``--runs`` times. Prints the build time
(database reads), the PDF time (reportlab) and their sum, the page count and the size.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_donor_report.py --units 500 --runs 3

``--profile`` prints the 25 costliest functions of one PDF rendering (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "central"))

from central_harness import make_tenant  # noqa: E402
from donor_samples import make_donation  # noqa: E402

from central_inventory.batch_report import build, to_pdf  # noqa: E402
from central_inventory.db import Batch, make_engine, make_sessionmaker  # noqa: E402
from central_inventory.migrate import upgrade  # noqa: E402

BASE_URL = "https://inventaire.example.org"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, help="write the last PDF here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-donor-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/central.db")
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        tenant = make_tenant(sessions, "GR")
        started = time.perf_counter()
        donation = make_donation(engine, sessions, tenant, args.units)
        print(f"filed {args.units} laptops in {time.perf_counter() - started:.1f} s")
        builds, pdfs, totals, cpus = [], [], [], []
        pdf = b""
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            with sessions() as session:
                batch = session.get(Batch, donation.batch_id)
                assert batch is not None
                report = build(session, batch)
            t1 = time.perf_counter()
            pdf = to_pdf(report, BASE_URL, "fr")
            t2 = time.perf_counter()
            cpus.append(time.process_time() - c0)
            builds.append(t1 - t0)
            pdfs.append(t2 - t1)
            totals.append(t2 - t0)
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        print(
            f"build {statistics.median(builds) * 1000:.0f} ms, pdf "
            f"{statistics.median(pdfs) * 1000:.0f} ms, total median "
            f"{statistics.median(totals):.2f} s (max {max(totals):.2f} s, CPU median "
            f"{statistics.median(cpus):.2f} s) over {args.runs} runs; "
            f"{pages} pages, {len(pdf) / 1024:.0f} KiB"
        )
        if args.out:
            args.out.write_bytes(pdf)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            to_pdf(report, BASE_URL, "fr")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        engine.dispose()
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return 0 if max(totals) < 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
