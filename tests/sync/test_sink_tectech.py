"""The tec.tech sink against a strict emulator of its API on loopback
(tests/support/tectech_emulator.py): payloads field by field for recorded laptops, the
token cached and renewed, faults answered ``retry`` and bad fields ``rejected``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bench_agent.model.report import UnitReport
from bench_agent.sync.sinks.base import Delivery, Document
from bench_agent.sync.sinks.tectech import (
    COMMENT_MAX_CHARS,
    VOCABULARY_FILE,
    TectechConfig,
    TectechSink,
    brand,
    payload_problems,
    tectech_payload,
    vocabulary,
)
from tests.support.tectech_emulator import TectechEmulator, closed_port
from tests.support.unit_reports import VERIFY_BASE, certificate_id, host_report
from wipe.signing import BenchKey

KEY = BenchKey.generate()
X1 = "Lenovo_ThinkPad_X1_Carbon_5th_live"


def document(report: UnitReport) -> Document:
    from bench_agent.model import to_json

    envelope = KEY.sign(json.loads(to_json(report)))
    return Document(
        kind="report",
        item_id=f"{report.report_id}#{report.revision}",
        document_id=report.report_id,
        revision=report.revision,
        body=json.dumps(envelope).encode(),
    )


@pytest.fixture
def emulator() -> Iterator[TectechEmulator]:
    with TectechEmulator() as em:
        yield em


def sink_for(em: TectechEmulator, **kwargs: Any) -> TectechSink:
    config = TectechConfig(
        url=kwargs.pop("url", em.base),
        client_id=em.client_id,
        secret=kwargs.pop("secret", em.client_secret),
        verify_base=VERIFY_BASE,
        timeout_s=kwargs.pop("timeout_s", (2.0, 2.0)),
    )
    return TectechSink(config, **kwargs)


def no_secret_in(delivery: Delivery, em: TectechEmulator) -> None:
    """Neither the client secret nor any token ever reaches a reason or a detail."""
    texts = [delivery.detail or ""]
    if delivery.reason:
        texts += [delivery.reason.fr, delivery.reason.en]
    for text in texts:
        assert em.client_secret not in text
        for token in em.tokens:
            assert token not in text


# ---------------------------------------------------------------- payloads, field by field

EXPECTED: dict[str, dict[str, Any]] = {
    # Written from each host's recorded files (dmidecode, sysfs, lspci/lsusb), not from the
    # sink: every field tec.tech will hold, and the category the network profile gives.
    X1: {
        "statut": "PRET_A_DISTRIBUER",
        "typeMateriel": "ORDINATEUR_PORTABLE",
        "categorie": "B",
        "idEsn": "GRPC25-0322",
        "numeroSerie": "PF0QMY5N",
        "marque": "LENOVO",
        "model": "ThinkPad X1 Carbon 5th",
        "processeur": "Intel Core i7-7500U",
        "typeDisqueDur1": "SSD",
        "tailleDisqueDur1": 1024,
        "RAM": 16,
        "webcam": "OUI",
        "lecteurDVD": "NON",
    },
    "Lenovo_G50-80_80E5": {
        "statut": "PRET_A_DISTRIBUER",
        "typeMateriel": "ORDINATEUR_PORTABLE",
        "categorie": "B",
        "idEsn": "GRPC25-0322",
        "numeroSerie": "PF0FY42E",
        "marque": "LENOVO",
        "model": "G50-80",
        "processeur": "Intel Core i3-5005U",
        "typeDisqueDur1": "SSD",
        "tailleDisqueDur1": 240,
        "RAM": 8,
        "webcam": "OUI",
        "lecteurDVD": "OUI",  # its DVD writer; the USB stick is not a disk of the unit
    },
    "Acer_Aspire_One_AOHAPPY": {
        "statut": "PRET_A_DISTRIBUER",
        "typeMateriel": "ORDINATEUR_PORTABLE",
        "categorie": "D",
        "idEsn": "GRPC25-0322",
        "numeroSerie": "LUSEA0D010038879A01601",
        "marque": "ACER",
        "model": "AOHAPPY",
        "processeur": "Intel Atom N450",
        "typeDisqueDur1": "HDD",
        "tailleDisqueDur1": 160,
        "RAM": 1,
        "webcam": "OUI",
        "lecteurDVD": "NON",
    },
    "Dell_XPS_13_9350": {
        # Recorded without its disk: not distributable, so no category and not reusable.
        "statut": "NON_REEMPLOYABLE",
        "typeMateriel": "ORDINATEUR_PORTABLE",
        "idEsn": "GRPC25-0322",
        "numeroSerie": "D0JHP72",
        "marque": "DELL",
        "model": "XPS 13 9350",
        "processeur": "Intel Core i5-6200U",
        "RAM": 8,
    },
}


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_the_emulator_holds_each_field_the_report_says(
    host: str, emulator: TectechEmulator
) -> None:
    report = host_report(host)
    serial = EXPECTED[host].get("numeroSerie")
    ident = emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie=serial)
    sink = sink_for(emulator)
    delivery = sink.deliver(document(report))
    assert delivery.outcome == "sent", delivery
    [put] = emulator.puts
    comment = put.pop("commentaire")
    assert put == {"id": ident, **EXPECTED[host]}
    held = emulator.equipment[ident]
    assert held["idLot"] == "L-0048" and held["idStock"] == "S-0094"  # read-only, untouched
    assert f"rapport {report.report_id} r1" in comment
    for erasure in report.erasures:
        assert f"{VERIFY_BASE}/verify/{erasure.certificate_id}" in comment
    assert len(comment) <= COMMENT_MAX_CHARS


def test_battery_health_and_disk_verdicts_go_in_the_comment() -> None:
    comment = tectech_payload(host_report("Dell_XPS_13_9350"))["commentaire"]
    assert "Batterie BAT0 : 92,8 %" in comment
    x1 = host_report(X1)
    comment = tectech_payload(x1, verify_base=None)["commentaire"]
    assert "Disque nvme0n1 NVME 1024 Go : OK" in comment
    assert f"certificat {certificate_id(x1.report_id, 'nvme0n1')}" in comment


def test_a_long_comment_is_cut_whole_parts_first_the_erasure_evidence_kept() -> None:
    report = host_report(X1)
    many = report.erasures[0]
    report.erasures = [many] * 40  # 40 certificates of one disk: far over the limit
    comment = tectech_payload(report, verify_base=VERIFY_BASE)["commentaire"]
    assert len(comment) <= COMMENT_MAX_CHARS
    assert comment.endswith(" / …")
    assert comment.count("/verify/") >= 5


def test_status_waits_until_every_disk_is_erased() -> None:
    unerased = tectech_payload(host_report(X1, erased=False))
    assert unerased["statut"] == "EN_COURS_DE_TRAITEMENT"
    assert unerased.get("categorie") in (None, "B")
    ungraded = tectech_payload(host_report(X1, graded=False))
    assert ungraded["statut"] == "EN_COURS_DE_TRAITEMENT" and "categorie" not in ungraded
    report = host_report(X1)
    report.erasures[0].result = "FAILED"
    assert tectech_payload(report)["statut"] != "PRET_A_DISTRIBUER"


def test_brands_are_the_networks_list_and_its_source_is_recorded() -> None:
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    assert "emmausconnect/audit-linux" in data["source"]["repository"]
    assert len(vocabulary().closed["marque"]) == 77
    assert brand("Lenovo") == "LENOVO" and brand("HP") == "HP"
    assert brand("Hewlett-Packard") == "HP" and brand("Packard Bell") == "PACKARD BELL"
    assert brand(None) is None and brand("  ") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"marque": "SCHENKER"}, "marque"),
        ({"idEsn": "LCT-0042-7"}, "idEsn"),
        ({"RAM": "16 Go"}, "RAM"),
        ({"idLot": "L-0001"}, "idLot"),
        ({"couleur": "noir"}, "couleur"),
        ({"typeMateriel": "server"}, "typeMateriel"),
    ],
)
def test_a_record_that_would_not_validate_is_rejected_naming_the_field_never_sent(
    change: dict[str, Any], field: str, emulator: TectechEmulator, monkeypatch: Any
) -> None:
    from bench_agent.sync.sinks import tectech

    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    real = tectech.tectech_payload
    monkeypatch.setattr(
        tectech, "tectech_payload", lambda r, **k: {**real(r, **k), **change}
    )  # what a future mapping bug, or an odd maker, would produce
    delivery = sink_for(emulator).deliver(document(host_report(X1)))
    assert delivery.outcome == "rejected"
    assert delivery.reason is not None and f"champ {field} :" in delivery.reason.fr
    assert f"field {field}:" in delivery.reason.en
    assert emulator.calls == []  # nothing was sent, not even a token request


def test_an_unknown_maker_is_named_in_french() -> None:
    report = host_report(X1)
    report.unit.maker = "Schenker"
    problems = payload_problems(tectech_payload(report))
    assert [p.field for p in problems] == ["marque"]
    assert "SCHENKER" in problems[0].message.fr


# ---------------------------------------------------------------- the strict emulator


def test_the_emulator_is_strict_like_the_real_server(emulator: TectechEmulator) -> None:
    ident = emulator.add_equipment(idEsn="GRPC25-0322")
    base = emulator.base
    s = requests.Session()
    assert s.get(f"{base}/materiel", params={"idEsn": "GRPC25-0322"}).status_code == 401
    assert s.get(f"{base}/auth-token").status_code == 405
    bad = s.post(f"{base}/auth-token", json={"client_id": "x", "client_secret": "y"})
    assert bad.status_code == 401
    token = s.post(
        f"{base}/auth-token",
        json={"client_id": emulator.client_id, "client_secret": emulator.client_secret},
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert s.delete(f"{base}/materiel", headers=auth).status_code == 405
    assert s.post(f"{base}/materiel", headers=auth, json=[]).status_code == 405
    put = s.put(f"{base}/materiel", headers=auth, json={"id": ident})
    assert put.status_code == 400 and "tableau" in put.json()["message"]
    for record, word in [
        ({"id": ident, "categorie": "E"}, "categorie"),
        ({"id": ident, "webcam": True}, "webcam"),
        ({"id": ident, "RAM": "8"}, "RAM"),
        ({"id": ident, "idStock": "S-1"}, "idStock"),
        ({"id": ident, "marque": "Lenovo"}, "marque"),
        ({"id": ident, "couleur": "noir"}, "couleur"),
    ]:
        answer = s.put(f"{base}/materiel", headers=auth, json=[record])
        assert answer.status_code == 400 and answer.json()["message"].startswith(word), record
    assert s.put(f"{base}/materiel", headers=auth, json=[{"id": "M-9"}]).status_code == 404
    assert s.put(f"{base}/materiel", headers=auth, json=[{"id": ident}]).status_code == 201
    emulator.expire_tokens()
    assert s.get(f"{base}/materiel", headers=auth, params={"idEsn": "x"}).status_code == 401


# ---------------------------------------------------------------- lookups and tokens


def test_found_by_serial_when_the_id_esn_finds_nothing(emulator: TectechEmulator) -> None:
    ident = emulator.add_equipment(numeroSerie="PF0QMY5N")
    assert sink_for(emulator).deliver(document(host_report(X1))).outcome == "sent"
    assert [(c.method, list(c.query)) for c in emulator.calls if c.path == "/materiel"] == [
        ("GET", ["idEsn", "page", "limit"]),
        ("GET", ["numeroSerie", "page", "limit"]),
        ("PUT", []),
    ]
    assert emulator.equipment[ident]["idEsn"] == "GRPC25-0322"


def test_a_unit_missing_from_tectech_is_rejected_with_what_to_do(
    emulator: TectechEmulator,
) -> None:
    delivery = sink_for(emulator).deliver(document(host_report(X1)))
    assert delivery.outcome == "rejected" and delivery.reason is not None
    assert "créez-la d'abord dans tec.tech" in delivery.reason.fr
    assert emulator.puts == []


def test_two_records_for_one_id_or_another_serial_are_not_overwritten(
    emulator: TectechEmulator,
) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="OTHER123")
    delivery = sink_for(emulator).deliver(document(host_report(X1)))
    assert delivery.outcome == "rejected" and delivery.reason is not None
    assert "numeroSerie" in delivery.reason.fr and "OTHER123" in delivery.reason.fr
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    delivery = sink_for(emulator).deliver(document(host_report(X1)))
    assert delivery.outcome == "rejected" and delivery.reason is not None
    assert "Plusieurs fiches" in delivery.reason.fr
    assert emulator.puts == []


def test_one_token_for_a_batch_and_a_new_one_when_it_expires_mid_batch(
    emulator: TectechEmulator,
) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    sink = sink_for(emulator)
    docs = [document(host_report(X1)) for _ in range(4)]
    assert [sink.deliver(d).outcome for d in docs[:2]] == ["sent", "sent"]
    assert sink.tokens_taken == 1
    emulator.expire_tokens()  # the server expires it before the time it announced
    assert [sink.deliver(d).outcome for d in docs[2:]] == ["sent", "sent"]
    assert sink.tokens_taken == 2
    assert len(emulator.puts) == 4


def test_a_token_is_renewed_before_the_expiry_the_server_announced(
    emulator: TectechEmulator,
) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    now = [1000.0]
    sink = sink_for(emulator, clock=lambda: now[0])
    doc = document(host_report(X1))
    assert sink.deliver(doc).outcome == "sent"
    now[0] += emulator.token_ttl_s - 30  # inside the renewal margin
    assert sink.deliver(doc).outcome == "sent"
    assert sink.tokens_taken == 2


def test_token_expired_mid_batch_and_not_renewable_now_is_retry(
    emulator: TectechEmulator,
) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    sink = sink_for(emulator)
    doc = document(host_report(X1))
    assert sink.deliver(doc).outcome == "sent"
    emulator.expire_tokens()
    emulator.fail("status", path="/auth-token", status=503, retry_after="120")
    delivery = sink.deliver(doc)
    assert delivery.outcome == "retry" and delivery.retry_after_s == 120.0
    no_secret_in(delivery, emulator)
    assert len(emulator.puts) == 1


def test_wrong_credentials_wait_and_never_show_the_secret(emulator: TectechEmulator) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    sink = sink_for(emulator, secret="wrong-secret-value")
    delivery = sink.deliver(document(host_report(X1)))
    assert delivery.outcome == "retry" and delivery.status == 401
    assert delivery.reason is not None and "Identifiants tec.tech refusés" in delivery.reason.fr
    assert "wrong-secret-value" not in f"{delivery}"
    assert "wrong-secret-value" not in repr(sink.config)


# ---------------------------------------------------------------- faults: always retry


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"kind": "status", "status": 500}, 500),
        ({"kind": "status", "status": 503, "retry_after": "7"}, 503),
        ({"kind": "status", "status": 429}, 429),
        ({"kind": "status", "status": 502, "method": "GET"}, 502),
    ],
)
def test_server_errors_are_retry(
    fault: dict[str, Any], status: int, emulator: TectechEmulator
) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    emulator.fail(**{"path": "/materiel", **fault})
    delivery = sink_for(emulator).deliver(document(host_report(X1)))
    assert delivery.outcome == "retry" and delivery.status == status
    assert delivery.reason is not None and f"HTTP {status}" in delivery.reason.fr
    if "retry_after" in fault:
        assert delivery.retry_after_s == 7.0
    no_secret_in(delivery, emulator)


def test_a_server_that_is_down_is_retry() -> None:
    config = TectechConfig(
        url=f"http://127.0.0.1:{closed_port()}/api", client_id="c", secret="s", timeout_s=(2, 2)
    )
    delivery = TectechSink(config).deliver(document(host_report(X1)))
    assert delivery.outcome == "retry"
    assert delivery.reason is not None and "injoignable" in delivery.reason.fr


def test_a_reset_mid_response_is_retry_and_the_resend_does_not_duplicate(
    emulator: TectechEmulator,
) -> None:
    ident = emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    emulator.fail("reset", method="PUT")
    sink = sink_for(emulator)
    doc = document(host_report(X1))
    first = sink.deliver(doc)
    assert first.outcome == "retry"
    assert len(emulator.puts) == 1  # applied, but the bench never heard it
    assert sink.deliver(doc).outcome == "sent"
    assert len(emulator.equipment) == 1  # an update of the one record, never a new one
    assert emulator.puts[0] == emulator.puts[1] and emulator.equipment[ident]["RAM"] == 16


def test_slower_than_the_timeout_is_retry(emulator: TectechEmulator) -> None:
    emulator.add_equipment(idEsn="GRPC25-0322", numeroSerie="PF0QMY5N")
    emulator.fail("slow", method="PUT", delay_s=5.0)
    delivery = sink_for(emulator, timeout_s=(1.0, 0.3)).deliver(document(host_report(X1)))
    assert delivery.outcome == "retry"
    assert delivery.reason is not None and "ne répond pas dans le délai" in delivery.reason.fr


def test_tls_errors_say_so_in_french(emulator: TectechEmulator) -> None:
    # A plain-HTTP server spoken to in TLS: the handshake fails as with a bad certificate.
    https = emulator.base.replace("http://", "https://")
    delivery = sink_for(emulator, url=https).deliver(document(host_report(X1)))
    assert delivery.outcome == "retry"
    assert delivery.reason is not None and "certificat TLS" in delivery.reason.fr


def test_a_proxy_that_refuses_says_so(emulator: TectechEmulator, monkeypatch: Any) -> None:
    session = requests.Session()
    session.proxies = {"http": f"http://127.0.0.1:{closed_port()}"}
    session.trust_env = False
    delivery = sink_for(emulator, session=session).deliver(document(host_report(X1)))
    assert delivery.outcome == "retry"
    assert delivery.reason is not None and "proxy" in delivery.reason.fr


def test_certificates_are_skipped_and_a_tampered_report_rejected(
    emulator: TectechEmulator,
) -> None:
    sink = sink_for(emulator)
    cert = Document("certificate", "c-1", "c-1", None, b"{}")
    assert sink.deliver(cert).outcome == "skipped"
    doc = document(host_report(X1))
    tampered = Document(
        doc.kind, doc.item_id, doc.document_id, doc.revision, doc.body.replace(b"16", b"32", 1)
    )
    delivery = sink.deliver(tampered)
    assert delivery.outcome == "rejected" and emulator.calls == []
