"""Attempt limits with a growing delay: in memory on the embedded default, in Redis when
configured (then shared by every process).

A policy allows `limit` counted attempts in a window that starts with the first of them; the
attempt that reaches the limit blocks the key until that window ends. With `max_delay` above
the window the delay then grows: until the key is forgiven (a whole window without an attempt
after its last block), every further counted attempt blocks it again, for two, four, eight …
windows, never longer than `max_delay`. Nothing is blocked for ever. Only what the caller
counts is counted (wrong passwords, not sign-ins), and a blocked key is not counted again,
so that waiting out a block is always enough.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.core.clock import utcnow

if TYPE_CHECKING:
    from redis.asyncio import Redis

_MAX_DOUBLINGS = 30  # 2**30 windows is far beyond any max_delay; keeps the arithmetic finite


@dataclass(frozen=True)
class Policy:
    """`limit` attempts per `window` seconds for each key of the policy's `name`."""

    name: str
    limit: int
    window: int
    max_delay: int  # seconds; equal to `window`: no growing delay

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window < 1 or self.max_delay < self.window:
            raise ValueError(f"inconsistent rate-limit policy {self}")

    @property
    def grows(self) -> bool:
        return self.max_delay > self.window


@dataclass
class LimitState:
    """What is known of one key; every time is in seconds of the limiter's clock."""

    started: float = 0.0  # the start of the current window
    count: int = 0  # attempts counted in it
    strikes: int = 0  # blocks not yet forgiven (growing policies only)
    blocked_until: float = 0.0

    def forget_at(self, policy: Policy) -> float:
        """When the state no longer matters: its window is over and any block forgiven."""
        if self.strikes:
            return self.blocked_until + policy.window
        return max(self.started + policy.window, self.blocked_until)


def count_attempt(state: LimitState, policy: Policy, now: float) -> LimitState:
    """The state after one more counted attempt (RedisLimitStore's script does the same)."""
    if state.strikes and now >= state.blocked_until + policy.window:
        state = LimitState()  # a quiet window after the last block: forgiven
    if now >= state.started + policy.window:
        state.started, state.count = now, 0
    state.count += 1
    if state.strikes:
        doublings = min(state.strikes, _MAX_DOUBLINGS)
        state.blocked_until = now + min(policy.window * 2**doublings, policy.max_delay)
        state.strikes += 1
    elif state.count >= policy.limit:
        state.blocked_until = state.started + policy.window
        state.strikes = 1 if policy.grows else 0
    return state


class LimitStore(Protocol):
    async def blocked_until(self, key: str) -> float:
        """Until when the key is blocked (in the past, or 0, when it is not)."""
        ...

    async def count(self, key: str, policy: Policy, now: float) -> float:
        """Count one attempt; returns until when the key is blocked after it."""
        ...

    async def reset(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryLimitStore:
    """For one process."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._states: dict[str, tuple[LimitState, float]] = {}  # key → (state, forget at)

    async def blocked_until(self, key: str) -> float:
        found = self._states.get(key)
        return found[0].blocked_until if found else 0.0

    async def count(self, key: str, policy: Policy, now: float) -> float:
        if len(self._states) >= self.MAX_KEYS:  # forget what no longer matters, not grow
            self._states = {k: v for k, v in self._states.items() if v[1] > now}
        found = self._states.get(key)
        state = count_attempt(found[0] if found else LimitState(), policy, now)
        self._states[key] = (state, state.forget_at(policy))
        return state.blocked_until

    async def reset(self, key: str) -> None:
        self._states.pop(key, None)

    async def close(self) -> None:
        return None


# count_attempt in Lua, atomic in Redis. Times are integer milliseconds of the app's clock
# (exact in Lua's doubles); the key expires when its state no longer matters.
_COUNT_SCRIPT = """
local now, limit, window, max_delay = tonumber(ARGV[1]), tonumber(ARGV[2]),
    tonumber(ARGV[3]), tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'started', 'count', 'strikes', 'blocked')
local started, count = tonumber(s[1]) or 0, tonumber(s[2]) or 0
local strikes, blocked = tonumber(s[3]) or 0, tonumber(s[4]) or 0
if strikes > 0 and now >= blocked + window then
  started, count, strikes, blocked = 0, 0, 0, 0
end
if now >= started + window then
  started, count = now, 0
end
count = count + 1
if strikes > 0 then
  blocked = now + math.min(window * 2 ^ math.min(strikes, 30), max_delay)
  strikes = strikes + 1
elseif count >= limit then
  blocked = started + window
  if max_delay > window then strikes = 1 else strikes = 0 end
end
local forget = math.max(started + window, blocked)
if strikes > 0 then forget = blocked + window end
redis.call('HSET', KEYS[1], 'started', string.format('%d', started),
    'count', count, 'strikes', strikes, 'blocked', string.format('%d', blocked))
redis.call('PEXPIRE', KEYS[1], math.max(forget - now, 1000))
return string.format('%d', blocked)
"""


class RedisLimitStore:
    """Shared by every process."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_COUNT_SCRIPT)

    def key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def blocked_until(self, key: str) -> float:
        raw = await self.redis.hget(self.key(key), "blocked")
        return int(raw) / 1000 if raw is not None else 0.0

    async def count(self, key: str, policy: Policy, now: float) -> float:
        arguments = [round(now * 1000), policy.limit, policy.window * 1000, policy.max_delay * 1000]
        blocked = await self._script(keys=[self.key(key)], args=arguments)
        return int(blocked) / 1000

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.key(key))

    async def close(self) -> None:
        await self.redis.aclose()


def _app_clock() -> float:
    return utcnow().timestamp()


class AttemptLimiter:
    """The policies' keys in one store, timed by a clock the tests can stop and move."""

    def __init__(self, store: LimitStore, clock: Callable[[], float] = _app_clock) -> None:
        self.store = store
        self.clock = clock

    async def wait(self, policy: Policy, key: str) -> int:
        """Whole seconds until `key` may try again; 0: now."""
        blocked_until = await self.store.blocked_until(f"{policy.name}:{key}")
        return _seconds_until(blocked_until, self.clock())

    async def count(self, policy: Policy, key: str) -> int:
        """Count one attempt of `key`; returns the seconds it must wait before the next."""
        now = self.clock()
        blocked_until = await self.store.count(f"{policy.name}:{key}", policy, now)
        return _seconds_until(blocked_until, now)

    async def reset(self, policy: Policy, key: str) -> None:
        await self.store.reset(f"{policy.name}:{key}")

    async def close(self) -> None:
        await self.store.close()


def _seconds_until(moment: float, now: float) -> int:
    # Rounded up (after the float noise below a millisecond is dropped), so that a client
    # that waits as long as Retry-After says is let in.
    return max(0, math.ceil(round(moment - now, 3)))


def create_attempt_limiter(redis_url: str | None, prefix: str) -> AttemptLimiter:
    if redis_url:
        from redis.asyncio import Redis  # its client (some 5 MB) only where it is configured

        return AttemptLimiter(RedisLimitStore(Redis.from_url(redis_url), prefix))
    return AttemptLimiter(MemoryLimitStore())
