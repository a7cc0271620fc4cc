"""A batch's QR code as SVG (segno: pure Python, no image libraries)."""

from __future__ import annotations

import io


def qr_svg(url: str) -> bytes:
    """The QR code of `url` as a standalone SVG document, error correction M."""
    import segno  # on first use: most processes never draw a QR code

    code = segno.make_qr(url, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=4, border=2, xmldecl=True, svgns=True, title=url)
    return buffer.getvalue()
