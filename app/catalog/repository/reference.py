"""Queries of the catalog's reference data: categories, provinces and counties by code."""

from __future__ import annotations

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.catalog.models import Category
from app.regions.models import County, Province


async def reference_names(
    session: AsyncSession,
) -> tuple[dict[str, str], dict[str, tuple[str, int]], set[str]]:
    """Province names, category (name, position) and county codes, in one statement."""
    union = union_all(
        select(literal("p"), Province.code, Province.name, literal(0)),
        select(literal("c"), Category.code, Category.name_zh, Category.position),
        select(literal("k"), County.code, literal(""), literal(0)),
    )
    provinces: dict[str, str] = {}
    categories: dict[str, tuple[str, int]] = {}
    counties: set[str] = set()
    for part, code, name, position in await session.execute(union):
        if part == "p":
            provinces[code] = name
        elif part == "c":
            categories[code] = (name, int(position))
        else:
            counties.add(code)
    return provinces, categories, counties


async def list_categories(session: AsyncSession) -> list[Category]:
    result = await session.scalars(select(Category).order_by(Category.position, Category.code))
    return list(result)


async def get_category(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def get_county(session: AsyncSession, code: str) -> County | None:
    result = await session.scalars(
        select(County).where(County.code == code).options(joinedload(County.province))
    )
    return result.first()
