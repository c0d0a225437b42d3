"""The label in Zebra's ZPL II: text fields and the QR code in the printer's own commands.

Pure: :class:`LabelContent` + :class:`LabelTemplate` in, ZPL bytes out. Rows are placed
by :func:`~bench_agent.labels.render.layout` (the PDF's wrapping and sizes) in printer
dots; text is UTF-8 (``^CI28``) in the printer's scalable font 0 at the row's size, the
QR code a ``^BQ`` field (model 2, error correction M) of whole-dot modules. The label is
laid out in the content's orientation (``^PW`` its width, ``^LL`` its length).

Also the parser of the printer's ``~HS`` host status (paper out, paused).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench_agent.labels.content import LabelContent
from bench_agent.labels.raster import content_box_pt, qr_matrix
from bench_agent.labels.render import ASCENT, QR_BORDER_MODULES, layout
from bench_agent.labels.template import LabelTemplate

HOST_STATUS = b"~HS"
"""Ask a ZPL printer for its status: three lines between STX and ETX."""


def field_data(text: str) -> str:
    """Text for ``^FD`` behind ``^FH``: the command characters ``^``, ``~`` and the
    escape ``_`` itself written as ``_XX`` hexadecimal."""
    out = []
    for char in text:
        if char in "^~_":
            out.append(f"_{ord(char):02X}")
        else:
            out.append(char)
    return "".join(out)


def label_zpl(content: LabelContent, template: LabelTemplate, dpi: int, copies: int = 1) -> bytes:
    """One label, ``copies`` times (``^PQ``)."""
    box_w, box_h = content_box_pt(template)
    scale = dpi / 72.0
    rows, qr = layout(content, template, box_w, box_h)
    body = template.spec.fonts_pt.body
    commands = [
        "^XA",
        "^CI28",  # field data is UTF-8
        f"^PW{round(box_w * scale)}",
        f"^LL{round(box_h * scale)}",
        "^LH0,0",
    ]
    for row in rows:
        top = round((box_h - row.baseline - row.size * ASCENT) * scale)
        height = max(10, round(row.size * scale))
        commands.append(
            f"^FO{round(row.x * scale)},{top}^A0N,{height},{height}^FH^FD{field_data(row.text)}^FS"
        )
        if row.note:
            from reportlab.pdfbase.pdfmetrics import stringWidth

            x = row.x + stringWidth(row.text, row.font, row.size)
            note_h = max(10, round(body * scale))
            note_top = round((box_h - row.baseline - body * ASCENT) * scale)
            commands.append(
                f"^FO{round(x * scale)},{note_top}^A0N,{note_h},{note_h}^FH^FD"
                f"{field_data(row.note.strip())}^FS"
            )
    if qr is not None:
        qr_x, qr_y, qr_side = qr
        modules = len(qr_matrix(content.qr_payload)) + 2 * QR_BORDER_MODULES
        magnification = max(1, min(10, int(qr_side * scale // modules)))
        left = round(qr_x * scale) + QR_BORDER_MODULES * magnification
        top = round((box_h - qr_y - qr_side) * scale) + QR_BORDER_MODULES * magnification
        # ^FD for ^BQ: error correction M, automatic input mode ("MA,"), then the data.
        commands.append(f"^FO{left},{top}^BQN,2,{magnification}^FDMA,{content.qr_payload}^FS")
    commands += [f"^PQ{copies}", "^XZ"]
    return ("\n".join(commands) + "\n").encode("utf-8")


@dataclass(frozen=True)
class HostStatus:
    paper_out: bool
    paused: bool
    ribbon_out: bool = False


def parse_host_status(data: bytes) -> HostStatus | None:
    """The ``~HS`` answer: string 1 ``aaa,b,c,...`` (b paper out, c pause), string 2
    ``mmm,n,o,p,...`` (p ribbon out... on thermal-transfer printers). None when the
    answer is not a host status."""
    text = data.decode("ascii", errors="replace")
    strings = [s.strip("\r\n") for s in text.split("\x02")[1:]]
    strings = [s.split("\x03")[0] for s in strings]
    if len(strings) < 2:
        return None
    first, second = strings[0].split(","), strings[1].split(",")
    if len(first) < 3 or len(second) < 4:
        return None
    return HostStatus(
        paper_out=first[1].strip() == "1",
        paused=first[2].strip() == "1",
        ribbon_out=second[3].strip() == "1",
    )
