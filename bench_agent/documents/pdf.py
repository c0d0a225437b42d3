"""What every document PDF shares: the embedded DejaVu fonts of the labels, paragraph
styles, text that is always escaped (an operator named ``<b>`` or ``R&D`` prints
exactly), dates people read, and QR codes a phone scans.

reportlab is imported inside the functions: importing this module costs nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from bench_agent.labels.content import clean_text
from bench_agent.labels.render import BOLD, REGULAR, register_fonts

MISSING = "—"

MM = 72.0 / 25.4


def text(value: object, max_chars: int = 2000) -> str:
    """A value as escaped paragraph markup: control characters removed (one line), then
    ``&``, ``<`` and ``>`` escaped; "—" for nothing."""
    if value is None:
        return MISSING
    cleaned = clean_text(str(value), max_chars=max_chars)
    return escape(cleaned) if cleaned else MISSING


def readable_time(value: str | None) -> str | None:
    """An ISO 8601 timestamp as people read it (``2026-11-26 08:50 UTC``), plain text;
    anything else as written."""
    from datetime import UTC, datetime

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def when(value: str | None) -> str:
    """:func:`readable_time` as escaped paragraph markup ("—" for nothing)."""
    return text(readable_time(value))


@dataclass(frozen=True)
class Styles:
    title: Any
    heading: Any
    body: Any
    small: Any
    cell: Any
    cell_bold: Any
    font_file: str


def styles() -> Styles:
    """Paragraph styles in the embedded DejaVu Sans (any Latin name prints, "Łukasz
    Nguyễn" included); ``<b>`` in markup picks the bold face."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    font_file = register_fonts()
    registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=11.5)
    return Styles(
        title=ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, spaceAfter=4),
        heading=ParagraphStyle(
            "heading", fontName=BOLD, fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=3
        ),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        cell=ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        cell_bold=ParagraphStyle("cell_bold", parent=body, fontName=BOLD, fontSize=8, leading=10),
        font_file=font_file,
    )


def grid_style(header: bool = True) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        # Tables set their cells' font even for paragraphs: not the unembedded Helvetica.
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    return TableStyle(commands)


def qr_code(payload: str, side_mm: float) -> Any:
    """A QR code flowable ``side_mm`` wide (reportlab's own widget, error level M, two
    modules of quiet zone)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(payload, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    side = side_mm * MM
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    # The renderer sets the drawing's font even with no text: not the unembedded Helvetica.
    drawing.initialFontName = REGULAR
    drawing.add(widget)
    return drawing
