"""The front door (app.web.front_door) in front of a small app: it keeps an offered answer
only when it can make the very bytes the app sent, answers from it while the offer holds,
and signs each visitor's session cookie as the session middleware would."""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from collections.abc import Callable

import httpx
import itsdangerous
import pytest
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web import front_door
from app.web.compression import KeptBody
from app.web.fragments import _CSRF_PLACEHOLDER, AnonymousPage, with_csrf_token
from app.web.front_door import DOOR_ENTRIES, FrontDoor

SECRET = "a-test-secret"
COOKIE = "fengshou_session"
# Big enough to be gzipped.
PLAIN = AnonymousPage.of("<p>" + "丰收 " * 600 + "</p>")
WITH_FORM = AnonymousPage.of(
    "<form>" + "丰收 " * 600 + f'<input name="csrf_token" value="{_CSRF_PLACEHOLDER}"></form>'
)


class Site:
    """An endpoint answering `page` the way the storefront does (offering it to the door
    while `standing`), behind the session middleware; `tamper` may change what it sends."""

    def __init__(self, page: AnonymousPage, tamper: Callable[[Message], Message] | None = None):
        self.page = page
        self.standing = True
        self.calls = 0
        self.tamper = tamper or (lambda message: message)
        # How each message goes out (in parts, or with others after it).
        self.split: Callable[[Message], list[Message]] = lambda message: [message]
        self.session = SessionMiddleware(self._endpoint, secret_key=SECRET, session_cookie=COOKIE)
        self.door = FrontDoor(secret_key=SECRET, session_cookie=COOKIE).opening_onto(self._tampered)

    async def _tampered(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def changed(message: Message) -> None:
            for part in self.split(self.tamper(message)):
                await send(part)

        await self.session(scope, receive, changed)

    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        request = Request(scope, receive)
        assert await request.body() == b""  # the request reaches the app whole
        front_door.offer(request, self.page, 200, lambda: self.standing)
        await with_csrf_token(request, self.page)(scope, receive, send)

    async def get(self, **headers: str) -> httpx.Response:
        app: ASGIApp = self.door
        transport = httpx.ASGITransport(app=app)
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/page", headers=sent)


def _token(response: httpx.Response) -> str:
    return response.text.rsplit('value="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
@pytest.mark.parametrize("page", [PLAIN, WITH_FORM], ids=["plain", "with a form"])
async def test_an_offered_answer_is_made_again_at_the_door_while_it_stands(
    page: AnonymousPage, encoding: str
) -> None:
    site = Site(page)
    first = await site.get(accept_encoding=encoding)
    second = await site.get(accept_encoding=encoding)
    assert (site.calls, site.door.answered) == (1, 1)
    assert second.headers.get("content-encoding") == first.headers.get("content-encoding")
    assert second.headers["content-length"] == first.headers["content-length"]
    # The same headers in the same order, named as the app named them.
    assert [name for name, _ in second.headers.raw] == [name for name, _ in first.headers.raw]
    if page is PLAIN:
        assert second.content == first.content
        assert COOKIE not in second.cookies
    else:
        token = _token(second)
        assert token != _token(first)
        assert second.text.replace(token, "T") == first.text.replace(_token(first), "T")
        # The session cookie holds the page's token, signed with the middleware's key.
        signed = second.cookies[COOKIE].encode()
        session = json.loads(b64decode(itsdangerous.TimestampSigner(SECRET).unsign(signed)))
        assert session == {"csrf": token}
        attributes = [h.split(";", 1)[1] for h in second.headers.get_list("set-cookie")]
        assert attributes == [h.split(";", 1)[1] for h in first.headers.get_list("set-cookie")]

    site.standing = False  # the page changed: the app answers, and its answer is kept again
    await site.get(accept_encoding=encoding)
    assert (site.calls, site.door.answered) == (2, 1)
    site.standing = True
    await site.get(accept_encoding=encoding)
    assert (site.calls, site.door.answered) == (2, 2)


def _body_changed(message: Message) -> Message:
    if message["type"] == "http.response.body" and message.get("body"):
        return {**message, "body": message["body"][:-1] + b"!"}
    return message


def _status_changed(message: Message) -> Message:
    if message["type"] == "http.response.start":
        return {**message, "status": 203}
    return message


def _cookie_added(message: Message) -> Message:
    if message["type"] == "http.response.start":
        return {**message, "headers": [*message["headers"], (b"set-cookie", b"lang=en; Path=/")]}
    return message


def _cookie_renamed(message: Message) -> Message:
    if message["type"] == "http.response.start":
        headers = [
            (name, value.replace(COOKIE.encode(), b"other")) for name, value in message["headers"]
        ]
        return {**message, "headers": headers}
    return message


def _session_holding(session: object) -> Callable[[Message], Message]:
    """The session cookie replaced by one, signed with the right key, holding `session`."""

    def replaced(message: Message) -> Message:
        if message["type"] == "http.response.start":
            signer = itsdangerous.TimestampSigner(SECRET)
            data = signer.sign(b64encode(json.dumps(session).encode()))
            headers = [
                (name, COOKIE.encode() + b"=" + data + b"; path=/")
                if name == b"set-cookie"
                else (name, value)
                for name, value in message["headers"]
            ]
            return {**message, "headers": headers}
        return message

    return replaced


def _unsigned_session(message: Message) -> Message:
    if message["type"] == "http.response.start":
        headers = [
            (name, value.replace(b".", b"!", 1)) if name == b"set-cookie" else (name, value)
            for name, value in message["headers"]
        ]
        return {**message, "headers": headers}
    return message


def _etag_added(message: Message) -> Message:
    if message["type"] == "http.response.start":
        return {**message, "headers": [*message["headers"], (b"etag", b'W/"x"')]}
    return message


@pytest.mark.parametrize(
    ("page", "tamper"),
    [
        (PLAIN, _body_changed),
        (PLAIN, _status_changed),
        (PLAIN, _cookie_added),
        (PLAIN, _etag_added),
        (WITH_FORM, _body_changed),
        (WITH_FORM, _cookie_added),
        (WITH_FORM, _cookie_renamed),
        (WITH_FORM, _session_holding({"csrf": "x" * 43, "sid": "y"})),
        (WITH_FORM, _session_holding({"csrf": 12345})),
        (WITH_FORM, _session_holding(["csrf"])),
        (WITH_FORM, _unsigned_session),
        (WITH_FORM, _etag_added),
    ],
)
async def test_an_answer_the_door_cannot_make_again_is_never_kept(
    page: AnonymousPage, tamper: Callable[[Message], Message]
) -> None:
    site = Site(page, tamper)
    for _ in range(3):
        await site.get(accept_encoding="identity")
    assert (site.calls, site.door.answered) == (3, 0)
    assert not site.door.entries


def _tagged(message: Message) -> Message:
    """The plain page's tag, as the conditional-GET layer adds it."""
    if message["type"] == "http.response.start":
        assert isinstance(PLAIN.kept, KeptBody)
        return {**message, "headers": [*message["headers"], (b"etag", PLAIN.kept.etag.encode())]}
    return message


def _in_two_parts(message: Message) -> list[Message]:
    body = message.get("body", b"")
    if message["type"] != "http.response.body" or len(body) < 2:
        return [message]
    half = len(body) // 2
    return [
        {"type": "http.response.body", "body": body[:half], "more_body": True},
        {"type": "http.response.body", "body": body[half:], "more_body": True},
        {"type": "http.response.body"},  # (an empty body may be left out)
    ]


@pytest.mark.parametrize("page", [PLAIN, WITH_FORM], ids=["plain", "with a form"])
async def test_an_answer_sent_in_parts_is_kept_whole(page: AnonymousPage) -> None:
    site = Site(page)
    site.split = _in_two_parts
    first = await site.get()
    second = await site.get()
    assert (site.calls, site.door.answered) == (1, 1)
    assert len(second.content) == len(first.content)
    if page is PLAIN:
        assert second.content == first.content


async def test_an_answer_that_is_not_a_page_is_never_kept() -> None:
    site = Site(PLAIN)
    site.split = lambda message: (
        [message, {"type": "http.response.trailers", "headers": []}]
        if message["type"] == "http.response.body"
        else [message]
    )
    for _ in range(2):
        await site.get()
    assert (site.calls, site.door.answered) == (2, 0)


async def test_a_matching_etag_is_answered_304_without_a_body() -> None:
    site = Site(PLAIN, _tagged)
    first = await site.get()
    not_modified = await site.get(if_none_match=first.headers["etag"])
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert "content-length" not in not_modified.headers
    assert "content-type" not in not_modified.headers
    other = await site.get(if_none_match='W/"other"')
    assert other.status_code == 200
    assert other.content == first.content
    assert (site.calls, site.door.answered) == (1, 2)


async def test_the_door_keeps_a_bounded_number_of_addresses() -> None:
    site = Site(PLAIN)
    door = site.door
    for index in range(DOOR_ENTRIES + 5):
        transport = httpx.ASGITransport(app=door)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await c.get(f"/page?n={index}")
    assert len(door.entries) == DOOR_ENTRIES
    assert ("/page", b"n=0", True) not in door.entries
    assert ("/page", f"n={DOOR_ENTRIES + 4}".encode(), True) in door.entries


async def test_a_door_opening_onto_nothing_says_so() -> None:
    door = FrontDoor(secret_key=SECRET, session_cookie=COOKIE)
    transport = httpx.ASGITransport(app=door)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        with pytest.raises(RuntimeError, match="opens onto no app"):
            await c.get("/page")
