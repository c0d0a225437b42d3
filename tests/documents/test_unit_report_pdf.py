"""The per-unit test report PDF (décret 2022-190 evidence), read back with poppler:
``pdftotext`` for what is written, ``pdffonts`` for the embedded fonts. Made through the
command a technician runs on a signed report file."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading.categories import category_name
from bench_agent.model import to_json
from bench_agent.model.common import Text
from bench_agent.model.health import DiskHealth
from bench_agent.model.inventory import Disk
from bench_agent.model.report import ErasureSummary, FunctionalTest, UnitReport
from tests.labels.test_labels import x1_report
from tests.support.requirements import require_program
from wipe.signing import BenchKey

ODD_NAMES = ("Łukasz Nguyễn", "<b>", "Tech R&D")


def pdf_text(pdf: Path) -> str:
    """The PDF's words, whitespace collapsed (table cells wrap where the column ends)."""
    out = subprocess.run(
        [require_program("pdftotext"), str(pdf), "-"], capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"BENCH_AGENT_LANG": "fr", "BENCH_AGENT_HOME": "/nonexistent"}
    env = Environment(stdout=out, stderr=err, environ=environ)
    return main(list(argv), env=env), out.getvalue(), err.getvalue()


def evidence_report() -> UnitReport:
    """The recorded ThinkPad X1 with what a real sitting leaves: tests by three people
    (odd names), one failed, two never run; a worn disk; a second disk whose erasure
    failed and a third with no certificate; the unit not distributable."""
    report = x1_report()
    report.bench.technician = "Łukasz Nguyễn"
    report.bench.bench_id = "GR-bench-2"
    tests = []
    for i, spec in enumerate(CATALOGUE[:-2]):
        tests.append(
            FunctionalTest(
                name=spec.name,
                result="fail" if spec.name == "speakers" else "pass",
                by=ODD_NAMES[i % 3],
                at=f"2026-11-26T08:{10 + i:02d}:00Z",
                comment="confirmé par le technicien" if spec.name == "keyboard" else None,
            )
        )
    report.functional_tests = tests
    nvme = report.inventory.disks[0]
    report.inventory.disks += [
        Disk(name="sda", path="/dev/sda", model="WDC WD5000LPCX-24VHAT0", serial="WX61A7"),
        Disk(name="sdb", path="/dev/sdb", model="SAMSUNG MZ7LN256HMJP", serial="S2X9NX0"),
    ]
    report.health = [
        DiskHealth(
            device=nvme.path,
            model=nvme.model,
            serial=nvme.serial,
            verdict="WORN",
            power_on_hours=21034,
            reason=Text(fr="usure 91 % (seuil 90 %)", en="wear 91% (limit 90%)"),
        )
    ]
    report.erasures.append(
        ErasureSummary(
            certificate_id="0b1c2d3e-0000-4000-8000-000000000002",
            device="/dev/sda",
            disk_model="WDC WD5000LPCX-24VHAT0",
            disk_serial="WX61A7",
            method="zero",
            level="none",
            result="FAILED",
            finished_at="2026-11-26T10:00:00Z",
            verification="last: failed",
            reason=Text(fr="erreurs d'écriture", en="write errors"),
        )
    )
    assert report.grade is not None
    report.grade.category = report.grade.computed_category = "NOT_DISTRIBUTABLE"
    return report


def signed_file(report: UnitReport, path: Path) -> Path:
    envelope = BenchKey.generate().sign(json.loads(to_json(report)))
    path.write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
    return path


WORDS = {
    "fr": {
        "title": "Rapport de tests de l'unité reconditionnée",
        "pass": "OK",
        "fail": "ÉCHEC",
        "untested": "NON TESTÉ",
        "worn": "USÉ",
        "erased": "Effacé et vérifié",
        "failed": "Échec de l'effacement",
        "none": "Aucun certificat d'effacement",
        "purge": "niveau Purge (NIST SP 800-88)",
        "nvme": "NVMe Sanitize, effacement cryptographique",
        "zero": "Une passe de zéros",
        "signed": "Rapport signé par la clé du banc",
        "comment": "confirmé par le technicien",
        "verification": "relecture de la dernière passe : échouée",
        "reason": "erreurs d'écriture",
        "health": "usure 91 % (seuil 90 %)",
        "cpu": "Processeur : Intel(R) Core(TM) i7-7500U",
    },
    "en": {
        "title": "Test report of the refurbished unit",
        "pass": "PASS",
        "fail": "FAIL",
        "untested": "NOT TESTED",
        "worn": "WORN",
        "erased": "Erased and verified",
        "failed": "Erasure failed",
        "none": "No erasure certificate",
        "purge": "Purge level (NIST SP 800-88)",
        "nvme": "NVMe Sanitize, crypto erase",
        "zero": "One pass of zeros",
        "signed": "Report signed by the bench key",
        "comment": "confirmed by the technician",
        "verification": "read-back of the last pass: failed",
        "reason": "write errors",
        "health": "wear 91% (limit 90%)",
        "cpu": "CPU: Intel(R) Core(TM) i7-7500U",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_function_result_who_when_disk_health_erasure_and_category(
    lang: str, tmp_path: Path
) -> None:
    report = evidence_report()
    source = signed_file(report, tmp_path / "report.json")
    pdf = tmp_path / f"report-{lang}.pdf"
    code, out, err = run_cli("report-pdf", str(source), "-o", str(pdf), "--lang", lang)
    assert (code, err) == (0, ""), err
    assert f"PDF écrit : {pdf}" in out
    words = WORDS[lang]
    text = pdf_text(pdf)
    for key in ("title", "signed", "comment", "verification", "reason", "health", "cpu"):
        assert words[key] in text, key
    # Every function of the catalogue with its result, who and when (or "not tested").
    for i, spec in enumerate(CATALOGUE):
        title = spec.title.get(lang)
        if i < len(CATALOGUE) - 2:
            result = words["fail"] if spec.name == "speakers" else words["pass"]
            row = f"{title} {result} {ODD_NAMES[i % 3]} 2026-11-26 08:{10 + i:02d} UTC"
        else:
            row = f"{title} {words['untested']}"
        assert row in text, row
    assert f"{words['worn']} " in text and "21034" in text
    # Erasure, disk by disk: the certificate's facts, a failed one, a disk with none.
    assert "S/N S35ANX0J401001" in text and words["nvme"] in text
    assert f"{words['erased']} {words['purge']}" in text
    assert "S/N WX61A7" in text and words["zero"] in text and words["failed"] in text
    assert "S/N S2X9NX0" in text and words["none"] in text
    # The category in words with its explanation.
    assert category_name("NOT_DISTRIBUTABLE").get(lang) in text
    assert report.grade is not None
    for hit in report.grade.rules:
        assert hit.message.get(lang) in text
    assert "Łukasz Nguyễn" in text
    # No raw code reaches the reader.
    for code_word in ("NOT_DISTRIBUTABLE", "ERASED", "FAILED", "nvme-sanitize-crypto", " n/a "):
        assert code_word not in text, code_word
    assert "0b1c2d3e-0000-4000-8000-000000000002" in text  # the certificate, whole


def test_odd_names_print_exactly_with_embedded_fonts(tmp_path: Path) -> None:
    report = evidence_report()
    report.bench.technician = "<b>Tech</b> R&D <i>"
    report.unit.asset_tag = "GRPC25-<0322>&"
    report.functional_tests[0].comment = "{not a placeholder} & <script>"
    source = signed_file(report, tmp_path / "report.json")
    pdf = tmp_path / "report.pdf"
    code, _out, err = run_cli("report-pdf", str(source), "-o", str(pdf))
    assert (code, err) == (0, "")
    text = pdf_text(pdf)
    for name in ("<b>Tech</b> R&D <i>", "GRPC25-<0322>&", "{not a placeholder} & <script>"):
        assert name in text, name
    for name in ODD_NAMES:
        assert name in text
    assert "&amp;" not in text and "&lt;" not in text
    fonts = subprocess.run(
        [require_program("pdffonts"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts, "no font listed"
    for line in fonts:
        assert "DejaVuSans" in line and " yes yes yes " in line, line  # embedded, subset


def test_unsigned_report_says_so_and_a_tampered_one_gives_no_pdf(tmp_path: Path) -> None:
    report = evidence_report()
    plain = tmp_path / "plain.json"
    plain.write_bytes(to_json(report))
    pdf = tmp_path / "plain.pdf"
    code, _out, err = run_cli("report-pdf", str(plain), "-o", str(pdf))
    assert code == 0
    assert "rapport non signé" in err
    assert "Rapport non signé : ce document n'a pas valeur de preuve." in pdf_text(pdf)
    assert pdf.stat().st_mode & 0o777 == 0o600  # names and serials: personal data

    signed = signed_file(report, tmp_path / "signed.json")
    envelope = json.loads(signed.read_text(encoding="utf-8"))
    envelope["payload"]["functional_tests"][5]["result"] = "pass"  # the failed speakers
    signed.write_text(json.dumps(envelope), encoding="utf-8")
    code, out, err = run_cli("report-pdf", str(signed), "-o", str(tmp_path / "forged.pdf"))
    assert code == 1 and out == ""
    assert "Rapport signé refusé" in err and "Traceback" not in err
    assert not (tmp_path / "forged.pdf").exists()


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"\x89PNG garbage", 3, "n'est pas du JSON"),
        (b'{"report_id": "x"}', 3, "Object missing required field"),
        (None, 3, "Rapport illisible"),
    ],
)
def test_bad_input_gets_a_clear_error(
    content: bytes | None, code: int, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_bytes(content)
    got, out, err = run_cli("report-pdf", str(path), "-o", str(tmp_path / "x.pdf"))
    assert (got, out) == (code, "")
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_an_unwritable_output_is_an_environment_error(tmp_path: Path) -> None:
    source = signed_file(evidence_report(), tmp_path / "report.json")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _out, err = run_cli("report-pdf", str(source), "-o", str(blocker / "x.pdf"))
    assert code == 3
    assert "Écriture impossible" in err
