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

Only GETs without Cookie or Authorization headers are answered here, and only with what the
app answered such a request (never an answer that sets a cookie of its own, such as the
language one of ?lang=); everything else goes through the app as before.
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
from app.web.security import CSRF_SESSION_KEY, new_csrf_token

if TYPE_CHECKING:
    # (app.web.fragments offers its pages here.)
    from app.web.fragments import AnonymousPage

# Addresses answered at the door at once, the least recently asked for leaving first. An entry
# holds its page and headers; the page is the one the app keeps, until the app keeps another
# (after a write or its refresh) and the entry is dropped when next asked for. At worst the
# entries hold 128 pages the app no longer keeps: about 5 MB on the demo catalogue (29 KB a
# page on average, and its gzip); the hot pages of a festival are a few.
DOOR_ENTRIES = 128

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
class _Kept:
    """An answer without a form, made again as it was: every visitor gets the same bytes."""

    offer: Offer
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    # Its tag, when the conditional-GET layer gave it one: a 304 to a visitor who has it.
    etag: str | None

    def answer(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if self.etag is not None and _if_none_match(scope, self.etag):
            return 304, not_modified_headers(list(self.headers)), b""
        return self.offer.status_code, list(self.headers), self.body


@dataclass(frozen=True)
class _Spliced:
    """An answer with a form, made again with a new session and CSRF token per visitor."""

    offer: Offer
    page: SplicedBody
    # The headers without the session cookie, and where it goes among them.
    headers: tuple[tuple[bytes, bytes], ...]
    cookie_at: int
    # The cookie's name and its attributes ("; path=/; Max-Age=…") as the app set them.
    cookie_name: bytes
    cookie_attributes: bytes
    gzipped: bool


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
        self.entries: LRUCache[Key, _Kept | _Spliced] = LRUCache(DOOR_ENTRIES)
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
                if isinstance(entry, _Kept):
                    status, headers, body = entry.answer(scope)
                else:
                    status, headers, body = self._spliced_answer(entry)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            del self.entries[key]
        await self._through_the_app(key, scope, receive, send)

    async def _through_the_app(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """The app answers; an answer it offered is recorded (a route offers before its
        answer starts, so an offered answer is recorded whole)."""
        scope[_ASKING] = True
        sent: list[Message] = []

        async def recording_send(message: Message) -> None:
            if _OFFER in scope:
                sent.append(message)
            await send(message)

        await self.app(scope, receive, recording_send)
        if sent:
            entry = self._entry(scope[_OFFER], sent, gzipped=key[2])
            if entry is not None:
                self.entries[key] = entry

    def _entry(
        self, offered: Offer, sent: list[Message], *, gzipped: bool
    ) -> _Kept | _Spliced | None:
        """The entry that makes this answer again, or None when the door could not make the
        same bytes (another status, a body it does not know, any cookie but a new session's
        holding the page's token)."""
        start, *rest = sent
        if (
            start["type"] != "http.response.start"
            or start["status"] != offered.status_code
            or any(message["type"] != "http.response.body" for message in rest)
        ):
            return None
        body = b"".join(message.get("body", b"") for message in rest)
        headers = tuple(start.get("headers", ()))
        cookies = [index for index, (name, _) in enumerate(headers) if name == b"set-cookie"]
        others = tuple(header for header in headers if header[0] != b"set-cookie")
        etag = Headers(raw=list(headers)).get("etag")
        kept = offered.page.kept
        if isinstance(kept, KeptBody):
            expected = kept.gzipped if gzipped and kept.gzipped is not None else kept.identity
            # The conditional-GET layer tags it with the kept body's tag, if at all.
            if cookies or body != expected or etag not in (None, kept.etag):
                return None
            return _Kept(offered, others, body, etag)
        # A page with a form is the visitor's own: no tag, one new session cookie.
        if len(cookies) != 1 or etag is not None:
            return None
        name, _, rest_of_cookie = headers[cookies[0]][1].partition(b"=")
        value, _, attributes = rest_of_cookie.partition(b";")
        token = self._token_in(name, value)
        if token is None or body != _spliced(kept, token, gzipped):
            return None
        return _Spliced(offered, kept, others, cookies[0], name, b";" + attributes, gzipped)

    def _token_in(self, name: bytes, value: bytes) -> bytes | None:
        """The CSRF token of a session cookie of ours holding that and nothing else."""
        if name != self.session_cookie:
            return None
        try:
            session = json.loads(b64decode(self.signer.unsign(value)))
        except (itsdangerous.BadSignature, ValueError):
            return None
        if not isinstance(session, dict) or set(session) != {CSRF_SESSION_KEY}:
            return None
        token = session[CSRF_SESSION_KEY]
        return token.encode() if isinstance(token, str) else None

    def _spliced_answer(self, entry: _Spliced) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The page with a new token, and the new session holding it, as the session
        middleware writes it."""
        token = new_csrf_token()
        signed = self.signer.sign(b64encode(json.dumps({CSRF_SESSION_KEY: token}).encode()))
        headers = list(entry.headers)
        cookie = entry.cookie_name + b"=" + signed + entry.cookie_attributes
        headers.insert(entry.cookie_at, (b"set-cookie", cookie))
        return entry.offer.status_code, headers, _spliced(entry.page, token.encode(), entry.gzipped)


def _door_key(scope: Scope) -> Key | None:
    """The address and encoding of a request the door may answer, or None."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    for name, _value in scope["headers"]:
        if name == b"cookie" or name == b"authorization":
            return None
    return scope["path"], scope["query_string"], accepts_gzip(scope)


def _if_none_match(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return etag_matches(value.decode("latin-1"), etag)
    return False


def _spliced(page: SplicedBody, token: bytes, gzipped: bool) -> bytes:
    """The page with this token, as with_csrf_token answers it (gzipped when asked and big
    enough)."""
    identity = page.identity(token)
    if gzipped:
        return page.gzipped(token, identity) or identity
    return identity
