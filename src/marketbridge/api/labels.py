"""Label files as answers: PDFs merged into one, other formats as the file itself or a ZIP.

A PDF answer holds every label of the order, a page each (merged without recompressing). A
PNG, ZPL or SVG answer is the marketplace's own file when the order has one label, and a ZIP
with one file per shipment when it has several (ZPL printers and image viewers take one
label a file).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from fastapi import Response

from marketbridge.model import LabelFormat
from marketbridge.runtime.pdf import merge_pdfs

MEDIA_TYPES = {
    LabelFormat.PDF: "application/pdf",
    LabelFormat.PNG: "image/png",
    LabelFormat.ZPL: "text/plain; charset=utf-8",
    LabelFormat.SVG: "image/svg+xml",
}


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def label_file(order_id: int, fmt: LabelFormat, files: Sequence[tuple[str, bytes]]) -> Response:
    """The answer for the labels `files` ((shipment id, content) each) of one order."""
    stem = f"order-{order_id}-labels"
    if fmt == LabelFormat.PDF:
        return _attachment(merge_pdfs([content for _, content in files]), MEDIA_TYPES[fmt], f"{stem}.pdf")
    if len(files) == 1:
        return _attachment(files[0][1], MEDIA_TYPES[fmt], f"{stem}.{fmt.value}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for shipment_id, content in files:
            archive.writestr(f"label-{shipment_id}.{fmt.value}", content)
    return _attachment(out.getvalue(), "application/zip", f"{stem}.zip")
