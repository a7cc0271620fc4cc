"""Use cases of the regions domain: load the reference data, look up counties and pairings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.clock import china_date, utcnow
from app.core.db import Base
from app.core.errors import ValidationFailed
from app.regions import repository
from app.regions.errors import CountyNotFound, PageOutOfRange, PrefectureUnknown, ProvinceUnknown
from app.regions.models import (
    AreaKind,
    County,
    HelperKind,
    Pairing,
    PairingKind,
    Prefecture,
    Province,
    UnitKind,
)
from app.regions.reference_data import REFERENCE_DIR, UNRESOLVED_AREA, read_reference_data
from app.regions.schemas import (
    CountyDetail,
    CountyPage,
    CountySummary,
    KeyAssistanceGroup,
    PairingAreaOut,
    PairingHelped,
    PairingHelper,
    PairingOut,
    ProvinceCountyCounts,
    ProvinceOut,
    RegionsOverview,
)

MAX_PER_PAGE = 200
MAX_PAGE = 10_000

# ---------------------------------------------------------------------------------------------
# Loading the reference data


@dataclass(frozen=True)
class LoadReport:
    """What the tables hold after a load, and how many rows the load had to write."""

    provinces: int
    prefectures: int
    counties: int
    poverty_lifted: int
    key_assistance: int
    pairings: int
    pairing_areas: int
    rows_written: int

    def __str__(self) -> str:
        written = f"{self.rows_written} rows written" if self.rows_written else "already up to date"
        return (
            f"regions: {self.provinces} provinces, {self.prefectures} prefectures, "
            f"{self.counties} counties ({self.poverty_lifted} poverty-lifted, "
            f"{self.key_assistance} key-assistance), {self.pairings} pairings "
            f"({self.pairing_areas} named areas); {written}"
        )


async def _sync_by_code(
    session: AsyncSession,
    model: type[Base],
    columns: Sequence[InstrumentedAttribute[Any]],
    desired: Mapping[str, dict[str, Any]],
) -> int:
    """Insert missing rows and update changed ones (by primary key `code`); count the writes."""
    existing = await repository.rows_by_code(session, columns)
    new = [row for code, row in desired.items() if code not in existing]
    changed = [row for code, row in desired.items() if code in existing and existing[code] != row]
    await repository.insert_rows(session, model, new)
    await repository.update_rows(session, model, changed)
    return len(new) + len(changed)


_PAIRING_COLUMNS = (
    Pairing.reference_key,
    Pairing.kind,
    Pairing.helper_kind,
    Pairing.helper_province_code,
    Pairing.helper_area,
    Pairing.helped_province_code,
    Pairing.helped_area,
    Pairing.since,
    Pairing.source,
    Pairing.note,
)


async def load_reference_data(session: AsyncSession, directory: Path = REFERENCE_DIR) -> LoadReport:
    """Load provinces, prefectures, counties (832 / 160 flags) and pairings from `directory`.

    Idempotent: rows are matched by code (pairings by reference_key); only missing or changed
    rows are written, in bulk, and a second run writes nothing. A pairing's areas are replaced
    when they differ from pairing_areas.csv. `until` is not in the files and is left as it is,
    so that an operator who ends a pairing is not overruled at the next `db upgrade`.
    Reference pairings that disappear from the file are kept (ledger entries may point to them).
    Flushes only; the caller's unit of work commits.
    """
    data = await asyncio.to_thread(read_reference_data, directory)
    written = 0

    written += await _sync_by_code(
        session,
        Province,
        (Province.code, Province.name),
        {code: {"code": code, "name": name} for code, name in data.provinces.items()},
    )
    written += await _sync_by_code(
        session,
        Prefecture,
        (Prefecture.code, Prefecture.name, Prefecture.province_code),
        {
            code: {"code": code, "name": name, "province_code": province}
            for code, (name, province) in data.prefectures.items()
        },
    )
    county_columns = (
        County.code,
        County.name,
        County.prefecture_code,
        County.province_code,
        County.unit_kind,
        County.poverty_lifted,
        County.key_assistance,
        County.poverty_exit_year,
    )
    written += await _sync_by_code(
        session,
        County,
        county_columns,
        {
            c.code: {
                "code": c.code,
                "name": c.name,
                "prefecture_code": c.prefecture_code,
                "province_code": c.province_code,
                "unit_kind": UnitKind(c.unit_kind),
                "poverty_lifted": c.code in data.poverty_exit_years,
                "key_assistance": c.code in data.key_assistance_codes,
                "poverty_exit_year": data.poverty_exit_years.get(c.code),
            }
            for c in data.counties
        },
    )

    desired_pairings = {
        p.key: {
            "reference_key": p.key,
            "kind": PairingKind(p.kind),
            "helper_kind": HelperKind.PROVINCE,
            "helper_province_code": p.helper_province_code,
            "helper_area": p.helper_area,
            "helped_province_code": p.helped_province_code,
            "helped_area": p.helped_area,
            "since": p.since,
            "source": p.source,
            "note": p.note,
        }
        for p in data.pairings
    }
    existing = await repository.reference_pairing_rows(session, _PAIRING_COLUMNS)
    ids = {key: row["id"] for key, row in existing.items()}
    new_pairings = [row for key, row in desired_pairings.items() if key not in existing]
    ids.update(await repository.insert_pairings(session, new_pairings))
    changed = [
        {"id": ids[key], **row}
        for key, row in desired_pairings.items()
        if key in existing and {k: v for k, v in existing[key].items() if k != "id"} != row
    ]
    await repository.update_rows(session, Pairing, changed)
    written += len(new_pairings) + len(changed)

    desired_areas: dict[int, set[tuple[str, str]]] = {ids[key]: set() for key in desired_pairings}
    for area in data.pairing_areas:
        if area.area_kind != UNRESOLVED_AREA and area.code:
            desired_areas[ids[area.pairing_key]].add((area.area_kind, area.code))
    current_areas = await repository.pairing_area_codes(session, desired_areas.keys())
    stale = [pid for pid, areas in desired_areas.items() if current_areas[pid] != areas]
    area_rows = [
        {"pairing_id": pid, "area_kind": AreaKind(kind), "code": code}
        for pid in stale
        for kind, code in sorted(desired_areas[pid])
    ]
    await repository.replace_pairing_areas(session, stale, area_rows)
    written += len(area_rows)
    await session.flush()

    counts = await repository.count_regions(session)
    return LoadReport(rows_written=written, **counts)


# ---------------------------------------------------------------------------------------------
# Which pairings help which county: the one rule, shared with the benefit ledger


def today_in_china() -> date:
    return china_date(utcnow())


def pairing_in_force(pairing: Pairing, on: date) -> bool:
    """No `since`: in force from the start; no `until`: still in force (`until` inclusive)."""
    return (pairing.since is None or pairing.since <= on) and (
        pairing.until is None or on <= pairing.until
    )


def pairing_helps_county(pairing: Pairing, county: County, *, on: date) -> bool:
    """Whether `pairing` helps `county` on the date `on` (its areas must be loaded).

    It does if it is in force, the county lies in its helped province, and either it names
    no areas (the whole province) or it names the county or the county's prefecture.
    """
    if not pairing_in_force(pairing, on) or pairing.helped_province_code != county.province_code:
        return False
    if not pairing.areas:
        return True
    return any(
        (area.area_kind == AreaKind.COUNTY and area.code == county.code)
        or (area.area_kind == AreaKind.PREFECTURE and area.code == county.prefecture_code)
        for area in pairing.areas
    )


async def pairings_helping_county(
    session: AsyncSession, county: County, *, on: date | None = None
) -> list[Pairing]:
    """The pairings (areas and provinces loaded) that help `county` on `on` (default: today)."""
    day = on or today_in_china()
    candidates = await repository.pairings_helping_province(session, county.province_code)
    return [p for p in candidates if pairing_helps_county(p, county, on=day)]


# ---------------------------------------------------------------------------------------------
# Views for the API and the pages


def _helper_view(pairing: Pairing) -> PairingHelper:
    if pairing.helper_kind == HelperKind.ORGANIZATION:
        # The organisation's name lives in a higher domain; helper_area carries a label if any.
        return PairingHelper(
            kind="organization", id=pairing.helper_organization_id, name=pairing.helper_area or ""
        )
    province = pairing.helper_province
    name = province.name if province is not None else (pairing.helper_province_code or "")
    if pairing.helper_area:
        name = f"{name}（{pairing.helper_area}）"
    return PairingHelper(kind="province", code=pairing.helper_province_code, name=name)


async def _pairing_views(session: AsyncSession, pairings: Iterable[Pairing]) -> list[PairingOut]:
    pairings = list(pairings)
    names = await repository.area_names(session, [a for p in pairings for a in p.areas])
    views = []
    for pairing in pairings:
        areas = sorted(pairing.areas, key=lambda a: (a.area_kind != AreaKind.PREFECTURE, a.code))
        views.append(
            PairingOut(
                id=pairing.id,
                kind=pairing.kind.value,
                helper=_helper_view(pairing),
                helped=PairingHelped(
                    code=pairing.helped_province_code, name=pairing.helped_province.name
                ),
                areas=[
                    PairingAreaOut(
                        kind=area.area_kind.value,
                        code=area.code,
                        name=names.get((area.area_kind.value, area.code), area.code),
                    )
                    for area in areas
                ],
                since=pairing.since,
                until=pairing.until,
            )
        )
    return views


def is_region_code(code: str) -> bool:
    """Six ASCII digits, the shape of every GB/T 2260 (and NBS) region code."""
    return len(code) == 6 and code.isascii() and code.isdigit()


def _summary(row: repository.CountySummaryRow) -> CountySummary:
    return CountySummary(
        code=row.code,
        name=row.name,
        prefecture_name=row.prefecture_name,
        province_code=row.province_code,
        province_name=row.province_name,
        poverty_lifted=row.poverty_lifted,
        key_assistance=row.key_assistance,
    )


async def list_provinces(session: AsyncSession) -> list[ProvinceOut]:
    return [ProvinceOut(code=p.code, name=p.name) for p in await repository.list_provinces(session)]


async def list_counties(
    session: AsyncSession,
    *,
    province_code: str | None = None,
    poverty_lifted: bool | None = None,
    key_assistance: bool | None = None,
    prefecture_code: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CountyPage:
    """One page of counties in code order; a page past the last one is an error."""
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed("Invalid page.", fields={"page": f"between 1 and {MAX_PAGE}"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed(
            "Invalid page size.", fields={"per_page": f"between 1 and {MAX_PER_PAGE}"}
        )
    if province_code is not None and not (
        is_region_code(province_code) and await repository.province_exists(session, province_code)
    ):
        raise ProvinceUnknown(province_code)
    if prefecture_code is not None and not (
        is_region_code(prefecture_code)
        and await repository.get_prefecture(session, prefecture_code) is not None
    ):
        raise PrefectureUnknown(prefecture_code)
    total = await repository.count_counties(
        session,
        province_code=province_code,
        poverty_lifted=poverty_lifted,
        key_assistance=key_assistance,
        prefecture_code=prefecture_code,
    )
    last_page = max(1, -(-total // per_page))
    if total and page > last_page:
        raise PageOutOfRange(page, last_page)
    rows = await repository.search_counties(
        session,
        province_code=province_code,
        poverty_lifted=poverty_lifted,
        key_assistance=key_assistance,
        prefecture_code=prefecture_code,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return CountyPage(items=[_summary(r) for r in rows], total=total, page=page, per_page=per_page)


async def get_county_detail(
    session: AsyncSession, code: str, *, on: date | None = None
) -> CountyDetail:
    """A county and the pairings that help it on `on` (default: today); CountyNotFound if none."""
    # Anything but six ASCII digits names no county; PostgreSQL would even refuse a NUL byte.
    county = await repository.get_county(session, code) if is_region_code(code) else None
    if county is None:
        raise CountyNotFound(code)
    pairings = await pairings_helping_county(session, county, on=on)
    return CountyDetail(
        code=county.code,
        name=county.name,
        prefecture_code=county.prefecture_code,
        prefecture_name=county.prefecture.name,
        province_code=county.province_code,
        province_name=county.province.name,
        unit_kind=county.unit_kind.value,
        poverty_lifted=county.poverty_lifted,
        key_assistance=county.key_assistance,
        poverty_exit_year=county.poverty_exit_year,
        pairings=await _pairing_views(session, pairings),
    )


async def list_pairings(
    session: AsyncSession, *, kind: PairingKind | None = None
) -> list[PairingOut]:
    """Every pairing (optionally of one kind), in force or not, in id order."""
    return await _pairing_views(session, await repository.list_pairings(session, kind=kind))


async def summarize_regions(session: AsyncSession) -> RegionsOverview:
    """Counts per province and the key-assistance counties grouped by province (home page)."""
    counts = await repository.county_counts_by_province(session)
    key_rows = await repository.search_counties(session, key_assistance=True)
    groups: dict[str, KeyAssistanceGroup] = {}
    for row in key_rows:
        group = groups.get(row.province_code)
        if group is None:
            province = ProvinceOut(code=row.province_code, name=row.province_name)
            group = groups[row.province_code] = KeyAssistanceGroup(province=province, counties=[])
        group.counties.append(_summary(row))
    return RegionsOverview(
        poverty_lifted_total=sum(r.poverty for r in counts),
        key_assistance_total=len(key_rows),
        pairing_total=await repository.count_pairings(session),
        provinces=[
            ProvinceCountyCounts(
                code=r.code, name=r.name, poverty_lifted=r.poverty, key_assistance=r.key
            )
            for r in counts
        ],
        key_assistance_groups=list(groups.values()),
    )
