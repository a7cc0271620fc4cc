"""Login attempts are limited per e-mail and per client IP, in memory and in Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app.config import Settings
from app.core.db import Database
from app.web.ratelimit import RedisRateLimiter
from tests.account.factories import PASSWORD, create_user, page_csrf
from tests.conftest import Backend, make_settings

LIMIT = 3
WINDOW = 120
REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "/api/v1/auth/token"


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path) -> Settings:
    """A small allowance, so that a few requests use it up."""
    return make_settings(
        db_backend.url,
        tmp_path / "var",
        login_attempts_per_window=LIMIT,
        login_window_seconds=WINDOW,
    )


@asynccontextmanager
async def client_from(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _token_status(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post(TOKEN, json={"email": email, "password": password})
    return response.status_code


async def test_too_many_attempts_for_one_email_answer_429(
    client: httpx.AsyncClient, database: Database
) -> None:
    await create_user(database, email="buyer@example.com")
    for _ in range(LIMIT):
        assert await _token_status(client, "buyer@example.com", "wrong-password") == 401

    # The right password does not help once the allowance is used up.
    response = await client.post(TOKEN, json={"email": "buyer@example.com", "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert response.headers["retry-after"] == str(WINDOW)
    assert "access_token" not in response.text


async def test_the_email_counter_spans_client_ips(app: FastAPI) -> None:
    await create_user(app.state.database, email="buyer@example.com")
    statuses = []
    for attempt in range(LIMIT + 1):
        async with client_from(app, f"10.0.0.{attempt + 1}") as client:
            statuses.append(await _token_status(client, "BUYER@example.com", "wrong-password"))

    assert statuses == [401] * LIMIT + [429]


async def test_the_ip_counter_spans_emails(app: FastAPI) -> None:
    async with client_from(app, "10.1.1.1") as client:
        statuses = [
            await _token_status(client, f"guess{n}@example.com", "wrong-password")
            for n in range(LIMIT + 1)
        ]
    async with client_from(app, "10.2.2.2") as other:
        elsewhere = await _token_status(other, "guess0@example.com", "wrong-password")

    assert statuses == [401] * LIMIT + [429]
    assert elsewhere == 401  # another IP, and that address has been tried only once


async def test_success_resets_the_email_counter_but_not_the_ip_counter(app: FastAPI) -> None:
    await create_user(app.state.database, email="buyer@example.com")
    async with client_from(app, "10.3.3.3") as client:
        assert await _token_status(client, "buyer@example.com", "wrong-password") == 401
        assert await _token_status(client, "buyer@example.com", "wrong-password") == 401
        assert await _token_status(client, "buyer@example.com", PASSWORD) == 200
        # The IP's allowance is spent, success or not.
        assert await _token_status(client, "other@example.com", "wrong-password") == 429

    statuses = []
    for attempt in range(LIMIT):
        async with client_from(app, f"10.4.4.{attempt + 1}") as client:
            statuses.append(await _token_status(client, "buyer@example.com", "wrong-password"))
    # Without the reset the address would have reached its limit on the first of these.
    assert statuses == [401] * LIMIT


async def test_the_login_page_rerenders_with_429(app: FastAPI) -> None:
    await create_user(app.state.database, email="buyer@example.com")
    async with client_from(app, "10.5.5.5") as client:
        csrf = await page_csrf(client, "/login")
        form = {"email": "buyer@example.com", "password": "wrong-password", "csrf_token": csrf}
        for _ in range(LIMIT):
            assert (await client.post("/login", data=form)).status_code == 401

        response = await client.post("/login", data={**form, "password": PASSWORD})

    assert response.status_code == 429
    assert response.headers["retry-after"] == str(WINDOW)
    assert "登录尝试过于频繁" in response.text
    assert 'value="buyer@example.com"' in response.text
    assert "location" not in response.headers


@pytest.fixture
async def redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    """A limiter on the local Redis under a prefix no other test uses; its keys are removed."""
    prefix = f"fengshou-test:{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(Redis.from_url(REDIS_URL), LIMIT, WINDOW, prefix)
    try:
        yield limiter
    finally:
        keys = [key async for key in limiter.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await limiter.redis.delete(*keys)
        await limiter.close()


async def test_redis_limiter_counts_per_key_and_resets(redis_limiter: RedisRateLimiter) -> None:
    results = [await redis_limiter.hit("email:a") for _ in range(LIMIT + 1)]

    assert results == [True] * LIMIT + [False]
    assert await redis_limiter.hit("email:b") is True
    ttl = await redis_limiter.redis.ttl(redis_limiter._key("email:a"))
    assert 0 < ttl <= WINDOW
    await redis_limiter.reset("email:a")
    assert await redis_limiter.hit("email:a") is True


async def test_login_is_limited_through_redis(
    app: FastAPI, client: httpx.AsyncClient, redis_limiter: RedisRateLimiter
) -> None:
    app.state.login_limiter = redis_limiter
    await create_user(app.state.database, email="buyer@example.com")

    statuses = [
        await _token_status(client, "buyer@example.com", "wrong-password") for _ in range(LIMIT)
    ]
    blocked = await client.post(TOKEN, json={"email": "buyer@example.com", "password": PASSWORD})

    assert statuses == [401] * LIMIT
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == str(WINDOW)
    stored = [key async for key in redis_limiter.redis.scan_iter(match=f"{redis_limiter.prefix}:*")]
    assert any(b":ip:" in key for key in stored)
    assert not any(b"buyer@example.com" in key for key in stored)  # addresses are hashed
