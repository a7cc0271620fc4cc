"""Counties cached per app for checkout: a write of the app shows on the next read, a code that
names no county is not remembered, and a write the app cannot see waits for the entry's TTL."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import delete, insert, update

from app.core.cache import Caches
from app.core.db import Database, unit_of_work
from app.regions.cache import PLACES, county_place, county_places
from app.regions.models import County, UnitKind

CODE = "522732"  # 三都水族自治县


async def _name(database: Database) -> str:
    async with unit_of_work(database.reader) as session:
        place = await county_place(session, CODE)
    assert place is not None
    return place.name


async def _rename(database: Database, name: str) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(update(County).where(County.code == CODE).values(name=name))


async def test_a_county_renamed_by_the_app_shows_on_the_next_read(database: Database) -> None:
    original = await _name(database)
    try:
        await _rename(database, "改名测试县")
        renamed = await _name(database)
    finally:
        await _rename(database, original)

    assert renamed == "改名测试县"
    assert await _name(database) == original


async def test_a_write_the_app_cannot_see_waits_for_the_entry_to_expire(
    app: FastAPI, database: Database
) -> None:
    """Another process (the reference-data loader) writes through sessions of its own: the app
    serves the cached place until its TTL, here cut short by emptying the caches."""
    original = await _name(database)
    elsewhere = Database(database.url)  # not attached to the app's caches
    try:
        async with unit_of_work(elsewhere.writer) as session:
            await session.execute(update(County).where(County.code == CODE).values(name="外改县"))
        cached = await _name(database)
        caches: Caches = app.state.caches
        caches.cache(PLACES).clear()
        reread = await _name(database)
    finally:
        async with unit_of_work(elsewhere.writer) as session:
            await session.execute(update(County).where(County.code == CODE).values(name=original))
        await elsewhere.dispose()
        app.state.caches.cache(PLACES).clear()

    assert cached == original
    assert reread == "外改县"


async def test_a_code_naming_no_county_is_not_remembered(database: Database) -> None:
    new_code = "659999"
    async with unit_of_work(database.reader) as session:
        before = await county_places(session, [new_code, "12345", "abcdef", CODE])
    elsewhere = Database(database.url)
    try:
        async with unit_of_work(elsewhere.writer) as session:
            await session.execute(
                insert(County).values(
                    code=new_code,
                    name="新设测试县",
                    prefecture_code="659000",
                    province_code="650000",
                    unit_kind=UnitKind.COUNTY_LEVEL,
                )
            )
        async with unit_of_work(database.reader) as session:
            after = await county_place(session, new_code)
    finally:
        async with unit_of_work(elsewhere.writer) as session:
            await session.execute(delete(County).where(County.code == new_code))
        await elsewhere.dispose()

    assert set(before) == {CODE}  # malformed codes and unknown ones are left out
    assert before[CODE].province_code == "520000"
    assert before[CODE].prefecture_name
    assert after is not None
    assert (after.name, after.province_code, after.province_name) == (
        "新设测试县",
        "650000",
        "新疆维吾尔自治区",
    )
