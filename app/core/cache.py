"""The app's cache layer: named, bounded caches, generations that writes bump, stale-while-refresh.

One `Caches` per app (app.state.caches, made by create_app). Domains declare each cache as a
`CacheSpec` (name and bounds) and get it from the app's `Caches`, handed to them by their
routes. Writes, made deep inside services, the job runner and other domains, reach the caches
they invalidate through the session they write with: create_app attaches the app's `Caches` to
its session factories. What is cached, for how long and what invalidates it:
docs/adr/0006-caching.md. No business rule lives here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from cachetools import LRUCache, TTLCache
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, object_mapper

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Clock = Callable[[], float]

log = logging.getLogger(__name__)

# Background refreshes one stale-while-refresh cache runs at once. Past that, a stale value is
# still served, and a request recomputes it once it is too old even to be served stale.
MAX_REFRESHES = 4

# True in the task of a stale-while-refresh cache's background refresh: nobody waits for its
# value (the stale one is served meanwhile), so its work may give way to the requests in flight.
_IN_BACKGROUND: ContextVar[bool] = ContextVar("cache_refresh_in_background", default=False)


def in_background_refresh() -> bool:
    """Whether the code running computes a value in a background refresh (Refreshing), which
    no request waits for, rather than one that requests wait for."""
    return _IN_BACKGROUND.get()


# Where a session made by the app's factories carries the app's caches.
_SESSION_INFO_KEY = "app.core.cache"
# Where such a session keeps the tables it wrote, bumped again when it commits.
_WRITTEN_TABLES_KEY = "app.core.cache.written_tables"


# An execution option naming the generation a statement's write bumps instead of its table's
# (`table_generation(name)`): writes that most readers may see a little late (a sale taking
# stock) are told apart from those that must show at once (a new price).
GENERATION_OPTION = "cache_generation"


def table_generation(table: str) -> str:
    """The generation every write of an app's session to `table` bumps (see Caches.attach)."""
    return f"table:{table}"


def wrote_tables(session: AsyncSession | Session, tables: Iterable[str]) -> None:
    """Bump these tables' generations as a write to them through `session` would (now and
    again when it commits): for a write that a statement's GENERATION_OPTION kept apart but
    that must show at once after all."""
    _wrote(session.sync_session if isinstance(session, AsyncSession) else session, tables)


@dataclass(frozen=True)
class CacheSpec(Generic[K, V]):
    """A cache's name and bounds: at most `max_entries` (the least recently used leave
    first), each served for `ttl_seconds` after it was stored (None: until pushed out or
    cleared), then, for a stale-while-refresh cache, `stale_seconds` more while one
    background task recomputes it."""

    name: str
    max_entries: int
    ttl_seconds: float | None = None
    stale_seconds: float = 0.0


class Cache(Generic[K, V]):
    """A bounded cache (cachetools' LRU or TTL cache) counting its hits and misses."""

    def __init__(self, spec: CacheSpec[K, V], clock: Clock = time.monotonic) -> None:
        self.spec = spec
        self._entries: LRUCache[K, V] | TTLCache[K, V] = (
            LRUCache(spec.max_entries)
            if spec.ttl_seconds is None
            else TTLCache(spec.max_entries, spec.ttl_seconds, timer=clock)
        )
        self.hits = 0
        self.misses = 0

    @property
    def max_entries(self) -> int:
        return self.spec.max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, valid: Callable[[V], bool] | None = None) -> V | None:
        """The value under `key` (now the most recently used), or None: absent, expired, or
        refused by `valid`. Values are never None."""
        value = self._entries.get(key)
        if value is None or (valid is not None and not valid(value)):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value

    def clear(self) -> None:
        self._entries.clear()


class Generations:
    """Named counters that writes bump. What a write makes stale is cached under keys that
    carry the current count: after a bump it is never found again, and ages out."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def __getitem__(self, name: str) -> int:
        return self._counts.get(name, 0)

    def bump(self, name: str) -> None:
        self._counts[name] = self[name] + 1


class Refreshing(Generic[K, V]):
    """Stale-while-refresh: an entry is fresh for `ttl_seconds`; for `stale_seconds` more it
    is still served, while one background task per key (at most `max_refreshes` in all)
    recomputes it. A caller that finds nothing usable while a key's refresh runs waits for
    that refresh rather than computing the value a second time."""

    def __init__(
        self,
        spec: CacheSpec[K, V],
        clock: Clock = time.monotonic,
        *,
        max_refreshes: int = MAX_REFRESHES,
    ) -> None:
        if spec.ttl_seconds is None:
            raise ValueError(f"cache {spec.name!r}: stale-while-refresh needs a TTL")
        self.spec = spec
        self.max_refreshes = max_refreshes
        self._ttl = spec.ttl_seconds
        self._clock = clock
        self._entries: LRUCache[K, tuple[float, V]] = LRUCache(spec.max_entries)
        self._refreshes: dict[K, asyncio.Task[V]] = {}
        # Bumped by clear(): a refresh that started before it does not store its value.
        self._epoch = 0
        self.hits = 0
        self.stale_hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def refreshing(self) -> int:
        """How many background refreshes are under way."""
        return len(self._refreshes)

    async def get(self, key: K, refresh: Callable[[], Awaitable[V]]) -> V | None:
        """The value under `key` if fresh; if stale but within `stale_seconds`, the stale
        value, and `refresh()` is started in the background unless one runs; None otherwise
        (the caller computes the value and put()s it)."""
        entry = self._entries.get(key)
        if entry is not None:
            age = self._clock() - entry[0]
            if age < self._ttl:
                self.hits += 1
                return entry[1]
            if age < self._ttl + self.spec.stale_seconds:
                self.stale_hits += 1
                self._start(key, refresh)
                return entry[1]
        running = self._refreshes.get(key)
        if running is not None:
            with contextlib.suppress(Exception):
                # Shielded: a caller that goes away does not cancel the others' refresh.
                value = await asyncio.shield(running)
                self.hits += 1
                return value
        self.misses += 1
        return None

    async def get_or_compute(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The value under `key`, computing it at most once at a time (single flight): fresh,
        it; stale but within `stale_seconds`, it, while `compute()` refreshes it in the
        background; otherwise the caller waits for the computation under way for that key, or
        starts one and waits for it, and the value is stored. `compute` runs as a task of its
        own (with its own session, not a request's): a caller that goes away does not cancel
        it for the others. Its exception reaches every caller waiting and nothing is stored."""
        entry = self._entries.get(key)
        if entry is not None:
            age = self._clock() - entry[0]
            if age < self._ttl:
                self.hits += 1
                return entry[1]
            if age < self._ttl + self.spec.stale_seconds:
                self.stale_hits += 1
                self._start(key, compute)
                return entry[1]
        running = self._refreshes.get(key)
        if running is None:
            self.misses += 1
            # Not bounded by max_refreshes: a caller is waiting for this one.
            running = self._launch(key, self._compute(key, compute, self._epoch))
        else:
            self.hits += 1
        return await asyncio.shield(running)

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock(), value)

    def fresh(self, key: K) -> V | None:
        """The value under `key` if fresh (no refresh due), else None: for a caller that kept
        what it was answered and asks whether `get` would still answer it. Counts nothing and
        starts nothing."""
        entry = self._entries.get(key)
        if entry is None or self._clock() - entry[0] >= self._ttl:
            return None
        return entry[1]

    def clear(self) -> None:
        self._entries.clear()
        self._epoch += 1

    def _start(self, key: K, refresh: Callable[[], Awaitable[V]]) -> None:
        if key in self._refreshes or len(self._refreshes) >= self.max_refreshes:
            return
        self._launch(key, self._refresh(key, refresh, self._epoch))

    def _launch(self, key: K, work: Awaitable[V]) -> asyncio.Task[V]:
        task = asyncio.ensure_future(work)
        self._refreshes[key] = task

        def done(finished: asyncio.Task[V]) -> None:
            if self._refreshes.get(key) is finished:
                del self._refreshes[key]
            if not finished.cancelled():
                finished.exception()  # logged in _refresh; retrieved so asyncio stays quiet

        task.add_done_callback(done)
        return task

    async def _compute(self, key: K, compute: Callable[[], Awaitable[V]], epoch: int) -> V:
        value = await compute()  # an exception (a 404, say) is the callers' to handle
        if epoch == self._epoch:
            self.put(key, value)
        return value

    async def _refresh(self, key: K, refresh: Callable[[], Awaitable[V]], epoch: int) -> V:
        _IN_BACKGROUND.set(True)  # in this task's own context: the caller's is untouched
        try:
            value = await refresh()
        except Exception:
            # The stale value stays until it is too old; then a request computes it again.
            log.warning("cache %s: refreshing an entry failed", self.spec.name, exc_info=True)
            raise
        if epoch == self._epoch:
            self.put(key, value)
        return value

    async def aclose(self) -> None:
        """Cancel the refreshes under way (the app is stopping)."""
        tasks = list(self._refreshes.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Caches:
    """The caches of one app: each made on first use from its spec, one per name, all on
    `clock` (read on every call, so a test may stop time); and the app's generations."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.generations = Generations()
        self._made: dict[str, Cache[Any, Any] | Refreshing[Any, Any]] = {}

    def _now(self) -> float:
        return self.clock()

    def cache(self, spec: CacheSpec[K, V]) -> Cache[K, V]:
        """The app's cache of that spec."""
        made = self._made.get(spec.name)
        if made is None:
            made = self._made[spec.name] = Cache(spec, self._now)
        if not isinstance(made, Cache) or made.spec != spec:
            raise ValueError(f"two caches are named {spec.name!r}")
        return cast(Cache[K, V], made)

    def refreshing(self, spec: CacheSpec[K, V]) -> Refreshing[K, V]:
        """The app's stale-while-refresh cache of that spec."""
        made = self._made.get(spec.name)
        if made is None:
            made = self._made[spec.name] = Refreshing(spec, self._now)
        if not isinstance(made, Refreshing) or made.spec != spec:
            raise ValueError(f"two caches are named {spec.name!r}")
        return cast(Refreshing[K, V], made)

    def clear(self) -> None:
        """Empty every cache (the generations go on counting)."""
        for made in self._made.values():
            made.clear()

    async def aclose(self) -> None:
        """Cancel the background refreshes under way (the app is stopping)."""
        for made in self._made.values():
            if isinstance(made, Refreshing):
                await made.aclose()

    # -- reaching the caches from a write ----------------------------------------------------

    def attach(self, *sessionmakers: async_sessionmaker[AsyncSession]) -> None:
        """Every session these factories make carries these caches (see `of`), and its writes
        bump the generation of each table they touch (`table_generation`), when made and
        again when committed: ORM flushes and INSERT, UPDATE and DELETE statements alike."""
        for sessionmaker in sessionmakers:
            info = dict(sessionmaker.kw.get("info") or {})
            info[_SESSION_INFO_KEY] = self
            sessionmaker.configure(info=info)
        _listen_for_writes()

    def table_generations(self, tables: Iterable[str]) -> tuple[int, ...]:
        """The current generations of these tables: a key part that changes with any write
        to one of them through an attached session."""
        generations = self.generations
        return tuple(generations[table_generation(table)] for table in tables)

    @staticmethod
    def of(session: AsyncSession | Session) -> Caches | None:
        """The caches of the app whose factory made `session` (None for other sessions:
        scripts, a second database): what a write there makes stale."""
        found = session.info.get(_SESSION_INFO_KEY)
        return found if isinstance(found, Caches) else None


# -- table generations ---------------------------------------------------------------------


def _wrote(session: Session, tables: Iterable[str]) -> None:
    caches = Caches.of(session)
    if caches is None:
        return
    written: set[str] = session.info.setdefault(_WRITTEN_TABLES_KEY, set())
    for table in tables:
        caches.generations.bump(table_generation(table))
        written.add(table)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    # The session's new, dirty and deleted objects are still those the flush wrote.
    objects = [*session.new, *session.dirty, *session.deleted]
    if objects:
        _wrote(session, {t.name for o in objects for t in object_mapper(o).tables})


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        name = state.execution_options.get(GENERATION_OPTION) or getattr(table, "name", None)
        if isinstance(name, str):
            _wrote(state.session, [name])


def _after_commit(session: Session) -> None:
    # Again once committed: a read between the write and its commit cached what it replaced.
    written = session.info.pop(_WRITTEN_TABLES_KEY, None)
    caches = Caches.of(session)
    if written and caches is not None:
        for table in written:
            caches.generations.bump(table_generation(table))


def _listen_for_writes() -> None:
    """Once per process, on every session (those without an app's caches are skipped)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        # No rollback listener: after a rolled back savepoint the rest may still commit, and
        # a bump too many only costs a recomputation.
