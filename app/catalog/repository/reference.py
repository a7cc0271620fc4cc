"""Queries of the catalog's reference data: categories, provinces and counties by code."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.catalog.models import Brand, Category
from app.regions.models import County, Prefecture, Province


@dataclass(frozen=True)
class ReferenceNames:
    """Names by code: provinces, prefectures, counties, and categories with their position."""

    provinces: dict[str, str]
    prefectures: dict[str, str]
    counties: dict[str, str]
    categories: dict[str, tuple[str, int]]
    # Regional brands: slug → (id, name).
    brands: dict[str, tuple[int, str]] = field(default_factory=dict)


async def reference_names(session: AsyncSession) -> ReferenceNames:
    """Every province, prefecture, county, category and brand name, in one statement."""
    union = union_all(
        select(literal("p"), Province.code, Province.name, literal(0)),
        select(literal("f"), Prefecture.code, Prefecture.name, literal(0)),
        select(literal("k"), County.code, County.name, literal(0)),
        select(literal("c"), Category.code, Category.name_zh, Category.position),
        select(literal("b"), Brand.slug, Brand.name, Brand.id),
    )
    names = ReferenceNames({}, {}, {}, {})
    places = {"p": names.provinces, "f": names.prefectures, "k": names.counties}
    for part, code, name, position in await session.execute(union):
        if part == "c":
            names.categories[code] = (name, int(position))
        elif part == "b":
            names.brands[code] = (int(position), name)
        else:
            places[part][code] = name
    return names


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
