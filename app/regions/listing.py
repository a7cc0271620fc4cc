"""Regions for address forms: a province's prefectures, the cascading province → prefecture →
county choices a form renders, and a county's full name (广东省广州市天河区)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.regions import repository
from app.regions.errors import ProvinceUnknown
from app.regions.models import County
from app.regions.schemas import PrefectureOut

# Prefecture-level placeholders of the code table, not place names: a municipality's
# districts (市辖区, 重庆's 县) and the county-level units a province governs directly.
PLACEHOLDER_PREFECTURES = frozenset(
    {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
)


def _is_region_code(code: str | None) -> bool:
    return code is not None and len(code) == 6 and code.isascii() and code.isdigit()


def place_name(province_name: str, prefecture_name: str, county_name: str) -> str:
    """What an address writes before its street: 广东省广州市天河区, 北京市朝阳区 (no 市辖区),
    广东省东莞市 (a prefecture without counties is named once)."""
    parts = [province_name]
    if prefecture_name not in PLACEHOLDER_PREFECTURES and prefecture_name != province_name:
        parts.append(prefecture_name)
    if county_name != parts[-1]:
        parts.append(county_name)
    return "".join(parts)


async def list_prefectures(session: AsyncSession, province_code: str) -> list[PrefectureOut]:
    """A province's prefectures in code order; an unknown province is 422 `unknown_province`."""
    if not (
        _is_region_code(province_code) and await repository.province_exists(session, province_code)
    ):
        raise ProvinceUnknown(province_code)
    return [
        PrefectureOut(code=p.code, name=p.name, province_code=p.province_code)
        for p in await repository.list_prefectures(session, province_code)
    ]


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class RegionChoices:
    """What a form's three selects offer and which option each has chosen ("" for none).
    The prefectures are those of the chosen province, the counties those of the chosen
    prefecture; a chosen county is the form's value."""

    provinces: list[Choice]
    prefectures: list[Choice] = field(default_factory=list)
    counties: list[Choice] = field(default_factory=list)
    province_code: str = ""
    prefecture_code: str = ""
    county_code: str = ""


async def _county(session: AsyncSession, code: str | None) -> County | None:
    return await repository.get_county(session, code) if code and _is_region_code(code) else None


async def region_choices(
    session: AsyncSession,
    *,
    province_code: str | None = None,
    prefecture_code: str | None = None,
    county_code: str | None = None,
) -> RegionChoices:
    """The selects of an address form for what was chosen so far.

    A county decides its prefecture and province, unless the form's province or prefecture
    was changed away from it (a form sent to list another province's prefectures): then the
    county is dropped and the newer, broader choice kept. Codes that name nothing are ignored.
    A province with one prefecture (a municipality) and a prefecture with one county (东莞市)
    have it chosen at once: there is nothing to pick.
    """
    provinces = [Choice(p.code, p.name) for p in await repository.list_provinces(session)]
    known = {choice.code for choice in provinces}
    province = province_code if province_code in known else None
    prefecture = None
    if _is_region_code(prefecture_code):
        found = await repository.get_prefecture(session, prefecture_code or "")
        if found is not None and province in (None, found.province_code):
            prefecture, province = found.code, found.province_code
    county = await _county(session, county_code)
    if county is not None and (
        province not in (None, county.province_code)
        or prefecture not in (None, county.prefecture_code)
    ):
        county = None
    if county is not None:
        province, prefecture = county.province_code, county.prefecture_code
    if province is None:
        return RegionChoices(provinces=provinces)
    prefectures = [
        Choice(p.code, p.name) for p in await repository.list_prefectures(session, province)
    ]
    if prefecture is None and len(prefectures) == 1:
        prefecture = prefectures[0].code
    counties: list[Choice] = []
    if prefecture is not None:
        rows = await repository.search_counties(session, prefecture_code=prefecture)
        counties = [Choice(row.code, row.name) for row in rows]
        if county is None and len(counties) == 1:
            county = await _county(session, counties[0].code)
    return RegionChoices(
        provinces=provinces,
        prefectures=prefectures,
        counties=counties,
        province_code=province,
        prefecture_code=prefecture or "",
        county_code=county.code if county is not None else "",
    )
