"""The bench's own printers: Zebra ZPL and Brother QL raster, and every print recorded.

ZPL is parsed back and its fields compared with what the PDF prints, then sent to a
loopback TCP server standing for a printer's port 9100 (answering ``~HS`` as a Zebra
does: ready, out of paper, paused). The Brother raster is read back by the library's own
reader (``BrotherQLReader``), which rebuilds the page image; its QR code is decoded with
``zbarimg``. The Brother status errors go through a pseudo-terminal standing for
``/dev/usb/lp0`` (the library's kernel back end, real status bytes, real parser).
"""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import threading
import tty
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest

from bench_agent.bench import flow
from bench_agent.bench import labels as bench_labels
from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.reports import load_report_file
from bench_agent.bench.service import Bench
from bench_agent.bench.site import Printer, load_site
from bench_agent.host import open_host
from bench_agent.host.base import CommandResult
from bench_agent.host.live import LiveHost
from bench_agent.labels import label_content, load_template, render_label
from bench_agent.labels.brother import brother_raster
from bench_agent.labels.raster import render_raster
from bench_agent.labels.zpl import field_data, label_zpl, parse_host_status
from bench_agent.model.common import Text
from tests.bench.test_flow import X1, clock, complete
from tests.labels.test_labels import BASE, CERT_ID, x1_report
from tests.support.requirements import require_program

TEMPLATES = ["brother-ql-62x29", "brother-ql-29x90", "dymo-99012-89x36", "shipping-100x50"]
VERIFY = f"{BASE}/verify/{CERT_ID}"
READY = (  # a Zebra's three ~HS strings: ready, not paused, no ribbon problem
    b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n"
    b"\x02000,0,0,0,0,2,6,0,00000000,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)
PAPER_OUT = READY.replace(b"\x02030,0,0,", b"\x02030,1,0,", 1)
PAUSED = READY.replace(b"\x02030,0,0,", b"\x02030,0,1,", 1)


# ---------------------------------------------------------------- ZPL


@dataclass
class Zpl:
    width: int = 0
    length: int = 0
    texts: list[str] = field(default_factory=list)
    qr: list[tuple[int, str]] = field(default_factory=list)
    """(magnification, data) of each ^BQ field."""
    copies: int = 0


def parse_zpl(data: bytes) -> Zpl:
    """A small ZPL reader: the commands this project writes, checked strictly."""
    text = data.decode("utf-8")
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ"), text
    parsed = Zpl()
    barcode: int | None = None
    for command in re.split(r"(?=\^)", text.replace("\n", "")):
        if not command:
            continue
        name, args = command[1:3], command[3:]
        if name == "PW":
            parsed.width = int(args)
        elif name == "LL":
            parsed.length = int(args)
        elif name == "PQ":
            parsed.copies = int(args)
        elif name == "BQ":
            orientation, model, magnification = args.split(",")
            assert (orientation, model) == ("N", "2")
            barcode = int(magnification)
        elif name == "FD":
            if barcode is not None:
                assert args.startswith("MA,"), args
                parsed.qr.append((barcode, args[3:]))
                barcode = None
            else:
                parsed.texts.append(re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m[1], 16)), args))
        else:
            assert name in {"XA", "CI", "LH", "FO", "A0", "FH", "FS", "XZ"}, command
    return parsed


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("dpi", [203, 300])
def test_zpl_says_what_the_pdf_says(template: str, dpi: int) -> None:
    content = label_content(x1_report(), "fr", BASE)
    chosen = load_template(template)
    pdf_lines = render_label(content, chosen).lines
    parsed = parse_zpl(label_zpl(content, chosen, dpi, copies=2))
    # The category's note is a field of its own, after the category.
    assert " ".join(parsed.texts) == " ".join(pdf_lines)
    assert parsed.copies == 2
    width_mm = max(chosen.spec.width_mm, chosen.spec.height_mm)
    assert parsed.width == round(width_mm / 25.4 * dpi)
    assert len(parsed.qr) == 1
    magnification, payload = parsed.qr[0]
    assert payload == VERIFY
    # Modules of at least 0.375 mm: 3 dots at 203 dpi, 4 at 300.
    assert magnification >= (3 if dpi == 203 else 4)


def test_zpl_escapes_its_command_characters() -> None:
    assert field_data("A^B~C_D") == "A_5EB_7EC_5FD"
    report = x1_report()
    report.unit.model = "X1 ^XZ~JR"  # a DMI string that would end the label early
    content = label_content(report, "fr", BASE)
    parsed = parse_zpl(label_zpl(content, load_template("shipping-100x50"), 203))
    assert "Lenovo X1 ^XZ~JR" in parsed.texts


def test_host_status_is_read() -> None:
    ready, out, paused = (parse_host_status(x) for x in (READY, PAPER_OUT, PAUSED))
    assert ready is not None and not ready.paper_out and not ready.paused
    assert out is not None and out.paper_out
    assert paused is not None and paused.paused
    assert parse_host_status(b"") is None and parse_host_status(b"garbage") is None


class FakePort:
    """A loopback TCP server standing for a printer's raw port: answers ``~HS`` with
    ``status`` and keeps what it receives after."""

    def __init__(self, status: bytes) -> None:
        self.status = status
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = b""
        self.asked_status = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(5)
            first = conn.recv(3)
            if first == b"~HS":
                self.asked_status = True
                conn.sendall(self.status)
            else:
                self.received += first
            while chunk := conn.recv(65536):
                self.received += chunk

    def close(self) -> bytes:
        self.thread.join(5)
        self.server.close()
        return self.received


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (bound then closed)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def zpl_label() -> bench_labels.RenderedLabel:
    return bench_labels.render(x1_report(), load_template("shipping-100x50"), "fr", BASE)


def test_zpl_goes_to_port_9100_after_a_status_check() -> None:
    printer = FakePort(READY)
    done = bench_labels.print_label(
        open_host(str(X1)), zpl_label(), Printer(kind="zpl", host=f"127.0.0.1:{printer.port}")
    )
    received = printer.close()
    assert printer.asked_status
    assert done.kind == "zpl" and done.printer == f"127.0.0.1:{printer.port}"
    assert parse_zpl(received).qr == [(6, VERIFY)]  # 300 dpi (the default): 0.5 mm modules


@pytest.mark.parametrize(
    ("status", "said"),
    [(PAPER_OUT, "plus d'étiquettes ou de ruban"), (PAUSED, "en pause")],
)
def test_zpl_printer_out_of_labels_or_paused_gets_nothing(status: bytes, said: str) -> None:
    printer = FakePort(status)
    with pytest.raises(BenchError) as caught:
        bench_labels.send_zpl(f"127.0.0.1:{printer.port}", b"^XA^XZ")
    assert printer.close() == b""  # nothing sent: a retry prints once
    assert said in caught.value.text.fr and "réessayez" in caught.value.text.fr
    assert "try again" in caught.value.text.en


def test_zpl_printer_off_is_a_clear_message(free_port: int) -> None:
    with pytest.raises(BenchError) as caught:
        bench_labels.send_zpl(f"127.0.0.1:{free_port}", b"^XA^XZ")
    assert caught.value.text.fr.startswith(f"Imprimante 127.0.0.1:{free_port} injoignable")


# ---------------------------------------------------------------- Brother QL


def read_back(instructions: bytes, tmp_path: Path) -> tuple[object, list[Path]]:
    from brother_ql.reader import BrotherQLReader

    source = tmp_path / "job.bin"
    source.write_bytes(instructions)
    with source.open("rb") as fh:
        reader = BrotherQLReader(fh)
        reader.filename_fmt = str(tmp_path / "page{counter}.png")
        reader.analyse()
    return reader, sorted(tmp_path.glob("page*.png"))


@pytest.mark.parametrize(
    ("tape", "template", "width_mm"),
    [("62", "brother-ql-62x29", 62), ("29x90", "brother-ql-29x90", 29)],
)
@pytest.mark.parametrize("dpi", [300, 600])
def test_brother_raster_reads_back_with_its_qr(
    tape: str, template: str, width_mm: int, dpi: int, tmp_path: Path
) -> None:
    content = label_content(x1_report(), "fr", BASE)
    image = render_raster(content, load_template(template), dpi)
    data = brother_raster(image, model="QL-820NWB", tape=tape, dpi=dpi, copies=2)  # type: ignore[arg-type]
    reader, pages = read_back(data, tmp_path)
    assert reader.mwidth == width_mm  # type: ignore[attr-defined]
    assert reader.cut_at_end  # type: ignore[attr-defined]
    assert reader.high_resolution_printing == (dpi == 600)  # type: ignore[attr-defined]
    assert len(pages) == 2
    out = subprocess.run(
        [require_program("zbarimg"), "--quiet", "--raw", str(pages[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.split() == [VERIFY]


def test_brother_setup_errors_are_usage_errors() -> None:
    label = bench_labels.render(x1_report(), load_template("brother-ql-62x29"), "fr", BASE)
    with pytest.raises(BenchError) as caught:
        bench_labels.brother_instructions(
            label, Printer(kind="brother_ql", device="x", model="QL-9")
        )
    assert caught.value.exit_code == 2 and "QL-9" in caught.value.text.fr


def test_brother_over_the_network_and_unplugged(free_port: int, tmp_path: Path) -> None:
    label = bench_labels.render(x1_report(), load_template("brother-ql-62x29"), "fr", BASE)
    port = FakePort(READY)
    printer = Printer(kind="brother_ql", host=f"127.0.0.1:{port.port}")
    done = bench_labels.print_label(open_host(str(X1)), label, printer)
    received = port.close()
    assert done.kind == "brother_ql"
    assert received == bench_labels.brother_instructions(label, printer)
    for unplugged in (
        Printer(kind="brother_ql", host=f"127.0.0.1:{free_port}"),
        Printer(kind="brother_ql", device=f"file://{tmp_path}/usb/lp0"),
        Printer(kind="brother_ql", device="usb://0x04f9:0x2042"),  # no QL-700 on USB here
    ):
        with pytest.raises(BenchError) as caught:
            bench_labels.print_label(open_host(str(X1)), label, unplugged)
        assert "injoignable : éteinte, débranchée" in caught.value.text.fr


def brother_status(error_1: int) -> bytes:
    """A QL-700's 32-byte status (Brother's raster reference): error information 1 in
    byte 8, status type 02 (error) in byte 18."""
    status = bytearray(32)
    status[0:4] = b"\x80\x20\x42\x34"
    status[4] = 0x35  # QL-700
    status[8] = error_1
    status[10] = 62
    status[11] = 0x0A  # continuous tape
    status[18] = 0x02  # error occurred
    return bytes(status)


@pytest.fixture
def usb_lp() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal in raw mode standing for /dev/usb/lp0."""
    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    try:
        yield master, name
    finally:
        os.close(master)
        os.close(slave)


def test_brother_out_of_labels_on_usb(usb_lp: tuple[int, str]) -> None:
    master, name = usb_lp
    label = bench_labels.render(x1_report(), load_template("brother-ql-62x29"), "fr", BASE)
    printer = Printer(kind="brother_ql", device=f"file://{name}")

    def printer_side() -> None:
        got = b""
        while not got.endswith(b"\x1a"):  # the print command ends the job
            got += os.read(master, 65536)
        os.write(master, brother_status(0x01))  # "No media when printing"

    thread = threading.Thread(target=printer_side, daemon=True)
    thread.start()
    with pytest.raises(BenchError) as caught:
        bench_labels.print_label(open_host(str(X1)), label, printer)
    thread.join(5)
    assert "plus d'étiquettes ou rouleau absent (No media when printing)" in caught.value.text.fr


# ---------------------------------------------------------------- the site and the record


def write_site(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "site.toml").write_text(text, encoding="utf-8")


def test_site_names_the_printer_and_the_organisation(tmp_path: Path) -> None:
    write_site(
        tmp_path,
        '[printer]\nkind = "zpl"\nhost = "10.0.0.7"\ndpi = 203\n'
        '[organisation]\nname = "La Collecte Lyon"\naddress = "12 rue de la Paix, 69003 Lyon"\n',
    )
    site = load_site(BenchPaths(tmp_path), {"BENCH_AGENT_CMDLINE": ""})
    assert site.printer is not None and site.printer.kind == "zpl" and site.printer.dpi == 203
    assert bench_labels.default_template(site.printer) == "shipping-100x50"
    assert site.organisation is not None and site.organisation.name == "La Collecte Lyon"
    for bad, where in (
        ('[printer]\nkind = "cups"\n', "printer.queue"),
        ('[printer]\nkind = "brother_ql"\n', "printer.device"),
        ('[printer]\nkind = "laser"\n', "printer.kind"),
        (
            '[printer]\nkind = "brother_ql"\ndevice = "usb://0x04f9:0x2042"\ntape = "17"\n',
            "printer.tape",
        ),
        ('[organisation]\naddress = "nowhere"\n', "organisation"),
    ):
        write_site(tmp_path, bad)
        with pytest.raises(BenchError) as caught:
            load_site(BenchPaths(tmp_path), {"BENCH_AGENT_CMDLINE": ""})
        assert caught.value.exit_code == 2
        assert f"« {where}" in caught.value.text.fr, caught.value.text.fr


def test_every_print_is_recorded_and_a_reprint_says_so(tmp_path: Path, free_port: int) -> None:
    environ = {"BENCH_AGENT_OPERATOR": "Amina", "BENCH_AGENT_CMDLINE": ""}
    bench = Bench.open(
        BenchPaths(tmp_path), open_host(str(X1)), None, environ, clock=clock,
        simulation_only=True,
    )  # fmt: skip
    bench.collect_inventory()
    complete(bench)
    bench.save()

    # The printer is off: a clear sentence, nothing recorded, the technician retries.
    write_site(tmp_path, f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{free_port}"\n')
    with pytest.raises(BenchError) as caught:
        bench.make_label(lang="fr")
    assert "injoignable" in caught.value.text.fr
    assert bench.record.prints == []

    for copy in (1, 2):
        printer = FakePort(READY)
        write_site(
            tmp_path,
            f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{printer.port}"\n'
            '[organisation]\nname = "La Collecte Lyon"\naddress = "12 rue de la Paix"\n',
        )
        text = bench.make_label(lang="fr")
        received = parse_zpl(printer.close())
        assert "Testé par La Collecte Lyon, 12 rue de la Paix" in received.texts
        assert ("Réimpression n° 2" in text.fr) == (copy == 2)
    first, second = bench.record.prints
    assert (first.kind, first.printer, first.by, first.template) == (
        "zpl", f"127.0.0.1:{first.printer.rsplit(':', 1)[1]}", "Amina", "shipping-100x50",
    )  # fmt: skip
    assert (first.copy, first.reprint, second.copy, second.reprint) == (1, False, 2, True)
    assert first.printed_at == clock() and first.revision == 1
    # The next revision of the report carries the prints (printing is evidence).
    report = bench.report()
    assert [p.copy for p in report.label_prints] == [1, 2]
    assert msgspec.json.decode(msgspec.json.encode(report))["label_prints"][1]["reprint"] is True


def test_label_command_prints_on_the_site_printer(tmp_path: Path) -> None:
    from tests.labels.test_labels import run_cli

    printer = FakePort(READY)
    write_site(tmp_path, f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{printer.port}"\ndpi = 203\n')
    code, out, err = run_cli(
        "label", "--host-dir", str(X1), "--json", "--qr-url-base", BASE, home=tmp_path
    )
    received = parse_zpl(printer.close())
    assert (code, err) == (0, ""), err
    said = msgspec.json.decode(out)
    assert (said["kind"], said["template"]) == ("zpl", "shipping-100x50")
    assert " ".join(received.texts) == " ".join(said["lines"])


def test_the_app_can_say_which_printer_prints(tmp_path: Path) -> None:
    environ = {"BENCH_AGENT_CMDLINE": ""}
    bench = Bench.open(
        BenchPaths(tmp_path), open_host(str(X1)), None, environ, clock=clock,
        simulation_only=True,
    )  # fmt: skip
    assert bench.label_printer() is None
    write_site(tmp_path, '[printer]\nkind = "brother_ql"\ndevice = "file:///dev/usb/lp0"\n')
    assert bench.label_printer() == "Brother QL file:///dev/usb/lp0"  # not site.toml's key
    write_site(tmp_path, '[printer]\nkind = "nope"\n')
    assert bench.label_printer() is None


# ---------------------------------------------------------------- prints in the signed report


def printed_sitting(tmp_path: Path) -> Bench:
    """The recorded ThinkPad's sitting, complete and saved (revision 1)."""
    environ = {"BENCH_AGENT_OPERATOR": "Amina", "BENCH_AGENT_CMDLINE": ""}
    bench = Bench.open(
        BenchPaths(tmp_path), open_host(str(X1)), None, environ, clock=clock,
        simulation_only=True,
    )  # fmt: skip
    bench.collect_inventory()
    complete(bench)
    assert bench.save().revision == 1
    return bench


def print_on_a_zebra(bench: Bench, home: Path) -> tuple[str, bytes, Text]:
    """One label on a loopback Zebra: the printer's name, the ZPL it got, the message."""
    printer = FakePort(READY)
    write_site(home, f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{printer.port}"\n')
    text = bench.make_label(lang="fr")
    return f"127.0.0.1:{printer.port}", printer.close(), text


def sent_reports(paths: BenchPaths) -> list[dict[str, object]]:
    """The report envelopes waiting in the outbox, signature checked: their payloads."""
    from bench_agent.bench.sending import outbox
    from wipe.signing import parse_json, verify_envelope

    return [
        verify_envelope(parse_json(item.body))
        for item in outbox(paths).items()
        if item.kind == "report"
    ]


def test_a_print_is_signed_into_the_report_at_once_and_certifies_the_same_revision(
    tmp_path: Path, free_port: int
) -> None:
    """Print, reprint, then close the unit at once: the reports the outbox sends list
    both prints, each revision verifies, and apart from ``revision`` and ``label_prints``
    they are the certified revision byte for byte (category, grade, date unchanged)."""
    bench = printed_sitting(tmp_path)
    report_id = bench.record.report_id

    # The printer is off: a clear sentence, nothing printed, recorded or signed.
    write_site(tmp_path, f'[printer]\nkind = "zpl"\nhost = "127.0.0.1:{free_port}"\n')
    with pytest.raises(BenchError) as caught:
        bench.make_label(lang="fr")
    assert "injoignable" in caught.value.text.fr and "réessayez" in caught.value.text.fr
    assert "try again" in caught.value.text.en
    assert (bench.record.prints, bench.record.saved_revision) == ([], 1)
    assert len(sent_reports(bench.paths)) == 1

    # The retry prints: the first copy, signed at once into revision 2.
    first_printer, first_zpl, text = print_on_a_zebra(bench, tmp_path)
    assert text.fr.endswith("Ajoutée au rapport (révision 2).")
    assert text.en.endswith("Added to the report (revision 2).")
    r = bench.record
    assert (r.saved_revision, r.content_revision, r.label_revision, r.saved_prints) == (2, 1, 1, 1)
    views = bench.step_views()
    assert views["label"].state is flow.StepState.DONE
    assert views["sync"].state is flow.StepState.TODO  # revision 2 is still to send
    assert [w.fr for w in bench.leave_warnings()] == ["le rapport n'est pas envoyé"]
    assert bench.save().new is False  # nothing left to sign

    # A reprint: copy 2, said and signed (revision 3), the same label.
    second_printer, second_zpl, text = print_on_a_zebra(bench, tmp_path)
    assert "Réimpression n° 2." in text.fr and text.fr.endswith("(révision 3).")
    assert second_zpl == first_zpl  # it still certifies revision 1
    assert bench.record.label_revision == 1 and bench.record.saved_revision == 3
    bench.next_unit()  # closed right after printing

    r1, r2, r3 = sent_reports(bench.paths)
    assert [p["revision"] for p in (r1, r2, r3)] == [1, 2, 3]

    def content(payload: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in payload.items() if k not in ("revision", "label_prints")}

    assert content(r1) == content(r2) == content(r3)
    assert r1["label_prints"] == [] and r2["label_prints"] == r3["label_prints"][:1]  # type: ignore[index]
    prints = r3["label_prints"]
    assert isinstance(prints, list)
    assert [
        (p["copy"], p["reprint"], p["revision"], p["kind"], p["printer"], p["by"], p["template"])
        for p in prints
    ] == [
        (1, False, 1, "zpl", first_printer, "Amina", "shipping-100x50"),
        (2, True, 1, "zpl", second_printer, "Amina", "shipping-100x50"),
    ]
    assert all(p["printed_at"] == clock() and p["copies"] == 1 for p in prints)
    # The newest report file is revision 3 and passes the bench's own checks.
    latest = load_report_file(bench.paths.report(report_id))
    assert latest.signed and latest.report.revision == 3
    assert (
        latest.report.grade is not None and latest.report.grade.category == r1["grade"]["category"]
    )  # type: ignore[index]


def test_a_print_after_a_change_certifies_the_new_revision(tmp_path: Path) -> None:
    bench = printed_sitting(tmp_path)
    print_on_a_zebra(bench, tmp_path)  # certifies 1, signed as 2
    bench.answer_test("webcam", False)  # the unit changed: the label no longer says it
    assert not flow.label_current(bench.record)
    with pytest.raises(BenchError) as refused:
        bench.make_label(lang="fr")
    assert "enregistrez (étape 7)" in refused.value.text.fr
    saved = bench.save()
    assert saved.revision == 3 and bench.record.content_revision == 3
    assert bench.step_views()["label"].state is flow.StepState.TODO
    _, _, text = print_on_a_zebra(bench, tmp_path)
    assert "Réimpression n° 2." in text.fr and text.fr.endswith("(révision 4).")
    report = load_report_file(bench.paths.report(bench.record.report_id)).report
    assert [(p.copy, p.revision) for p in report.label_prints] == [(1, 1), (2, 3)]
    assert report.revision == 4 and bench.record.label_revision == 3


def test_a_print_the_report_cannot_take_yet_is_signed_by_the_next_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk is full when the print-only revision is written (the one mock: a full
    disk under a running test): the print stays recorded, the technician is told, and
    the next save signs it."""
    from bench_agent.bench import reports

    bench = printed_sitting(tmp_path)
    real = reports.sign_and_write

    def disk_full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reports, "sign_and_write", disk_full)
    _, _, text = print_on_a_zebra(bench, tmp_path)
    assert "pas encore dans le rapport signé" in text.fr and "étape 7" in text.fr
    r = bench.record
    assert (len(r.prints), r.saved_revision, flow.prints_unsaved(r)) == (1, 1, True)
    assert "le rapport n'est pas enregistré" in [w.fr for w in bench.leave_warnings()]
    assert bench.step_views()["sync"].state is not flow.StepState.DONE
    monkeypatch.setattr(reports, "sign_and_write", real)
    saved = bench.save()
    assert (saved.new, saved.revision) == (True, 2)
    report = load_report_file(saved.path).report
    assert [(p.copy, p.revision) for p in report.label_prints] == [(1, 1)]
    assert not flow.prints_unsaved(bench.record)


@pytest.mark.parametrize(
    ("prints", "said"),
    [
        ([{"revision": 2}], "$.label_prints[0].revision: the label certifies revision 2"),
        ([{"revision": 9}], "certifies revision 9, which revision 2 of the report cannot list"),
        ([{"revision": 0}], "$.label_prints[0].revision"),
        ([{"revision": None}], "$.label_prints[0].revision: missing"),
        ([{"copy": 2, "reprint": True}], "$.label_prints[0].copy: 2, expected 1"),
        ([{"reprint": True}], "$.label_prints[0].reprint: true for print number 1"),
        ([{}, {"reprint": False}], "$.label_prints[1].reprint: false for print number 2"),
    ],
)
def test_a_report_whose_prints_cannot_be_true_is_refused(
    tmp_path: Path, prints: list[dict[str, object]], said: str
) -> None:
    from bench_agent.model import to_json
    from bench_agent.model.report import LabelRecord
    from tests.labels.test_labels import run_cli
    from wipe.signing import BenchKey

    def signed_with(entries: list[dict[str, object]]) -> Path:
        report = x1_report()
        report.revision = 2
        report.label_prints = [
            msgspec.convert(
                {
                    "template": "brother-ql-62x29",
                    "kind": "cups",
                    "printer": "Q",
                    "copy": i + 1,
                    "reprint": i > 0,
                    "revision": 1,
                    **entry,
                },
                LabelRecord,
            )
            for i, entry in enumerate(entries)
        ]
        envelope = BenchKey.generate().sign(msgspec.json.decode(to_json(report)))
        path = tmp_path / "report.json"
        path.write_text(msgspec.json.encode(envelope).decode())
        return path

    # Well formed: revision 1 printed, listed in revision 2.
    assert load_report_file(signed_with([{}])).report.label_prints[0].revision == 1
    path = signed_with(prints)
    with pytest.raises(BenchError) as caught:
        load_report_file(path)
    assert "étiquettes imprimées incohérentes" in caught.value.text.fr
    assert caught.value.detail is not None and said in caught.value.detail
    code, out, err = run_cli("label", "--report", str(path), "--output", str(tmp_path / "x.pdf"))
    assert (code, out) == (3, "") and "étiquettes imprimées incohérentes" in err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.cups
def test_a_stopped_cups_queue_sends_nothing_and_the_retry_prints(tmp_path: Path) -> None:
    """A queue CUPS stopped (``cupsdisable``, as CUPS does when its printer is off or
    unplugged): the label is refused with the reason, no job waits in the queue, nothing
    is recorded; once the queue is started again the same request prints."""
    from tests.labels.test_labels import cups_pdf_dirs, cups_queue, wait_for

    model = cups_queue()
    queue = f"BENCH_TEST_STOPPED_{os.getpid()}"
    ppd = Path(f"/etc/cups/ppd/{model}.ppd")
    driver = ["-P", str(ppd)] if ppd.is_file() else ["-m", "raw"]
    subprocess.run(["lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/", *driver], check=True)
    try:
        subprocess.run(["cupsdisable", "-r", "Bac vide", queue], check=True)
        bench = printed_sitting(tmp_path)
        bench.runner = LiveHost()  # this machine prints, as in the app (the unit is recorded)
        with pytest.raises(BenchError) as caught:
            bench.make_label(lang="fr", printer=queue)
        assert caught.value.text.fr.startswith(f"Imprimante {queue} arrêtée (Bac vide)")
        assert "réessayez" in caught.value.text.fr and "try again" in caught.value.text.en
        jobs = subprocess.run(
            ["lpstat", "-o", queue], capture_output=True, text=True, check=False
        ).stdout
        assert jobs == ""  # nothing waits to print late
        assert bench.record.prints == [] and bench.record.saved_revision == 1

        subprocess.run(["cupsenable", queue], check=True)
        text = bench.make_label(lang="fr", printer=queue)
        assert f"Étiquette imprimée sur {queue} (tâche {queue}-" in text.fr
        job = bench.record.prints[0].job
        assert bench.record.saved_revision == 2 and job is not None

        def done() -> bool:
            listing = subprocess.run(
                ["lpstat", "-W", "completed", "-o", queue],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            return any(line.split()[:1] == [job] for line in listing.splitlines())

        wait_for(done, 20.0, f"job {job} completed")
    finally:
        subprocess.run(["cancel", "-a", queue], check=False)
        token = bench.record.report_id[:8] if "bench" in locals() else "-"
        for folder in cups_pdf_dirs():
            for made in folder.glob(f"*{token}*.pdf") if folder.is_dir() else []:
                made.unlink(missing_ok=True)
        subprocess.run(["lpadmin", "-x", queue], check=False)


class CupsScript:
    """``lpstat -o`` / ``lpstat -p`` / ``cancel`` as CUPS 2.4 answers them (LANG=C), on
    a clock the test moves: the job is listed until ``done_at`` (None: never leaves)."""

    def __init__(self, state: str, done_at: float | None) -> None:
        self.state = state
        self.done_at = done_at
        self.now = 0.0
        self.calls: list[list[str]] = []

    def run(self, argv: list[str], timeout_s: float = 10.0) -> CommandResult:
        self.calls.append(argv)
        if argv[:2] == ["lpstat", "-o"]:
            waiting = self.done_at is None or self.now < self.done_at
            out = "Q-7                   root             1024   Thu Dec  3 15:20:24 2026\n"
            return CommandResult(tuple(argv), 0, out.encode() if waiting else b"", b"")
        if argv[:2] == ["lpstat", "-p"]:
            return CommandResult(tuple(argv), 0, self.state.encode(), b"")
        return CommandResult(tuple(argv), 0, b"", b"")

    def sleep(self, seconds: float) -> None:
        self.now += seconds


PRINTING = "printer Q now printing Q-7.  enabled since Thu Dec  3 15:20:24 2026\n"
UNAVAILABLE = PRINTING + "\tThe printer may not exist or is unavailable at this time.\n"
USB_GONE = PRINTING + "\tWaiting for printer to become available.\n"
STOPPED = "printer Q disabled since Thu Dec  3 15:06:51 2026 -\n\tThe printer is not responding.\n"


@pytest.mark.parametrize(
    ("state", "done_at", "outcome"),
    [
        (PRINTING, 1.0, "printed"),  # handed to the printer in a second
        (UNAVAILABLE, 1.0, "printed"),  # a previous job's message, then it prints
        (UNAVAILABLE, None, "injoignable"),  # a network printer that is off
        (USB_GONE, None, "injoignable"),  # a USB printer unplugged
        (STOPPED, None, "arrêtée (The printer is not responding.)"),  # CUPS stopped the queue
        (PRINTING, None, "attend encore"),  # slow, no error said: kept, with a warning
    ],
)
def test_a_cups_job_the_printer_cannot_take_is_cancelled_and_said(
    state: str, done_at: float | None, outcome: str
) -> None:
    script = CupsScript(state, done_at)

    def wait() -> list[Text]:
        return bench_labels._wait_for_job(
            script,  # type: ignore[arg-type]
            "Q",
            None,
            "Q-7",
            clock=lambda: script.now,
            sleep=script.sleep,
        )

    if outcome == "printed":
        assert wait() == []
        assert [c for c in script.calls if c[0] == "cancel"] == []
        assert script.now <= done_at  # type: ignore[operator]
    elif outcome == "attend encore":
        (warning,) = wait()
        assert warning.fr.startswith("Attention : la tâche Q-7 attend encore dans la file Q")
        assert script.now == pytest.approx(bench_labels.JOB_WAIT_S)
        assert [c for c in script.calls if c[0] == "cancel"] == []
    else:
        with pytest.raises(BenchError) as caught:
            wait()
        assert outcome in caught.value.text.fr and "réessayez" in caught.value.text.fr
        assert [c for c in script.calls if c[0] == "cancel"] == [["cancel", "Q-7"]]
        if outcome == "injoignable":  # not before the state message can be trusted
            assert script.now >= bench_labels.JOB_STUCK_S


@pytest.mark.cups
def test_a_cups_printer_that_does_not_answer_is_a_failed_print(
    tmp_path: Path, free_port: int
) -> None:
    """A real queue whose printer is a network address with nothing behind it (an office
    printer switched off): the job is cancelled, the technician told, nothing recorded."""
    from tests.labels.test_labels import cups_queue

    cups_queue()
    queue = f"BENCH_TEST_OFF_{os.getpid()}"
    subprocess.run(
        ["lpadmin", "-p", queue, "-E", "-v", f"socket://127.0.0.1:{free_port}", "-m", "raw"],
        check=True,
        capture_output=True,
    )
    try:
        bench = printed_sitting(tmp_path)
        bench.runner = LiveHost()
        with pytest.raises(BenchError) as caught:
            bench.make_label(lang="fr", printer=queue)
        assert caught.value.text.fr.startswith(f"Imprimante {queue} injoignable")
        jobs = subprocess.run(
            ["lpstat", "-o", queue], capture_output=True, text=True, check=False
        ).stdout
        assert jobs == ""  # cancelled: it will not print when the printer comes back
        assert bench.record.prints == [] and bench.record.saved_revision == 1
    finally:
        subprocess.run(["cancel", "-a", queue], check=False)
        subprocess.run(["lpadmin", "-x", queue], check=False)


def test_a_sitting_saved_before_print_revisions_reads_the_same() -> None:
    """A sitting file written before ``content_revision``/``saved_prints`` existed: the
    saved revision is what its label certifies, and its printed label still counts."""
    from bench_agent.bench.record import SittingRecord

    old = {
        "sitting_id": "s", "started_at": clock(), "report_id": "r", "saved_revision": 2,
        "label": {"template": "brother-ql-62x29", "kind": "cups", "revision": 2},
        "label_revision": 2,
        "prints": [{"template": "brother-ql-62x29", "kind": "cups", "revision": 2}],
    }  # fmt: skip
    record = msgspec.convert(old, SittingRecord)
    assert flow.certified_revision(record) == 2
    assert record.saved_fingerprint is None and flow.is_dirty(record)  # no content: dirty
    record = msgspec.structs.replace(record, saved_fingerprint=flow.content_fingerprint(record))
    assert flow.label_current(record)
    assert flow.prints_unsaved(record)  # the next save lists the print (a revision more)
