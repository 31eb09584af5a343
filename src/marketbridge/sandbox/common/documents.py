"""Printable documents the sandboxes hand out: labels, stickers and acts as PDF, PNG, SVG and ZPL.

Each carries a real, scannable code of the value the marketplace's own document encodes:
Code 128 (encoded by python-barcode) or a QR code (encoded by segno), drawn module by module
so every bar is a whole number of pixels. Images are lossless (PNG; PDF pages are Flate
images of the page's physical size), and the ZPL carries the same value in `^BC` / `^BQ`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal

import segno
from barcode import Code128
from PIL import Image, ImageDraw

from marketbridge.runtime.pdf import images_to_pdf

Symbology = Literal["code128", "qr"]

#: Thermal label printers print at 203 dpi (8 dots per mm).
LABEL_DPI = 203
#: Quiet zone either side of a Code 128 symbol, in modules (the standard asks for 10).
QUIET = 10
#: Text line height in pixels at the sandbox's default font.
LINE = 22


def code128_modules(value: str) -> str:
    """The bars and spaces of `value` in Code 128, one '1' (bar) or '0' (space) per module."""
    modules: str = Code128(value).build()[0]
    return modules


def qr_modules(value: str) -> list[list[bool]]:
    """The dark (True) and light modules of a QR code of `value`, without its quiet zone."""
    return [[bool(cell) for cell in row] for row in segno.make(value, error="m", micro=False).matrix]


def _text(draw: ImageDraw.ImageDraw, lines: Sequence[str], top: int, bottom: int) -> None:
    """The lines from `top` down, as many as fit above `bottom` (the code is never overwritten)."""
    for n, line in enumerate(lines):
        if top + LINE * (n + 1) > bottom:
            break
        draw.text((16, top + LINE * n), line, fill=0)


def _draw_code128(draw: ImageDraw.ImageDraw, value: str, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    modules = code128_modules(value)
    module = max(1, (right - left) // (len(modules) + 2 * QUIET))
    x = left + ((right - left) - module * len(modules)) // 2
    for bit in modules:
        if bit == "1":
            draw.rectangle((x, top, x + module - 1, bottom), fill=0)
        x += module


def _draw_qr(draw: ImageDraw.ImageDraw, value: str, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    matrix = qr_modules(value)
    module = max(1, min(right - left, bottom - top) // (len(matrix) + 8))
    x0 = left + ((right - left) - module * len(matrix)) // 2
    y0 = top + ((bottom - top) - module * len(matrix)) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = x0 + c * module, y0 + r * module
                draw.rectangle((x, y, x + module - 1, y + module - 1), fill=0)


def page_image(
    lines: Sequence[str], size: tuple[int, int], code: str | None = None, symbology: Symbology = "code128"
) -> Image.Image:
    """One label page in grey levels: a frame, the lines, and the code of `code` (default: the first line)."""
    value = code if code is not None else (lines[0] if lines else "0")
    width, height = size
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, width - 5, height - 5), outline=0, width=3)
    if symbology == "qr":
        side = min(width // 2, height - 40)
        _draw_qr(draw, value, (width - side - 12, 12, width - 12, 12 + side))
        _text(draw, lines, 16, height - 12)
        return image
    bar_height = max(60, height // 4)
    top = height - bar_height - 40
    _text(draw, lines, 16, top - 8)
    _draw_code128(draw, value, (12, top, width - 12, top + bar_height))
    draw.text((16, top + bar_height + 6), value, fill=0)
    return image


def mm_to_px(size_mm: tuple[float, float], dpi: int = LABEL_DPI) -> tuple[int, int]:
    return round(size_mm[0] / 25.4 * dpi), round(size_mm[1] / 25.4 * dpi)


def pdf_pages(
    pages: Sequence[Sequence[str]],
    size_mm: tuple[float, float] = (58, 40),
    codes: Sequence[str] | None = None,
    dpi: int = LABEL_DPI,
) -> bytes:
    """A PDF with one page per entry of `pages`, each `size_mm` large, showing its lines and code.

    The code of page i is `codes[i]`, or the page's first line where `codes` is not given.
    """
    if not pages:
        raise ValueError("a PDF needs at least one page")
    if codes is not None and len(codes) != len(pages):
        raise ValueError("one code per page")
    size = mm_to_px(size_mm, dpi)
    images = [page_image(lines, size, codes[i] if codes else None) for i, lines in enumerate(pages)]
    return images_to_pdf(images, dpi=dpi)


def png_label(
    lines: Sequence[str],
    size: tuple[int, int] = (580, 400),
    code: str | None = None,
    symbology: Symbology = "code128",
) -> bytes:
    """The label as a PNG of `size` pixels."""
    out = io.BytesIO()
    page_image(lines, size, code, symbology).save(out, format="PNG", optimize=True)
    return out.getvalue()


def svg_label(
    lines: Sequence[str],
    size: tuple[int, int] = (580, 400),
    code: str | None = None,
    symbology: Symbology = "code128",
) -> bytes:
    """The label as SVG: the lines as text, the code as one rectangle per dark module."""
    value = code if code is not None else (lines[0] if lines else "0")
    width, height = size
    texts = "".join(
        f'<text x="16" y="{30 + LINE * i}" font-family="monospace" font-size="16">{_xml(line)}</text>'
        for i, line in enumerate(lines)
    )
    rects: list[str] = []
    if symbology == "qr":
        matrix = qr_modules(value)
        module = max(1, min(width // 2, height - 40) // (len(matrix) + 8))
        x0, y0 = width - 12 - module * (len(matrix) + 4), 12 + 4 * module
        for r, row in enumerate(matrix):
            rects += [
                f'<rect x="{x0 + c * module}" y="{y0 + r * module}" width="{module}" height="{module}"/>'
                for c, dark in enumerate(row)
                if dark
            ]
    else:
        modules = code128_modules(value)
        module = max(1, (width - 24) // (len(modules) + 2 * QUIET))
        x0 = 12 + ((width - 24) - module * len(modules)) // 2
        bar_height = max(60, height // 4)
        top = height - bar_height - 40
        rects += [
            f'<rect x="{x0 + i * module}" y="{top}" width="{module}" height="{bar_height}"/>'
            for i, bit in enumerate(modules)
            if bit == "1"
        ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" shape-rendering="crispEdges">'
        f'<rect x="2" y="2" width="{width - 4}" height="{height - 4}" fill="white" stroke="black"/>'
        f'{texts}<g fill="black">{"".join(rects)}</g></svg>'
    ).encode()


def zpl_label(
    lines: Sequence[str], vertical: bool = False, code: str | None = None, symbology: Symbology = "code128"
) -> bytes:
    """The label in ZPL II: the lines as `^A0` text, the code as `^BC` (Code 128) or `^BQ` (QR)."""
    value = code if code is not None else (lines[0] if lines else "")
    orientation = "R" if vertical else "N"
    body = "".join(f"^FO30,{30 + 40 * i}^A0{orientation},30,30^FD{line}^FS" for i, line in enumerate(lines))
    y = 40 + 40 * len(lines)
    if symbology == "qr":
        symbol = f"^FO30,{y}^BQ{orientation},2,6^FDMA,{value}^FS"
    else:
        symbol = f"^FO30,{y}^BY2^BC{orientation},80,Y,N,N^FD{value}^FS"
    return f"^XA^CI28{body}{symbol}^XZ".encode()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
