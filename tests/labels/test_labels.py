"""Unit labels: content, templates, the PDF (read back with poppler and zbar), the
command, and printing through a real CUPS spooler (cups-pdf).

The PDF checks use the same tools a reviewer would: ``pdfinfo`` for the page size,
``pdftotext`` for what is written, ``pdftoppm`` + ``zbarimg`` to decode the QR code
from the rasterised page.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from bench_agent.cli import main
from bench_agent.context import Environment
from bench_agent.functional.catalogue import CATALOGUE
from bench_agent.grading import (
    TechnicianInput,
    default_cpu_table,
    grade_unit,
    load_cosmetic_scale,
    load_needs,
    load_profile,
)
from bench_agent.grading.toml_source import ProfileError
from bench_agent.host.base import CommandResult, Host
from bench_agent.host.recorded import RecordedHost
from bench_agent.inventory import collect_inventory
from bench_agent.labels import label_content, list_templates, load_template, render_label
from bench_agent.labels.content import Organisation, erasure_text, short_cpu
from bench_agent.labels.printing import lp_argv
from bench_agent.model import to_json
from bench_agent.model.inventory import Disk, Inventory
from bench_agent.model.report import (
    BenchInfo,
    ErasureSummary,
    FunctionalTest,
    UnitIdentity,
    UnitReport,
)
from bench_agent.unit import build_report
from tests.support.requirements import require, require_program

FIXTURES = Path(__file__).parent.parent / "fixtures"
X1 = FIXTURES / "hosts" / "Lenovo_ThinkPad_X1_Carbon_5th_live"
CORPUS_HOSTS = sorted(p for p in (FIXTURES / "hosts").iterdir() if (p / "host.json").is_file())
BASE = "https://inventaire.lacollecte.example"
CERT_ID = "3f9c1a52-7d1e-4c1b-9a55-0b8e2f6d1c11"
MM = 72.0 / 25.4


# ---------------------------------------------------------------- helpers


def tool(name: str) -> str:
    """poppler-utils and zbar-tools are test tools: required in CI, skipped on a laptop."""
    return require_program(name)


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        [tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    """The PDF's text as one line: wrapped rows and -layout's column gaps become spaces."""
    return " ".join(text.split())


def pdf_page_size_pt(pdf: Path) -> tuple[float, float]:
    out = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, check=True, text=True)
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out.stdout)
    assert found, out.stdout
    return float(found.group(1)), float(found.group(2))


def qr_codes(pdf: Path, tmp_path: Path) -> list[str]:
    prefix = tmp_path / f"page-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [tool("pdftoppm"), "-r", "300", "-gray", "-png", str(pdf), str(prefix)], check=True
    )
    pages = sorted(tmp_path.glob(f"{prefix.name}*.png"))
    assert pages
    out = subprocess.run(
        [tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", *map(str, pages)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in out.stdout.splitlines() if line]


def x1_report() -> UnitReport:
    """The recorded ThinkPad X1 Carbon 5th, graded by the network profile, its NVMe
    drive erased (purge)."""
    report = build_report(collect_inventory(RecordedHost(X1)), asset_tag="GRPC25-0322")
    disk = report.inventory.disks[0]
    report.erasures = [
        ErasureSummary(
            certificate_id=CERT_ID,
            device=disk.path,
            disk_model=disk.model,
            disk_serial=disk.serial,
            method="nvme-sanitize-crypto",
            level="purge",
            result="ERASED",
            started_at="2026-11-26T09:00:00Z",
            finished_at="2026-11-26T09:02:10Z",
        )
    ]
    # Every test the law requires passed: the gates let the unit be graded for real.
    report.functional_tests = [
        FunctionalTest(name=t.name, result="pass", at="2026-11-26T08:50:00Z") for t in CATALOGUE
    ]
    scale = load_cosmetic_scale()
    report.grade = grade_unit(
        report,
        load_profile("network-2024"),
        default_cpu_table(),
        needs=load_needs(),
        technician=TechnicianInput(0, 0, "A"),
        cosmetic_codes=[g.code for g in scale.grades],
    )
    report.created_at = "2026-11-26T09:05:00Z"
    return report


def bare_report(**unit: str | None) -> UnitReport:
    """A report with every optional field missing."""
    return UnitReport(
        report_id=str(uuid.uuid4()),
        created_at="",
        unit=UnitIdentity(key="none:", basis="none", **unit),  # type: ignore[arg-type]
        bench=BenchInfo(agent_version="test"),
        inventory=Inventory(),
    )


TESTER = Organisation("La Collecte Lyon", "12 rue de la Paix, 69003 Lyon")


def render_to(report: UnitReport, template: str, path: Path, lang: str = "fr") -> Path:
    content = label_content(report, lang, BASE, TESTER)
    path.write_bytes(render_label(content, load_template(template)).pdf)
    return path


def run_cli(
    *argv: str, lang: str = "fr", home: Path | None = None, host: Host | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"BENCH_AGENT_LANG": lang, "BENCH_AGENT_HOME": str(home or "/nonexistent")}
    env = Environment(stdout=out, stderr=err, environ=environ, host=host)
    return main(list(argv), env=env), out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the recorded ThinkPad


@pytest.mark.parametrize("template", ["brother-ql-62x29", "dymo-99012-89x36", "shipping-100x50"])
def test_thinkpad_label_says_what_the_report_says(template: str, tmp_path: Path) -> None:
    report = x1_report()
    assert report.grade is not None
    pdf = render_to(report, template, tmp_path / "label.pdf")

    spec = load_template(template).spec
    width, height = pdf_page_size_pt(pdf)
    assert width == pytest.approx(spec.width_mm * MM, abs=0.01)
    assert height == pytest.approx(spec.height_mm * MM, abs=0.01)

    text = flat(pdf_text(pdf))
    assert f"Catégorie {report.grade.category} note {report.grade.note}" in text
    assert "Lenovo ThinkPad X1 Carbon 5th" in text
    assert "PF0QMY5N" in text
    assert "GRPC25-0322" in text
    assert "i7-7500U" in text and "16 Go RAM" in text
    assert "SSD NVMe 1 To" in text
    # The firmware describes a battery the system cannot see: a fault, not an absence.
    assert "Batterie non détectée : à vérifier" in text
    assert "Batterie absente" not in text
    assert "Effacé ✓ NIST Purge 2026-11-26" in text
    if "tester" in {f for line in spec.lines for f in line}:
        # The re-use record: type number, tests and result, test date, tester.
        assert "Type 20HRCTO1WW" in text
        assert f"Tests {len(CATALOGUE)}/{len(CATALOGUE)} OK" in text
        assert "Testé le 2026-11-26" in text
        assert "Testé par La Collecte Lyon, 12 rue de la Paix, 69003 Lyon" in text
    else:
        assert spec.qr_size_mm > 0  # the record is on the verification page

    assert qr_codes(pdf, tmp_path) == [f"{BASE}/verify/{CERT_ID}"]


def test_thinkpad_label_in_english(tmp_path: Path) -> None:
    report = x1_report()
    pdf = render_to(report, "shipping-100x50", tmp_path / "label.pdf", lang="en")
    text = flat(pdf_text(pdf))
    assert f"Category {report.grade.category if report.grade else ''}" in text
    assert "16 GB RAM" in text and "SSD NVMe 1 TB" in text
    assert "Battery not detected: to check" in text
    assert "Tested by La Collecte Lyon" in text and "Tested on 2026-11-26" in text
    assert "Erased ✓ NIST Purge 2026-11-26" in text
    assert "Asset GRPC25-0322" in text


# ---------------------------------------------------------------- corpus-derived hosts


@pytest.mark.parametrize("host", CORPUS_HOSTS, ids=[p.name for p in CORPUS_HOSTS])
def test_corpus_host_label(host: Path, tmp_path: Path) -> None:
    report = build_report(collect_inventory(RecordedHost(host)))
    pdf = render_to(report, "brother-ql-62x29", tmp_path / "label.pdf")
    text = pdf_text(pdf)
    assert "NON CATÉGORISÉ" in text
    assert "Effacement : aucun" in text
    serial = report.unit.serial
    assert f"S/N {serial or '—'}" in text
    # Without a system serial the QR asks for the unit key (a disk serial, or "none:").
    expected = f"{BASE}/units?q={quote(serial or report.unit.key, safe='')}"
    assert qr_codes(pdf, tmp_path) == [expected]
    battery = report.inventory.batteries
    if battery and battery[0].health_pct is not None:
        assert f"Batterie {round(min(battery[0].health_pct, 100))} %" in text


# ---------------------------------------------------------------- content rules


def disk(name: str, serial: str) -> Disk:
    return Disk(name=name, path=f"/dev/{name}", serial=serial, media="ssd", transport="sata")


def erasure(device: str, serial: str, result: str, level: str = "clear") -> ErasureSummary:
    return ErasureSummary(
        certificate_id=str(uuid.uuid4()),
        device=device,
        disk_serial=serial,
        method="overwrite-zero",
        level=level,  # type: ignore[arg-type]
        result=result,  # type: ignore[arg-type]
        finished_at="2026-11-26T10:00:00Z",
    )


def with_disks(*disks: Disk, erasures: list[ErasureSummary]) -> UnitReport:
    report = bare_report()
    report.inventory = Inventory(disks=list(disks))
    report.erasures = erasures
    return report


def test_erasure_line_claims_only_what_the_records_say() -> None:
    a, b = disk("sda", "S-A"), disk("sdb", "S-B")
    assert erasure_text(with_disks(a, erasures=[]), "fr") == "Effacement : aucun"
    assert (
        erasure_text(with_disks(a, erasures=[erasure("/dev/sda", "S-A", "ERASED")]), "fr")
        == "Effacé ✓ NIST Clear 2026-11-26"
    )
    # One drive clear, one purge: the unit is only as erased as its weakest drive.
    both = [erasure("/dev/sda", "S-A", "ERASED", "purge"), erasure("/dev/sdb", "S-B", "ERASED")]
    assert erasure_text(with_disks(a, b, erasures=both), "fr") == "Effacé ✓ NIST Clear 2026-11-26"
    # A method that claims no level gets no standard on the label.
    no_level = [erasure("/dev/sda", "S-A", "ERASED", "none")]
    assert erasure_text(with_disks(a, erasures=no_level), "en") == "Erased ✓ 2026-11-26"
    failed = [erasure("/dev/sda", "S-A", "ERASED"), erasure("/dev/sdb", "S-B", "FAILED")]
    assert erasure_text(with_disks(a, b, erasures=failed), "fr") == "Effacement ÉCHEC (/dev/sdb)"
    dry = [erasure("/dev/sda", "S-A", "DRY_RUN")]
    assert erasure_text(with_disks(a, erasures=dry), "fr") == (
        "Effacement SIMULATION, non effacé (/dev/sda)"
    )
    # The second internal drive was never erased: no tick.
    partial = [erasure("/dev/sda", "S-A", "ERASED")]
    assert erasure_text(with_disks(a, b, erasures=partial), "fr") == (
        "Effacement partiel : 1/2 disques"
    )


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Intel(R) Core(TM) i7-7500U CPU @ 2.70GHz", "i7-7500U"),
        ("Intel(R) Core(TM) i5 CPU M 430 @ 2.27GHz", "i5 M 430"),
        ("Intel(R) Atom(TM) CPU N450 @ 1.66GHz", "Atom N450"),
        ("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "i5-1135G7"),
        ("AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx", "Ryzen 5 3500U"),
        ("Intel(R) Core(TM)2 Duo CPU T7300 @ 2.00GHz", "Core 2 Duo T7300"),
        ("Intel(R) Xeon(R) Processor", "Xeon"),
        ("   ", None),
    ],
)
def test_short_cpu_names(name: str, short: str | None) -> None:
    assert short_cpu(name) == short


# ---------------------------------------------------------------- hostile inputs


def test_every_optional_field_missing_gives_a_label_of_dashes(tmp_path: Path) -> None:
    report = bare_report()
    pdf = render_to(report, "brother-ql-62x29", tmp_path / "label.pdf")
    text = pdf_text(pdf)
    for line in ("NON CATÉGORISÉ", "S/N —", "CPU — · RAM —", "disque — · écran —"):
        assert line in text
    assert "Batterie absente" in text  # no battery described at all
    # No serial, no asset tag, no usable key: the QR code still says where to look.
    assert qr_codes(pdf, tmp_path) == [f"{BASE}/units?q=none%3A"]
    assert label_content(report, "fr", None).qr_payload == f"report:{report.report_id}"


def test_long_and_odd_strings_shrink_then_are_cut(tmp_path: Path) -> None:
    model = "Élève Portable Ünïcödé " + "X" * 280  # 300+ characters
    assert len(model) >= 300
    report = bare_report(maker="Société\x00 Générale\x1b[31m", model=model, serial="AB\udcffC")
    content = label_content(report, "fr", BASE)
    rendered = render_label(content, load_template("brother-ql-62x29"))
    (tmp_path / "label.pdf").write_bytes(rendered.pdf)
    # Wrapped first (the label has room for one more row), then cut.
    assert rendered.lines[1] == "Société Générale [31m Élève"
    model_line = rendered.lines[2]
    assert model_line.startswith("Portable Ünïcödé X")
    assert model_line.endswith("…") and len(model_line) < 60
    text = flat(pdf_text(tmp_path / "label.pdf"))
    assert "Société Générale" in text and "Élève Portable Ü" in text
    assert "S/N AB\ufffdC" in text  # an undecodable DMI byte prints as U+FFFD


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_signed_report_prints_and_a_tampered_one_is_refused(tmp_path: Path) -> None:
    from wipe.signing import BenchKey

    report = x1_report()
    envelope = BenchKey.generate().sign(json.loads(to_json(report)))
    good = write_json(tmp_path / "signed.json", envelope)
    code, out, err = run_cli("label", "--report", str(good), "--output", str(tmp_path / "a.pdf"))
    assert (code, err) == (0, "")
    assert "Étiquette écrite" in out

    envelope["payload"]["unit"]["serial"] = "STOLEN-1"
    bad = write_json(tmp_path / "tampered.json", envelope)
    code, out, err = run_cli("label", "--report", str(bad), "--output", str(tmp_path / "b.pdf"))
    assert code == 1
    assert err == (
        f"Rapport signé refusé : {bad}\n"
        "  détail : signature does not verify: the document was altered\n"
    )
    assert not (tmp_path / "b.pdf").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG garbage", "n'est pas du JSON"),
        (b'{"report_id": ', "n'est pas du JSON"),
        (b"[1, 2, 3]", "Expected `object`, got `array`"),
        (b'{"report_id": "x"}', "Object missing required field"),
        (b'{"payload": {}, "signature": "nope"}', "Rapport signé refusé"),
    ],
)
def test_garbage_reports_get_a_clear_error(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    code, out, err = run_cli("label", "--report", str(path), "--output", str(tmp_path / "x.pdf"))
    assert code in (1, 3) and out == ""
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_missing_report_file_is_an_environment_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    code, _, err = run_cli("label", "--report", str(missing), "-o", str(tmp_path / "x.pdf"))
    assert code == 3
    assert err == f"Rapport illisible : {missing} (No such file or directory)\n"


def test_label_from_a_recorded_host_and_json_output(tmp_path: Path) -> None:
    out_pdf = tmp_path / "label.pdf"
    code, out, err = run_cli(
        "label", "--host-dir", str(X1), "--output", str(out_pdf), "--json", "--qr-url-base", BASE
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["template"] == "brother-ql-62x29" and data["page_mm"] == [62.0, 29.0]
    assert data["qr"] == f"{BASE}/units?q=PF0QMY5N"
    assert data["lines"][0] == "NON CATÉGORISÉ"
    assert out_pdf.read_bytes().startswith(b"%PDF-")


def test_qr_base_comes_from_sync_toml_when_not_given(tmp_path: Path) -> None:
    (tmp_path / "sync.toml").write_text('[central]\nurl = "https://central.example/"\n')
    code, out, _ = run_cli(
        "label", "--host-dir", str(X1), "-o", str(tmp_path / "l.pdf"), "--json", home=tmp_path
    )
    assert code == 0
    assert json.loads(out)["qr"] == "https://central.example/units?q=PF0QMY5N"
    code, out, _ = run_cli("label", "--host-dir", str(X1), "-o", str(tmp_path / "l.pdf"), "--json")
    assert json.loads(out)["qr"] == "lenovo|20hrcto1ww|pf0qmy5n"  # no central URL anywhere


def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = run_cli("label", "--host-dir", str(X1))
    assert code == 2 and "Indiquez --output FICHIER.pdf ou --printer FILE_CUPS" in err
    code, _, err = run_cli("label", "--host-dir", str(X1), "-o", "x.pdf", "--copies", "0")
    assert code == 2 and "--copies : entre 1 et 99, pas 0" in err


# ---------------------------------------------------------------- templates


def test_shipped_templates_load_and_list() -> None:
    names = [p.stem for p in list_templates()]
    assert {"brother-ql-62x29", "dymo-99012-89x36", "shipping-100x50"} <= set(names)
    for name in names:
        assert load_template(name).name == name
    code, out, _ = run_cli("label", "--list-templates", lang="en")
    assert code == 0
    assert "brother-ql-62x29     62 × 29 mm  Small bench label (default)" in out
    assert load_template("dymo-99012-89x36").rotated
    assert load_template("brother-ql-62x29").media == "Custom.62x29mm"


GOOD = (Path(__file__).parents[2] / "profiles" / "labels" / "brother-ql-62x29.toml").read_text()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("width_mm = 62.0", "widht_mm = 62.0"),
            "{f}:9 : widht_mm : champ inconnu ; attendu : un de : name, stock, description, "
            "width_mm, height_mm, orientation, qr_size_mm, lines, margins_mm, fonts_pt",
        ),
        (
            lambda t: t.replace("height_mm = 29.0", 'height_mm = "29"'),
            "{f}:10 : height_mm : mauvais type (un texte entre guillemets) ; attendu : un nombre",
        ),
        (
            lambda t: t.replace('orientation = "landscape"', 'orientation = "sideways"'),
            "{f}:11 : orientation : valeur invalide 'sideways' ; "
            "attendu : un de : landscape, portrait",
        ),
        (
            lambda t: t.replace('    ["battery"],', '    ["batery"],'),
            "{f}:15 : lines[6] : champ inconnu « batery » ; attendu : un de : category, model, "
            "serial, asset_tag, cpu, ram, disk, screen, battery, erasure, date, type_number, "
            "tests, test_date, tester",
        ),
        (
            lambda t: t.replace("left = 2.0", "left = 61.0"),
            "{f}:26 : margins_mm : les marges couvrent toute l'étiquette ; "
            "attendu : des marges plus petites que l'étiquette",
        ),
        (
            lambda t: t.replace("body = 6.0", "body = 9.0"),
            "{f}:15 : lines : 8 lignes demandent 87.0 pt de haut, l'étiquette en offre 73.7 ; "
            "attendu : moins de lignes ou des polices plus petites",
        ),
        (
            lambda t: t.replace("qr_size_mm = 17.0", "qr_size_mm = 40.0"),
            "{f}:12 : qr_size_mm : valeur hors limites (40) ; "
            "attendu : 0 (pas de QR) à 26 mm (la zone imprimable)",
        ),
        (
            lambda t: t.replace("minimum = 6.0", "minimum = 4.0"),
            "{f}:37 : fonts_pt.minimum : taille trop petite (4 pt) ; "
            "attendu : 6 points au moins (lisibilité)",
        ),
        (
            lambda t: t.replace("category_minimum = 10.0", "category_minimum = 6.5"),
            "{f}:34 : fonts_pt.category_minimum : catégorie pas la plus grande (6.5 pt) ; "
            "attendu : entre 6.5 (exclu, le titre) et 12 points",
        ),
        (
            lambda t: t.replace("qr_size_mm = 17.0", "qr_size_mm = 0.0"),
            "{f}:12 : qr_size_mm : ni QR code ni fiche de réemploi complète (manque : "
            "type_number, tests, test_date, tester) ; attendu : un QR code (la page de "
            "vérification porte la fiche) ou ces champs",
        ),
        (
            lambda t: t.replace("top = 1.5", "top = 1.5\ntop = 2"),
            "{f}:28 : (syntax) : TOML invalide : Cannot overwrite a value ; "
            "attendu : une syntaxe TOML valide (https://toml.io)",
        ),
    ],
)
def test_malformed_templates_name_file_line_and_field(
    edit: object, message: str, tmp_path: Path
) -> None:
    assert callable(edit)
    path = tmp_path / "bad.toml"
    path.write_text(edit(GOOD), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_template(path)
    assert caught.value.text.fr == message.format(f=path)
    code, out, err = run_cli("label", "--host-dir", str(X1), "--template", str(path), "-o", "x.pdf")
    assert (code, out) == (2, "")
    assert err == f"Modèle d'étiquette invalide : {message.format(f=path)}\n"


def test_unknown_template_name() -> None:
    code, _, err = run_cli("label", "--host-dir", str(X1), "--template", "zebra", "-o", "x.pdf")
    assert code == 2
    assert err.startswith(
        "Modèle d'étiquette invalide : zebra : (template) : modèle d'étiquette inconnu ; "
        "attendu : un de : brother-ql-29x90, brother-ql-62x29, "
    )


# ---------------------------------------------------------------- printing (spooler replayed)


class SpoolerDouble:
    """Answers lp/lpstat with what CUPS 2.4 printed (LANG=C) in the situations tested."""

    def __init__(self, answers: dict[str, CommandResult]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []
        self.spooled: bytes = b""

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        self.calls.append(argv)
        key = f"{argv[0]} {argv[-1]}" if argv[0] == "lpstat" else "lp"
        if argv[0] == "lp":
            self.spooled = Path(argv[-1]).read_bytes()
        return self.answers.get(key, CommandResult(tuple(argv), None, error="not-found"))

    def which(self, program: str) -> str | None:
        return program if self.answers else None  # no answers at all: CUPS not installed


def answer(stdout: str = "", stderr: str = "", code: int = 0) -> CommandResult:
    return CommandResult(("x",), code, stdout.encode(), stderr.encode())


RUNNING = answer("scheduler is running\n")


def print_with(double: SpoolerDouble, *extra: str, lang: str = "fr") -> tuple[int, str, str]:
    """The label command with the double as the machine that runs lp (Environment.host)."""
    return run_cli(
        "label",
        "--host-dir",
        str(X1),
        "--printer",
        "BENCH_PDF",
        *extra,
        lang=lang,
        host=double,  # type: ignore[arg-type]
    )


def test_lp_argv_is_the_documented_command() -> None:
    assert lp_argv(
        "BENCH_PDF", "/tmp/l.pdf", copies=2, media="Custom.62x29mm", title="etiquette X"
    ) == [
        "lp", "-d", "BENCH_PDF", "-n", "2", "-o", "media=Custom.62x29mm",
        "-t", "etiquette X", "--", "/tmp/l.pdf",
    ]  # fmt: skip


def test_printing_reports_the_job_id() -> None:
    double = SpoolerDouble(
        {
            "lpstat -r": RUNNING,
            "lp": answer("request id is BENCH_PDF-42 (1 file(s))\n"),
            "lpstat BENCH_PDF": answer("printer BENCH_PDF is idle.  enabled since ...\n"),
        }
    )
    code, out, err = print_with(double, "--copies", "3")
    assert (code, err) == (0, "")
    assert out == (
        "Étiquette envoyée à BENCH_PDF : tâche BENCH_PDF-42 (3 exemplaires, brother-ql-62x29)\n"
    )
    # The queue's state is asked before anything is sent (a stopped queue gets nothing).
    assert [c[:2] for c in double.calls[:3]] == [["lpstat", "-r"], ["lpstat", "-p"], ["lp", "-d"]]
    lp_call = double.calls[2]
    assert lp_call[:8] == ["lp", "-d", "BENCH_PDF", "-n", "3", "-o", "media=Custom.62x29mm", "-t"]
    assert double.spooled.startswith(b"%PDF-")
    assert not Path(lp_call[-1]).exists()  # the temporary PDF is gone


def test_unknown_queue_lists_the_real_ones() -> None:
    double = SpoolerDouble(
        {
            "lpstat -r": RUNNING,
            "lp": answer(stderr="lp: Error - The printer or class does not exist.\n", code=1),
            "lpstat -e": answer("BROTHER_QL\nDYMO\n"),
        }
    )
    code, out, err = print_with(double)
    assert (code, out) == (1, "")
    assert err == "Imprimante inconnue : BENCH_PDF. Imprimantes disponibles : BROTHER_QL, DYMO.\n"


def test_stopped_cups_is_an_environment_error() -> None:
    double = SpoolerDouble({"lpstat -r": answer("scheduler is not running\n")})
    code, _, err = print_with(double)
    assert code == 3
    assert err == "Le service d'impression CUPS n'est pas démarré : lancez-le puis réessayez.\n"
    assert [c[0] for c in double.calls] == ["lpstat"]  # lp never ran


def test_missing_cups_client_is_an_environment_error() -> None:
    code, _, err = print_with(SpoolerDouble({}), lang="en")
    assert code == 3
    assert err == "Printing commands not found (package cups-client).\n"


def test_a_stopped_queue_is_refused_before_anything_is_sent() -> None:
    """What ``lpstat -p`` says (CUPS 2.4) of a queue stopped by ``cupsdisable -r`` or by
    CUPS itself when the printer went off: the reason shown, lp never run."""
    double = SpoolerDouble(
        {
            "lpstat -r": RUNNING,
            "lpstat BENCH_PDF": answer(
                "printer BENCH_PDF disabled since Thu Dec  3 15:06:51 2026 -\n"
                "\tThe printer is not responding.\n"
            ),
        }
    )
    code, out, err = print_with(double)
    assert (code, out) == (1, "")
    assert err == (
        "Imprimante BENCH_PDF arrêtée (The printer is not responding.) : vérifiez qu'elle est "
        "allumée, branchée et chargée, relancez-la (cupsenable BENCH_PDF) puis réessayez.\n"
    )
    assert [c[0] for c in double.calls] == ["lpstat", "lpstat"]  # lp never ran


def test_rejecting_queue_is_a_problem() -> None:
    double = SpoolerDouble(
        {
            "lpstat -r": RUNNING,
            "lp": answer(stderr='lp: Destination "BENCH_PDF" is not accepting jobs.\n', code=1),
        }
    )
    code, _, err = print_with(double)
    assert code == 1
    assert err == "L'imprimante BENCH_PDF refuse les tâches (cupsaccept BENCH_PDF).\n"


# ---------------------------------------------------------------- printing (real CUPS)


def cups_queue() -> str:
    require_program("lp")
    require_program("lpstat")
    queue = os.environ.get("BENCH_TEST_CUPS_QUEUE", "")
    require(bool(queue), "needs BENCH_TEST_CUPS_QUEUE (a cups-pdf queue; .ci/run creates one)")
    state = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, check=False)
    require("is running" in state.stdout, "needs a running CUPS scheduler (cupsd)")
    return queue


def cups_pdf_dirs() -> list[Path]:
    """Where cups-pdf may write: its ``Out`` setting (``${HOME}`` of the job's user,
    Debian's default ``${HOME}/PDF``) and its ``AnonDirName`` for unknown users."""
    home = Path(os.path.expanduser("~"))
    dirs = [home / "PDF", Path("/var/spool/cups-pdf/ANONYMOUS")]
    conf = Path("/etc/cups/cups-pdf.conf")
    if conf.is_file():
        for line in conf.read_text(errors="replace").splitlines():
            found = re.match(r"\s*(Out|AnonDirName)\s+(\S+)", line)
            if found:
                value = found.group(2).replace("${HOME}", str(home)).replace("${USER}", "")
                dirs.insert(0, Path(value))
    return dirs


def wait_for(check: object, deadline_s: float, what: str) -> object:
    assert callable(check)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out after {deadline_s} s waiting for {what}")


@pytest.mark.cups
@pytest.mark.parametrize("template", [p.stem for p in list_templates()])
def test_real_cups_prints_the_label_to_a_pdf_queue(template: str, tmp_path: Path) -> None:
    queue = cups_queue()
    report = x1_report()
    report.report_id = str(uuid.uuid4())  # the job title, hence the cups-pdf file name
    path = write_json(tmp_path / "report.json", json.loads(to_json(report)))
    code, out, err = run_cli(
        "label", "--report", str(path), "--printer", queue, "--json", "--qr-url-base", BASE,
        "--template", template,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    job_id = json.loads(out)["job_id"]
    assert re.fullmatch(rf"{re.escape(queue)}-\d+", job_id)

    def completed() -> bool:
        listing = subprocess.run(
            ["lpstat", "-W", "completed", "-o", queue], capture_output=True, text=True, check=False
        )
        return any(line.split()[:1] == [job_id] for line in listing.stdout.splitlines())

    wait_for(completed, 20.0, f"job {job_id} in `lpstat -W completed`")
    token = report.report_id[:8]

    def produced() -> Path | None:
        for folder in cups_pdf_dirs():
            if folder.is_dir():
                for candidate in folder.glob(f"*{token}*.pdf"):
                    if candidate.stat().st_size > 0:
                        return candidate
        return None

    pdf = wait_for(produced, 10.0, f"cups-pdf output *{token}*.pdf in {cups_pdf_dirs()}")
    assert isinstance(pdf, Path)
    try:
        text = flat(pdf_text(pdf))
        # Ghostscript (cups-pdf) rewrites the fonts without their Unicode map: the accents
        # print (checked by eye on the raster) but pdftotext drops them. ASCII lines only.
        assert "S/N PF0QMY5N" in text and "NIST Purge 2026-11-26" in text
        assert "Lenovo ThinkPad X1 Carbon 5th" in text and "GRPC25-0322" in text
        width, height = pdf_page_size_pt(pdf)
        spec = load_template(template).spec
        assert (round(width / MM), round(height / MM)) == (spec.width_mm, spec.height_mm)
        assert qr_codes(pdf, tmp_path) == [f"{BASE}/verify/{CERT_ID}"]
    finally:
        pdf.unlink(missing_ok=True)


@pytest.mark.cups
def test_real_cups_unknown_queue_and_unreachable_server(tmp_path: Path) -> None:
    cups_queue()
    code, _, err = run_cli("label", "--host-dir", str(X1), "--printer", "NO_SUCH_QUEUE_X")
    assert code == 1 and err.startswith("Imprimante inconnue : NO_SUCH_QUEUE_X.")
    # Port 9 (discard) has no CUPS behind it: what a bench with a stopped cupsd sees.
    code, _, err = run_cli(
        "label", "--host-dir", str(X1), "--printer", "BENCH_PDF", "--server", "127.0.0.1:9"
    )
    assert code == 3
    assert err.startswith("Le service d'impression CUPS n'est pas démarré sur 127.0.0.1:9")
