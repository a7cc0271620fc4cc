"""gzip for the clients that ask for it, and nothing in the way of those that do not.

Starlette's GZipMiddleware holds back and inspects every answer, even for a client that
never accepts gzip (probes, load balancers, API clients), only to add `Vary: Accept-Encoding`
to what it would have compressed for another. Here such a request passes through with that
header added where it belongs, decided from the answer's first message.

A body answered to many requests (a kept page) is compressed once instead (KeptBody), and
answered as it is (kept_response): the middleware leaves an encoded answer alone. So is one
that differs per request only by a value put in at marked places (SplicedBody: a kept page
with the visitor's CSRF token).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app.web.caching import add_vary, known_etag, weak_etag


class GZipWhenAsked(GZipMiddleware):
    """Starlette's gzip (same options) for requests that accept it; the others pass through."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or accepts_gzip(scope):
            await super().__call__(scope, receive, send)
            return

        async def send_varied(message: Message) -> None:
            if message["type"] == "http.response.start" and self._would_compress(message):
                message.setdefault("headers", [])
                add_vary(MutableHeaders(scope=message), "Accept-Encoding")
            await send(message)

        await self.app(scope, receive, send_varied)

    def _would_compress(self, start: Message) -> bool:
        """Whether a client accepting gzip would get this answer compressed (as Starlette
        decides: not a 206, not encoded already, a media type not excluded, not too small)."""
        if start["status"] == 206:
            return False
        media_type = ""
        length: int | None = None
        for name, value in start.get("headers", ()):
            if name == b"content-encoding":
                return False
            if name == b"content-type":
                media_type = value.decode("latin-1").partition(";")[0].strip().lower()
            elif name == b"content-length" and value.isdigit():
                length = int(value)
        if length is not None and length < self.minimum_size:
            return False
        media_types = {media_type, media_type.partition("/")[0] + "/*"}
        if media_type.startswith("application/grpc+"):
            media_types.add("application/grpc")
        return media_types.isdisjoint(self.exclude_content_types)


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's Accept-Encoding names gzip."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


# Smaller answers gain too little to be worth compressing; level 6: nearly level 9's size for
# a fraction of its time (app.main configures the middleware with both).
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 6


@dataclass(frozen=True)
class KeptBody:
    """A body answered to many requests (a kept page or JSON answer): its bytes, its weak ETag
    and, when worth it, its gzip, each made once rather than per request."""

    identity: bytes
    etag: str
    gzipped: bytes | None

    @classmethod
    def of(cls, body: bytes) -> KeptBody:
        gzipped = (
            gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            if len(body) >= GZIP_MINIMUM_BYTES
            else None
        )
        return cls(body, weak_etag(body), gzipped)

    @property
    def size(self) -> int:
        return len(self.identity) + len(self.gzipped or b"")


def kept_response(
    request: Request, body: KeptBody, *, media_type: str, status_code: int = 200
) -> Response:
    """The kept body as this request takes it: gzipped when it accepts gzip (the middleware
    then leaves it alone), with its ETag handed to the conditional-GET middleware."""
    known_etag(request, body.etag)
    gzipped = body.gzipped if accepts_gzip(request.scope) else None
    return _encoded_response(
        body.identity, gzipped, body.gzipped is not None, media_type, status_code
    )


def _encoded_response(
    identity: bytes, gzipped: bytes | None, varies: bool, media_type: str, status_code: int
) -> Response:
    """`gzipped` when given (the middleware leaves an encoded answer alone), else `identity`;
    `varies`: whether a client accepting gzip gets another answer."""
    if gzipped is not None:
        return Response(
            gzipped,
            status_code=status_code,
            media_type=media_type,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    response = Response(identity, status_code=status_code, media_type=media_type)
    if varies:
        response.headers["Vary"] = "Accept-Encoding"
    return response


# gzip's member header (RFC 1952): deflate, no flags, no time, no extra flags, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_STORED_MAX = 0xFFFF
# deflate's window: how far back a match may refer.
_WINDOW = 32 * 1024


def _stored_block(data: bytes) -> bytes:
    """`data` as one deflate stored block, not the last (RFC 1951 3.2.4), starting on a byte
    boundary: what a value of a few dozen bytes costs nothing to "compress" into."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


def _deflated_parts(parts: list[bytes], value_length: int) -> tuple[bytes, ...]:
    """Each part deflated (raw deflate), all but the last ended by a sync flush (on a byte
    boundary, not final), the last finished: put end to end with a value of `value_length`
    bytes as stored blocks between them, they make one deflate stream.

    A part may refer back to the parts before it (its compressor is primed with them, as the
    reader's window will hold them), but never into a value: the values' places are primed
    with a byte the part does not hold, so no match can reach into them. (A part holding
    every byte value is compressed on its own.)"""
    deflated = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        filler = _absent_byte(part)
        window = b""
        if filler is not None and index > 0:
            window = b"".join(before + filler * value_length for before in parts[:index])
        compressor = (
            zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=window[-_WINDOW:])
            if window
            else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        )
        flush = zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
        deflated.append(compressor.compress(part) + compressor.flush(flush))
    return tuple(deflated)


def _absent_byte(data: bytes) -> bytes | None:
    """A byte value `data` does not hold (NUL for any page), or None."""
    present = set(data)
    return next((bytes([value]) for value in range(256) if value not in present), None)


@dataclass(frozen=True)
class SplicedBody:
    """A body answered to many requests but for one value put in at marked places (a kept page
    with the visitor's CSRF token): its parts around the marks, each compressed once, so that
    an answer compresses nothing (its value goes in as stored blocks between them). Compressing
    a whole page per answer was a third of a product page's CPU."""

    parts: tuple[bytes, ...]
    # The length of every value put in (a gzipped answer's parts refer back past it).
    value_length: int
    # Each part deflated (see _deflated_parts); None when the body is too small to gzip.
    deflated: tuple[bytes, ...] | None

    @classmethod
    def of(cls, body: bytes, mark: bytes, value_length: int) -> SplicedBody:
        parts = body.split(mark)
        small = len(body) < GZIP_MINIMUM_BYTES or value_length > _STORED_MAX
        deflated = None if small else _deflated_parts(parts, value_length)
        return cls(tuple(parts), value_length, deflated)

    def identity(self, value: bytes) -> bytes:
        return value.join(self.parts)

    def gzipped(self, value: bytes, whole: bytes) -> bytes | None:
        """The body with `value` at the marks (`whole`: its identity(value)), as a gzip member
        (None when too small to gzip, or for a value of another length)."""
        if self.deflated is None or len(value) != self.value_length:
            return None
        trailer = struct.pack("<II", zlib.crc32(whole), len(whole) & 0xFFFFFFFF)
        return _GZIP_HEADER + _stored_block(value).join(self.deflated) + trailer


def spliced_response(
    request: Request, body: SplicedBody, value: bytes, *, media_type: str, status_code: int = 200
) -> Response:
    """The body with this request's value at its marks: gzipped without compressing when the
    request accepts gzip (the middleware leaves it alone), its ETag that of the whole body
    either way (never shared: the value is the visitor's own)."""
    identity = body.identity(value)
    known_etag(request, weak_etag(identity))
    gzipped = body.gzipped(value, identity) if accepts_gzip(request.scope) else None
    return _encoded_response(identity, gzipped, body.deflated is not None, media_type, status_code)
