"""Queries of the regions domain: bulk reads and writes for the loader, lookups for the API."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload

from app.core.db import Base
from app.regions.models import (
    AreaKind,
    County,
    Pairing,
    PairingArea,
    PairingKind,
    Prefecture,
    Province,
)

# ---------------------------------------------------------------------------------------------
# Bulk access for the reference-data loader


async def rows_by_code(
    session: AsyncSession, columns: Sequence[InstrumentedAttribute[Any]]
) -> dict[str, dict[str, Any]]:
    """Every row of a code-keyed table (provinces, prefectures, counties) as plain dicts."""
    result = await session.execute(select(*columns))
    names = [c.key for c in columns]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result}


async def insert_rows(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """One bulk INSERT (batched by the driver), not one round trip per row."""
    if rows:
        await session.execute(insert(model), list(rows))


async def update_rows(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Bulk UPDATE by primary key: each row carries its key and the changed columns."""
    if rows:
        await session.execute(update(model), list(rows))


async def reference_pairing_rows(
    session: AsyncSession, columns: Sequence[InstrumentedAttribute[Any]]
) -> dict[str, dict[str, Any]]:
    """Pairings loaded from the reference files, by reference_key, with their id."""
    names = ["id", *(c.key for c in columns)]
    result = await session.execute(
        select(Pairing.id, *columns).where(Pairing.reference_key.is_not(None))
    )
    rows = [dict(zip(names, row, strict=True)) for row in result]
    return {row["reference_key"]: row for row in rows}


async def insert_pairings(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Insert pairings in one statement; answers reference_key → new id."""
    if not rows:
        return {}
    result = await session.execute(
        insert(Pairing).returning(Pairing.reference_key, Pairing.id), list(rows)
    )
    return {key: pairing_id for key, pairing_id in result if key is not None}


async def pairing_area_codes(
    session: AsyncSession, pairing_ids: Collection[int]
) -> dict[int, set[tuple[str, str]]]:
    """pairing id → {(area kind, code)} for the given pairings."""
    areas: dict[int, set[tuple[str, str]]] = {pid: set() for pid in pairing_ids}
    if not pairing_ids:
        return areas
    result = await session.execute(
        select(PairingArea.pairing_id, PairingArea.area_kind, PairingArea.code).where(
            PairingArea.pairing_id.in_(pairing_ids)
        )
    )
    for pairing_id, kind, code in result:
        areas[pairing_id].add((str(kind), code))
    return areas


async def replace_pairing_areas(
    session: AsyncSession, pairing_ids: Collection[int], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Delete every area of these pairings, then insert `rows` (each with its pairing_id)."""
    if pairing_ids:
        await session.execute(delete(PairingArea).where(PairingArea.pairing_id.in_(pairing_ids)))
    await insert_rows(session, PairingArea, rows)


async def count_regions(session: AsyncSession) -> dict[str, int]:
    """Row counts for the loader's report, in a few aggregate queries."""
    provinces = await session.scalar(select(func.count()).select_from(Province))
    prefectures = await session.scalar(select(func.count()).select_from(Prefecture))
    county_counts = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(County.poverty_lifted.is_(True)),
                func.count().filter(County.key_assistance.is_(True)),
            ).select_from(County)
        )
    ).one()
    pairings = await session.scalar(
        select(func.count()).select_from(Pairing).where(Pairing.reference_key.is_not(None))
    )
    areas = await session.scalar(
        select(func.count())
        .select_from(PairingArea)
        .join(Pairing, PairingArea.pairing_id == Pairing.id)
        .where(Pairing.reference_key.is_not(None))
    )
    return {
        "provinces": provinces or 0,
        "prefectures": prefectures or 0,
        "counties": county_counts[0],
        "poverty_lifted": county_counts[1],
        "key_assistance": county_counts[2],
        "pairings": pairings or 0,
        "pairing_areas": areas or 0,
    }


# ---------------------------------------------------------------------------------------------
# Lookups


async def list_provinces(session: AsyncSession) -> Sequence[Province]:
    return (await session.scalars(select(Province).order_by(Province.code))).all()


async def province_exists(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(Province.code).where(Province.code == code))
    return found is not None


async def list_prefectures(session: AsyncSession, province_code: str) -> Sequence[Prefecture]:
    """The prefectures of a province, in code order."""
    stmt = (
        select(Prefecture)
        .where(Prefecture.province_code == province_code)
        .order_by(Prefecture.code)
    )
    return (await session.scalars(stmt)).all()


async def get_prefecture(session: AsyncSession, code: str) -> Prefecture | None:
    return await session.get(Prefecture, code)


def _county_filters(
    province_code: str | None,
    poverty_lifted: bool | None,
    key_assistance: bool | None,
    prefecture_code: str | None = None,
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if province_code is not None:
        filters.append(County.province_code == province_code)
    if prefecture_code is not None:
        filters.append(County.prefecture_code == prefecture_code)
    if poverty_lifted is not None:
        filters.append(County.poverty_lifted.is_(poverty_lifted))
    if key_assistance is not None:
        filters.append(County.key_assistance.is_(key_assistance))
    return filters


# code, name, prefecture_name, province_code, province_name, poverty_lifted, key_assistance
CountySummaryRow = Row[str, str, str, str, str, bool, bool]

COUNTY_SUMMARY_COLUMNS = (
    County.code,
    County.name,
    Prefecture.name.label("prefecture_name"),
    County.province_code,
    Province.name.label("province_name"),
    County.poverty_lifted,
    County.key_assistance,
)


async def count_counties(
    session: AsyncSession,
    *,
    province_code: str | None = None,
    poverty_lifted: bool | None = None,
    key_assistance: bool | None = None,
    prefecture_code: str | None = None,
) -> int:
    filters = _county_filters(province_code, poverty_lifted, key_assistance, prefecture_code)
    total = await session.scalar(select(func.count()).select_from(County).where(*filters))
    return total or 0


async def search_counties(
    session: AsyncSession,
    *,
    province_code: str | None = None,
    poverty_lifted: bool | None = None,
    key_assistance: bool | None = None,
    prefecture_code: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Sequence[CountySummaryRow]:
    """County summaries (with prefecture and province names) in code order, one query."""
    filters = _county_filters(province_code, poverty_lifted, key_assistance, prefecture_code)
    stmt = (
        select(*COUNTY_SUMMARY_COLUMNS)
        .join(Prefecture, County.prefecture_code == Prefecture.code)
        .join(Province, County.province_code == Province.code)
        .where(*filters)
        .order_by(County.code)
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def get_county(session: AsyncSession, code: str) -> County | None:
    """A county with its prefecture and province loaded."""
    stmt = (
        select(County)
        .options(joinedload(County.prefecture), joinedload(County.province))
        .where(County.code == code)
    )
    return (await session.scalars(stmt)).one_or_none()


async def county_places(
    session: AsyncSession, codes: Collection[str]
) -> Sequence[Row[str, str, str, str, str, str]]:
    """(code, name, province_code, province_name, prefecture_code, prefecture_name) of the
    counties these codes name, in one query."""
    result = await session.execute(
        select(
            County.code,
            County.name,
            County.province_code,
            Province.name.label("province_name"),
            County.prefecture_code,
            Prefecture.name.label("prefecture_name"),
        )
        .join(Province, Province.code == County.province_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(County.code.in_(sorted(set(codes))))
    )
    return result.all()


def _pairing_query() -> Select[Pairing]:
    return (
        select(Pairing)
        .options(
            joinedload(Pairing.helper_province),
            joinedload(Pairing.helped_province),
            selectinload(Pairing.areas),
        )
        .order_by(Pairing.id)
    )


async def list_pairings(session: AsyncSession, *, kind: PairingKind | None = None) -> list[Pairing]:
    """Pairings with their provinces and areas loaded (three queries in all)."""
    stmt = _pairing_query()
    if kind is not None:
        stmt = stmt.where(Pairing.kind == kind)
    return list((await session.scalars(stmt)).unique().all())


async def pairings_helping_province(session: AsyncSession, province_code: str) -> list[Pairing]:
    """Every pairing whose helped province is this one, areas loaded, in force or not."""
    stmt = _pairing_query().where(Pairing.helped_province_code == province_code)
    return list((await session.scalars(stmt)).unique().all())


async def area_names(
    session: AsyncSession, areas: Iterable[PairingArea]
) -> dict[tuple[str, str], str]:
    """(area kind, code) → name, in at most two queries."""
    prefecture_codes = {a.code for a in areas if a.area_kind == AreaKind.PREFECTURE}
    county_codes = {a.code for a in areas if a.area_kind == AreaKind.COUNTY}
    names: dict[tuple[str, str], str] = {}
    if prefecture_codes:
        result = await session.execute(
            select(Prefecture.code, Prefecture.name).where(Prefecture.code.in_(prefecture_codes))
        )
        names.update({(AreaKind.PREFECTURE.value, c): n for c, n in result})
    if county_codes:
        result = await session.execute(
            select(County.code, County.name).where(County.code.in_(county_codes))
        )
        names.update({(AreaKind.COUNTY.value, c): n for c, n in result})
    return names


async def count_pairings(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Pairing)) or 0


async def county_counts_by_province(
    session: AsyncSession,
) -> Sequence[Row[str, str, int, int]]:
    """(code, name, poverty-lifted count, key-assistance count) of provinces with any."""
    poverty = func.count().filter(County.poverty_lifted.is_(True))
    key = func.count().filter(County.key_assistance.is_(True))
    stmt = (
        select(Province.code, Province.name, poverty.label("poverty"), key.label("key"))
        .join(County, County.province_code == Province.code)
        .group_by(Province.code, Province.name)
        .having(poverty > 0)
        .order_by(Province.code)
    )
    return (await session.execute(stmt)).all()
