"""The loader (idempotent, repairs drift) and the rule of which pairings help which county."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, update

from app.core.db import Database, unit_of_work
from app.regions.models import AreaKind, County, HelperKind, Pairing, PairingArea, PairingKind
from app.regions.service import (
    get_county_detail,
    load_reference_data,
    pairing_helps_county,
    pairings_helping_county,
)


async def _table_counts(database: Database) -> dict[str, int]:
    async with unit_of_work(database.reader) as session:
        counts = {}
        for name, model in (("counties", County), ("pairings", Pairing), ("areas", PairingArea)):
            counts[name] = await session.scalar(select(func.count()).select_from(model)) or 0
        return counts


async def test_loading_twice_changes_nothing(database: Database) -> None:
    before = await _table_counts(database)
    async with unit_of_work(database.writer) as session:
        first = await load_reference_data(session)
    async with unit_of_work(database.writer) as session:
        second = await load_reference_data(session)

    assert second.rows_written == 0
    assert first.rows_written == 0  # the test database was loaded at start-up
    assert (second.provinces, second.prefectures, second.counties) == (31, 342, 2978)
    assert (second.poverty_lifted, second.key_assistance) == (831, 94)
    assert second.pairings == 35
    assert second.pairing_areas == 48
    assert await _table_counts(database) == before
    assert str(second).startswith(
        "regions: 31 provinces, 342 prefectures, 2978 counties "
        "(831 poverty-lifted, 94 key-assistance), 35 pairings"
    )


async def test_loading_repairs_changed_rows_and_areas(database: Database) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(County)
            .where(County.code == "450124")
            .values(poverty_lifted=False, key_assistance=False, poverty_exit_year=None)
        )
        pairing_id = await session.scalar(
            select(Pairing.id).where(Pairing.reference_key == "counterpart_support:370000:650000")
        )
        await session.execute(delete(PairingArea).where(PairingArea.pairing_id == pairing_id))
        await session.execute(
            update(Pairing).where(Pairing.id == pairing_id).values(note="edited by hand")
        )
    try:
        async with unit_of_work(database.writer) as session:
            report = await load_reference_data(session)
        # One county, one pairing, its four counties.
        assert report.rows_written == 6
        async with unit_of_work(database.reader) as session:
            county = await session.get(County, "450124")
            assert county is not None
            assert (county.poverty_lifted, county.key_assistance) == (True, True)
            assert county.poverty_exit_year == 2019
            codes = set(
                await session.scalars(
                    select(PairingArea.code).where(PairingArea.pairing_id == pairing_id)
                )
            )
            assert codes == {"653122", "653123", "653127", "653128"}
            note = await session.scalar(select(Pairing.note).where(Pairing.id == pairing_id))
            assert note is not None
            assert note.startswith("援疆")
    finally:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)


async def test_loading_keeps_an_operator_set_end_date(database: Database) -> None:
    key = "east_west:350000:640000"
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Pairing).where(Pairing.reference_key == key).values(until=date(2021, 12, 31))
        )
    try:
        async with unit_of_work(database.writer) as session:
            report = await load_reference_data(session)
            until = await session.scalar(select(Pairing.until).where(Pairing.reference_key == key))
        assert report.rows_written == 0
        assert until == date(2021, 12, 31)
    finally:
        async with unit_of_work(database.writer) as session:
            await session.execute(
                update(Pairing).where(Pairing.reference_key == key).values(until=None)
            )


def _pairing(
    *,
    province: str = "650000",
    since: date | None = None,
    until: date | None = None,
    areas: list[tuple[AreaKind, str]] | None = None,
) -> Pairing:
    return Pairing(
        kind=PairingKind.COUNTERPART_SUPPORT,
        helper_kind=HelperKind.PROVINCE,
        helper_province_code="440000",
        helped_province_code=province,
        since=since,
        until=until,
        areas=[PairingArea(area_kind=kind, code=code) for kind, code in areas or []],
    )


def _county(code: str, prefecture: str, province: str) -> County:
    return County(code=code, name="x", prefecture_code=prefecture, province_code=province)


def test_the_rule_of_which_pairing_helps_which_county() -> None:
    shufu = _county("653121", "653100", "650000")
    kashi_city = _county("653101", "653100", "650000")
    day = date(2026, 6, 1)

    whole_province = _pairing()
    assert pairing_helps_county(whole_province, shufu, on=day)
    assert not pairing_helps_county(whole_province, _county("450124", "450100", "450000"), on=day)

    named_county = _pairing(areas=[(AreaKind.COUNTY, "653121")])
    assert pairing_helps_county(named_county, shufu, on=day)
    assert not pairing_helps_county(named_county, kashi_city, on=day)

    named_prefecture = _pairing(areas=[(AreaKind.PREFECTURE, "653100")])
    assert pairing_helps_county(named_prefecture, kashi_city, on=day)
    assert not pairing_helps_county(named_prefecture, _county("653201", "653200", "650000"), on=day)

    since_2010 = _pairing(since=date(2010, 1, 1))
    assert pairing_helps_county(since_2010, shufu, on=date(2010, 1, 1))
    assert not pairing_helps_county(since_2010, shufu, on=date(2009, 12, 31))
    ended = _pairing(until=date(2020, 12, 31))
    assert pairing_helps_county(ended, shufu, on=date(2020, 12, 31))
    assert not pairing_helps_county(ended, shufu, on=date(2021, 1, 1))


async def test_pairings_helping_a_county_depend_on_the_date(database: Database) -> None:
    async with unit_of_work(database.reader) as session:
        county = await session.get(County, "653121")
        assert county is not None
        now = await pairings_helping_county(session, county, on=date(2026, 6, 1))
        before = await pairings_helping_county(session, county, on=date(2009, 6, 1))
        detail = await get_county_detail(session, "653121", on=date(2009, 6, 1))
    assert [p.reference_key for p in now] == ["counterpart_support:440000:650000"]
    assert before == []
    assert detail.pairings == []
