"""Checking uploaded images with Pillow and making web-sized copies and thumbnails."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from app.core.errors import ValidationFailed

if TYPE_CHECKING:
    from PIL import Image

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MIN_SIDE = 200
MAX_SIDE = 8000
# What decoding costs grows with the pixels, not the bytes: a flat 8000×5000 PNG is 116 KB and
# took 1.2 s of CPU. A phone's photo has 12-50 MP but the largest copy kept is 1600 px a side;
# 25 MP covers every camera short of the largest sensors, whose photos a supplier can shrink.
MAX_PIXELS = 25_000_000
# Images decoded at once, each in a worker thread: with two cores, more would only make every
# upload slower, and the threads stay free for the other work sent to them.
DECODERS = anyio.CapacityLimiter(2)


@dataclass(frozen=True)
class ProcessedImage:
    image: bytes  # JPEG, longest side at most `display_side`
    thumbnail: bytes  # JPEG, longest side at most `thumb_side`
    width: int
    height: int


def _fail(field: str, message: str, code: str = "invalid_image") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: message})


# The longest side of the two copies kept of each photo: the display copy and the thumbnail.
DISPLAY_SIDE = 1600
THUMB_SIDE = 400


def fitted_width(width: int, height: int, side: int) -> int:
    """The width of a width×height image shrunk (never enlarged) to `side` on its longest
    side, as Image.thumbnail makes it (give or take a pixel): for srcset's w descriptors."""
    scale = min(1.0, side / max(width, height, 1))
    return max(1, round(width * scale))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def process_image(
    data: bytes,
    *,
    field: str = "photo",
    display_side: int = DISPLAY_SIDE,
    thumb_side: int = THUMB_SIDE,
) -> ProcessedImage:
    """Validate type, size and dimensions; re-encode (drops EXIF and any payload) as JPEG.

    CPU-bound for up to a second: request handlers call `process_image_off_loop` instead.
    """
    # Pillow on first use: most processes never decode an image.
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise _fail(field, "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _fail(
            field, f"The image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", "too_large"
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Only the header has been read so far: every limit is checked before decoding.
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise _fail(
                    field, "Only JPEG, PNG or WebP images are accepted.", "unsupported_type"
                )
            if max(width, height) > MAX_SIDE:
                raise _fail(field, f"The image is larger than {MAX_SIDE} pixels a side.")
            if width * height > MAX_PIXELS:
                raise _fail(
                    field,
                    f"The image has {width}×{height} pixels, more than "
                    f"{MAX_PIXELS // 1_000_000} megapixels.",
                    "too_many_pixels",
                )
            if min(width, height) < MIN_SIDE:
                raise _fail(field, f"The image must be at least {MIN_SIDE} pixels a side.")
            # A JPEG can be decoded straight at a fraction of its size (no effect on others).
            probe.draft("RGB", (display_side, display_side))
            probe.load()
            image = probe.convert("RGB")
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise _fail(field, "The file is not a readable image.", "unsupported_type") from exc

    # The display copy shrinks in place, and the thumbnail is made from it, not the original.
    image.thumbnail((display_side, display_side))
    thumbnail = image.copy()
    thumbnail.thumbnail((thumb_side, thumb_side))
    return ProcessedImage(_jpeg(image), _jpeg(thumbnail), width, height)


async def process_image_off_loop(data: bytes, *, field: str = "photo") -> ProcessedImage:
    """process_image in a worker thread (Pillow releases the GIL while it decodes and
    resizes), at most DECODERS at once: one upload never stalls the event loop's requests."""
    return await anyio.to_thread.run_sync(
        partial(process_image, data, field=field), limiter=DECODERS
    )


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
