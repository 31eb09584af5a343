"""Printable documents the sandboxes hand out: labels and acts as PDF, PNG, SVG and ZPL.

They are real files (a PDF opens in any viewer, one page per label), drawn with Pillow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw


def _page(lines: Sequence[str], size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, size[0] - 5, size[1] - 5), outline="black", width=3)
    y = 16
    for line in lines:
        draw.text((16, y), line, fill="black")
        y += 22
    # A barcode-like strip so the label looks like one; the code itself is printed as text.
    x = 16
    for i, ch in enumerate((lines[0] if lines else "0").encode()):
        w = 1 + (ch + i) % 3
        draw.rectangle((x, size[1] - 80, x + w, size[1] - 20), fill="black")
        x += w + 2
        if x > size[0] - 20:
            break
    return image


def pdf_pages(pages: Sequence[Sequence[str]], size: tuple[int, int] = (580, 400)) -> bytes:
    """A PDF with one page per entry of `pages`, each page showing its lines."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    images = [_page(lines, size) for lines in pages]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=72.0)
    return out.getvalue()


def png_label(lines: Sequence[str], size: tuple[int, int] = (580, 400)) -> bytes:
    out = io.BytesIO()
    _page(lines, size).save(out, format="PNG")
    return out.getvalue()


def svg_label(lines: Sequence[str], size: tuple[int, int] = (580, 400)) -> bytes:
    texts = "".join(
        f'<text x="16" y="{30 + 22 * i}" font-family="monospace" font-size="16">{_xml(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size[0]}" height="{size[1]}">'
        f'<rect x="2" y="2" width="{size[0] - 4}" height="{size[1] - 4}" fill="white" stroke="black"/>'
        f"{texts}</svg>"
    ).encode()


def zpl_label(lines: Sequence[str], vertical: bool = False) -> bytes:
    orientation = "R" if vertical else "N"
    body = "".join(f"^FO30,{30 + 40 * i}^A0{orientation},30,30^FD{line}^FS" for i, line in enumerate(lines))
    barcode = f"^FO30,{40 + 40 * len(lines)}^BCN,80,Y,N,N^FD{lines[0] if lines else ''}^FS"
    return f"^XA^CI28{body}{barcode}^XZ".encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
