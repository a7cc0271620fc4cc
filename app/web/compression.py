"""gzip for the clients that ask for it, and nothing in the way of those that do not.

Starlette's GZipMiddleware holds back and inspects every answer, even for a client that
never accepts gzip (probes, load balancers, API clients), only to add `Vary: Accept-Encoding`
to what it would have compressed for another. Here such a request passes through with that
header added where it belongs, decided from the answer's first message.

A body answered to many requests (a kept page) is compressed once instead (KeptBody), and
answered as it is (kept_response): the middleware leaves an encoded answer alone.
"""

from __future__ import annotations

import gzip
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
        if scope["type"] != "http" or _accepts_gzip(scope):
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


def _accepts_gzip(scope: Scope) -> bool:
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
    if body.gzipped is not None and _accepts_gzip(request.scope):
        return Response(
            body.gzipped,
            status_code=status_code,
            media_type=media_type,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    response = Response(body.identity, status_code=status_code, media_type=media_type)
    if body.gzipped is not None:
        response.headers["Vary"] = "Accept-Encoding"
    return response
