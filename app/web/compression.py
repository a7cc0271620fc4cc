"""gzip for the clients that ask for it, and nothing in the way of those that do not.

Starlette's GZipMiddleware holds back and inspects every answer, even for a client that
never accepts gzip (probes, load balancers, API clients), only to add `Vary: Accept-Encoding`
to what it would have compressed for another. Here such a request passes through with that
header added where it belongs, decided from the answer's first message.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send


class GZipWhenAsked(GZipMiddleware):
    """Starlette's gzip (same options) for requests that accept it; the others pass through."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _accepts_gzip(scope):
            await super().__call__(scope, receive, send)
            return

        async def send_varied(message: Message) -> None:
            if message["type"] == "http.response.start" and self._would_compress(message):
                message.setdefault("headers", [])
                MutableHeaders(scope=message).add_vary_header("Accept-Encoding")
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
