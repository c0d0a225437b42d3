"""The unattended run against the real central service on loopback (SQLite and
PostgreSQL): the unit, its report and its certificates reach the service with the URL
and token given on the kernel command line; with the service down everything waits in
the outbox and the next run sends it exactly once."""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path

from central_harness import Running, make_tenant
from sqlalchemy import func, select

from central_inventory.admin import create_token, register_bench
from central_inventory.db import Certificate, Report, Unit
from tests.bench.unattended_helpers import sitting, unattended, write_site, x1_without_its_disk
from tests.tui.loops import MakeLoop, random_loop, zero_sectors
from wipe.signing import BenchKey

__all__ = ["random_loop"]  # the fixture, used by name below

SECTOR = 512


def registered_bench(server: Running, home: Path) -> str:
    """A bench home with its key, registered on the service; the token to give it."""
    key = BenchKey.load_or_create(home / "bench-key.pem")
    tenant = make_tenant(server.sessions)
    name = f"{tenant.slug}-poste3"
    register_bench(server.sessions, tenant.slug, name, key.public_raw)
    return create_token(server.sessions, "bench", bench=name).token


def held(server: Running, report_id: str) -> tuple[list[int], int, str | None]:
    """The revisions of the report the service holds, its certificates, the unit's serial."""
    with server.sessions() as session:
        revisions = list(
            session.scalars(select(Report.revision).where(Report.report_id == report_id))
        )
        unit = session.scalars(
            select(Unit)
            .join(Report, Report.unit_id == Unit.id)
            .where(Report.report_id == report_id)
        ).first()
        certificates = session.scalar(select(func.count()).select_from(Certificate)) or 0
        return revisions, certificates, unit.serial if unit else None


def closed_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fully_written(image: Path, original: bytes) -> bool:
    """No sector of the donor's bytes left, no sector never written."""
    data = image.read_bytes()
    same = any(
        data[i : i + SECTOR] == original[i : i + SECTOR] for i in range(0, len(data), SECTOR)
    )
    return not same and zero_sectors(image) == 0


def test_the_unit_reaches_the_central_service_once(
    server: Running, tmp_path: Path, random_loop: MakeLoop
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    token = registered_bench(server, home)
    disks = [random_loop(4 << 20, f"unit-{i}") for i in range(2)]
    write_site(home, [d.device for d in disks])
    host = x1_without_its_disk(tmp_path)
    cmdline = f"quiet bench.central={server.base_url} bench.token={token}"
    before = server.counts()

    run = unattended(home, host, cmdline)
    assert run.code == 0, run.out + run.err
    out = " ".join(run.out.split())
    assert "Envoyés : 3 ; déjà présents : 0 ; refusés : 0 ; en attente : 0" in out
    assert "catégorie NON DISTRIBUABLE, envoyé au service central." in out
    for d in disks:
        assert fully_written(d.backing, d.original)
    report_id = str(sitting(home)["report_id"])
    revisions, certificates, serial = held(server, report_id)
    assert revisions == [1]
    assert serial == "PF0QMY5N"
    assert certificates - before.get("certificates", 0) == 2

    # Again on the same laptop: already there, nothing sent twice.
    again = unattended(home, host, cmdline)
    assert again.code == 0, again.out + again.err
    assert "Cette unité est déjà traitée et envoyée : rien à refaire." in again.out
    assert "Déjà envoyé au service central." in again.out
    assert held(server, report_id)[:2] == ([1], certificates)


def test_offline_everything_waits_then_the_next_run_sends_it_exactly_once(
    server: Running, tmp_path: Path, random_loop: MakeLoop
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    token = registered_bench(server, home)
    disk = random_loop(4 << 20, "unit")
    write_site(home, [disk.device], extra="[central]\n")
    host = x1_without_its_disk(tmp_path)

    down = f"bench.central=http://127.0.0.1:{closed_port()} bench.token={token}"
    run = unattended(home, host, down)
    assert run.code == 0, run.out + run.err  # queued is not a failure: nothing is lost
    out = " ".join(run.out.split())
    assert "Envoi interrompu" in out
    assert "en attente d'envoi (2 document(s))" in out
    report_id = str(sitting(home)["report_id"])
    assert held(server, report_id)[0] == []
    assert fully_written(disk.backing, disk.original)

    # The network is back (the site's file now has the address; the token comes from
    # the kernel command line): the waiting evidence goes, once; the disk is not erased
    # again.
    (home / "site.toml").write_text(
        (home / "site.toml").read_text() + f'url = "{server.base_url}"\n', encoding="utf-8"
    )
    up = unattended(home, host, f"bench.token={token}")
    assert up.code == 0, up.out + up.err
    out = " ".join(up.out.split())
    assert f"{disk.device} : déjà traité dans cette séance (ERASED)." in out
    assert "Envoyés : 2 ; déjà présents : 0 ; refusés : 0 ; en attente : 0" in out
    revisions, certificates, _serial = held(server, report_id)
    assert revisions == [1]

    last = unattended(home, host, f"bench.token={token}")
    assert last.code == 0
    assert "Déjà envoyé au service central." in last.out
    assert held(server, report_id)[:2] == ([1], certificates)
