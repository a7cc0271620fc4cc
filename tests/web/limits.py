"""For tests of the attempt limiter: a clock that stands still until moved (so that waits and
delays are tested without sleeping) and a Redis store of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from app.web.ratelimit import RedisLimitStore

REDIS_URL = "redis://127.0.0.1:6379/0"
START = 1_800_000_000.25  # an arbitrary moment, with a fraction of a second


class StoppedClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def redis_store() -> AsyncIterator[RedisLimitStore]:
    """A store on the local Redis under a prefix no other test uses; its keys are removed."""
    prefix = f"fengshou-test:{uuid.uuid4().hex}"
    store = RedisLimitStore(Redis.from_url(REDIS_URL), prefix)
    try:
        yield store
    finally:
        keys = [key async for key in store.redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await store.redis.delete(*keys)
        await store.close()
