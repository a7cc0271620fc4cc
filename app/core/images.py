"""Checking uploaded images with Pillow and making web-sized copies and thumbnails."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.core.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MIN_SIDE = 200
MAX_SIDE = 8000
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


@dataclass(frozen=True)
class ProcessedImage:
    image: bytes  # JPEG, longest side at most `display_side`
    thumbnail: bytes  # JPEG, longest side at most `thumb_side`
    width: int
    height: int


def _fail(field: str, message: str, code: str = "invalid_image") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: message})


def process_image(
    data: bytes, *, field: str = "photo", display_side: int = 1600, thumb_side: int = 400
) -> ProcessedImage:
    """Validate type, size and dimensions; re-encode (drops EXIF and any payload) as JPEG."""
    if not data:
        raise _fail(field, "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _fail(
            field, f"The image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", "too_large"
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise _fail(
                    field, "Only JPEG, PNG or WebP images are accepted.", "unsupported_type"
                )
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise _fail(field, f"The image is larger than {MAX_SIDE} pixels a side.")
            if min(width, height) < MIN_SIDE:
                raise _fail(field, f"The image must be at least {MIN_SIDE} pixels a side.")
            probe.load()
            image = probe.convert("RGB")
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise _fail(field, "The file is not a readable image.", "unsupported_type") from exc

    def encode(side: int) -> bytes:
        copy = image.copy()
        copy.thumbnail((side, side))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=85, optimize=True)
        return out.getvalue()

    return ProcessedImage(encode(display_side), encode(thumb_side), width, height)


PDF_MAGIC = b"%PDF-"
PDF_MEDIA_TYPE = "application/pdf"


def image_or_pdf(
    data: bytes, *, field: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[bytes, str]:
    """A scanned document as it may be stored: (bytes, extension). A PDF is kept as sent; an
    image is re-encoded as JPEG (no EXIF such as location, no payload hidden behind it).

    Refused with 422 on `field`: `empty_file`, `too_large`, `unsupported_type` (neither a
    JPEG, PNG or WebP image nor a PDF), or the image checks' own codes.
    """
    if not data:
        raise _fail(field, "The file is empty.", "empty_file")
    if len(data) > max_bytes:
        raise _fail(field, f"The file is larger than {max_bytes // (1024 * 1024)} MB.", "too_large")
    if data.startswith(PDF_MAGIC):
        return data, "pdf"
    try:
        processed = process_image(data, field=field)
    except ValidationFailed as exc:
        if exc.code == "unsupported_type":
            raise _fail(
                field, "Upload a JPEG, PNG or WebP image or a PDF file.", "unsupported_type"
            ) from exc
        raise
    return processed.image, "jpg"
