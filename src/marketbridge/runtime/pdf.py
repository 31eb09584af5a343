"""PDF helpers shared by the channels and the use-cases: merging label and act files."""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter


def merge_pdfs(files: Sequence[bytes]) -> bytes:
    """One PDF with every page of `files`, in order."""
    writer = PdfWriter()
    for content in files:
        for page in PdfReader(io.BytesIO(content)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
