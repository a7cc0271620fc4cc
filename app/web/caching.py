"""Validators for cacheable answers: a weak ETag from the body, and 304 to If-None-Match.

A pure ASGI middleware that applies only to the paths it is given (public reads: the listing,
product, county and impact pages and their API twins). It holds such an answer back, hashes
its body and either sends it with the ETag or, when the browser already has that version,
a bodiless 304. A route that keeps its encoded body keeps its tag with it and hands it over
(`known_etag`): that body is not hashed again. It leaves alone anything personal: a request
with a signed-in user or an Authorization header, and an answer that sets a cookie (a new
session, a language choice).
The ETag is weak ("W/"): gzip, outside, changes the bytes but not the meaning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Revalidated on every use (the answer changes whenever the catalog does), stored by the
# visitor's browser only when it came with a cookie.
PUBLIC = "public, no-cache"
PRIVATE = "private, no-cache"
# The language may come from a cookie (app.web.i18n), the encoding from the request.
VARY = "Cookie"


# Where a route leaves the ETag of the body it answers with, for the middleware to use.
_KNOWN_ETAG = "fengshou.etag"


def weak_etag(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def known_etag(request: Request, etag: str) -> None:
    """This request is answered with a body whose weak ETag (weak_etag) is `etag`, kept with
    it: used as it is should the answer get a validator (never for anything personal)."""
    request.scope[_KNOWN_ETAG] = etag


def add_vary(headers: MutableHeaders, name: str) -> None:
    """Name a request header in Vary, once."""
    named = {value.strip().lower() for value in headers.get("vary", "").split(",")}
    if name.lower() not in named:
        headers.add_vary_header(name)


def not_modified_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A 200's headers for its 304: the validators and caching headers, no body's
    (RFC 9110 15.4.5)."""
    return [
        (name, value) for name, value in headers if name not in (b"content-length", b"content-type")
    ]


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/"x" and "x" are the same version."""
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


class ConditionalGetMiddleware:
    """ETag and 304 for GETs of the given paths (regular expressions, matched whole)."""

    def __init__(self, app: ASGIApp, *, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = re.compile("|".join(f"(?:{p})" for p in paths))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.paths.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        if "authorization" in request_headers:
            await self.app(scope, receive, send)
            return

        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def buffered_send(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                headers = Headers(raw=message.get("headers", []))
                state = scope.get("state", {})
                if (
                    message["status"] != 200
                    or "set-cookie" in headers
                    or "etag" in headers
                    or state.get("user") is not None
                ):
                    passing = True
                    await send(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            etag = scope.get(_KNOWN_ETAG) or weak_etag(body)
            await self._finish(start, body, etag, request_headers, send)

        await self.app(scope, receive, buffered_send)

    @staticmethod
    async def _finish(start: Message, body: bytes, etag: str, request: Headers, send: Send) -> None:
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        headers["ETag"] = etag
        if "cache-control" not in headers:
            headers["Cache-Control"] = PRIVATE if "cookie" in request else PUBLIC
        # (The session middleware names it already once it has read the session.)
        add_vary(headers, VARY)
        if etag_matches(request.get("if-none-match", ""), etag):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": not_modified_headers(headers.raw),
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})
