"""A per-process cache of computed reports, checked against the ledger on every request.

Reports are sums over the ledger, and the ledger only grows; so a report computed once can be
served again until the next entry is committed. Each request reads a version stamp of the
ledger first (one statement over the month rollup, a few dozen rows whatever the length of the
history) and the cache answers only what was computed under the same stamp.

The stamp is (Σ order_count, Σ amount_fen) over `impact_totals_by_month`. The rollups are
written in the same transaction as the entries they sum, so a reader sees both or neither, on
SQLite and PostgreSQL alike; and every committed write changes the stamp: a sale adds at least
one order to its month (all sale entries of an order are written by one call), and a write
without a sale is a refund, whose amounts are below zero. The largest entry id would be
cheaper but is not a stamp on PostgreSQL: ids come from a sequence in the order transactions
start, not the order they commit, so a report could be stored under an id whose smaller
neighbour commits later and then never be recomputed.

The stamp is read before the report, so a report is never older than the stamp it is stored
under (a write that commits in between only makes it newer, and the next request, seeing the
new stamp, recomputes). What a report shows besides sums (names, pairings in force, the
households suppliers declare) changes without the ledger: entries live at most `TTL_SECONDS`,
so such a change shows within that time; replacing an organisation's designated counties
(app.impact.service) and purging the ledger (tests, app.impact.guard) clear the cache of their
database at once.

Keys name the report, its parameters and its audience: public reports are keyed by their
parameters; an organisation's, a province's and a supplier's by that organisation, province or
supplier, and they are looked up only after the request's user has been allowed to see it. The
cache belongs to one database (tests run many apps in one process) and holds at most
`MAX_ENTRIES` reports, the least recently used leaving first.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Pool, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.impact.models import TotalByMonth

T = TypeVar("T")

MAX_ENTRIES = 512
TTL_SECONDS = 30.0

Stamp = tuple[int, int]


async def ledger_stamp(session: AsyncSession) -> Stamp:
    """(orders, net amount) over every month: changes with every committed ledger write."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(TotalByMonth.order_count), 0),
                func.coalesce(func.sum(TotalByMonth.amount_fen), 0),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


@dataclass
class _Entry:
    stamp: Stamp
    stored_at: float
    value: object


class ReportCache:
    """Computed reports by key, each valid for one ledger stamp; bounded, least recently used
    first out."""

    def __init__(self, max_entries: int = MAX_ENTRIES, ttl_seconds: float = TTL_SECONDS) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, stamp: Stamp) -> tuple[bool, object]:
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.stamp != stamp
            or time.monotonic() - entry.stored_at > self.ttl_seconds
        ):
            self.misses += 1
            return False, None
        self._entries.move_to_end(key)
        self.hits += 1
        return True, entry.value

    def put(self, key: Hashable, stamp: Stamp, value: object) -> None:
        self._entries[key] = _Entry(stamp, time.monotonic(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


# One cache per connection pool: the reading and the writing sessions of a database are bound
# to different Engine objects (the writer's carries execution options) over the same pool.
_caches: weakref.WeakKeyDictionary[Pool, ReportCache] = weakref.WeakKeyDictionary()


def _pool(session: AsyncSession) -> Pool:
    bind: Any = session.get_bind()
    return cast(Engine, getattr(bind, "engine", bind)).pool


def cache_for(session: AsyncSession) -> ReportCache:
    """The cache of the session's database (one per connection pool, made on first use)."""
    pool = _pool(session)
    cache = _caches.get(pool)
    if cache is None:
        cache = _caches[pool] = ReportCache()
    return cache


def clear(session: AsyncSession) -> None:
    """Forget every report of the session's database (after pairings change)."""
    cache_for(session).clear()


async def cached(session: AsyncSession, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
    """The report under `key` for the ledger as this request sees it: stored, or computed
    now and stored."""
    cache = cache_for(session)
    stamp = await ledger_stamp(session)
    found, value = cache.get(key, stamp)
    if found:
        return cast(T, value)
    computed = await compute()
    cache.put(key, stamp, computed)
    return computed
