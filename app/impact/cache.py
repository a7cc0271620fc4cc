"""The app's cache of computed reports, checked against the ledger on every request.

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
(app.impact.service) and purging the ledger (tests, app.impact.guard) clear the cache of the
app whose session made the change at once.

Keys name the report, its parameters and its audience: public reports are keyed by their
parameters; an organisation's, a province's and a supplier's by that organisation, province or
supplier, and they are looked up only after the request's user has been allowed to see it. The
cache is the app's (`REPORTS` in app.state.caches, handed to routes by app.impact.deps), so it
belongs to one database (tests run many apps in one process), and holds at most `MAX_ENTRIES`
reports, the least recently used leaving first. See docs/adr/0006-caching.md.

A report missing or out of date is computed once however many requests ask for it at the same
moment (when its entry expires, or the first request after a sale): the first computes it in
its own session, the others wait for it; should that computation fail or its request go away,
the next request computes it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.cache import Cache, Caches, CacheSpec
from app.impact.models import TotalByMonth

T = TypeVar("T")

# A report measured up to 87 KB (the public impact page's, on the demo data): 512 hold
# about 45 MB at worst, a few hundred KB in practice (few audiences ask within 30 s).
MAX_ENTRIES = 512
TTL_SECONDS = 30.0

Stamp = tuple[int, int]
# A report and the ledger stamp it was computed under.
StampedReport = tuple[Stamp, object]

REPORTS: CacheSpec[Hashable, StampedReport] = CacheSpec(
    "impact.reports", max_entries=MAX_ENTRIES, ttl_seconds=TTL_SECONDS
)


class _Flight:
    """A report being computed, for the requests that ask for it meanwhile."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.computed = False
        self.value: object = None


# The computations under way, per app cache, by (key, stamp).
_FLIGHTS: WeakKeyDictionary[Cache[Hashable, StampedReport], dict[Hashable, _Flight]] = (
    WeakKeyDictionary()
)


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


class ReportCache:
    """Computed reports by key, each valid for one ledger stamp: a view of a bounded cache
    (the app's `REPORTS`, least recently used first out)."""

    def __init__(self, entries: Cache[Hashable, StampedReport]) -> None:
        self._entries = entries

    @property
    def max_entries(self) -> int:
        return self._entries.max_entries

    @property
    def hits(self) -> int:
        return self._entries.hits

    @property
    def misses(self) -> int:
        return self._entries.misses

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, stamp: Stamp) -> tuple[bool, object]:
        found = self._entries.get(key, valid=lambda entry: entry[0] == stamp)
        return (False, None) if found is None else (True, found[1])

    def put(self, key: Hashable, stamp: Stamp, value: object) -> None:
        self._entries.put(key, (stamp, value))

    def clear(self) -> None:
        self._entries.clear()

    async def cached(
        self, session: AsyncSession, key: Hashable, compute: Callable[[], Awaitable[T]]
    ) -> T:
        """The report under `key` for the ledger as this request sees it: stored, or
        computed now and stored."""
        stamp = await ledger_stamp(session)
        flights = _FLIGHTS.setdefault(self._entries, {})
        while True:
            found, value = self.get(key, stamp)
            if found:
                return cast(T, value)
            running = flights.get((key, stamp))
            if running is None:
                break
            await running.done.wait()
            if running.computed:
                return cast(T, running.value)
            # It failed: the first request back computes it again, the others wait for that.
        flight = flights[(key, stamp)] = _Flight()
        try:
            computed = await compute()
            flight.computed, flight.value = True, computed
            self.put(key, stamp, computed)
        finally:
            if flights.get((key, stamp)) is flight:
                del flights[(key, stamp)]
            flight.done.set()
        return computed


def report_cache(caches: Caches) -> ReportCache:
    """The app's report cache."""
    return ReportCache(caches.cache(REPORTS))


def clear(session: AsyncSession | Session) -> None:
    """Forget every report of the app whose session this is (after pairings change, or the
    ledger is purged); a session of no app has no cache to clear."""
    caches = Caches.of(session)
    if caches is not None:
        report_cache(caches).clear()
