"""The cache layer: bounded caches expire on an injected clock, generations and clear()
invalidate, the registry hands out one cache per name and reaches writes through sessions, and
stale-while-refresh serves a stale value while a single, bounded refresh recomputes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.cache import (
    Cache,
    Caches,
    CacheSpec,
    Generations,
    Refreshing,
    in_background_refresh,
)

BOUNDED: CacheSpec[str, str] = CacheSpec("tests.bounded", max_entries=2)
TIMED: CacheSpec[str, str] = CacheSpec("tests.timed", max_entries=8, ttl_seconds=10.0)
STALE: CacheSpec[str, str] = CacheSpec(
    "tests.stale", max_entries=8, ttl_seconds=10.0, stale_seconds=5.0
)


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowRefresh:
    """A refresh that counts its calls and finishes when the test releases it."""

    def __init__(self, value: str = "new") -> None:
        self.value = value
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self) -> str:
        self.calls += 1
        await self.release.wait()
        return self.value


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


# ---------------------------------------------------------------------------------------------
# Bounded caches, generations, the registry


def test_a_cache_keeps_its_bound_and_drops_the_least_recently_used() -> None:
    cache = Cache(BOUNDED)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("c", "C")

    assert len(cache) == cache.max_entries == 2
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("A", "C")
    assert (cache.hits, cache.misses) == (3, 1)


def test_an_entry_expires_after_its_ttl_on_the_injected_clock() -> None:
    clock = Clock()
    cache = Cache(TIMED, clock)
    cache.put("summary", "report")

    clock.now += 9.9
    assert cache.get("summary") == "report"
    clock.now += 0.1
    assert cache.get("summary") is None


def test_an_entry_its_caller_refuses_is_a_miss() -> None:
    cache = Cache(TIMED)
    cache.put("summary", "stamp 1")

    assert cache.get("summary", valid=lambda value: value == "stamp 2") is None
    assert cache.get("summary", valid=lambda value: value == "stamp 1") == "stamp 1"
    assert (cache.hits, cache.misses) == (1, 1)


def test_a_bumped_generation_changes_only_its_own_count() -> None:
    generations = Generations()
    assert generations["catalog"] == generations["index"] == 0

    generations.bump("catalog")
    generations.bump("catalog")

    assert (generations["catalog"], generations["index"]) == (2, 0)


def test_the_registry_makes_one_cache_per_name_on_its_clock() -> None:
    clock = Clock()
    caches = Caches(clock=clock)
    cache = caches.cache(TIMED)
    assert caches.cache(TIMED) is cache
    with pytest.raises(ValueError, match="two caches"):
        caches.cache(CacheSpec("tests.timed", max_entries=9, ttl_seconds=10.0))
    with pytest.raises(ValueError, match="two caches"):
        caches.refreshing(TIMED)

    cache.put("a", "A")
    stopped = clock.now
    caches.clock = lambda: stopped  # read on every call: time now stands still
    clock.now += 60
    assert cache.get("a") == "A"


async def test_clear_empties_every_cache_of_the_registry() -> None:
    caches = Caches()
    caches.cache(TIMED).put("a", "A")
    caches.refreshing(STALE).put("b", "B")

    caches.clear()

    assert len(caches.cache(TIMED)) == len(caches.refreshing(STALE)) == 0


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    made = create_async_engine("sqlite+aiosqlite://")
    yield made
    await made.dispose()


async def test_sessions_of_attached_factories_carry_the_caches(engine: AsyncEngine) -> None:
    caches = Caches()
    attached = async_sessionmaker(engine, info={"kept": True})
    other = async_sessionmaker(engine)
    caches.attach(attached)

    async with attached() as session, other() as unrelated:
        assert Caches.of(session) is caches
        assert Caches.of(session.sync_session) is caches  # as event listeners get it
        assert session.info["kept"] is True
        assert Caches.of(unrelated) is None


# ---------------------------------------------------------------------------------------------
# Stale-while-refresh


def test_stale_while_refresh_needs_a_ttl() -> None:
    with pytest.raises(ValueError, match="needs a TTL"):
        Refreshing(BOUNDED)


async def test_a_fresh_value_is_served_without_a_refresh() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    refresh = SlowRefresh()
    assert await cache.get("k", refresh) is None
    cache.put("k", "old")

    clock.now += 9.9
    assert await cache.get("k", refresh) == "old"
    assert (refresh.calls, cache.refreshing) == (0, 0)


async def test_a_stale_value_is_served_while_one_refresh_recomputes_it() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    refresh = SlowRefresh()
    cache.put("k", "old")
    clock.now += 12

    served = await asyncio.gather(*(cache.get("k", refresh) for _ in range(10)))
    await _settle()

    assert served == ["old"] * 10
    assert (refresh.calls, cache.refreshing, cache.stale_hits) == (1, 1, 10)
    refresh.release.set()
    await _settle()
    assert cache.refreshing == 0
    assert await cache.get("k", refresh) == "new"  # fresh again, from the refresh's time
    clock.now += 9.9
    assert await cache.get("k", refresh) == "new"
    assert refresh.calls == 1


async def test_a_value_too_old_to_serve_is_a_miss() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    refresh = SlowRefresh()
    cache.put("k", "old")
    clock.now += 15

    assert await cache.get("k", refresh) is None
    assert (refresh.calls, cache.misses) == (0, 1)


async def test_a_caller_that_misses_waits_for_the_refresh_under_way() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    refresh = SlowRefresh()
    cache.put("k", "old")
    clock.now += 12
    assert await cache.get("k", refresh) == "old"  # starts the refresh
    clock.now += 10  # now too old to be served stale

    waiting = asyncio.ensure_future(cache.get("k", refresh))
    await _settle()
    assert not waiting.done()
    refresh.release.set()

    assert await waiting == "new"
    assert refresh.calls == 1


async def test_refreshes_are_bounded_and_a_failed_one_keeps_the_stale_value() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock, max_refreshes=1)
    cache.put("a", "old a")
    cache.put("b", "old b")
    clock.now += 12
    first, second = SlowRefresh(), SlowRefresh()

    assert await cache.get("a", first) == "old a"
    assert await cache.get("b", second) == "old b"  # served, but no second refresh at once
    await _settle()
    assert (first.calls, second.calls, cache.refreshing) == (1, 0, 1)
    first.release.set()
    await _settle()

    async def failing() -> str:
        raise RuntimeError("database away")

    assert await cache.get("b", failing) == "old b"
    await _settle()
    assert cache.refreshing == 0
    assert await cache.get("b", second) == "old b"  # still stale: a new refresh starts
    await _settle()
    assert second.calls == 1
    second.release.set()
    await _settle()
    assert await cache.get("b", second) == "new"


async def test_a_refresh_started_before_clear_stores_nothing() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    refresh = SlowRefresh()
    cache.put("k", "old")
    clock.now += 12
    await cache.get("k", refresh)
    await _settle()

    cache.clear()
    refresh.release.set()
    await _settle()

    assert len(cache) == 0
    assert await cache.get("k", refresh) is None


async def test_closing_cancels_the_refreshes_under_way() -> None:
    clock = Clock()
    caches = Caches(clock=clock)
    cache = caches.refreshing(STALE)
    refresh = SlowRefresh()
    cache.put("k", "old")
    clock.now += 12
    await cache.get("k", refresh)
    await _settle()
    assert cache.refreshing == 1

    await caches.aclose()

    assert cache.refreshing == 0
    assert refresh.calls == 1 and not refresh.release.is_set()


# ---------------------------------------------------------------------------------------------
# Single flight: concurrent misses make one computation


async def test_concurrent_misses_make_one_computation_that_every_caller_gets() -> None:
    cache = Refreshing(STALE, Clock())
    compute = SlowRefresh("computed")

    callers = [asyncio.ensure_future(cache.get_or_compute("k", compute)) for _ in range(20)]
    await _settle()
    assert compute.calls == 1
    assert not any(caller.done() for caller in callers)
    compute.release.set()

    assert await asyncio.gather(*callers) == ["computed"] * 20
    assert compute.calls == 1
    assert (cache.misses, cache.hits) == (1, 19)
    # Stored: the next caller is served without computing.
    assert await cache.get_or_compute("k", compute) == "computed"
    assert compute.calls == 1


async def test_a_miss_after_expiry_is_one_computation_too() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    cache.put("k", "old")
    clock.now += 16  # past the TTL and the stale window: nothing may be served
    compute = SlowRefresh("new")

    callers = [asyncio.ensure_future(cache.get_or_compute("k", compute)) for _ in range(5)]
    await _settle()
    compute.release.set()
    assert await asyncio.gather(*callers) == ["new"] * 5
    assert compute.calls == 1


async def test_a_stale_value_is_served_while_one_computation_refreshes_it() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    cache.put("k", "old")
    clock.now += 12  # stale, still servable
    compute = SlowRefresh("new")

    served = [await cache.get_or_compute("k", compute) for _ in range(5)]
    assert served == ["old"] * 5  # nobody waits
    await _settle()
    assert (compute.calls, cache.refreshing) == (1, 1)
    compute.release.set()
    await _settle()
    assert await cache.get_or_compute("k", compute) == "new"
    assert compute.calls == 1


async def test_only_a_background_refresh_runs_as_one() -> None:
    clock = Clock()
    cache = Refreshing(STALE, clock)
    seen: list[bool] = []

    async def compute() -> str:
        seen.append(in_background_refresh())
        return f"value {len(seen)}"

    assert await cache.get_or_compute("k", compute) == "value 1"  # a miss: the caller waits
    clock.now += 12  # stale, still servable
    assert await cache.get_or_compute("k", compute) == "value 1"  # served, refreshed behind
    await _settle()
    assert cache.refreshing == 0
    assert await cache.get("k", compute) == "value 2"
    clock.now += 12
    assert await cache.get("k", compute) == "value 2"  # get() refreshes behind too
    await _settle()
    assert seen == [False, True, True]
    assert not in_background_refresh()  # the refreshes' own context, not the caller's


async def test_a_failed_computation_reaches_every_waiting_caller_and_stores_nothing() -> None:
    cache = Refreshing(STALE, Clock())
    release = asyncio.Event()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        raise LookupError("no such product")

    callers = [asyncio.ensure_future(cache.get_or_compute("k", failing)) for _ in range(3)]
    await _settle()
    release.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert [type(r) for r in results] == [LookupError] * 3
    assert calls == 1
    assert len(cache) == 0 and cache.refreshing == 0
    # The next caller computes again (a failure is not remembered).
    assert await cache.get_or_compute("k", _value("ok")) == "ok"


def _value(value: str) -> Callable[[], Awaitable[str]]:
    async def compute() -> str:
        return value

    return compute


async def test_a_caller_that_goes_away_does_not_cancel_the_others_computation() -> None:
    cache = Refreshing(STALE, Clock())
    compute = SlowRefresh("shared")
    first = asyncio.ensure_future(cache.get_or_compute("k", compute))
    second = asyncio.ensure_future(cache.get_or_compute("k", compute))
    await _settle()
    first.cancel()
    await _settle()
    compute.release.set()
    assert await second == "shared"
    assert compute.calls == 1
    assert await cache.get_or_compute("k", compute) == "shared"


async def test_a_computation_started_before_clear_stores_nothing() -> None:
    cache = Refreshing(STALE, Clock())
    compute = SlowRefresh("before")
    caller = asyncio.ensure_future(cache.get_or_compute("k", compute))
    await _settle()
    cache.clear()
    compute.release.set()
    assert await caller == "before"  # its own caller still gets it
    assert len(cache) == 0


# ---------------------------------------------------------------------------------------------
# Table generations: every write of an attached session bumps its tables'


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "cache_test_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


async def test_writes_of_attached_sessions_bump_their_tables_generations(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    caches = Caches()
    attached = async_sessionmaker(engine, expire_on_commit=False)
    other = async_sessionmaker(engine)
    caches.attach(attached)
    tables = ["cache_test_rows"]
    seen = [caches.table_generations(tables)]

    async with attached() as session:  # an ORM flush, then its commit
        session.add(_Row(id=1))
        await session.flush()
        seen.append(caches.table_generations(tables))
        await session.commit()
        seen.append(caches.table_generations(tables))
    async with attached() as session:  # a bulk UPDATE statement (the inventory's kind)
        await session.execute(update(_Row).where(_Row.id == 1).values(value=5))
        seen.append(caches.table_generations(tables))
        await session.commit()
        seen.append(caches.table_generations(tables))
    async with attached() as session:  # reads bump nothing
        await session.execute(select(_Row))
        await session.commit()
        seen.append(caches.table_generations(tables))
    async with other() as session:  # a session without the app's caches bumps nothing
        await session.execute(update(_Row).values(value=6))
        await session.commit()
        seen.append(caches.table_generations(tables))

    # Each write changes the generation when made and again when committed.
    assert seen == [(0,), (1,), (2,), (3,), (4,), (4,), (4,)]
    assert caches.table_generations(["other_table"]) == (0,)
