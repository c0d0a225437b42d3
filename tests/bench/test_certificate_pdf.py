"""The PDF erasure certificate read back with real tools (poppler's pdftotext, pdffonts,
pdfdetach, pdftoppm; zbarimg), and the validator's countersignature.

Certificates come from real erasures of a plain file (the engine's own signing path);
the command runs in-process, as `bench-agent certificate` / `countersign`."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.requirements import require_program

from bench_agent.bench.certificate_pdf import (
    NBSP,
    decimal,
    document_lang,
    number,
    size_text,
    when,
)
from bench_agent.bench.countersignature import (
    certificate_sha256,
    check_countersignature,
    countersign,
    countersignature_path,
)
from bench_agent.bench.errors import BenchError
from bench_agent.cli import main
from bench_agent.context import Environment
from wipe.certificate import verify_certificate
from wipe.signing import BenchKey, canonical_json

SIZE_BYTES = 1_310_720
"""1,3 Mo: the size shows the decimal comma in French."""
OPERATOR = "<b>"
ORGANISATION = "Tech R&D"
DONOR = "Łukasz Nguyễn"
BASE = "https://inventaire.example.org"


def _erase(folder: Path, key: BenchKey, *, destination: str | None = "recycle") -> Path:
    """A real erasure (random, verified, on a plain file) → its signed certificate."""
    from wipe.engine import EraseContext, EraseRequest, Operator, erase_device
    from wipe.journal import Journal
    from wipe.methods import load_method, parse_verification
    from wipe.policy import load_policy
    from wipe.targets import Target

    folder.mkdir(parents=True, exist_ok=True)
    drive = folder / "drive.img"
    drive.write_bytes(b"donor-secret" * (SIZE_BYTES // 12) + b"#" * (SIZE_BYTES % 12))
    ctx = EraseContext(
        key=key,
        journal=Journal(folder / "journal.jsonl", key),
        cert_dir=folder / "certificates",
        policy=load_policy(),
        operator=Operator(
            name=OPERATOR,
            role="technicienne",
            organisation=ORGANISATION,
            location="Lyon",
            contact="atelier@example.org",
            donor=DONOR,
        ),
        source_computer={"maker": "LENOVO", "model": "ThinkPad X1 Carbon", "serial": "PF0ABCDE"},
    )
    target = Target(
        name="drive",
        device_path=str(drive),
        model="ST500LM021-1KJ152",
        serial="W3T1ABCD",
        size_bytes=SIZE_BYTES,
        transport="sata",
        rotational=True,
        media="hdd",
        vendor="Seagate",
    )
    outcome = erase_device(
        EraseRequest(
            target=target,
            method=load_method("random"),
            verification=parse_verification("all"),
            confirmed=True,
            asset_tag="LCT-0042",
            hpa_dco={
                "status": "none",
                "reason_fr": "aucune HPA ni DCO (hdparm)",
                "reason_en": "no HPA nor DCO (hdparm)",
                "hidden_bytes": 0,
            },
            destination=destination,
        ),
        ctx,
    )
    assert outcome.result == "ERASED" and outcome.certificate_path is not None
    return outcome.certificate_path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BenchKey]:
    key = BenchKey.generate()
    return _erase(tmp_path_factory.mktemp("erasure"), key), key


@pytest.fixture
def cert(made: tuple[Path, BenchKey], tmp_path: Path) -> Path:
    """A private copy of the module's certificate (tests add countersignatures)."""
    copy = tmp_path / "certs" / made[0].name
    copy.parent.mkdir()
    shutil.copyfile(made[0], copy)
    return copy


def _run(
    argv: list[str], home: Path, environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={"BENCH_AGENT_HOME": str(home), **(environ or {})},
    )
    code = main(argv, env=env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


def _text(pdf: Path) -> str:
    out = subprocess.run(
        [require_program("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True
    )
    # One space for any run of spaces (layout columns) and for the non-breaking ones.
    return re.sub(r"[ \u00a0\u202f]+", " ", out.stdout.decode("utf-8"))


def _payload(path: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(path.read_bytes())["payload"]
    return payload


def _fingerprint(path: Path) -> str:
    import base64
    import hashlib

    raw = base64.b64decode(json.loads(path.read_bytes())["signature"]["public_key"])
    return hashlib.sha256(raw).hexdigest()


# -- language and numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "explicit", "lang"),
    [
        ({}, None, "fr"),
        ({"LANG": "fr_FR.UTF-8"}, None, "fr"),
        ({"LANG": "C"}, None, "en"),
        ({"LANG": "POSIX"}, None, "en"),
        ({"LANG": "C.UTF-8"}, None, "en"),
        ({"LANG": "en_GB.UTF-8"}, None, "en"),
        ({"LANG": "de_DE.UTF-8"}, None, "en"),
        ({"LC_ALL": "fr_BE.UTF-8", "LANG": "C"}, None, "fr"),
        ({"LANGUAGE": "en:fr", "LANG": "fr_FR.UTF-8"}, None, "en"),
        ({"LANG": "C"}, "fr", "fr"),
        ({"LANG": "fr_FR.UTF-8"}, "en", "en"),
    ],
)
def test_the_document_language(environ: dict[str, str], explicit: str | None, lang: str) -> None:
    assert document_lang(environ, explicit) == lang


def test_numbers_follow_the_language() -> None:
    assert number(1234567.5, "fr", 1) == f"1{NBSP}234{NBSP}567,5"
    assert number(1234567.5, "en", 1) == "1,234,567.5"
    assert decimal(100.0, "fr") == "100" and decimal(12.5, "fr") == "12,5"
    assert size_text(SIZE_BYTES, "fr") == f"1,3{NBSP}Mo (1{NBSP}310{NBSP}720{NBSP}octets)"
    assert size_text(SIZE_BYTES, "en") == f"1.3{NBSP}MB (1,310,720{NBSP}bytes)"
    assert size_text(512, "en") == f"512{NBSP}B (512{NBSP}bytes)"
    assert when("2026-12-03T11:57:27Z", "fr") == "03/12/2026 11:57:27 UTC"
    assert when("2026-12-03T11:57:27Z", "en") == "2026-12-03 11:57:27 UTC"
    assert when("not a date", "en") == "not a date"


# -- the PDF --------------------------------------------------------------------------------

FIELDS = {
    "fr": [
        "Certificat d'effacement de données",
        "Résultat : EFFACÉ",
        "Fabricant Seagate",
        "Modèle ST500LM021-1KJ152",
        "Numéro de série W3T1ABCD",
        "Type de support magnétique (disque dur)",
        "Capacité 1,3 Mo (1 310 720 octets)",
        "Interface sata",
        "LENOVO",
        "ThinkPad X1 Carbon",
        "PF0ABCDE",
        "N° d'inventaire LCT-0042",
        f"Propriétaire (donateur) {DONOR}",
        "Contact atelier@example.org",
        "Niveau atteint Clear (effacement logique) — NIST SP 800-88 Rev.2 / IEEE 2883-2022",
        "Méthode Une passe aléatoire (AES-256-CTR)",
        "1. aléatoire (",
        "Mo/s)",
        "Générateur AES-256-CTR",
        "Octets écrits 1,3 Mo (1 310 720 octets)",
        "relecture de chaque passe, 100 % couverts",
        "réussie",
        "Zones cachées (HPA/DCO) aucune zone cachée (aucune HPA ni DCO (hdparm))",
        "Erreurs 0",
        "Outil bench-agent wipe",
        f"Nom {OPERATOR}",
        "Fonction technicienne",
        f"Structure {ORGANISATION}",
        "Lieu Lyon",
        "Validation non contresigné",
        "Destination recyclage",
        "Empreinte SHA-256 de la clé",
        f"{BASE}/verify/",
    ],
    "en": [
        "Data erasure certificate",
        "Result: ERASED",
        "Manufacturer Seagate",
        "Model ST500LM021-1KJ152",
        "Serial number W3T1ABCD",
        "Media type magnetic (hard disk)",
        "Capacity 1.3 MB (1,310,720 bytes)",
        "Transport sata",
        "LENOVO",
        "Asset tag LCT-0042",
        f"Owner (donor) {DONOR}",
        "Contact atelier@example.org",
        "Level achieved Clear (logical overwrite) — NIST SP 800-88 Rev.2 / IEEE 2883-2022",
        "Method One random pass (AES-256-CTR)",
        "1. random (",
        "MB/s)",
        "Bytes written 1.3 MB (1,310,720 bytes)",
        "read-back of every pass, 100% covered",
        "passed",
        "Hidden areas (HPA/DCO) no hidden area (no HPA nor DCO (hdparm))",
        f"Name {OPERATOR}",
        f"Organisation {ORGANISATION}",
        "Validation not countersigned",
        "Destination recycling",
        "Key SHA-256 fingerprint",
        f"{BASE}/verify/",
    ],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdftotext_shows_every_field(cert: Path, tmp_path: Path, lang: str) -> None:
    pdf = tmp_path / "c.pdf"
    code, _, err = _run(
        ["certificate", str(cert), "-o", str(pdf), "--verify-url-base", BASE],
        tmp_path / "home",
        {"LANG": "fr_FR.UTF-8" if lang == "fr" else "C"},
    )
    assert code == 0, err
    text = _text(pdf)
    missing = [f for f in FIELDS[lang] if f not in text]
    assert missing == []
    payload = _payload(cert)
    assert payload["certificate_id"] in text
    assert _fingerprint(cert) in text  # the full 64 hex digits, on one line
    assert f"{BASE}/verify/{payload['certificate_id']}" in text
    # Start and end, in the language's own date format.
    assert (when(payload["started_at"], lang) or "?") in text
    if lang == "fr":
        # No code left in English in the French certificate.
        assert not re.search(r"\b(unknown|random|all|none|passed|ERASED|recycle)\b", text)
        assert "1.3" not in text
    assert (pdf.stat().st_mode & 0o777) == 0o600


def test_escaped_names_and_embedded_fonts(cert: Path, tmp_path: Path) -> None:
    """`<b>` is not markup, `R&D` is not an entity, `Łukasz Nguyễn` is not boxes: every
    font is embedded (pdffonts says `emb yes`), so the reader's fonts do not matter."""
    pdf = tmp_path / "c.pdf"
    assert _run(["certificate", str(cert), "-o", str(pdf), "--lang", "en"], tmp_path)[0] == 0
    text = _text(pdf)
    for name in (OPERATOR, ORGANISATION, DONOR):
        assert name in text
    assert "R&D;" not in text and "&amp;" not in text
    fonts = subprocess.run(
        [require_program("pdffonts"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts, "no font in the PDF"
    # Columns: name type encoding emb sub uni object ID; the type may be two words.
    assert all(re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", f) for f in fonts)
    assert [f for f in fonts if not re.search(r"\syes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", f)] == []
    assert any("DejaVuSans" in f for f in fonts)


def test_the_qr_code_decodes_to_the_verify_url_from_the_sync_configuration(
    cert: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "sync.toml").write_text(f'[central]\nurl = "{BASE}/"\n', encoding="utf-8")
    pdf = tmp_path / "c.pdf"
    code, _, err = _run(["certificate", str(cert), "-o", str(pdf)], home, {"LANG": "C"})
    assert code == 0 and "QR" not in err, err
    subprocess.run(
        [
            require_program("pdftoppm"),
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
    )
    page = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        [require_program("zbarimg"), "--quiet", "--raw", str(page)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert decoded == [f"{BASE}/verify/{_payload(cert)['certificate_id']}"]


def test_without_a_central_address_no_qr_code_and_bench_agent_verify(
    cert: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "c.pdf"
    code, _, err = _run(["certificate", str(cert), "-o", str(pdf), "--lang", "fr"], tmp_path)
    assert code == 0 and "pas de QR code" in err
    text = _text(pdf)
    flat = " ".join(text.split())  # a long value wraps in its cell
    assert f"vérification : bench-agent verify {cert.name}" in flat and "/verify/" not in text
    subprocess.run(
        # Page 1: where the QR code is drawn when there is one.
        [
            require_program("pdftoppm"),
            *("-r", "200", "-png", "-f", "1", "-l", "1"),
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
    )
    for page in tmp_path.glob("page*.png"):
        found = subprocess.run(
            [require_program("zbarimg"), "--quiet", "--raw", str(page)],
            capture_output=True,
            check=False,
        )
        assert found.returncode == 4 and not found.stdout  # zbarimg: 4 = no code found
    code, _, err = _run(
        ["certificate", str(cert), "-o", str(pdf), "--verify-url-base", "ftp://x"], tmp_path
    )
    assert code == 2 and "ftp://x" in err


def test_the_signed_file_is_attached_byte_for_byte_and_verifies(cert: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "c.pdf"
    assert _run(["certificate", str(cert), "-o", str(pdf)], tmp_path)[0] == 0
    pdfdetach = require_program("pdfdetach")
    listed = subprocess.run(
        [pdfdetach, "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert listed.splitlines() == ["1 embedded files", f"1: {cert.name}"]
    saved = tmp_path / "extracted.json"
    subprocess.run([pdfdetach, "-save", "1", "-o", str(saved), str(pdf)], check=True)
    assert saved.read_bytes() == cert.read_bytes()
    assert verify_certificate(saved).ok
    # Trusted through the key that signed it (the bench's own: no network statement here).
    public = json.loads(saved.read_text())["signature"]["public_key"]
    code, out, _ = _run(["verify", str(saved), "--public-key", public], tmp_path)
    assert code == 0 and "VALIDE" in out
    # PDF/A-3 style: the catalogue names it as an associated file, with its MIME type.
    from pypdf import PdfReader

    root = PdfReader(pdf).trailer["/Root"]
    spec = root["/AF"][0].get_object()
    assert spec["/UF"] == cert.name and spec["/AFRelationship"] == "/Source"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application#2Fjson"


def test_an_altered_certificate_gives_no_pdf(cert: Path, tmp_path: Path) -> None:
    doc = json.loads(cert.read_bytes())
    doc["payload"]["destination"] = "reuse"
    cert.write_text(json.dumps(doc))
    pdf = tmp_path / "c.pdf"
    code, _, err = _run(["certificate", str(cert), "-o", str(pdf), "--lang", "en"], tmp_path)
    assert code == 1 and "destination" in err and not pdf.exists()


def test_a_certificate_without_destination_says_so(tmp_path: Path) -> None:
    old = _erase(tmp_path / "e", BenchKey.generate(), destination=None)
    pdf = tmp_path / "c.pdf"
    assert _run(["certificate", str(old), "-o", str(pdf), "--lang", "fr"], tmp_path)[0] == 0
    assert "Destination non indiquée" in _text(pdf)


# -- the countersignature -------------------------------------------------------------------


def test_countersign_then_the_pdf_prints_who_and_when(cert: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out, err = _run(
        ["countersign", str(cert), "--name", "Łukasz Nguyễn", "--role", "Responsable R&D"], home
    )
    assert code == 0, err
    path = countersignature_path(cert)
    assert path.name == cert.stem + ".countersignature.json" and str(path) in out
    assert (path.stat().st_mode & 0o777) == 0o600
    doc = json.loads(path.read_bytes())
    payload = doc["payload"]
    assert payload["schema"] == "bench-agent/countersignature/1"
    assert payload["certificate_id"] == _payload(cert)["certificate_id"]
    assert payload["certificate_sha256"] == certificate_sha256(_payload(cert))
    assert (
        payload["certificate_sha256"]
        == __import__("hashlib").sha256(canonical_json(_payload(cert))).hexdigest()
    )
    assert payload["validator"] == {"name": "Łukasz Nguyễn", "role": "Responsable R&D"}
    assert payload["decision"] == "approved"
    pdf = tmp_path / "c.pdf"
    code, out, err = _run(["certificate", str(cert), "-o", str(pdf), "--lang", "fr"], home)
    assert code == 0 and "Contre-signé par Łukasz Nguyễn" in out, err
    text = _text(pdf)
    assert "Décision approuvé" in text and "Validé par Łukasz Nguyễn" in text
    assert "Fonction Responsable R&D" in text
    assert (when(payload["at"], "fr") or "?") in text
    assert "non contresigné" not in text
    # A decision is signed once.
    code, _, err = _run(["countersign", str(cert), "--name", "Autre"], home)
    assert code == 1 and "déjà contresigné" in err


def test_a_rejection_needs_a_reason_and_prints_as_rejected(cert: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, _, err = _run(["countersign", str(cert), "--name", "Inès", "--reject"], home)
    assert code == 2 and "--comment" in err and not countersignature_path(cert).exists()
    code, _, err = _run(
        ["countersign", str(cert), "--name", "Inès", "--reject", "--comment", "série illisible"],
        home,
    )
    assert code == 0, err
    pdf = tmp_path / "c.pdf"
    assert _run(["certificate", str(cert), "-o", str(pdf), "--lang", "en"], home)[0] == 0
    text = _text(pdf)
    assert "Decision REJECTED" in text and "Comment série illisible" in text


def test_a_countersignature_of_another_certificate_is_refused(cert: Path, tmp_path: Path) -> None:
    key = BenchKey.generate()
    other = _erase(tmp_path / "other", key)
    countersign(other, key, name="Mallory", role="complice")
    stolen = countersignature_path(other)
    # Given on the command line, or dropped next to the certificate: never printed.
    pdf = tmp_path / "c.pdf"
    for argv in (
        [
            "certificate",
            str(cert),
            "-o",
            str(pdf),
            "--lang",
            "fr",
            "--countersignature",
            str(stolen),
        ],
        ["certificate", str(cert), "-o", str(pdf), "--lang", "fr"],
    ):
        if "--countersignature" not in argv:
            shutil.copyfile(stolen, countersignature_path(cert))
        code, out, err = _run(argv, tmp_path)
        assert code == 0 and "NON VALABLE" in err and "autre certificat" in err
        text = _text(pdf)
        assert "Validation non contresigné" in text and "NON VALABLE" in text
        assert "Validé par" not in text and "Contre-signé" not in out
    check = check_countersignature(stolen.read_bytes(), _payload(cert))
    assert not check.ok and [p.en for p in check.problems] == [
        f"countersignature of another certificate ({_payload(other)['certificate_id']})"
    ]


def test_a_forged_or_mismatched_countersignature_is_reported(
    made: tuple[Path, BenchKey], cert: Path, tmp_path: Path
) -> None:
    key = made[1]
    written = countersign(cert, key, name="Inès")
    honest = written.read_bytes()
    assert check_countersignature(honest, _payload(cert)).ok
    # The name changed after signing: the signature no longer holds.
    doc = json.loads(honest)
    doc["payload"]["validator"]["name"] = "Quelqu'un d'autre"
    check = check_countersignature(json.dumps(doc).encode(), _payload(cert))
    assert not check.ok and "signature" in check.problems[0].en
    # Signed for the right id but another version of the certificate's content.
    doc = json.loads(honest)["payload"]
    doc["certificate_sha256"] = "0" * 64
    check = check_countersignature(json.dumps(key.sign(doc)).encode(), _payload(cert))
    assert not check.ok and "another version" in check.problems[0].en
    # Not a countersignature at all (a certificate), and not JSON.
    assert not check_countersignature(cert.read_bytes(), _payload(cert)).ok
    assert not check_countersignature(b"\xff{", _payload(cert)).ok


def test_countersign_refuses_an_invalid_certificate(cert: Path, tmp_path: Path) -> None:
    doc = json.loads(cert.read_bytes())
    doc["payload"]["media"]["serial"] = "SOMEONE-ELSE"
    cert.write_text(json.dumps(doc))
    with pytest.raises(BenchError) as caught:
        countersign(cert, BenchKey.generate(), name="Inès")
    assert caught.value.exit_code == 1 and "media" in caught.value.text.en
    assert not countersignature_path(cert).exists()
    code, _, err = _run(["countersign", str(cert), "--name", "Inès"], tmp_path)
    assert code == 1 and "media" in err
    with pytest.raises(BenchError):
        countersign(cert, BenchKey.generate(), name="  ")
