"""PDF helpers shared by the channels and the use-cases: label pages from images, merging files.

Labels carry barcodes, so their images stay lossless: `images_to_pdf` stores each page as a
Flate-compressed image (never DCT/JPEG, which is what Pillow's own PDF writer uses for
greyscale and colour images), and `merge_pdfs` copies pages as they are, without recompressing.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError


def merge_pdfs(files: Sequence[bytes]) -> bytes:
    """One PDF with every page of `files`, in order; page content and images are copied unchanged."""
    writer = PdfWriter()
    for content in files:
        for page in PdfReader(io.BytesIO(content)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_files(content: bytes) -> list[bytes]:
    """Each page of a PDF as a PDF of its own, in order; ValueError when it is not a readable PDF."""
    try:
        pages = list(PdfReader(io.BytesIO(content)).pages)
    except (PdfReadError, OSError) as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc
    files = []
    for page in pages:
        writer = PdfWriter()
        writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
        files.append(out.getvalue())
    return files


def _image_stream(image: Image.Image) -> tuple[bytes, bytes]:
    """The image dictionary (without /Length) and the Flate-compressed samples of `image`."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB" if image.mode in ("RGBA", "P", "CMYK") else "L")
    space = b"/DeviceRGB" if image.mode == "RGB" else b"/DeviceGray"
    width, height = image.size
    head = b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8" % (
        width,
        height,
        space,
    )
    return head + b" /Filter /FlateDecode", zlib.compress(image.tobytes(), 9)


def images_to_pdf(images: Sequence[Image.Image], dpi: float = 72.0) -> bytes:
    """One page per image, in order, each as large as the image printed at `dpi`; lossless (Flate)."""
    if not images:
        raise ValueError("a PDF needs at least one page")
    objects: list[bytes] = []  # object n + 1 is objects[n]
    kids: list[int] = []
    for image in images:
        head, data = _image_stream(image)
        objects.append(b"<< %s /Length %d >>\nstream\n%s\nendstream" % (head, len(data), data))
        image_ref = len(objects) + 2  # numbers start after the catalog (1) and the page tree (2)
        width, height = (side * 72.0 / dpi for side in image.size)
        content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (width, height)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        content_ref = len(objects) + 2
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Resources << /XObject << /Im0 %d 0 R >> >>"
            b" /Contents %d 0 R >>" % (width, height, image_ref, content_ref)
        )
        kids.append(len(objects) + 2)
    pages = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    everything = [b"<< /Type /Catalog /Pages 2 0 R >>", pages, *objects]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(everything, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(everything) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(everything) + 1, xref)
    return bytes(out)
