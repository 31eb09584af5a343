"""Labels, stickers and acts drawn by the sandboxes scan to their value, and PDFs keep them lossless.

Decoding is done with zxing-cpp, as a scanner would read the printed page; the PDF helpers
of the runtime must store and merge label images without JPEG (DCT) compression.
"""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from marketbridge.runtime.pdf import images_to_pdf, merge_pdfs
from marketbridge.sandbox.common.documents import page_image, pdf_pages, png_label, svg_label, zpl_label
from tests.channels.test_print_files import page_codes, shipments_by_page, zpl_value

POSTINGS = ["38512345-0012-1", "38512345-0012-2", "38512345-0013-1"]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def filters(pdf: bytes) -> set[str]:
    found: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for xobject in page["/Resources"]["/XObject"].values():
            found.add(str(xobject.get_object()["/Filter"]))
    return found


def test_a_pdf_of_images_is_lossless_and_as_large_as_printed() -> None:
    image = page_image(["38512345-0012-1"], (599, 945))
    pdf = images_to_pdf([image, image], dpi=203)
    assert filters(pdf) == {"/FlateDecode"}
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (75, 118)
    assert reader.pages[0].images[0].image.tobytes() == image.tobytes()


def test_merging_keeps_the_images_as_they_were() -> None:
    first, second = (pdf_pages([[n]]) for n in POSTINGS[:2])
    merged = merge_pdfs([first, second])
    assert filters(merged) == {"/FlateDecode"}
    originals = [PdfReader(io.BytesIO(f)).pages[0].images[0].image.tobytes() for f in (first, second)]
    assert [p.images[0].image.tobytes() for p in PdfReader(io.BytesIO(merged)).pages] == originals
    assert page_codes(merged) == [[POSTINGS[0]], [POSTINGS[1]]]


def test_each_page_scans_to_its_own_code() -> None:
    pages = [[n, "FBS posting"] for n in POSTINGS]
    assert page_codes(pdf_pages(pages, size_mm=(75, 120))) == [[n] for n in POSTINGS]
    act = pdf_pages([["ACT / carriage 17", *POSTINGS]], size_mm=(210, 297), codes=["17"], dpi=150)
    assert page_codes(act) == [["17"]]


def test_a_page_with_a_wrong_number_is_caught() -> None:
    values = {n: n for n in POSTINGS}
    good = pdf_pages([[n] for n in POSTINGS])
    assert shipments_by_page(page_codes(good), values) == POSTINGS
    wrong = pdf_pages([[n] for n in POSTINGS], codes=[POSTINGS[0], "38512345-0012-9", POSTINGS[2]])
    with pytest.raises(AssertionError, match="page 2"):
        shipments_by_page(page_codes(wrong), values)
    swapped = pdf_pages([[n] for n in POSTINGS], codes=[POSTINGS[1], POSTINGS[0], POSTINGS[2]])
    assert shipments_by_page(page_codes(swapped), values) != POSTINGS


@pytest.mark.parametrize("size", [(580, 400), (400, 300)])
def test_a_sticker_png_scans_to_its_barcode(size: tuple[int, int]) -> None:
    png = png_label(["2316489 753", "task 5346346"], size, "!AIoE6TpR")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == size
    assert decode(image) == ["!AIoE6TpR"]


def test_a_qr_code_scans_to_its_value() -> None:
    png = png_label(["GI-1234567", "supply"], (580, 400), "GI-1234567", "qr")
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [(r.text, r.format) for r in results] == [("GI-1234567", zxingcpp.BarcodeFormat.QRCode)]
    zpl = zpl_label(["GI-1234567"], code="GI-1234567", symbology="qr")
    assert b"^BQN" in zpl and zpl_value(zpl) == "GI-1234567"


def test_zpl_and_svg_carry_the_same_value() -> None:
    zpl = zpl_label(["2316489 753"], vertical=True, code="!AIoE6TpR")
    assert re.search(rb"\^BCR", zpl) and zpl_value(zpl) == "!AIoE6TpR"
    svg = svg_label(["2316489 753"], code="!AIoE6TpR").decode()
    assert svg.count("<rect") > 20  # a bar per dark module, not text alone
    assert decode(Image.open(io.BytesIO(png_label(["x"], code="!AIoE6TpR")))) == ["!AIoE6TpR"]


def test_many_lines_never_cover_the_code() -> None:
    lines = ["38512345-0012-1", *(f"SKU {n} x 1  PLAIN-{n}" for n in range(40))]
    image = page_image(lines, (580, 400))
    assert decode(image) == ["38512345-0012-1"]
