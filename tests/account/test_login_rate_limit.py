"""Sign-in and sign-up limits, on the pages and the API, with the default settings: wrong
passwords per account (10 per 15 minutes, then a growing delay) and per client address (100),
successful sign-ins never counted, sign-ups per address (30 per 10 minutes); in memory and
through Redis. The limiter's clock is stopped and moved: nothing sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from app.account.limits import client_address
from app.core.db import Database
from app.web.ratelimit import AttemptLimiter, RedisLimitStore
from tests.account.factories import PASSWORD, create_user, page_csrf, sign_in_page
from tests.http_assertions import assert_error
from tests.web.limits import StoppedClock, redis_store

TOKEN = "/api/v1/auth/token"
REGISTER = "/api/v1/auth/register"
OFFICE = "203.0.113.7"  # a canteen's NAT address
WINDOW = 900


@pytest.fixture
def clock(app: FastAPI) -> StoppedClock:
    """The app's limiter runs on a stopped clock for this test."""
    stopped = StoppedClock()
    limiter: AttemptLimiter = app.state.limits
    limiter.clock = stopped
    return stopped


@asynccontextmanager
async def client_from(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client (a browser, with its own cookies) whose requests come from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _token(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, json={"email": email, "password": password})


async def _wrong(client: httpx.AsyncClient, email: str, times: int) -> list[int]:
    return [(await _token(client, email, "wrong-password")).status_code for _ in range(times)]


def _assert_limited(response: httpx.Response, retry_after: int) -> None:
    assert_error(response, 429, "rate_limited")
    assert response.headers["retry-after"] == str(retry_after)
    assert "access_token" not in response.text


async def test_twenty_colleagues_behind_one_address_all_sign_in(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    colleagues = [
        await create_user(database, email=f"staff{n}@canteen.example", display_name=f"同事{n}")
        for n in range(20)
    ]
    assert len(colleagues) == 20

    # On the pages, each in their own browser; every fourth one mistypes first.
    for n in range(20):
        async with client_from(app, OFFICE) as browser:
            email = f"staff{n}@canteen.example"
            if n % 4 == 0:
                assert (await sign_in_page(browser, email, "typo-password")).status_code == 401
            signed_in = await sign_in_page(browser, email)
            assert signed_in.status_code == 303, signed_in.text
            account = await browser.get("/account")
            assert account.status_code == 200
            assert f"同事{n}" in account.text

    # And their API clients, within the same minute.
    async with client_from(app, OFFICE) as api:
        for n in range(20):
            issued = await _token(api, f"staff{n}@canteen.example", PASSWORD)
            assert issued.status_code == 200, issued.text
            me = await api.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {issued.json()['access_token']}"}
            )
            assert me.json()["display_name"] == f"同事{n}"


async def test_the_eleventh_wrong_password_is_429_for_as_long_as_retry_after_says(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="buyer@example.com")
    async with client_from(app, "198.51.100.1") as client:
        assert await _wrong(client, "buyer@example.com", 10) == [401] * 10

        # The right password does not help during the wait, nor does another address.
        _assert_limited(await _token(client, "buyer@example.com", PASSWORD), WINDOW)
        clock.advance(WINDOW - 1)
        _assert_limited(await _token(client, "BUYER@example.com", PASSWORD), 1)
    async with client_from(app, "198.51.100.2") as elsewhere:
        _assert_limited(await _token(elsewhere, "buyer@example.com", PASSWORD), 1)

        clock.advance(1)
        assert (await _token(elsewhere, "buyer@example.com", PASSWORD)).status_code == 200


async def test_the_account_counter_spans_addresses(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="buyer@example.com")
    statuses = []
    for attempt in range(11):
        async with client_from(app, f"10.0.0.{attempt + 1}") as client:
            statuses.append((await _token(client, "buyer@example.com", "wrong")).status_code)

    assert statuses == [401] * 10 + [429]


async def test_the_delay_then_grows_but_never_locks_for_ever(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="buyer@example.com")
    async with client_from(app, "198.51.100.3") as client:
        assert await _wrong(client, "buyer@example.com", 10) == [401] * 10
        clock.advance(WINDOW)

        # Each wrong password after a wait makes the next wait twice as long, up to an hour.
        for expected in (1800, 3600, 3600):
            assert await _wrong(client, "buyer@example.com", 1) == [401]
            _assert_limited(await _token(client, "buyer@example.com", PASSWORD), expected)
            clock.advance(expected)

        assert (await _token(client, "buyer@example.com", PASSWORD)).status_code == 200
        # Signing in clears the account's count: the full allowance is back.
        assert await _wrong(client, "buyer@example.com", 10) == [401] * 10


async def test_a_locked_account_does_not_lock_its_colleagues_out(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="target@canteen.example")
    await create_user(database, email="colleague@canteen.example")
    async with client_from(app, OFFICE) as client:
        assert await _wrong(client, "target@canteen.example", 10) == [401] * 10
        assert (await _token(client, "target@canteen.example", PASSWORD)).status_code == 429

        assert (await _token(client, "colleague@canteen.example", PASSWORD)).status_code == 200


async def test_wrong_passwords_per_address_are_limited_loosely_and_successes_never_count(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="staff@canteen.example")
    async with client_from(app, OFFICE) as client:
        # 99 guesses at as many accounts: each account is tried once, the address 99 times.
        for n in range(99):
            assert (await _token(client, f"guess{n}@example.com", "wrong")).status_code == 401
        # Sign-ins that succeed are not counted against the address, however many.
        for _ in range(15):
            assert (await _token(client, "staff@canteen.example", PASSWORD)).status_code == 200
        assert (await _token(client, "guess99@example.com", "wrong")).status_code == 401

        # The 101st wrong password from the address is refused, whatever the account.
        refused = await _token(client, "staff@canteen.example", PASSWORD)
        _assert_limited(refused, WINDOW)
    async with client_from(app, "198.51.100.9") as elsewhere:
        assert (await _token(elsewhere, "guess0@example.com", "wrong")).status_code == 401


async def test_the_login_page_rerenders_with_429_and_retry_after(
    app: FastAPI, database: Database, clock: StoppedClock
) -> None:
    await create_user(database, email="buyer@example.com")
    async with client_from(app, "198.51.100.5") as client:
        csrf = await page_csrf(client, "/login")
        form = {"email": "buyer@example.com", "password": "wrong-password", "csrf_token": csrf}
        for _ in range(10):
            assert (await client.post("/login", data=form)).status_code == 401
        clock.advance(60)

        response = await client.post("/login", data={**form, "password": PASSWORD})

        assert response.status_code == 429
        assert response.headers["retry-after"] == str(WINDOW - 60)
        assert "登录尝试过于频繁" in response.text
        assert 'value="buyer@example.com"' in response.text
        assert "location" not in response.headers
        assert (await client.get("/account")).status_code == 303  # not signed in

        # The page and the API share the count.
        _assert_limited(await _token(client, "buyer@example.com", PASSWORD), WINDOW - 60)


def _signup(n: int) -> dict[str, str]:
    return {"email": f"new{n}@canteen.example", "password": PASSWORD, "display_name": f"新人{n}"}


async def test_sign_ups_per_address_are_limited_on_the_api_and_the_page(
    app: FastAPI, clock: StoppedClock
) -> None:
    async with client_from(app, OFFICE) as client:
        for n in range(15):
            assert (await client.post(REGISTER, json=_signup(n))).status_code == 201
        # A refused sign-up (a taken address) costs a hash too, and counts.
        assert (await client.post(REGISTER, json=_signup(0))).status_code == 409
        clock.advance(100)
        for n in range(15, 29):
            csrf = await page_csrf(client, "/register")
            page = await client.post("/register", data={**_signup(n), "csrf_token": csrf})
            assert page.status_code == 303, page.text

        # 30 in the window: both ways are refused for the rest of it.
        refused = await client.post(REGISTER, json=_signup(30))
        assert_error(refused, 429, "rate_limited")
        assert refused.headers["retry-after"] == "500"
        csrf = await page_csrf(client, "/register")
        page = await client.post("/register", data={**_signup(31), "csrf_token": csrf})
        assert page.status_code == 429
        assert page.headers["retry-after"] == "500"
        assert "注册过于频繁" in page.text

    async with client_from(app, "198.51.100.20") as elsewhere:
        assert (await elsewhere.post(REGISTER, json=_signup(32))).status_code == 201

    clock.advance(500)
    async with client_from(app, OFFICE) as client:
        assert (await client.post(REGISTER, json=_signup(33))).status_code == 201


def _request_from(host: str) -> Request:
    return Request({"type": "http", "client": (host, 1234), "headers": []})


def test_ipv6_clients_are_counted_by_their_64_block() -> None:
    assert client_address(_request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_address(_request_from("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::/64"
    assert client_address(_request_from("::ffff:198.51.100.4")) == "198.51.100.4"
    assert client_address(_request_from("198.51.100.4")) == "198.51.100.4"


@pytest.fixture
async def redis_limiter(clock: StoppedClock) -> AsyncIterator[AttemptLimiter]:
    async with redis_store() as store:
        yield AttemptLimiter(store, clock)


async def test_sign_in_is_limited_through_redis(
    app: FastAPI, database: Database, redis_limiter: AttemptLimiter, clock: StoppedClock
) -> None:
    app.state.limits = redis_limiter
    await create_user(database, email="buyer@example.com")
    async with client_from(app, "198.51.100.6") as client:
        assert (await _token(client, "buyer@example.com", PASSWORD)).status_code == 200
        assert await _wrong(client, "buyer@example.com", 10) == [401] * 10
        clock.advance(300)

        _assert_limited(await _token(client, "buyer@example.com", PASSWORD), WINDOW - 300)

    store = redis_limiter.store
    assert isinstance(store, RedisLimitStore)
    stored = [key async for key in store.redis.scan_iter(match=f"{store.prefix}:*")]
    assert any(b":login-address:198.51.100.6" in key for key in stored)
    assert not any(b"buyer@example.com" in key for key in stored)  # addresses are hashed
