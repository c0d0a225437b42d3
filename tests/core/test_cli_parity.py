"""Command-line parity on the same unit (issue 10, point 5): `grade`, `label` and `erase`
work on the report `inventory --save` (or the app) signed, and on the bench's sitting.

The erasures themselves (real loop devices) are in tests/wipe/test_cli_erase.py; here
the report side: the signed envelope is read, an override is a new signed revision of
the same report id (the old one kept), and a tampered report is refused everywhere."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench_agent.cli import main
from bench_agent.context import Environment
from wipe.signing import BenchKey, verify_envelope

HOST = Path(__file__).parents[1] / "fixtures" / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"


def run(home: Path, *argv: str, lang: str = "fr") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"BENCH_AGENT_HOME": str(home), "BENCH_AGENT_LANG": lang}
    code = main(list(argv), env=Environment(stdout=out, stderr=err, environ=environ))
    return code, out.getvalue(), err.getvalue()


def saved_report(home: Path) -> Path:
    """What `inventory --save` writes: revision 1, signed by the bench key."""
    code, _, err = run(home, "inventory", "--host-dir", str(HOST), "--save", "--asset-tag", "LCT-7")
    assert code == 0, err
    (path,) = (home / "reports").glob("*.json")
    return path


def payload_of(path: Path, home: Path) -> dict[str, object]:
    """The payload, its signature checked against this bench's key (origin, not only
    integrity)."""
    trusted = BenchKey.load(home / "bench-key.pem").public_raw
    payload = verify_envelope(json.loads(path.read_bytes()), trusted)
    assert isinstance(payload, dict)
    return payload


def outbox_ids(home: Path) -> list[str]:
    code, out, _ = run(home, "sync", "status", "--json")
    assert code == 0
    return sorted(item["id"] for item in json.loads(out)["pending"])


def test_inventory_save_writes_revision_1_through_the_revision_writer(tmp_path: Path) -> None:
    path = saved_report(tmp_path)
    payload = payload_of(path, tmp_path)
    report_id = payload["report_id"]
    assert path.name == f"{report_id}.json" and payload["revision"] == 1
    kept = tmp_path / "reports" / "revisions" / f"{report_id}.r1.json"
    assert kept.read_bytes() == path.read_bytes()
    assert outbox_ids(tmp_path) == [f"{report_id}#1"]


def test_grade_reads_the_signed_envelope(tmp_path: Path) -> None:
    """It failed with "missing required field `report_id`" (the file is an envelope)."""
    path = saved_report(tmp_path)
    code, out, err = run(tmp_path, "grade", "--report", str(path), "--json")
    assert "missing required field" not in err
    grade = json.loads(out)
    # The X1 is not erased and not tested: the profile's gates stop it (exit 1, a problem).
    assert (code, grade["category"]) == (1, "NOT_DISTRIBUTABLE")
    assert {r["rule"] for r in grade["rules"]} >= {"erasure.missing"}
    # The same unit as a plain report grades the same.
    _, plain, _ = run(tmp_path, "inventory", "--host-dir", str(HOST), "--json")
    (tmp_path / "plain.json").write_text(plain)
    code, out, _ = run(tmp_path, "grade", "--report", str(tmp_path / "plain.json"), "--json")
    assert (json.loads(out)["category"], json.loads(out)["note"]) == ("NOT_DISTRIBUTABLE", 7)
    assert grade["note"] == 7


def test_override_is_saved_as_revision_2_and_revision_1_is_kept(tmp_path: Path) -> None:
    path = saved_report(tmp_path)
    first = path.read_bytes()
    report_id = payload_of(path, tmp_path)["report_id"]
    code, out, err = run(
        tmp_path, "grade", "--report", str(path), "--save",
        "--override", "TO_REPAIR", "--reason", "charnière cassée", "--by", "Awa",
    )  # fmt: skip
    assert code == 1, err  # to repair: a problem found
    assert out.startswith("Catégorie : À RÉPARER")
    assert f"Rapport signé enregistré : {path} (révision 2" in err

    payload = payload_of(path, tmp_path)  # re-signed by this bench: the signature verifies
    assert (payload["report_id"], payload["revision"]) == (report_id, 2)
    grade = payload["grade"]
    assert isinstance(grade, dict)
    assert (grade["category"], grade["computed_category"]) == ("TO_REPAIR", "NOT_DISTRIBUTABLE")
    assert (grade["override"]["by"], grade["override"]["reason"]) == ("Awa", "charnière cassée")
    revisions = tmp_path / "reports" / "revisions"
    assert (revisions / f"{report_id}.r1.json").read_bytes() == first
    assert (revisions / f"{report_id}.r2.json").read_bytes() == path.read_bytes()
    assert payload_of(revisions / f"{report_id}.r1.json", tmp_path)["revision"] == 1
    assert outbox_ids(tmp_path) == [f"{report_id}#1", f"{report_id}#2"]

    # The erasure gate cannot be overridden: refused, nothing written.
    code, out, err = run(
        tmp_path, "grade", "--report", str(path), "--save",
        "--override", "A", "--reason", "pressé", "--by", "Awa", lang="en",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        "the erasure gate cannot be overridden (data protection): erase every internal disk first\n"
    )
    assert payload_of(path, tmp_path)["revision"] == 2
    assert not (revisions / f"{report_id}.r3.json").exists()

    # A label from the new revision says what it says.
    code, out, err = run(tmp_path, "label", "--report", str(path), "-o", str(tmp_path / "l.pdf"))
    assert code == 0, err
    code, out, _ = run(
        tmp_path, "label", "--report", str(path), "-o", str(tmp_path / "l.pdf"), "--json"
    )
    assert json.loads(out)["lines"][0].startswith("À RÉPARER")


def test_a_saved_revision_is_never_overwritten(tmp_path: Path) -> None:
    """Grading an older copy of revision 1 again after revision 2 exists makes revision 3."""
    path = saved_report(tmp_path)
    copy = tmp_path / "copy-r1.json"
    copy.write_bytes(path.read_bytes())
    report_id = payload_of(path, tmp_path)["report_id"]
    assert run(tmp_path, "grade", "--report", str(path), "--save", "--cosmetic", "B")[0] == 1
    assert run(tmp_path, "grade", "--report", str(copy), "--save", "--cosmetic", "C")[0] == 1
    assert payload_of(copy, tmp_path)["revision"] == 3
    revisions = sorted(p.name for p in (tmp_path / "reports" / "revisions").iterdir())
    assert revisions == [f"{report_id}.r{n}.json" for n in (1, 2, 3)]
    assert payload_of(path, tmp_path)["revision"] == 3  # the bench's newest follows
    assert payload_of(path, tmp_path)["cosmetic_grade"] == "C"


def test_a_plain_report_is_updated_in_place(tmp_path: Path) -> None:
    _, plain, _ = run(tmp_path, "inventory", "--host-dir", str(HOST), "--json")
    path = tmp_path / "plain.json"
    path.write_text(plain)
    code, _, err = run(tmp_path, "grade", "--report", str(path), "--save", "--cosmetic", "B")
    assert code == 1 and err == ""
    saved = json.loads(path.read_text())
    assert "signature" not in saved and saved["revision"] == 1
    assert saved["grade"]["cosmetic"] == "B"
    assert not (tmp_path / "reports").exists() and outbox_ids(tmp_path) == []


def test_a_tampered_report_is_refused_by_grade_label_and_erase(tmp_path: Path) -> None:
    path = saved_report(tmp_path)
    envelope = json.loads(path.read_text())
    envelope["payload"]["unit"]["serial"] = "SOMEONE-ELSE"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(envelope))
    refused = (
        f"Rapport signé refusé : {bad}\n"
        "  détail : signature does not verify: the document was altered\n"
    )
    assert run(tmp_path, "grade", "--report", str(bad)) == (1, "", refused)
    assert run(tmp_path, "grade", "--report", str(bad), "--save") == (1, "", refused)
    assert run(tmp_path, "label", "--report", str(bad), "-o", str(tmp_path / "x.pdf")) == (
        1,
        "",
        refused,
    )
    assert not (tmp_path / "x.pdf").exists()
    # erase reads the unit before any disk: nothing is listed, nothing is erased.
    code, out, err = run(tmp_path, "erase", "/dev/null", "--report", str(bad), "--yes-i-know")
    assert (code, out, err) == (1, "", refused)
    assert json.loads(bad.read_text()) == envelope  # nothing rewritten


def test_sitting_options_need_a_unit_on_the_bench(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "label", "--sitting", lang="en")
    assert (code, out) == (2, "")
    assert err.startswith("No unit in progress on this bench: start it in the app")
    code, _, err = run(tmp_path, "erase", "/dev/null", "--sitting", "--yes-i-know")
    assert code == 2 and err.startswith("Aucune unité en cours sur ce banc")
    assert not (tmp_path / "sittings").exists()  # no empty sitting was started


def test_help_of_the_parity_options_in_both_languages(tmp_path: Path) -> None:
    import contextlib

    for lang, words in (
        ("fr", ("nouvelle révision signée", "l'unité en cours sur le banc")),
        ("en", ("new signed revision", "the unit in progress on the bench")),
    ):
        for command in ("grade", "erase", "label"):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code, _, _ = run(tmp_path, "--lang", lang, command, "--help")
            assert code == 0
            text = " ".join(out.getvalue().split())
            assert "--report" in text
            if command == "grade":
                assert words[0] in text
            else:
                assert "--sitting" in text and words[1] in text
