"""Load benchmark of the central inventory service on PostgreSQL (loopback).

N concurrent simulated benches (default 50), each with its own registered Ed25519 key and
token, post realistic signed unit reports (real corpus identities and disks) for a fixed
duration (default 60 s); 1 post in 20 is a retry of an earlier report (idempotency path).
Reports throughput, p50/p99 latency, and checks that every report was stored exactly once.
A short baseline run against /healthz with the same clients gives the framework's floor on
this machine; the ingestion figure is also reported as a ratio of it.

    BENCH_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@127.0.0.1/db \\
        .venv/bin/python benchmarks/bench_central.py --duration 60 --benches 50 --workers 2

The server runs as a separate process (``central-inventory serve``); clients are raw
asyncio HTTP/1.1 keep-alive connections in this process, so client overhead stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "central"))

from central_samples import drives, machines, report_payload, unit_report  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from central_inventory.admin import create_tenant, create_token, register_bench  # noqa: E402
from central_inventory.db import Report, make_engine, make_sessionmaker  # noqa: E402
from central_inventory.migrate import upgrade  # noqa: E402
from wipe.signing import BenchKey  # noqa: E402


@dataclass
class Bench:
    name: str
    token: str
    bodies: list[tuple[str, bytes]]
    """(report_id, signed envelope) ready to send."""


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)
    """Scheduled send time of each latency sample, seconds since the start."""
    statuses: dict[int, int] = field(default_factory=dict)
    stored_ids: set[str] = field(default_factory=set)
    retried_ids: set[str] = field(default_factory=set)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)


class Connection:
    """A minimal HTTP/1.1 keep-alive client (Content-Length bodies only)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, token: str | None, body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def slow_seconds(results: Results) -> int:
    """How many one-second windows had a p99 over 200 ms (spikes vs. steady overload)."""
    by_second: dict[int, list[float]] = {}
    for at, latency in zip(results.sent_at, results.latencies_ms, strict=True):
        by_second.setdefault(int(at), []).append(latency)
    return sum(1 for values in by_second.values() if percentile(values, 99) > 200)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def prepare(database_url: str, n_benches: int, per_bench: int) -> list[Bench]:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    slug = f"bench-{secrets.token_hex(4)}"
    create_tenant(sessions, slug, "Atelier de charge")
    all_machines, all_drives = machines(), drives()
    benches = []
    for i in range(n_benches):
        key = BenchKey.generate()
        name = f"{slug}-{i:02d}"
        register_bench(sessions, slug, name, key.public_raw, site="LY")
        token = create_token(sessions, "bench", bench=name).token
        bodies = []
        for j in range(per_bench):
            machine = all_machines[(i + j) % len(all_machines)]
            drive = all_drives[(i * 7 + j) % len(all_drives)]
            # Each bench sees its own units (serial made unique), re-tested now and then.
            machine = type(machine)(
                machine.source, machine.maker, machine.product, f"{machine.serial}-{i}-{j % 97}"
            )
            report = unit_report(
                machine,
                drive,
                bench_id=name,
                id_esn=f"LYPC25-{(i * 100 + j) % 10000:04d}",
                certificate_id=secrets.token_hex(16),
            )
            payload = report_payload(report)
            bodies.append((payload["report_id"], json.dumps(key.sign(payload)).encode()))
        benches.append(Bench(name, token, bodies))
    engine.dispose()
    return benches


async def run_bench(
    bench: Bench,
    port: int,
    *,
    started: float,
    deadline: float,
    interval_s: float,
    results: Results,
) -> None:
    """One bench: posts back to back (interval 0) or on a fixed schedule. Latency is
    measured from the scheduled send time, so a server falling behind shows in it."""
    connection = Connection("127.0.0.1", port)
    sent: list[tuple[str, bytes]] = []
    index = 0
    scheduled = started
    try:
        while index < len(bench.bodies):
            now = time.perf_counter()
            if interval_s:
                if scheduled > now:
                    await asyncio.sleep(scheduled - now)
            else:
                scheduled = now
            if scheduled >= deadline:
                break
            if sent and len(sent) % 20 == 0 and sent[-1][0] not in results.retried_ids:
                report_id, body = sent[len(sent) // 2]  # a retry of an earlier report
                results.retried_ids.add(sent[-1][0])
            else:
                report_id, body = bench.bodies[index]
                index += 1
            try:
                status, _ = await connection.request("POST", "/api/v1/reports", bench.token, body)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                results.errors += 1
                name = type(exc).__name__
                results.error_kinds[name] = results.error_kinds.get(name, 0) + 1
                await connection.close()
                scheduled += interval_s
                continue
            results.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
            results.sent_at.append(scheduled - started)
            results.statuses[status] = results.statuses.get(status, 0) + 1
            if status in (200, 201):
                results.stored_ids.add(report_id)
                if status == 201:
                    sent.append((report_id, body))
            scheduled += interval_s
    finally:
        await connection.close()


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


async def run_health(port: int, clients: int, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    done = 0

    async def one() -> None:
        nonlocal done
        connection = Connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                status, _ = await connection.request("GET", "/healthz", None)
                done += status == 200
        finally:
            await connection.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return done


def postgres_cpu_s() -> float:
    """CPU seconds of every local PostgreSQL process (backends, WAL writer, ...)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].partition(")")
        if name.startswith("postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("central-inventory serve exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("central-inventory serve did not become healthy in 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--benches", type=int, default=50, help="concurrent benches (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="total reports/s the benches aim at, paced (default 200); 0: back to back",
    )
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TEST_POSTGRES_URL", ""))
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        print("needs a PostgreSQL URL: --database-url or BENCH_TEST_POSTGRES_URL", file=sys.stderr)
        return 3
    admin = make_engine(args.database_url)
    schema = f"central_bench_{secrets.token_hex(4)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{separator}options=-csearch_path%3D{schema}"
    process = None
    try:
        # Enough bodies for the paced rate, or for 500 reports/s back to back.
        rate = args.rate if args.rate > 0 else 500.0
        per_bench = int(args.duration * rate / args.benches * 1.1) + 10
        t0 = time.perf_counter()
        benches = prepare(url, args.benches, per_bench)
        prepare_s = time.perf_counter() - t0
        port = free_port()
        env = dict(
            os.environ,
            CENTRAL_DATABASE_URL=url,
            CENTRAL_PORT=str(port),
            CENTRAL_WORKERS=str(args.workers),
            CENTRAL_DB_POOL_SIZE="10",
            CENTRAL_DB_MAX_OVERFLOW="10",
        )
        # The server's JSON logs: discarded unless BENCH_CENTRAL_SERVER_LOG names a file.
        server_log = open(os.environ.get("BENCH_CENTRAL_SERVER_LOG", os.devnull), "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "central_inventory.cli", "serve", "--no-migrate"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
        )
        wait_healthy(port, process)
        baseline = asyncio.run(run_health(port, args.benches, args.baseline_seconds))
        baseline_rps = baseline / args.baseline_seconds
        results = Results()
        interval_s = args.benches / args.rate if args.rate > 0 else 0.0
        cpu_before = process_tree_cpu_s(process.pid)
        pg_before, client_before = postgres_cpu_s(), time.process_time()
        started = time.perf_counter() + 0.2
        deadline = started + args.duration

        async def load() -> None:
            await asyncio.gather(
                *(
                    # Benches start spread over one interval, not all at the same instant.
                    run_bench(
                        b,
                        port,
                        started=started + i * interval_s / len(benches),
                        deadline=deadline,
                        interval_s=interval_s,
                        results=results,
                    )
                    for i, b in enumerate(benches)
                )
            )

        asyncio.run(load())
        elapsed = time.perf_counter() - started
        server_cpu_s = process_tree_cpu_s(process.pid) - cpu_before
        pg_cpu_s = postgres_cpu_s() - pg_before
        client_cpu_s = time.process_time() - client_before
        engine = make_engine(url)
        with engine.connect() as connection:
            stored = set(connection.execute(select(Report.report_id)).scalars())
            rows = connection.execute(select(func.count()).select_from(Report)).scalar_one()
        engine.dispose()
        posted = sum(results.statuses.values())
        created = results.statuses.get(201, 0)
        exactly_once = (
            rows == len(stored) == len(results.stored_ids) == created
            and stored == results.stored_ids
        )
        summary = {
            "mode": f"paced at {args.rate:g} reports/s" if args.rate > 0 else "back to back",
            "benches": args.benches,
            "workers": args.workers,
            "duration_s": round(elapsed, 1),
            "requests": posted,
            "reports_stored": created,
            "retries_answered_200": results.statuses.get(200, 0),
            "other_statuses": {
                str(k): v for k, v in results.statuses.items() if k not in (200, 201)
            },
            "transport_errors": results.errors,
            "transport_error_kinds": results.error_kinds,
            "throughput_reports_per_s": round(created / elapsed, 1),
            "throughput_requests_per_s": round(posted / elapsed, 1),
            "latency_p50_ms": round(statistics.median(results.latencies_ms), 1)
            if results.latencies_ms
            else None,
            "latency_p99_ms": round(percentile(results.latencies_ms, 99), 1)
            if results.latencies_ms
            else None,
            "latency_p95_ms": round(percentile(results.latencies_ms, 95), 1)
            if results.latencies_ms
            else None,
            "latency_max_ms": round(max(results.latencies_ms), 1) if results.latencies_ms else None,
            "seconds_with_p99_over_200ms": slow_seconds(results),
            "server_cpu_ms_per_request": round(server_cpu_s * 1000 / posted, 2) if posted else None,
            "postgres_cpu_ms_per_request": round(pg_cpu_s * 1000 / posted, 2) if posted else None,
            "client_cpu_ms_per_request": round(client_cpu_s * 1000 / posted, 2) if posted else None,
            # What the machine could sustain if these three had every core to themselves.
            "cpu_bound_capacity_per_s": (
                round((os.cpu_count() or 1) * posted / (server_cpu_s + pg_cpu_s + client_cpu_s), 1)
                if posted
                else None
            ),
            "baseline_healthz_per_s": round(baseline_rps, 1),
            "ratio_to_healthz_baseline": round(posted / elapsed / baseline_rps, 3)
            if baseline_rps
            else None,
            "stored_exactly_once": exactly_once,
            "database_rows": rows,
            "prepare_s": round(prepare_s, 1),
            "cpu_count": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
        if args.json:
            print(json.dumps(summary))
        else:
            for key, value in summary.items():
                print(f"{key:>28}: {value}")
        return 0 if exactly_once and results.errors == 0 and not summary["other_statuses"] else 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
