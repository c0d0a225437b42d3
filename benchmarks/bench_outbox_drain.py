"""Drain benchmark of the bench's outbox: N queued signed reports (default 10,000) sent to
the central service on loopback, by this tree's sender and by the previous implementation
(one urllib connection per item, a ``fetchall`` of every pending body, nothing compacted)
in the same run, against the same server.

For each: items/s, the client's peak RSS (its own process: ``ru_maxrss``), the outbox
file's size before and after (with its WAL), and a check that the server holds each
report exactly once. The figures that matter are the ratios new/old on this machine.

    BENCH_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@127.0.0.1/db \\
        .venv/bin/python benchmarks/bench_outbox_drain.py --items 10000

Without a PostgreSQL URL the server runs on a SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OLD_FILES = ("bench_agent/sync/outbox.py", "bench_agent/sync/central.py")


def outbox_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would include the parent's, which a
    child inherits across exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- children (one process per phase: the drain's peak RSS is the drain's alone) ---------


def child_fill(impl: str, outbox_path: Path, jsonl: Path, old_dir: Path) -> None:
    if impl == "old":
        sys.path.insert(0, str(old_dir))
        from old_sync.outbox import Outbox  # type: ignore[import-not-found]
    else:
        from bench_agent.sync.outbox import Outbox
    box = Outbox(outbox_path)
    with jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            box.add(json.loads(line))
    print(json.dumps({"outbox_bytes": outbox_bytes(outbox_path)}))


def child_drain(impl: str, outbox_path: Path, url: str, token: str, old_dir: Path) -> None:
    started = time.perf_counter()
    if impl == "old":
        sys.path.insert(0, str(old_dir))
        from old_sync.central import CentralConfig, send_due  # type: ignore[import-not-found]
        from old_sync.outbox import Outbox

        box = Outbox(outbox_path)
        report = send_due(box, CentralConfig(url, token), include_waiting=True)
        sent, already, stopped = len(report.sent), len(report.already), report.stopped
        pending = box.counts()["pending"]
    else:
        from bench_agent.sync.outbox import Outbox
        from bench_agent.sync.sender import drain
        from bench_agent.sync.sinks.central import CentralConfig, CentralSink

        box = Outbox(outbox_path)
        sink = CentralSink(CentralConfig(url, token))
        result = drain(box, [sink], include_waiting=True)
        sink.close()
        box.reclaim()
        sent, already, stopped = len(result.sent), len(result.already), result.stopped
        pending = box.counts()["pending"]
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "sent": sent,
                "already": already,
                "pending": pending,
                "stopped": stopped,
                "peak_rss_mb": peak_rss_mb(),
                "outbox_bytes": outbox_bytes(outbox_path),
            }
        )
    )


# -- the parent ------------------------------------------------------------------------


def extract_old(directory: Path) -> str:
    """The outbox and urllib sender as they were before the per-sink sender, from git."""
    deleted = subprocess.run(
        ["git", "rev-list", "-n", "1", "HEAD", "--", "bench_agent/sync/central.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = f"{deleted}^" if not (REPO / "bench_agent/sync/central.py").exists() else "HEAD"
    package = directory / "old_sync"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for path in OLD_FILES:
        source = subprocess.run(
            ["git", "show", f"{commit}:{path}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        source = re.sub(r"bench_agent\.sync\.outbox", "old_sync.outbox", source)
        (package / Path(path).name).write_text(source)
    return subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run_child(*argv: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, *argv],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {argv[:2]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TEST_POSTGRES_URL", ""))
    parser.add_argument("--skip-old", action="store_true", help="only this tree's sender")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        phase, impl, outbox, *rest = args.child
        if phase == "fill":
            child_fill(impl, Path(outbox), Path(rest[0]), Path(rest[1]))
        else:
            child_drain(impl, Path(outbox), rest[0], rest[1], Path(rest[2]))
        return 0

    sys.path.insert(0, str(REPO / "tests" / "central"))
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_central import free_port, wait_healthy
    from central_samples import drives, machines, report_payload, unit_report
    from sqlalchemy import func, select, text

    from central_inventory.admin import create_tenant, create_token, register_bench
    from central_inventory.db import Report, make_engine, make_sessionmaker
    from central_inventory.migrate import upgrade
    from wipe.signing import BenchKey

    work = Path(tempfile.mkdtemp(prefix="bench-outbox-drain-"))
    schema = None
    if args.database_url.startswith("postgresql"):
        admin = make_engine(args.database_url)
        schema = f"drain_bench_{secrets.token_hex(4)}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in args.database_url else "?"
        url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
        backend = "postgresql"
    else:
        url, backend = f"sqlite:///{work / 'central.db'}", "sqlite"
    process = None
    try:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        slug = f"drain-{secrets.token_hex(3)}"
        create_tenant(sessions, slug, "Atelier de mesure")
        impls = ["new"] if args.skip_old else ["old", "new"]
        old_commit = extract_old(work) if "old" in impls else None
        all_machines, all_drives = machines(), drives()
        setups = {}
        for impl in impls:
            key = BenchKey.generate()
            name = f"{slug}-{impl}"
            register_bench(sessions, slug, name, key.public_raw, site="LY")
            token = create_token(sessions, "bench", bench=name).token
            jsonl = work / f"{impl}.jsonl"
            report_ids = []
            with jsonl.open("w", encoding="utf-8") as out:
                for j in range(args.items):
                    machine = all_machines[j % len(all_machines)]
                    machine = type(machine)(
                        machine.source, machine.maker, machine.product, f"{machine.serial}-{j}"
                    )
                    report = unit_report(
                        machine,
                        all_drives[j % len(all_drives)],
                        bench_id=name,
                        id_esn=f"LYPC26-{j:05d}",
                        certificate_id=secrets.token_hex(16),
                    )
                    report_ids.append(report.report_id)
                    out.write(json.dumps(key.sign(report_payload(report))) + "\n")
            setups[impl] = (name, token, jsonl, report_ids)

        port = free_port()
        env = dict(
            os.environ,
            CENTRAL_DATABASE_URL=url,
            CENTRAL_PORT=str(port),
            CENTRAL_WORKERS=str(args.workers),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "central_inventory.cli", "serve", "--no-migrate"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(port, process)
        base = f"http://127.0.0.1:{port}"
        results: dict[str, dict[str, object]] = {}
        for impl in impls:
            name, token, jsonl, report_ids = setups[impl]
            outbox = work / f"{impl}-outbox.sqlite"
            t0 = time.perf_counter()
            filled = run_child("--child", "fill", impl, str(outbox), str(jsonl), str(work))
            fill_s = time.perf_counter() - t0
            drained = run_child("--child", "drain", impl, str(outbox), base, token, str(work))
            with sessions() as session:
                rows = 0
                for start in range(0, len(report_ids), 1000):
                    rows += (
                        session.scalar(
                            select(func.count())
                            .select_from(Report)
                            .where(Report.report_id.in_(report_ids[start : start + 1000]))
                        )
                        or 0
                    )
            seconds = float(drained["seconds"])  # type: ignore[arg-type]
            results[impl] = {
                **drained,
                "rate_per_s": args.items / seconds,
                "outbox_bytes_before": filled["outbox_bytes"],
                "outbox_bytes_after": drained["outbox_bytes"],
                "fill_seconds": fill_s,
                "server_rows": rows,
                "stored_once": rows == args.items,
            }
        summary: dict[str, object] = {
            "items": args.items,
            "backend": backend,
            "old_commit": old_commit,
            "results": results,
        }
        if "old" in results:
            old, new = results["old"], results["new"]
            summary["ratios_new_over_old"] = {
                key: float(new[key]) / float(old[key])  # type: ignore[arg-type]
                for key in ("rate_per_s", "peak_rss_mb", "outbox_bytes_after")
                if float(old[key])  # type: ignore[arg-type]
            }
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(f"{args.items} reports, central on {backend}, loopback")
            for impl, r in results.items():
                label = f"previous ({old_commit})" if impl == "old" else "this tree"
                print(
                    f"  {label:>18}: {r['rate_per_s']:.0f} items/s ({r['seconds']:.1f} s), "
                    f"peak RSS {r['peak_rss_mb']:.1f} MB, outbox "
                    f"{int(r['outbox_bytes_before']) / 1e6:.1f} MB → "  # type: ignore[call-overload]
                    f"{int(r['outbox_bytes_after']) / 1e6:.2f} MB, "  # type: ignore[call-overload]
                    f"server rows {r['server_rows']} (each once: {r['stored_once']})"
                )
            if "ratios_new_over_old" in summary:
                print(f"  ratios new/old: {summary['ratios_new_over_old']}")
        return 0 if all(r["stored_once"] for r in results.values()) else 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    sys.exit(main())
