"""The attempt limiter: a window's allowance, then a growing, capped delay that is forgiven;
the same in memory and in Redis (its Lua script), timed by a clock the tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.web.ratelimit import AttemptLimiter, MemoryLimitStore, Policy
from tests.web.limits import StoppedClock as Clock
from tests.web.limits import redis_store

GROWING = Policy("login", limit=3, window=900, max_delay=3600)
PLAIN = Policy("register", limit=3, window=600, max_delay=600)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[AttemptLimiter]:
    """A limiter on each store."""
    if request.param == "memory":
        yield AttemptLimiter(MemoryLimitStore(), clock)
        return
    async with redis_store() as store:
        yield AttemptLimiter(store, clock)


async def test_the_limit_blocks_until_the_window_ends(
    limiter: AttemptLimiter, clock: Clock
) -> None:
    assert await limiter.count(GROWING, "a") == 0
    clock.advance(100)
    assert await limiter.count(GROWING, "a") == 0
    assert await limiter.wait(GROWING, "a") == 0

    # The third attempt, 200 s after the first, uses the allowance up: 700 s of the window left.
    clock.advance(100)
    assert await limiter.count(GROWING, "a") == 700
    assert await limiter.wait(GROWING, "a") == 700
    assert await limiter.wait(GROWING, "b") == 0  # keys are counted apart
    assert await limiter.wait(PLAIN, "a") == 0  # and so are policies

    clock.advance(699.5)
    assert await limiter.wait(GROWING, "a") == 1  # rounded up: waiting as told is enough
    clock.advance(0.5)
    assert await limiter.wait(GROWING, "a") == 0


async def test_the_delay_doubles_up_to_the_maximum_and_is_forgiven(
    limiter: AttemptLimiter, clock: Clock
) -> None:
    for _ in range(3):
        await limiter.count(GROWING, "a")
    clock.advance(900)

    # Each attempt after a block, before a quiet window, blocks for twice as long, up to 3600.
    delays = []
    for _ in range(4):
        delays.append(await limiter.count(GROWING, "a"))
        clock.advance(delays[-1])
    assert delays == [1800, 3600, 3600, 3600]

    # A whole window without attempts after the last block: the allowance is back.
    clock.advance(900)
    assert [await limiter.count(GROWING, "a") for _ in range(3)] == [0, 0, 900]


async def test_a_plain_policy_never_grows(limiter: AttemptLimiter, clock: Clock) -> None:
    assert [await limiter.count(PLAIN, "net") for _ in range(3)] == [0, 0, 600]
    clock.advance(600)

    # The next window has the whole allowance again.
    assert [await limiter.count(PLAIN, "net") for _ in range(3)] == [0, 0, 600]


async def test_a_new_window_starts_after_a_quiet_one(limiter: AttemptLimiter, clock: Clock) -> None:
    await limiter.count(GROWING, "a")
    await limiter.count(GROWING, "a")
    clock.advance(900)

    # The first window ended with two attempts: the count starts again.
    assert [await limiter.count(GROWING, "a") for _ in range(3)] == [0, 0, 900]


async def test_reset_forgets_a_key(limiter: AttemptLimiter, clock: Clock) -> None:
    for _ in range(3):
        await limiter.count(GROWING, "a")
    assert await limiter.wait(GROWING, "a") == 900

    await limiter.reset(GROWING, "a")

    assert await limiter.wait(GROWING, "a") == 0
    assert [await limiter.count(GROWING, "a") for _ in range(3)] == [0, 0, 900]


async def test_redis_keys_expire_once_they_no_longer_matter(clock: Clock) -> None:
    async with redis_store() as store:
        limiter = AttemptLimiter(store, clock)
        await limiter.count(PLAIN, "net")
        assert 0 < await store.redis.pttl(store.key("register:net")) <= 600_000
        for _ in range(3):
            await limiter.count(GROWING, "a")
        # Blocked for 900 s, then remembered for a window more (the growing delay's memory).
        assert 900_000 < await store.redis.pttl(store.key("login:a")) <= 1_800_000


def test_a_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        Policy("x", limit=0, window=60, max_delay=60)
    with pytest.raises(ValueError, match="inconsistent"):
        Policy("x", limit=3, window=60, max_delay=30)
