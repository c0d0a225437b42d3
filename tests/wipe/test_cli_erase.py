"""The erase / verify / journal commands, in-process, on real loop devices."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from wipe_helpers import surviving_canaries

from bench_agent.cli import main
from bench_agent.context import Environment
from wipe.certificate import verify_certificate
from wipe.signing import BenchKey


def _run(argv: list[str], home: Path, lang: str = "fr") -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(home), "LANG": "fr_FR.UTF-8" if lang == "fr" else "C"},
        lang=lang,
    )
    code = main(argv, env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.mark.root
@pytest.mark.loop
def test_erase_verify_journal_end_to_end(loop_factory, tmp_path: Path) -> None:
    a = loop_factory(16 << 20, name="a")
    b = loop_factory(16 << 20, name="b")
    home = tmp_path / "home"
    code, out, err = _run(
        [
            "erase",
            a.device,
            b.device,
            "--method",
            "dod-3pass",
            "--yes-i-know",
            "--json",
            "--asset-tag",
            "LCT-42",
            "--operator",
            "Amina",
            "--contact",
            "atelier@example.org",
        ],
        home,
    )
    assert code == 0, err
    results = json.loads(out)
    assert [r["result"] for r in results] == ["ERASED", "ERASED"]
    assert surviving_canaries(a.backing) == [] and surviving_canaries(b.backing) == []
    assert (home / "bench-key.pem").stat().st_mode & 0o777 == 0o600
    cert = Path(results[0]["certificate"])
    assert cert.parent == home / "certificates"
    signed = json.loads(cert.read_text())["payload"]
    assert signed["operator"]["name"] == "Amina"
    assert signed["operator"]["contact"] == "atelier@example.org"
    assert signed["media"]["asset_tag"] == "LCT-42"
    assert signed["source_computer"]["hostname"]

    # Before any sync the bench holds no network key: signature correct, key not trusted;
    # its own key given directly makes it valid.
    code, out, _ = _run(["verify", str(cert)], home)
    assert code == 3 and "Signature correcte, clé NON RECONNUE" in out
    own = json.loads(cert.read_text())["signature"]["public_key"]
    code, out, _ = _run(["verify", str(cert), "--public-key", own], home)
    assert code == 0 and "Certificat VALIDE" in out
    # Both certificates wait in the outbox, byte for byte as written, for `sync now`.
    code, out, _ = _run(["sync", "status", "--json"], home)
    waiting = json.loads(out)["pending"]
    assert sorted(w["id"] for w in waiting) == sorted(
        json.loads(Path(r["certificate"]).read_text())["payload"]["certificate_id"] for r in results
    )
    assert {w["kind"] for w in waiting} == {"certificate"}
    # The unit report's summary of a real certificate says what the certificate says.
    from bench_agent.unit import summarize_certificate

    summary = summarize_certificate(signed)
    assert summary.certificate_id == signed["certificate_id"]
    assert (summary.result, summary.level, summary.method) == ("ERASED", "clear", "dod-3pass")
    assert summary.device == a.device and summary.verification == "last: passed"
    for hostile in ({}, {"certificate_id": "x", "result": "MAYBE"}, {"certificate_id": 3}):
        with pytest.raises(ValueError):
            summarize_certificate(hostile)
    doc = json.loads(cert.read_text())
    doc["payload"]["sanitization"]["level"] = "purge"  # claim more than was achieved
    cert.write_text(json.dumps(doc))
    code, out, _ = _run(["verify", str(cert)], home, lang="en")
    assert code == 1
    assert "Certificate INVALID" in out and "altered sections: sanitization" in out

    code, out, _ = _run(["journal", "verify"], home)
    assert code == 0 and "Journal INTACT" in out
    journal = home / "erasure-journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    code, out, _ = _run(["journal", "verify", "--json"], home)
    assert code == 1
    assert json.loads(out)["valid"] is False


@pytest.mark.root
@pytest.mark.loop
def test_dry_run_and_refusals(loop_factory, tmp_path: Path) -> None:
    a = loop_factory(8 << 20, name="a")
    home = tmp_path / "home"
    code, out, err = _run(["erase", a.device, "--method", "zero", "--dry-run"], home, lang="en")
    assert code == 0, err
    assert "DRY_RUN" in out and "DRY RUN" in out
    assert len(surviving_canaries(a.backing)) > 50
    _, status, _ = _run(["sync", "status", "--json"], home)
    assert json.loads(status)["counts"]["pending"] == 0  # a dry run is not evidence

    # Not a TTY and no --yes-i-know: refused before anything is written.
    code, _, err = _run(["erase", a.device, "--method", "zero"], home, lang="en")
    assert code == 2 and "--yes-i-know" in err
    assert len(surviving_canaries(a.backing)) > 50

    # One refused disk in the selection: nothing is erased at all.
    code, _, err = _run(["erase", a.device, "/dev/vda", "--method", "zero", "--yes-i-know"], home)
    assert code == 1
    assert "REFUSÉ /dev/vda" in err and "Aucun disque n'a été effacé" in err
    assert len(surviving_canaries(a.backing)) > 50


def test_list_json_marks_system_disk(tmp_path: Path) -> None:
    code, out, _ = _run(["erase", "--list", "--json"], tmp_path)
    assert code == 0
    disks = json.loads(out)
    assert disks and all("refusals" in d and "serial" in d for d in disks)


def test_bad_method_and_verification_are_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nverification = "last"\n[[passes]]\npattern = "maybe"\n')
    code, _, err = _run(["erase", "/dev/null", "--method", str(bad)], tmp_path, lang="en")
    assert code == 2 and "bad.toml:4" in err and "pattern" in err
    code, _, err = _run(["erase", "/dev/null", "--verify", "sampled:200"], tmp_path)
    assert code == 2 and "sampled" in err
    code, _, err = _run(["erase"], tmp_path)
    assert code == 2


def test_verify_garbage_file(tmp_path: Path) -> None:
    f = tmp_path / "cert.json"
    f.write_bytes(b"\x00\xffnot json")
    code, out, _ = _run(["verify", str(f)], tmp_path, lang="en")
    assert code == 1 and "not valid JSON" in out
    code, out, _ = _run(["verify", str(tmp_path / "missing.json")], tmp_path, lang="en")
    assert code == 1 and "cannot read" in out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.root
@pytest.mark.loop
def test_interactive_confirmation_by_serial(loop_factory, tmp_path: Path, monkeypatch) -> None:
    a = loop_factory(8 << 20, name="a")
    token = Path(a.device).name  # a loop device has no serial: its name stands in
    home = tmp_path / "home"
    monkeypatch.setattr("sys.stdin", _Tty("WRONG\n"))
    code, out, err = _run(["erase", a.device, "--method", "zero"], home, lang="en")
    assert code == 1 and "Not confirmed" in err
    assert f"serial {token}" in out
    assert len(surviving_canaries(a.backing)) > 50

    monkeypatch.setattr("sys.stdin", _Tty(token[-4:] + "\n"))
    code, out, err = _run(["erase", a.device, "--method", "zero"], home, lang="en")
    assert code == 0, err
    assert surviving_canaries(a.backing) == []


def test_certificate_pdf_from_signed_json(tmp_path: Path) -> None:
    """A PDF is rendered from a valid certificate (made on a plain file) and refused if altered."""
    from wipe.engine import EraseContext, EraseRequest, erase_device
    from wipe.journal import Journal
    from wipe.methods import load_method, parse_verification
    from wipe.policy import load_policy
    from wipe.signing import BenchKey
    from wipe.targets import Target

    drive = tmp_path / "drive.img"
    drive.write_bytes(b"secret" * 100_000)
    key = BenchKey.generate()
    ctx = EraseContext(
        key=key,
        journal=Journal(tmp_path / "j.jsonl", key),
        cert_dir=tmp_path / "certs",
        policy=load_policy(),
    )
    target = Target(
        name="drive",
        device_path=str(drive),
        model="ST500LM021",
        serial="W3T1ABCD",
        size_bytes=drive.stat().st_size,
        transport="sata",
        rotational=True,
        media="hdd",
        vendor="Seagate",
    )
    out = erase_device(
        EraseRequest(
            target=target,
            method=load_method("random"),
            verification=parse_verification("all"),
            confirmed=True,
            asset_tag="LCT-7",
        ),
        ctx,
    )
    assert out.result == "ERASED"
    pdf = tmp_path / "cert.pdf"
    code, _, err = _run(["certificate", str(out.certificate_path), "-o", str(pdf)], tmp_path)
    assert code == 0, err
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 2000
    doc = json.loads(out.certificate_path.read_text())
    doc["payload"]["media"]["serial"] = "SOMEONE-ELSE"
    out.certificate_path.write_text(json.dumps(doc))
    code, _, err = _run(["certificate", str(out.certificate_path), "-o", str(pdf)], tmp_path)
    assert code == 1 and "media" in err


@pytest.mark.root
@pytest.mark.loop
def test_resume_after_a_kill(loop_factory, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from test_resume import KILLED_RUN, REPO

    from wipe.signing import BenchKey

    loop = loop_factory(16 << 20, name="r")
    home = tmp_path / "home"
    BenchKey.load_or_create(home / "bench-key.pem")
    code_text = KILLED_RUN.format(
        repo=str(REPO),
        key=str(home / "bench-key.pem"),
        journal=str(home / "erasure-journal.jsonl"),
        certs=str(home / "certificates"),
        drive=loop.device,
        size=loop.size_bytes,
    )
    proc = subprocess.run([sys.executable, "-c", code_text], capture_output=True, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]

    code, out, err = _run(
        ["erase", loop.device, "--method", "zero", "--resume", "--yes-i-know"], home, lang="en"
    )
    assert code == 1 and "used method 'dod-3pass'" in err
    assert "Interrupted session recorded" in err  # the first run after a kill records it
    code, out, err = _run(
        ["erase", loop.device, "--method", "dod-3pass", "--resume", "--yes-i-know", "--json"],
        home,
        lang="en",
    )
    assert code == 0, err
    assert "Resuming" in err and "Interrupted session recorded" not in err  # recorded once
    (result,) = json.loads(out)
    assert result["result"] == "ERASED"
    payload = json.loads(Path(result["certificate"]).read_text())["payload"]
    assert payload["method"]["resumed_from"]["pass_index"] == 1
    assert surviving_canaries(loop.backing) == []


class _TtyOut(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.root
@pytest.mark.loop
def test_live_progress_lines_on_a_tty_and_human_list(loop_factory, tmp_path: Path) -> None:
    a = loop_factory(64 << 20, name="a")
    env = Environment(
        stdout=_TtyOut(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(tmp_path)},
        lang="fr",
    )
    assert main(["erase", a.device, "--method", "zero", "--yes-i-know"], env=env) == 0
    lines = env.stdout.getvalue().splitlines()  # type: ignore[attr-defined]
    progress = [ln for ln in lines if ln.startswith(a.device + " ")]
    assert progress, lines
    assert any(" écriture 1/1 100 % " in ln and " Mo/s reste " in ln for ln in progress)
    assert any(" vérif. 1/1 " in ln for ln in progress)
    assert all(len(ln) <= 80 for ln in progress)  # the app's line, fits the console
    assert "Résumé :" in lines

    code, out, _ = _run(["erase", "--list"], tmp_path)
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["PÉRIPHÉRIQUE", "TAILLE", "TYPE"]
    row = next(ln for ln in out.splitlines() if ln.startswith(a.device + " "))
    assert "effaçable" in row and "loop device" in row
    assert not any(" 0 o " in ln for ln in out.splitlines())  # no medium: hidden by default
    _, everything, _ = _run(["erase", "--list", "--all"], tmp_path)
    assert len(everything.splitlines()) >= len(out.splitlines()) - 1
    vda = next((ln for ln in out.splitlines() if ln.startswith("/dev/vda ")), None)
    if vda is not None:
        assert "disque de démarrage" in vda


def test_progress_line_in_both_languages() -> None:
    """The command prints the bench's progress line (the app's too)."""
    from bench_agent.bench.erasure import duration_text, progress_text
    from wipe.overwrite import Progress

    p = Progress("/dev/sdb", "verify", 1, 3, 250, 1000, 95e6, 7530.0, error_ranges=2)
    line = progress_text(p)
    assert line.fr == "/dev/sdb vérif. 2/3  25 % 95 Mo/s reste 2 h 05 min — 2 zone(s) en erreur"
    assert line.en == "/dev/sdb verify 2/3  25 % 95 MB/s left 2 h 05 min — 2 error range(s)"
    assert [duration_text(s) for s in (0.4, 59, 60, 725, 3599.6, 86400)] == [
        "0 s",
        "59 s",
        "1 min 00 s",
        "12 min 05 s",
        "1 h 00 min",
        "24 h 00 min",
    ]


def test_verify_hostile_files(tmp_path: Path) -> None:
    nested = tmp_path / "nested.json"
    nested.write_bytes(b"[" * 200_000)
    code, out, _ = _run(["verify", str(nested)], tmp_path, lang="en")
    assert code == 1 and "Certificate INVALID" in out
    wrong_shape = tmp_path / "list.json"
    wrong_shape.write_text('[{"payload": {}, "signature": {}}]')
    code, out, _ = _run(["verify", str(wrong_shape)], tmp_path, lang="en")
    assert code == 1 and "not a signed envelope" in out
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(17 << 20)
    code, out, _ = _run(["verify", str(big)], tmp_path, lang="en")
    assert code == 1 and "too large" in out


def test_certificate_with_nan_is_invalid_not_a_crash() -> None:
    key = BenchKey.generate()
    env = key.sign({"schema": "x", "result": "FAILED", "media": {"serial": "A"}})
    raw = json.dumps(env).replace('"serial": "A"', '"serial": NaN')
    check = verify_certificate(raw.encode())
    assert not check.ok
    assert check.problems_en


@pytest.mark.root
@pytest.mark.loop
def test_auto_method_follows_the_policy(loop_factory, tmp_path: Path) -> None:
    a = loop_factory(16 << 20, name="auto")
    code, out, err = _run(["erase", a.device, "--yes-i-know", "--json"], tmp_path, lang="en")
    assert code == 0, err
    (result,) = json.loads(out)
    payload = json.loads(Path(result["certificate"]).read_text())["payload"]
    # A loop device is media "unknown": policy = no firmware, one verified random pass.
    assert payload["method"]["overwrite"]["name"] == "random"
    assert payload["method"]["firmware"] is None
    assert payload["verification"]["mode"] == "last"
    assert payload["result"] == "ERASED" and payload["sanitization"]["level"] == "clear"
    assert surviving_canaries(a.backing) == []


@pytest.mark.root
@pytest.mark.loop
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_ends_aborted_with_a_certificate(
    loop_factory, tmp_path: Path, signame: str
) -> None:
    """A service manager stopping the station (SIGTERM) or a closed terminal (SIGHUP):
    the run stops at the next block and signs an ABORTED certificate; the journal holds."""
    import signal
    import subprocess
    import sys
    import time

    from wipe.certificate import verify_certificate
    from wipe.journal import verify_journal

    loop = loop_factory(256 << 20, name="t")
    home = tmp_path / "home"
    journal = home / "erasure-journal.jsonl"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench_agent", "erase", loop.device),
            *("--method", "dod-7pass", "--yes-i-know", "--json"),
        ],
        env={"BENCH_AGENT_HOME": str(home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and '"pass-start"' in journal.read_text():
            break
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, signame))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err.decode()[-2000:]
    (result,) = json.loads(out)
    assert result["result"] == "ABORTED", result
    check = verify_certificate(Path(result["certificate"]))
    assert check.ok
    assert verify_journal(journal).ok
    assert "session-end" in journal.read_text()  # closed, not left interrupted


def test_journal_verify_checks_origin_with_the_bench_key(tmp_path: Path) -> None:
    """A journal rebuilt from end to end with another key is consistent in itself; with
    the bench's own key the command sees that it is not this bench's journal."""
    from wipe.journal import Journal
    from wipe.signing import BenchKey

    home = tmp_path / "home"
    bench = BenchKey.load_or_create(home / "bench-key.pem")
    Journal(home / "erasure-journal.jsonl", bench).append("session-start", {"session_id": "a"})
    code, out, _ = _run(["journal", "verify"], home)
    assert code == 0 and "signé par la clé de ce banc" in out

    forged = home / "forged.jsonl"
    Journal(forged, BenchKey.generate()).append("session-start", {"session_id": "a"})
    code, out, _ = _run(["journal", "verify", "--journal", str(forged)], home)
    assert code == 1 and "Journal ALTÉRÉ" in out
    code, out, _ = _run(["journal", "verify", "--journal", str(forged), "--json"], tmp_path / "x")
    assert code == 0 and json.loads(out)["origin_checked"] is False  # no bench key here


# ---------------------------------------------------------------- the unit the disks belong to

X1 = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"


def _x1_with_disk(device: str) -> Any:
    """The recorded ThinkPad X1's inventory, its internal disk being ``device`` (what the
    inventory reads on a unit whose disk is that loop device)."""
    from bench_agent.host.recorded import RecordedHost
    from bench_agent.inventory import collect_inventory
    from bench_agent.model.inventory import Disk

    inv = collect_inventory(RecordedHost(X1))
    inv.disks = [Disk(name=Path(device).name, path=device, capacity_bytes=16 << 20)]
    return inv


def _pdf_text(pdf: Path) -> str:
    import subprocess

    from support.requirements import require_program

    out = subprocess.run(
        [require_program("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def _payload(path: Path, home: Path) -> dict[str, Any]:
    from wipe.signing import BenchKey, verify_envelope

    trusted = BenchKey.load(home / "bench-key.pem").public_raw
    payload: dict[str, Any] = verify_envelope(json.loads(path.read_bytes()), trusted)
    return payload


@pytest.mark.root
@pytest.mark.loop
def test_erase_with_report_attaches_the_certificate_and_the_label_says_so(
    loop_factory, tmp_path: Path
) -> None:
    """`erase --report`: the certificate goes into a new signed revision of the unit's
    report (graded again: the erasure gate is lifted), and `label --report` on it says
    the disk is erased — it said "Effacement : aucun"."""
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.reports import save_revision
    from bench_agent.unit import build_report

    a = loop_factory(16 << 20, name="unit")
    home = tmp_path / "home"
    report = build_report(_x1_with_disk(a.device), asset_tag="LCT-0042-7")
    path = save_revision(BenchPaths(home), report).path  # what inventory --save writes
    report_id = report.report_id
    code, _, err = _run(["grade", "--report", str(path), "--save"], home)
    assert code == 1 and "révision 2" in err
    assert "erasure.missing" in {r["rule"] for r in _payload(path, home)["grade"]["rules"]}

    code, out, err = _run(
        ["erase", a.device, "--report", str(path), "--method", "zero", "--yes-i-know", "--json"],
        home,
    )
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["result"] == "ERASED" and surviving_canaries(a.backing) == []
    assert f"Certificats joints au rapport : {path} (révision 3)" in err
    cert = json.loads(Path(result["certificate"]).read_text())["payload"]
    assert cert["media"]["asset_tag"] == "LCT-0042-7"  # the unit's id, from the report
    assert cert["source_computer"]["model"] == "ThinkPad X1 Carbon 5th"

    payload = _payload(path, home)
    assert (payload["report_id"], payload["revision"]) == (report_id, 3)
    (erased,) = payload["erasures"]
    assert (erased["certificate_id"], erased["result"]) == (cert["certificate_id"], "ERASED")
    assert erased["device"] == a.device
    rules = {r["rule"] for r in payload["grade"]["rules"]}
    assert not rules & {"erasure.missing", "erasure.not_erased"}  # graded again
    revisions = home / "reports" / "revisions"
    assert sorted(p.name for p in revisions.iterdir()) == [
        f"{report_id}.r{n}.json" for n in (1, 2, 3)
    ]
    _, status, _ = _run(["sync", "status", "--json"], home)
    assert {w["id"] for w in json.loads(status)["pending"]} == {
        cert["certificate_id"],
        *(f"{report_id}#{n}" for n in (1, 2, 3)),
    }

    pdf = tmp_path / "label.pdf"
    code, _, err = _run(["label", "--report", str(path), "-o", str(pdf)], home)
    assert code == 0, err
    text = _pdf_text(pdf)
    assert "Effacé ✓ NIST Clear" in text and "Effacement : aucun" not in text
    old = tmp_path / "label-r1.pdf"
    assert (
        _run(["label", "--report", str(revisions / f"{report_id}.r1.json"), "-o", str(old)], home)[
            0
        ]
        == 0
    )
    assert "Effacement : aucun" in _pdf_text(old)  # revision 1 still says what it said


@pytest.mark.root
@pytest.mark.loop
def test_erase_with_sitting_attaches_to_the_unit_on_the_bench(loop_factory, tmp_path: Path) -> None:
    """`erase --sitting`: the certificate joins the sitting the app shows; `label
    --sitting` refuses the unit while its disk is not erased, then labels its saved
    revision."""
    from bench_agent.bench.paths import BenchPaths
    from bench_agent.bench.service import Bench
    from bench_agent.host.recorded import RecordedHost

    a = loop_factory(16 << 20, name="unit")
    disk = Path(a.device).name
    home = tmp_path / "home"
    paths = BenchPaths(home)
    environ = {"BENCH_AGENT_HOME": str(home)}
    bench = Bench.open(paths, RecordedHost(X1), None, environ)
    bench.update(inventory=_x1_with_disk(a.device), unit_id="LCT-0042-7")

    pdf = tmp_path / "label.pdf"
    code, out, err = _run(["label", "--sitting", "-o", str(pdf)], home)
    assert (code, out) == (1, "")
    assert err == (
        f"Étiquette refusée : disque {disk} : pas effacé ; "
        "rapport pas encore enregistré (étape 7)\n"
    )
    assert not pdf.exists()

    code, out, err = _run(
        ["erase", a.device, "--sitting", "--method", "zero", "--yes-i-know", "--json"], home
    )
    assert code == 0, err
    assert "Certificats joints à l'unité en cours (LCT-0042-7)." in err
    (result,) = json.loads(out)
    cert = json.loads(Path(result["certificate"]).read_text())["payload"]
    assert cert["media"]["asset_tag"] == "LCT-0042-7"
    assert cert["source_computer"]["serial"] == "PF0QMY5N"

    bench = Bench.open(paths, RecordedHost(X1), None, environ)  # what the app reloads
    (erased,) = bench.record.erasures
    assert (erased.certificate_id, erased.result) == (cert["certificate_id"], "ERASED")
    assert bench.save().revision == 1  # step 7 in the app

    code, out, err = _run(["label", "--sitting", "-o", str(pdf)], home)
    assert code == 0, err
    assert out == f"Étiquette écrite : {pdf} (révision 1)\n"
    assert "Effacé ✓ NIST Clear" in _pdf_text(pdf)
    bench = Bench.open(paths, RecordedHost(X1), None, environ)
    assert bench.record.label is not None and bench.record.label_revision == 1


@pytest.mark.root
@pytest.mark.loop
def test_erase_destination_is_on_the_certificate_and_its_pdf(loop_factory, tmp_path: Path) -> None:
    """`erase --destination destroy` signs the destination (default: reuse); the PDF says
    it in the certificate's language."""
    a = loop_factory(4 << 20, name="dest")
    home = tmp_path / "home"
    code, out, err = _run(
        [
            "erase",
            a.device,
            "--method",
            "zero",
            "--verify",
            "last",
            "--yes-i-know",
            "--json",
            "--destination",
            "destroy",
        ],
        home,
    )
    assert code == 0, err
    cert = Path(json.loads(out)[0]["certificate"])
    assert _payload(cert, home)["destination"] == "destroy"
    pdf = tmp_path / "c.pdf"
    code, _, err = _run(["certificate", str(cert), "-o", str(pdf)], home)
    assert code == 0, err
    assert "Destination destruction" in " ".join(_pdf_text(pdf).split())
    code, _, _ = _run(["erase", a.device, "--destination", "sell", "--yes-i-know"], home)
    assert code == 2  # argparse: not one of reuse, recycle, destroy
    code, out, err = _run(["erase", a.device, "--method", "zero", "--yes-i-know", "--json"], home)
    assert code == 0, err
    assert _payload(Path(json.loads(out)[0]["certificate"]), home)["destination"] == "reuse"
