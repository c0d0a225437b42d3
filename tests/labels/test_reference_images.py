"""Reference renderings: each template's label for the recorded ThinkPad, rasterised
from the PDF by poppler (``pdftoppm -mono``, 150 dpi), compared pixel for pixel with the
PNG committed under ``tests/labels/reference/``. A change that alters a label fails
with a diff image (red: ink lost, blue: ink added) next to the test's files.

After an intended change, review the diff images, then rewrite the references:
``BENCH_UPDATE_LABEL_REFERENCES=1 pytest tests/labels/test_reference_images.py``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bench_agent.labels import label_content, list_templates, load_template, render_label
from tests.labels.test_labels import BASE, TESTER, x1_report
from tests.support.requirements import require_program

REFERENCE = Path(__file__).parent / "reference"
TEMPLATES = [p.stem for p in list_templates()]
UPDATE = "BENCH_UPDATE_LABEL_REFERENCES"


def rasterise(template: str, tmp_path: Path) -> Image.Image:
    content = label_content(x1_report(), "fr", BASE, TESTER)
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(render_label(content, load_template(template)).pdf)
    prefix = tmp_path / "label"
    subprocess.run(
        [require_program("pdftoppm"), "-r", "150", "-mono", "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    with Image.open(f"{prefix}.pbm") as image:
        return image.convert("1")


def diff_image(expected: Image.Image, got: Image.Image) -> Image.Image:
    """White background, the reference's ink in grey, ink lost red, ink added blue."""
    width, height = max(expected.width, got.width), max(expected.height, got.height)
    canvas = Image.new("RGB", (width, height), "white")
    old = Image.new("1", (width, height), 1)
    old.paste(expected)
    new = Image.new("1", (width, height), 1)
    new.paste(got)
    canvas.paste((190, 190, 190), mask=ImageChops.invert(old.convert("L")))
    lost = ImageChops.subtract(new.convert("L"), old.convert("L"))  # ink before, none now
    added = ImageChops.subtract(old.convert("L"), new.convert("L"))
    canvas.paste((220, 0, 0), mask=lost)
    canvas.paste((0, 0, 220), mask=added)
    return canvas


@pytest.mark.parametrize("template", TEMPLATES)
def test_label_looks_like_its_reference(template: str, tmp_path: Path) -> None:
    got = rasterise(template, tmp_path)
    reference = REFERENCE / f"{template}.png"
    if os.environ.get(UPDATE) == "1":
        REFERENCE.mkdir(exist_ok=True)
        got.save(reference, optimize=True)
    assert reference.is_file(), f"no reference image {reference} (set {UPDATE}=1 once)"
    with Image.open(reference) as stored:
        expected = stored.convert("1")
    if expected.size == got.size and ImageChops.difference(expected, got).getbbox() is None:
        return
    diff = tmp_path / f"{template}.diff.png"
    diff_image(expected, got).save(diff)
    got.save(tmp_path / f"{template}.got.png")
    pytest.fail(f"{template}: the label changed ({expected.size} → {got.size}); diff image: {diff}")


def test_a_changed_label_fails_with_a_diff(tmp_path: Path) -> None:
    """The comparison can fail: one moved row makes a diff with both colours."""
    got = rasterise("brother-ql-62x29", tmp_path)
    shifted = Image.new("1", got.size, 1)
    shifted.paste(got.crop((0, 0, got.width, got.height - 3)), (0, 3))
    assert ImageChops.difference(got, shifted).getbbox() is not None
    colours = {c for _, c in diff_image(got, shifted).getcolors(1 << 16) or []}
    assert (220, 0, 0) in colours and (0, 0, 220) in colours
