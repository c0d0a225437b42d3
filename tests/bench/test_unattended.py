"""The unattended run, as the stick starts it: `python -m bench_agent` on real loop devices
(root, CI). Every drive the site names is erased with no keyboard (read back: no canary
left), each certificate verifies, the report is signed and labelled, the evidence waits
in the outbox when sending is not set up; a refused drive or an unerased internal disk
is exit 1; a run killed mid-erasure resumes from its checkpoint when started again."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench.unattended_helpers import (
    X1,
    command,
    environ,
    sitting,
    unattended,
    write_site,
    x1_without_its_disk,
)
from tests.wipe.wipe_helpers import Loop, loop_factory, surviving_canaries
from wipe.certificate import verify_certificate

__all__ = ["loop_factory"]  # the fixture, used by name below

pytestmark = [pytest.mark.root, pytest.mark.loop]


def certificates(home: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((home / "certificates").glob("erasure-*.json")):
        check = verify_certificate(path)
        assert check.ok, (path, check)
        found.append(check.payload)
    return found


def test_bench_agent_alone_erases_labels_and_keeps_the_evidence_for_later(
    tmp_path: Path, loop_factory: Callable[..., Loop]
) -> None:
    disks = [loop_factory(8 << 20, name=f"unit-{i}") for i in range(2)]
    home = tmp_path / "home"
    host = x1_without_its_disk(tmp_path)
    write_site(home, [d.device for d in disks])

    # `bench-agent` with no subcommand: the site says unattended.
    run = unattended(home, host, subcommand=False)
    assert run.code == 0, run.out + run.err
    lines = run.out.splitlines()
    assert all(len(line) <= 80 for line in lines), [x for x in lines if len(x) > 80]
    assert "Ordinateur : Lenovo ThinkPad X1 Carbon 5th, n° de série PF0QMY5N" in lines
    for d in disks:
        assert any(x.startswith(f"Effacement de {d.device} (loop device, 8,4 Mo)") for x in lines)
        assert f"{d.device} : ERASED" in lines
        assert surviving_canaries(d.backing) == []
    assert any(x.startswith("Non testés (à faire par un technicien) : Clavier") for x in lines)
    assert "Catégorie : NON DISTRIBUABLE — rapport signé, révision 1." in lines
    assert any(x.startswith("Étiquette prête (PDF") for x in lines)
    assert any(x.startswith("Envoi non configuré") for x in lines), lines
    assert lines[-2:] == [
        "Terminé (code 0) : 2 disque(s) effacé(s), catégorie NON DISTRIBUABLE, en attente",
        "  d'envoi (3 document(s)).",
    ]

    # Two signed certificates, in the site's operator's name; the report names the site.
    payloads = certificates(home)
    assert sorted(p["media"]["device_path"] for p in payloads) == sorted(d.device for d in disks)
    assert all(p["result"] == "ERASED" for p in payloads)
    assert all(p["operator"] == {**p["operator"], "name": "automate (poste 3)"} for p in payloads)
    assert all(p["operator"]["location"] == "GR" for p in payloads)
    record = sitting(home)
    report = json.loads((home / f"reports/{record['report_id']}.json").read_text())
    assert report["payload"]["bench"]["site"] == "GR"
    assert report["payload"]["bench"]["technician"] == "automate (poste 3)"
    assert len(list((home / "labels").glob("*.pdf"))) == 1
    log = (home / "bench.log").read_text(encoding="utf-8")
    assert f"unattended: {disks[0].device} : ERASED" in log

    # Started again on the same laptop: nothing is erased or signed twice.
    again = unattended(home, host, cmdline="bench.after=poweroff")
    assert again.code == 0, again.out + again.err
    assert "Reprise de la séance en cours sur cet ordinateur." in again.out
    assert f"{disks[0].device} : déjà traité dans cette séance (ERASED)." in again.out
    assert "Étiquette déjà faite pour cette révision." in again.out
    # A recorded laptop is never the machine to switch off.
    assert "Simulation : l'ordinateur n'est pas éteint" in again.out
    assert len(certificates(home)) == 2
    assert sitting(home)["saved_revision"] == 1

    # after = wait: stays (retrying the outbox) until told to stop; then its exit code.
    child = subprocess.Popen(
        command(host),
        env=environ(home, "bench.after=wait"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    waited = _wait_for(child, "En attente : éteignez l'ordinateur")
    assert child.poll() is None
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, waited + out + err


def _wait_for(child: subprocess.Popen[str], text: str, timeout: float = 60) -> str:
    assert child.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        seen += line
        if text in line:
            return seen
        if not line and child.poll() is not None:
            break
    raise AssertionError(f"never printed {text!r}: {seen}")


@pytest.fixture
def read_only_loop(tmp_path: Path) -> Iterator[Loop]:
    backing = tmp_path / "read-only.img"
    backing.write_bytes(b"donor data " * 100_000)
    device = subprocess.run(
        ["losetup", "--find", "--show", "--read-only", str(backing)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        yield Loop(device, backing, backing.stat().st_size)
    finally:
        subprocess.run(["losetup", "-d", device], check=False, capture_output=True)


def test_a_refused_drive_or_an_unerased_internal_disk_is_exit_1(
    tmp_path: Path, loop_factory: Callable[..., Loop], read_only_loop: Loop
) -> None:
    disk = loop_factory(8 << 20, name="unit")
    home = tmp_path / "home"
    write_site(home, [disk.device, read_only_loop.device])
    # The X1 as recorded: its own NVMe drive is not among the drives this site erases.
    run = unattended(home, X1)
    assert run.code == 1, run.out + run.err
    out = " ".join(run.out.split())
    assert f"REFUSÉ {read_only_loop.device} : disque en lecture seule" in out
    assert f"{disk.device} : ERASED" in out
    assert surviving_canaries(disk.backing) == []
    assert read_only_loop.backing.read_bytes() == b"donor data " * 100_000
    assert "PROBLÈME : disque nvme0n1 : pas effacé" in out
    assert "Étiquette refusée : disque nvme0n1 : pas effacé" in out
    assert f"PROBLÈME : {read_only_loop.device} : non effacé (refusé)." in out
    # The evidence is kept all the same: the report is signed, the certificate queued.
    assert "rapport signé, révision 1" in out
    assert "Terminé (code 1) : 1 disque(s) effacé(s)" in out


def test_a_recorded_laptop_without_named_drives_erases_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "site.toml").write_text("[unattended]\nenabled = true\nafter = 'exit'\n")
    run = unattended(home, X1)
    assert run.code == 2, run.out + run.err
    assert "nommez les disques à effacer (erase_only)" in " ".join(run.out.split())
    assert not (home / "certificates").exists()


def test_killed_mid_erasure_then_started_again_it_resumes_and_finishes(
    tmp_path: Path, loop_factory: Callable[..., Loop]
) -> None:
    disk = loop_factory(1 << 30, name="donor")
    home = tmp_path / "home"
    host = x1_without_its_disk(tmp_path)
    write_site(home, [disk.device])
    child = subprocess.Popen(
        command(host), env=environ(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    journal = home / "erasure-journal.jsonl"
    deadline = time.monotonic() + 120
    # A power cut right after the first checkpoint of the write pass reached the journal.
    while time.monotonic() < deadline and child.poll() is None:
        if journal.exists() and b'"checkpoint"' in journal.read_bytes():
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == -9, err.decode()[-2000:]
    assert sitting(home)["erase_started"] == [disk.device]

    run = unattended(home, host)
    assert run.code == 0, run.out + run.err
    out = " ".join(run.out.split())
    assert "Reprise de la séance en cours sur cet ordinateur." in out
    assert "(reprise " in out  # the plan resumes from the checkpoint
    assert f"Effacement interrompu enregistré : {disk.device}" in out
    assert f"{disk.device} : ERASED" in out
    assert surviving_canaries(disk.backing) == []
    assert sitting(home)["erase_started"] == []
    results = sorted(str(p["result"]) for p in certificates(home))
    assert results == ["ERASED", "INTERRUPTED"]
