"""The front door: kept pages answered to visitors without cookies before the app is entered.

A page that every visitor who is not signed in sees the same (an AnonymousPage of
app.web.fragments: the home, listing, product and county pages) is answered the first time by
the whole app: the middleware, FastAPI's routing and dependencies, the route. The route offers
the page it answered (`offer`) with a test of whether it still would (its kept entry still
fresh and unchanged). The door records the answer as it left the app, checks that it can make
those very bytes itself, and then answers the next visitors without cookies who ask for the
same address while the test holds: the same status, headers and body, with a session cookie
and CSRF token of each visitor's own where the page has a form, and a 304 where the app would
have answered one. In a festival spike the pages took most of the web processes' CPU, and
two thirds of a kept page's went to the layers in front of it (py-spy: routing and
dependencies, six middleware, the session), which delayed every order being placed meanwhile.

Only GETs without Cookie or Authorization headers and without ?lang= (which sets a cookie) are
answered here, and only with what the app answered such a request; everything else goes
through the app as before.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import itsdangerous
from cachetools import LRUCache
from fastapi import Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.caching import etag_matches, not_modified_headers
from app.web.compression import KeptBody, SplicedBody, accepts_gzip
from app.web.security import CSRF_SESSION_KEY, CSRF_TOKEN_LENGTH, new_csrf_token

if TYPE_CHECKING:
    # (app.web.fragments offers its pages here.)
    from app.web.fragments import AnonymousPage

# Addresses answered at the door at once (each entry holds a page the app keeps anyway, and
# its headers: a few hundred bytes more). The least recently asked for leave first; an entry
# whose page is no longer kept as it was is dropped when next asked for.
DOOR_ENTRIES = 256

# Set in the scope of a request the door would answer, for the route's offer.
_ASKING = "fengshou.front_door"
_OFFER = "fengshou.front_door.offer"

Key = tuple[str, bytes, bool]


@dataclass(frozen=True)
class Offer:
    """The page a route answered a visitor who is not signed in, with its status, and
    whether the route would still answer that page now."""

    page: AnonymousPage
    status_code: int
    still_answered: Callable[[], bool]


def offer(
    request: Request, page: AnonymousPage, status_code: int, still_answered: Callable[[], bool]
) -> None:
    """Offer the door this answer to a visitor who is not signed in, for as long as
    `still_answered()` (the kept page's entry is fresh and the same); ignored unless the
    request is one the door answers."""
    if _ASKING in request.scope:
        request.scope[_OFFER] = Offer(page, status_code, still_answered)


@dataclass(frozen=True)
class _Entry:
    """An answer the app made, as the door makes it again."""

    offer: Offer
    # The start message's headers as they left the app (the session cookie's aside).
    headers: tuple[tuple[bytes, bytes], ...]
    gzipped: bool
    # KeptBody: the body every answer carries, and its ETag for a 304.
    body: bytes | None
    etag: str | None
    # SplicedBody: the session cookie's name, attributes ("; path=/; …") and place among
    # the headers.
    cookie_name: bytes
    cookie_attributes: bytes
    cookie_at: int


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("the front door opens onto no app yet (FrontDoor.opening_onto)")


class FrontDoor:
    """The outermost layer (see the module's doc), made with the app and put in front of its
    middleware once Starlette builds them (`opening_onto`). `secret_key` and
    `session_cookie`: the session middleware's, whose cookies this makes for a page with a
    form."""

    def __init__(self, *, secret_key: str, session_cookie: str) -> None:
        self.app: ASGIApp = _no_app
        # What Starlette's SessionMiddleware signs its cookie with.
        self.signer = itsdangerous.TimestampSigner(secret_key)
        self.session_cookie = session_cookie.encode()
        self.entries: LRUCache[Key, _Entry] = LRUCache(DOOR_ENTRIES)
        # Requests answered here.
        self.answered = 0

    def opening_onto(self, app: ASGIApp) -> FrontDoor:
        """This door, in front of `app` (what it does not answer goes there)."""
        self.app = app
        return self

    def clear(self) -> None:
        """Forget every answer (and the count)."""
        self.entries.clear()
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _door_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is not None:
            if entry.offer.still_answered():
                self.answered += 1
                await self._answer(entry, scope, send)
                return
            del self.entries[key]
        await self._through_the_app(key, scope, receive, send)

    async def _through_the_app(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """The app answers; an answer it offered is recorded."""
        scope[_ASKING] = True
        start: Message | None = None
        chunks: list[bytes] = []
        recording = True

        async def recording_send(message: Message) -> None:
            nonlocal start, recording
            if recording:
                if message["type"] == "http.response.start" and _OFFER in scope:
                    start = message
                elif message["type"] == "http.response.body" and start is not None:
                    chunks.append(message.get("body", b""))
                else:
                    recording = False
            await send(message)

        await self.app(scope, receive, recording_send)
        offered: Offer | None = scope.get(_OFFER)
        if offered is not None and start is not None and recording:
            entry = self._entry(offered, start, b"".join(chunks), gzipped=key[2])
            if entry is not None:
                self.entries[key] = entry

    def _entry(
        self, offered: Offer, start: Message, body: bytes, *, gzipped: bool
    ) -> _Entry | None:
        """The entry that makes this answer again, or None when the door could not make the
        same bytes (another status, a body it does not know, any cookie but the session's)."""
        if start["status"] != offered.status_code:
            return None
        headers = tuple(start.get("headers", ()))
        cookies = [value for name, value in headers if name == b"set-cookie"]
        others = tuple(header for header in headers if header[0] != b"set-cookie")
        kept = offered.page.kept
        if isinstance(kept, KeptBody):
            expected = kept.gzipped if gzipped and kept.gzipped is not None else kept.identity
            # The conditional-GET layer tags it with the kept body's tag, if at all.
            etag = Headers(raw=list(headers)).get("etag")
            if cookies or body != expected or etag not in (None, kept.etag):
                return None
            return _Entry(offered, others, gzipped, body, etag, b"", b"", 0)
        if len(cookies) != 1 or "etag" in Headers(raw=list(headers)):
            return None
        name, _, rest = cookies[0].partition(b"=")
        value, _, attributes = rest.partition(b";")
        token = self._token_in(name, value)
        if token is None or body != _spliced(kept, token, gzipped):
            return None
        place = next(index for index, header in enumerate(headers) if header[0] == b"set-cookie")
        return _Entry(offered, others, gzipped, None, None, name, b";" + attributes, place)

    def _token_in(self, name: bytes, value: bytes) -> bytes | None:
        """The CSRF token of a new session cookie holding that and nothing else."""
        if name != self.session_cookie:
            return None
        try:
            session = json.loads(b64decode(self.signer.unsign(value)))
        except (itsdangerous.BadSignature, ValueError):
            return None
        token = session.get(CSRF_SESSION_KEY) if isinstance(session, dict) else None
        if set(session) != {CSRF_SESSION_KEY} or not isinstance(token, str):
            return None
        return token.encode() if len(token) == CSRF_TOKEN_LENGTH else None

    async def _answer(self, entry: _Entry, scope: Scope, send: Send) -> None:
        headers = list(entry.headers)
        if entry.body is not None:
            body = entry.body
            if entry.etag is not None and _if_none_match(scope, entry.etag):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 304,
                        "headers": not_modified_headers(headers),
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            kept = entry.offer.page.kept
            assert isinstance(kept, SplicedBody)  # noqa: S101  (only a spliced entry has no body)
            token = new_csrf_token()
            body = _spliced(kept, token.encode(), entry.gzipped)
            headers.insert(entry.cookie_at, (b"set-cookie", self._session_cookie(entry, token)))
        await send(
            {"type": "http.response.start", "status": entry.offer.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    def _session_cookie(self, entry: _Entry, token: str) -> bytes:
        """A new session holding this token, as the session middleware writes it."""
        data = self.signer.sign(b64encode(json.dumps({CSRF_SESSION_KEY: token}).encode()))
        return entry.cookie_name + b"=" + data + entry.cookie_attributes


def _door_key(scope: Scope) -> Key | None:
    """The address and encoding of a request the door may answer, or None."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    for name, _value in scope["headers"]:
        if name == b"cookie" or name == b"authorization":
            return None
    query: bytes = scope.get("query_string", b"")
    if b"lang" in query:
        return None
    return scope["path"], query, accepts_gzip(scope)


def _if_none_match(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return etag_matches(value.decode("latin-1"), etag)
    return False


def _spliced(kept: SplicedBody, token: bytes, gzipped: bool) -> bytes:
    """The page with this token, as with_csrf_token answers it (gzipped when asked and big
    enough)."""
    identity = kept.identity(token)
    if gzipped:
        return kept.gzipped(token, identity) or identity
    return identity
