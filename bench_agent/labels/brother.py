"""The label as Brother QL raster instructions (the maintained ``brother-ql-next``).

Pure: a bitmap of the label in, the printer's instruction bytes out, for 62 mm
continuous tape (DK-22205, the label as long as the template) or 29 × 90 mm die-cut
labels (DK-11201), at 300 dpi or 600 dpi (QL-570/8xx high resolution), cut after each
label. The bitmap is cropped to what the tape prints (the printer's own margins: the
templates keep their text inside them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL.Image import Image

BrotherTape = Literal["62", "29x90"]


class BrotherSetupError(ValueError):
    """An unknown model, or a tape or resolution the model cannot print."""


def printable_dots(tape: BrotherTape, dpi: int) -> tuple[int, int]:
    """What the tape prints, in dots across × along (0 along: continuous tape)."""
    from brother_ql.labels import LabelsManager

    across, along = LabelsManager()[tape].dots_printable
    factor = 2 if dpi == 600 else 1
    return across * factor, along * factor


def fit_to_tape(image: Image, tape: BrotherTape, dpi: int) -> Image:
    """The label image cropped (centred) to the printable width of the tape and, for a
    die-cut label, its printable length; the long edge along the tape."""
    across, along = printable_dots(tape, dpi)
    # Content is landscape: on 29 × 90 die-cut the long edge runs along the tape.
    width, height = image.size
    target_w, target_h = (along, across) if along else (across, height)
    if along == 0 and width > height and width > across:
        target_w, target_h = across, height
    left = max(0, (width - target_w) // 2)
    top = max(0, (height - target_h) // 2)
    cropped = image.crop((left, top, left + target_w, top + target_h))
    if along:
        cropped = cropped.rotate(90, expand=True)  # across the tape first
    return cropped


def brother_raster(
    image: Image, *, model: str, tape: BrotherTape, dpi: int, copies: int = 1
) -> bytes:
    """Raster instructions printing ``image`` ``copies`` times, cut after each."""
    from brother_ql.conversion import convert
    from brother_ql.models import ModelsManager
    from brother_ql.raster import BrotherQLRaster

    known = [m.identifier for m in ModelsManager().iter_elements()]
    if model not in known:
        raise BrotherSetupError(f"unknown Brother model {model!r} (known: {', '.join(known)})")
    if dpi not in (300, 600):
        raise BrotherSetupError(f"Brother QL prints at 300 or 600 dpi, not {dpi}")
    fitted = fit_to_tape(image, tape, dpi)
    qlr = BrotherQLRaster(model)
    qlr.exception_on_warning = True
    try:
        convert(
            qlr,
            [fitted] * copies,
            tape,
            cut=True,
            rotate=0,
            dpi_600=dpi == 600,
            compress=True,
        )
    except Exception as exc:  # the library raises plain exceptions for unsupported setups
        raise BrotherSetupError(f"{model}, {tape}, {dpi} dpi: {exc}") from exc
    return bytes(qlr.data)
