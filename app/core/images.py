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
