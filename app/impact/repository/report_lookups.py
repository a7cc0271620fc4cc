"""Report reads of what the totals are about: pairings with their names and areas, counties,
provinces, organisations and their reserved-share targets, and an organisation's designated
pairings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.impact.models import TotalByPairing
from app.organization.models import Organization
from app.regions.models import (
    AreaKind,
    County,
    HelperKind,
    Pairing,
    PairingArea,
    PairingKind,
    Prefecture,
    Province,
)


@dataclass(frozen=True)
class PairingRow:
    """A pairing with the names a report shows, read without ORM objects."""

    id: int
    kind: str
    helper_kind: str
    helper_province_code: str | None
    helper_province_name: str | None
    helper_organization_id: int | None
    helper_organization_name: str | None
    helper_area: str | None
    helped_province_code: str
    helped_province_name: str
    since: date | None
    until: date | None
    areas: tuple[tuple[str, str, str], ...]  # (kind, code, name), prefectures first


async def pairing_rows(
    session: AsyncSession,
    *,
    bought_in: int | None = None,
    province_code: str | None = None,
    kind: PairingKind | None = None,
    among: Collection[int] | None = None,
) -> list[PairingRow]:
    """Pairings with entries in the year `bought_in`, or those in which a province helps or
    is helped, with their names and areas: two statements, whatever their number (the
    pairings are chosen by subquery, never by a list of ids, which would make every
    statement text different and long; `among`, a few ids, is for one buyer's or one
    order's pairings)."""
    conditions: list[ColumnElement[bool]] = []
    if among is not None:
        conditions.append(Pairing.id.in_(sorted(among)))
    if bought_in is not None:
        conditions.append(
            Pairing.id.in_(
                select(TotalByPairing.pairing_id).where(TotalByPairing.year == bought_in)
            )
        )
    if province_code is not None:
        conditions.append(
            or_(
                Pairing.helper_province_code == province_code,
                Pairing.helped_province_code == province_code,
            )
        )
    if kind is not None:
        conditions.append(Pairing.kind == kind)
    helper = aliased(Province)
    helped = aliased(Province)
    query = (
        select(
            Pairing.id,
            Pairing.kind,
            Pairing.helper_kind,
            Pairing.helper_province_code,
            helper.name,
            Pairing.helper_organization_id,
            Organization.name,
            Pairing.helper_area,
            Pairing.helped_province_code,
            helped.name,
            Pairing.since,
            Pairing.until,
        )
        .outerjoin(helper, helper.code == Pairing.helper_province_code)
        .join(helped, helped.code == Pairing.helped_province_code)
        .outerjoin(Organization, Organization.id == Pairing.helper_organization_id)
        .where(*conditions)
        .order_by(Pairing.id)
    )
    rows = (await session.execute(query)).all()
    areas: dict[int, list[tuple[str, str, str]]] = {}
    if rows:
        area_query = (
            select(
                PairingArea.pairing_id,
                PairingArea.area_kind,
                PairingArea.code,
                func.coalesce(County.name, Prefecture.name, PairingArea.code),
            )
            .outerjoin(
                County,
                and_(PairingArea.area_kind == AreaKind.COUNTY, County.code == PairingArea.code),
            )
            .outerjoin(
                Prefecture,
                and_(
                    PairingArea.area_kind == AreaKind.PREFECTURE,
                    Prefecture.code == PairingArea.code,
                ),
            )
            .where(PairingArea.pairing_id.in_(select(Pairing.id).where(*conditions)))
            .order_by(PairingArea.pairing_id, PairingArea.area_kind.desc(), PairingArea.code)
        )
        for pairing_id, area_kind, code, name in await session.execute(area_query):
            areas.setdefault(pairing_id, []).append((str(area_kind), code, name))
    return [
        PairingRow(
            id=row[0],
            kind=str(row[1]),
            helper_kind=str(row[2]),
            helper_province_code=row[3],
            helper_province_name=row[4],
            helper_organization_id=row[5],
            helper_organization_name=row[6],
            helper_area=row[7],
            helped_province_code=row[8],
            helped_province_name=row[9],
            since=row[10],
            until=row[11],
            areas=tuple(areas.get(row[0], ())),
        )
        for row in rows
    ]


async def get_county(session: AsyncSession, code: str) -> County | None:
    result = await session.scalars(
        select(County).options(joinedload(County.province)).where(County.code == code)
    )
    return result.one_or_none()


async def get_province(session: AsyncSession, code: str) -> Province | None:
    return await session.get(Province, code)


async def provinces(session: AsyncSession, codes: Collection[str] | None = None) -> list[Province]:
    query = select(Province).order_by(Province.code)
    if codes is not None:
        query = query.where(Province.code.in_(codes))
    return list((await session.scalars(query)).all())


async def get_organization(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


# ---------------------------------------------------------------------------------------------
# Designated pairings (定点帮扶) of an organisation


async def designated_pairings(session: AsyncSession, organization_id: int) -> list[Pairing]:
    """Every designated pairing of the organisation, areas loaded, oldest first."""
    result = await session.scalars(
        select(Pairing)
        .options(selectinload(Pairing.areas))
        .where(
            Pairing.kind == PairingKind.DESIGNATED,
            Pairing.helper_kind == HelperKind.ORGANIZATION,
            Pairing.helper_organization_id == organization_id,
        )
        .order_by(Pairing.id)
    )
    return list(result.all())


async def county_names(session: AsyncSession, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    result = await session.execute(select(County.code, County.name).where(County.code.in_(codes)))
    return {code: name for code, name in result}
