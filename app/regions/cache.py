"""Counties by code with their prefecture's and province's names, cached per app.

Reference data read on every order (the delivery county checked, its province priced, its
names shown): only `fengshou regions load` or a migration changes it, and neither ever deletes
a county. Keys carry the generations of the three tables, so a write of this process shows on
the next read; another process's (the loader's) within the TTL. A code that names no county is
not cached: a county loaded meanwhile is found on the next request.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import Caches, CacheSpec
from app.regions import repository

TABLES = ("counties", "prefectures", "provinces")
TTL_SECONDS = 300.0


@dataclass(frozen=True)
class CountyPlace:
    code: str
    name: str
    province_code: str
    province_name: str
    prefecture_code: str
    prefecture_name: str


# China has some 2,900 county-level units: every one fits, about 300 bytes each (1.2 MB).
PLACES: CacheSpec[tuple[str, tuple[int, ...]], CountyPlace] = CacheSpec(
    "regions.county_places", max_entries=4096, ttl_seconds=TTL_SECONDS
)


def is_county_code(code: str) -> bool:
    """Six ASCII digits (anything else names no county and is not sent to the database)."""
    return len(code) == 6 and code.isascii() and code.isdigit()


async def county_places(session: AsyncSession, codes: Collection[str]) -> dict[str, CountyPlace]:
    """The counties these codes name (codes naming none are left out): from the app's cache,
    the rest in one query."""
    wanted = {code for code in codes if is_county_code(code)}
    caches = Caches.of(session)
    if caches is None:  # a session of a script: nothing cached
        return await _read(session, wanted)
    cache = caches.cache(PLACES)
    generation = caches.table_generations(TABLES)
    found: dict[str, CountyPlace] = {}
    for code in wanted:
        place = cache.get((code, generation))
        if place is not None:
            found[code] = place
    missing = wanted - found.keys()
    if missing:
        read = await _read(session, missing)
        for code, place in read.items():
            cache.put((code, generation), place)
        found.update(read)
    return found


async def county_place(session: AsyncSession, code: str) -> CountyPlace | None:
    """The county of this code, or None (malformed codes included)."""
    return (await county_places(session, [code])).get(code)


async def _read(session: AsyncSession, codes: Collection[str]) -> dict[str, CountyPlace]:
    if not codes:
        return {}
    return {
        row.code: CountyPlace(
            code=row.code,
            name=row.name,
            province_code=row.province_code,
            province_name=row.province_name,
            prefecture_code=row.prefecture_code,
            prefecture_name=row.prefecture_name,
        )
        for row in await repository.county_places(session, codes)
    }
