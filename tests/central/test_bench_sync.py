"""The bench's outbox against the real central service (SQLite and PostgreSQL):
`bench-agent sync` delivers every report and certificate exactly once, survives a
server that is down, a lost answer, a revoked token and a conflicting document,
and carries evidence by USB (export / import) when there is no network at all."""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from central_harness import Running, TenantSetup, make_tenant
from central_samples import (
    certificate_payload,
    drives,
    machines,
    report_payload,
    sign_certificate,
    unit_report,
)
from sqlalchemy import select

from bench_agent.cli import main
from bench_agent.context import Environment
from central_inventory.admin import create_token, register_bench, revoke_token, rotate_token
from central_inventory.db import ApiToken, Report, Unit, utcnow
from tests.sync.outbox_v0 import write_v0_outbox
from wipe.signing import BenchKey

MACHINES = machines()
DRIVES = drives()


def _sync(home: Path, *argv: str) -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ={"BENCH_AGENT_HOME": str(home)}
    )
    code = main(["sync", *argv], env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


class Bench:
    """A bench home with its own key, registered on the server with a token."""

    def __init__(
        self,
        server: Running,
        tmp_path: Path,
        name: str = "home",
        tenant: TenantSetup | None = None,
    ) -> None:
        self.home = tmp_path / name
        self.key = BenchKey.load_or_create(self.home / "bench-key.pem")
        self.tenant: TenantSetup = tenant or make_tenant(server.sessions)
        self.name = f"{self.tenant.slug}-sync-{name}"
        register_bench(server.sessions, self.tenant.slug, self.name, self.key.public_raw)
        issued = create_token(server.sessions, "bench", bench=self.name)
        self.token_pk = issued.token_pk
        token_file = tmp_path / f"{name}-token.txt"
        token_file.write_text(issued.token + "\n")
        code, _, err = _sync(
            self.home, "configure", "--url", server.base_url, "--token-file", str(token_file)
        )
        assert code == 0, err

    def report_file(self, i: int) -> Path:
        """An unsigned UnitReport as `bench-agent inventory --json` writes it."""
        machine = MACHINES[i % len(MACHINES)]
        report = unit_report(machine, DRIVES[i % len(DRIVES)], bench_id=self.name)
        path = self.home / f"report-{i}.json"
        path.write_text(json.dumps(report_payload(report)))
        return path

    def revision_file(self, report_id: str, revision: int, i: int, category: str = "B") -> Path:
        """Revision ``revision`` of one unit's report, unsigned (``sync add`` signs it)."""
        machine = MACHINES[i % len(MACHINES)]
        report = unit_report(
            machine,
            DRIVES[i % len(DRIVES)],
            bench_id=self.name,
            report_id=report_id,
            revision=revision,
            category=category,
        )
        path = self.home / f"report-{report_id}-r{revision}.json"
        path.write_text(json.dumps(report_payload(report)))
        return path

    def certificate_file(self, i: int) -> Path:
        payload = certificate_payload(str(uuid.uuid4()), DRIVES[i % len(DRIVES)])
        path = self.home / f"cert-{i}.json"
        path.write_bytes(sign_certificate(self.key, payload))
        return path

    def outbox_rows(self) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.home / "outbox.sqlite")) as db:
            return db.execute(
                "SELECT kind, item_id, state, attempts, last_status, last_error FROM items"
            ).fetchall()


def test_every_document_reaches_the_server_once_even_after_a_lost_answer(
    server: Running, tmp_path: Path
) -> None:
    bench = Bench(server, tmp_path)
    files = [bench.report_file(i) for i in range(3)] + [bench.certificate_file(0)]
    code, out, err = _sync(bench.home, "add", *map(str, files))
    assert code == 0, err
    assert out.count("ajouté") == 4
    code, out, _ = _sync(bench.home, "add", str(files[0]))  # same file again: nothing new
    assert code == 0 and "déjà dans la boîte d'envoi" in out

    before = server.counts()
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert len(result["sent"]) == 4 and result["counts"]["pending"] == 0
    after = server.counts()
    assert after["reports"] - before["reports"] == 3
    assert after["certificates"] - before["certificates"] == 1

    # The answers were lost (power cut after the POST, before the outbox was updated):
    # everything is sent again and the server says it already has it.
    with closing(sqlite3.connect(bench.home / "outbox.sqlite")) as db, db:
        db.execute("UPDATE items SET state = 'pending', sent_at = NULL")
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["sent"] == [] and len(result["already_stored"]) == 4
    assert server.counts() == after

    code, out, _ = _sync(bench.home, "now", "--json")  # nothing left to do
    assert code == 0 and json.loads(out)["sent"] == json.loads(out)["already_stored"] == []
    code, out, _ = _sync(bench.home, "status")
    assert "0 en attente, 4 envoyé(s), 0 refusé(s)" in out


def test_server_down_keeps_everything_and_waits_before_the_next_try(
    server: Running, tmp_path: Path
) -> None:
    bench = Bench(server, tmp_path)
    _sync(bench.home, "add", str(bench.report_file(1)), str(bench.report_file(2)))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    code, out, err = _sync(bench.home, "now", "--url", dead)
    assert code == 1
    assert "Envoi interrompu" in err and "rien n'est perdu" in err
    rows = bench.outbox_rows()
    assert [r[2] for r in rows] == ["pending", "pending"]
    assert rows[0][3] == 1 and "refused" in (rows[0][5] or "").lower()  # tried once
    assert rows[1][3] == 0  # the run stopped at the first unanswered item

    code, out, _ = _sync(bench.home, "now", "--url", dead, "--json")  # within the delay
    assert code == 1 and bench.outbox_rows()[0][3] == 1  # not tried again yet

    before = server.counts()
    code, out, err = _sync(bench.home, "now", "--all", "--json")  # the server is back
    assert code == 0, err
    assert len(json.loads(out)["sent"]) == 2
    assert server.counts()["reports"] - before["reports"] == 2


def test_revoked_token_stops_sending_and_loses_nothing(server: Running, tmp_path: Path) -> None:
    bench = Bench(server, tmp_path)
    _sync(bench.home, "add", str(bench.report_file(3)))
    revoke_token(server.sessions, bench.token_pk)
    code, _, err = _sync(bench.home, "now")
    assert code == 1 and "HTTP 401" in err
    ((_, _, state, _, status, _),) = bench.outbox_rows()
    assert state == "pending" and status == 401


def test_expired_token_says_to_replace_it_then_a_rotated_one_sends(
    server: Running, tmp_path: Path
) -> None:
    """The server answers 401 token_expired: the bench says its token must be replaced
    (not "retried later"), keeps everything; the rotated token configured, all is sent."""
    bench = Bench(server, tmp_path)
    _sync(bench.home, "add", str(bench.report_file(5)))
    with server.sessions.begin() as session:
        row = session.get(ApiToken, bench.token_pk)
        assert row is not None and row.expires_at is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    code, _, err = _sync(bench.home, "now")
    assert code == 1
    assert "token_expired" in err and "bench-agent sync configure" in err, err
    assert "nouvel essai plus tard" not in err
    ((_, _, state, _, status, _),) = bench.outbox_rows()
    assert state == "pending" and status == 401
    issued = rotate_token(server.sessions, bench.token_pk)
    token_file = tmp_path / "rotated-token.txt"
    token_file.write_text(issued.token + "\n")
    code, _, err = _sync(
        bench.home, "configure", "--url", server.base_url, "--token-file", str(token_file)
    )
    assert code == 0, err
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert len(json.loads(out)["sent"]) == 1


def test_a_conflicting_document_is_rejected_kept_and_shown(server: Running, tmp_path: Path) -> None:
    """Another body already sits on the server under the same report id: 409. The
    bench keeps its document as rejected with the server's reason; it is not retried."""
    bench = Bench(server, tmp_path)
    path = bench.report_file(4)
    payload = json.loads(path.read_text())
    other = dict(payload, notes=[*payload.get("notes", [])])
    other["created_at"] = "2020-01-01T00:00:00Z"
    token = (tmp_path / "home-token.txt").read_text().strip()
    with server.client(token) as client:
        response = client.post(
            "/api/v1/reports",
            content=json.dumps(bench.key.sign(other)).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 201, response.text
    _sync(bench.home, "add", str(path))
    code, out, _ = _sync(bench.home, "now")
    assert code == 1 and "REFUSÉ" in out and "409" in out
    code, out, _ = _sync(bench.home, "status", "--json")
    status = json.loads(out)
    assert status["counts"] == {"pending": 0, "sent": 0, "rejected": 1}
    assert status["rejected"][0]["last_status"] == 409
    code, out, _ = _sync(bench.home, "now", "--all")  # rejected items are not retried
    assert code == 1 and bench.outbox_rows()[0][2] == "rejected"


def test_usb_export_then_import_on_a_connected_bench(server: Running, tmp_path: Path) -> None:
    """An offline bench exports its pending evidence to a USB stick; another bench with
    network imports it (signatures checked, a tampered file refused) and sends it."""
    offline = Bench(server, tmp_path, "offline")
    _sync(offline.home, "add", str(offline.report_file(5)), str(offline.certificate_file(1)))
    usb = tmp_path / "usb"
    code, out, _ = _sync(offline.home, "export", str(usb))
    assert code == 0 and "2 document(s)" in out
    exported = sorted(p.name for p in usb.glob("*.json"))
    assert len(exported) == 2 and (usb / "SHA256SUMS").read_text().count("\n") == 2
    tampered = usb / "report-tampered.json"
    envelope = json.loads(next(usb.glob("report-*.json")).read_text())
    envelope["payload"]["created_at"] = "1999-01-01T00:00:00Z"
    tampered.write_text(json.dumps(envelope))

    connected = tmp_path / "connected"
    token = (tmp_path / "offline-token.txt").read_text().strip()
    code, out, err = _sync(connected, "import", str(usb))
    assert code == 1 and "Ajoutés : 2" in out and "report-tampered.json" in err
    before = server.counts()
    # Documents keep the offline bench's signature, so they go with that bench's token.
    (tmp_path / "t").write_text(token)
    code, out, err = _sync(
        connected, "now", "--url", server.base_url, "--token-file", str(tmp_path / "t")
    )
    assert code == 0, err
    after = server.counts()
    assert after["reports"] - before["reports"] == 1
    assert after["certificates"] - before["certificates"] == 1


def test_inventory_save_then_sync_puts_the_laptop_on_the_server(
    server: Running, tmp_path: Path
) -> None:
    """The whole bench path on a recorded ThinkPad X1 Carbon 5th: `inventory --save`
    signs and writes the report, `sync now` delivers it, the staff find it by serial."""
    bench = Bench(server, tmp_path)
    host = Path(__file__).resolve().parents[1] / "fixtures/hosts"
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ={"BENCH_AGENT_HOME": str(bench.home)}
    )
    argv = ["inventory", "--host-dir", str(host / "Lenovo_ThinkPad_X1_Carbon_5th_live")]
    assert main([*argv, "--save", "--asset-tag", "LCT-7731"], env=env) == 0
    assert "Rapport signé enregistré" in env.stderr.getvalue()  # type: ignore[attr-defined]
    (saved,) = (bench.home / "reports").glob("*.json")
    envelope = json.loads(saved.read_text())
    assert envelope["payload"]["unit"]["serial"] == "PF0QMY5N"
    assert envelope["signature"]["public_key"] == bench.key.public_b64

    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{envelope['payload']['report_id']}#1"]
    with server.client(bench.tenant.staff_token) as client:
        found = client.get("/api/v1/units", params={"id_esn": "LCT-7731"}).json()
    assert found["total"] == 1
    assert "PF0QMY5N" in json.dumps(found["data"][0])


def _current(server: Running, report_id: str) -> tuple[int, str | None, list[tuple[int, bool]]]:
    """The current revision of a report id's unit, its category, and (revision, head) of
    every stored row of the report id."""
    with server.sessions() as session:
        rows = session.execute(
            select(Report.revision, Report.head, Report.unit_id)
            .where(Report.report_id == report_id)
            .order_by(Report.revision)
        ).all()
        unit = session.get(Unit, rows[0].unit_id)
        assert unit is not None
        current = session.scalar(
            select(Report.revision).where(
                Report.unit_id == unit.id, Report.version == unit.latest_version
            )
        )
        assert current is not None
        return current, unit.category, [(r.revision, r.head) for r in rows]


def test_two_revisions_from_the_outbox_end_with_the_highest_current(
    server: Running, tmp_path: Path
) -> None:
    bench = Bench(server, tmp_path)
    report_id = str(uuid.uuid4())
    first = bench.revision_file(report_id, 1, 6, category="C")
    second = bench.revision_file(report_id, 2, 6, category="A")
    code, out, err = _sync(bench.home, "add", str(first), str(second))
    assert code == 0, err
    assert f"report {report_id}#1 ajouté" in out and f"report {report_id}#2 ajouté" in out
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{report_id}#1", f"{report_id}#2"]
    assert _current(server, report_id) == (2, "A", [(1, False), (2, True)])


def test_an_older_revision_sent_last_is_kept_as_history(server: Running, tmp_path: Path) -> None:
    """Revision 1 reaches the outbox only after revision 2 was sent (a USB import, a
    `sync add` of an old file): it is delivered and stored, the unit stays on 2."""
    bench = Bench(server, tmp_path)
    report_id = str(uuid.uuid4())
    _sync(bench.home, "add", str(bench.revision_file(report_id, 2, 7, category="A")))
    assert _sync(bench.home, "now")[0] == 0
    _sync(bench.home, "add", str(bench.revision_file(report_id, 1, 7, category="D")))
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{report_id}#1"]
    assert _current(server, report_id) == (2, "A", [(1, False), (2, True)])


def test_outbox_restarted_between_revisions(server: Running, tmp_path: Path) -> None:
    """Revision 1 is sent by one process; revision 2 is added and sent by another (the
    bench restarted): only the outbox file carries the state between them."""
    bench = Bench(server, tmp_path)
    report_id = str(uuid.uuid4())
    _sync(bench.home, "add", str(bench.revision_file(report_id, 1, 8, category="C")))
    assert _sync(bench.home, "now")[0] == 0
    second = bench.revision_file(report_id, 2, 8, category="B")
    environ = {**os.environ, "BENCH_AGENT_HOME": str(bench.home)}
    for argv in (["add", str(second)], ["now", "--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "bench_agent", "sync", *argv],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == [f"{report_id}#2"]
    assert _current(server, report_id) == (2, "B", [(1, False), (2, True)])
    assert [row[1:3] for row in bench.outbox_rows()] == [
        (f"{report_id}#1", "sent"),
        (f"{report_id}#2", "sent"),
    ]


def test_an_outbox_from_before_revisions_is_sent_then_revised(
    server: Running, tmp_path: Path
) -> None:
    """A bench updated with a report still waiting in its old outbox file (keyed by the
    plain report id, signed without a revision): sent as revision 1, then revision 2."""
    bench = Bench(server, tmp_path)
    report_id = str(uuid.uuid4())
    old = json.loads(bench.revision_file(report_id, 1, 9, category="C").read_text())
    old.pop("revision")
    write_v0_outbox(bench.home / "outbox.sqlite", [(bench.key.sign(old), "pending")])
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{report_id}#1"]
    _sync(bench.home, "add", str(bench.revision_file(report_id, 2, 9, category="A")))
    code, out, err = _sync(bench.home, "now", "--json")
    assert code == 0, err
    assert json.loads(out)["sent"] == [f"{report_id}#2"]
    assert _current(server, report_id) == (2, "A", [(1, False), (2, True)])


def test_a_revision_of_another_benchs_report_is_rejected_and_kept(
    server: Running, tmp_path: Path
) -> None:
    # Report ids are a tenant's own: the intruder is another bench of the same tenant.
    owner = Bench(server, tmp_path, "owner")
    intruder = Bench(server, tmp_path, "intruder", tenant=owner.tenant)
    report_id = str(uuid.uuid4())
    _sync(owner.home, "add", str(owner.revision_file(report_id, 1, 10, category="B")))
    assert _sync(owner.home, "now")[0] == 0
    _sync(intruder.home, "add", str(intruder.revision_file(report_id, 2, 10, category="D")))
    code, out, _ = _sync(intruder.home, "now")
    assert code == 1 and "REFUSÉ" in out and "409 report_of_another_bench" in out
    ((_, item_id, state, _, status, _),) = intruder.outbox_rows()
    assert (item_id, state, status) == (f"{report_id}#2", "rejected", 409)
    assert _current(server, report_id) == (1, "B", [(1, True)])


def test_sync_stores_the_network_trust_and_verify_then_trusts_the_bench(
    server: Running, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    bench = Bench(server, tmp_path)  # `sync configure`: first contact
    trust = bench.home / "trust"
    assert sorted(p.name for p in trust.iterdir()) == ["key-statement.json", "network-key.pub"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in trust.iterdir())
    statement = json.loads((trust / "key-statement.json").read_text())["payload"]
    assert statement["bench"] == bench.name and statement["fingerprint"] == bench.key.fingerprint
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {**certificate_payload(str(uuid.uuid4()), DRIVES[0]), "ended_at": now}
    cert = bench.home / "now.json"
    cert.write_bytes(sign_certificate(bench.key, payload))
    env = Environment(
        stdout=io.StringIO(), stderr=io.StringIO(), environ={"BENCH_AGENT_HOME": str(bench.home)}
    )
    assert main(["verify", str(cert)], env=env) == 0, env.stdout.getvalue()  # type: ignore[attr-defined]
    # Each sync refreshes it; a network key that changed is refused, the stored one kept.
    (trust / "key-statement.json").unlink()
    code, _, err = _sync(bench.home, "now")
    assert code == 0, err
    assert (trust / "key-statement.json").exists()
    other = BenchKey.generate()
    from wipe.signing import public_key_pem

    (trust / "network-key.pub").write_text(public_key_pem(other.public_raw))
    code, out, _ = _sync(bench.home, "now")
    assert code == 0 and "autre clé du réseau" in out
    assert (trust / "network-key.pub").read_text() == public_key_pem(other.public_raw)
