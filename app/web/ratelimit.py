"""Fixed-window rate limits: in memory on the embedded default, in Redis when configured."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Protocol

from redis.asyncio import Redis


class RateLimiter(Protocol):
    async def hit(self, key: str) -> bool:
        """Count one attempt for `key`; False when the window's allowance is used up."""
        ...

    async def reset(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """For one process: counts per key per window."""

    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[tuple[str, int], int] = defaultdict(int)

    def _window_id(self) -> int:
        return int(time.monotonic() // self.window)

    async def hit(self, key: str) -> bool:
        window = self._window_id()
        if len(self._counts) > 100_000:  # forget old windows rather than grow without bound
            self._counts = defaultdict(
                int, {k: v for k, v in self._counts.items() if k[1] == window}
            )
        self._counts[(key, window)] += 1
        return self._counts[(key, window)] <= self.limit

    async def reset(self, key: str) -> None:
        self._counts.pop((key, self._window_id()), None)

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Shared by every process: INCR with an expiry per window."""

    def __init__(self, redis: Redis, limit: int, window_seconds: int, prefix: str) -> None:
        self.redis = redis
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}:{int(time.time() // self.window)}"

    async def hit(self, key: str) -> bool:
        full = self._key(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, self.window)
            count, _ = await pipe.execute()
        return int(count) <= self.limit

    async def reset(self, key: str) -> None:
        await self.redis.delete(self._key(key))

    async def close(self) -> None:
        await self.redis.aclose()


def create_rate_limiter(
    redis_url: str | None, limit: int, window_seconds: int, prefix: str
) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(Redis.from_url(redis_url), limit, window_seconds, prefix)
    return MemoryRateLimiter(limit, window_seconds)
