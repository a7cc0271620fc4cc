"""JSON routes of the regions domain: provinces, counties and pairings (one county, with its
suppliers, is served by the catalog, the lowest domain that sees them all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.regions import listing, service
from app.regions.models import PairingKind
from app.regions.schemas import CountyPage, PairingOut, PrefectureOut, ProvinceOut
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["regions"], responses=API_ERROR_RESPONSES)

SixDigitCode = r"^[0-9]{6}$"  # ASCII only: \d would also accept other scripts' digits


@router.get("/regions/provinces", response_model=list[ProvinceOut])
async def list_provinces(session: DbSession) -> list[ProvinceOut]:
    """Every province-level division, in code order."""
    return await service.list_provinces(session)


@router.get("/regions/prefectures", response_model=list[PrefectureOut])
async def list_prefectures(
    session: DbSession,
    province: Annotated[
        str, Query(pattern=SixDigitCode, description="Six-digit province code, e.g. 440000")
    ],
) -> list[PrefectureOut]:
    """The prefectures of a province, in code order (the second select of an address form).
    An unknown province is 422 `unknown_province`."""
    return await listing.list_prefectures(session, province)


@router.get("/regions/counties", response_model=CountyPage)
async def list_counties(
    session: DbSession,
    province: Annotated[
        str | None,
        Query(pattern=SixDigitCode, description="Six-digit province code, e.g. 450000"),
    ] = None,
    prefecture: Annotated[
        str | None,
        Query(pattern=SixDigitCode, description="Six-digit prefecture code, e.g. 440100"),
    ] = None,
    poverty_lifted: Annotated[
        bool | None, Query(description="Only (or no) poverty-lifted counties (the 832 list)")
    ] = None,
    key_assistance: Annotated[
        bool | None, Query(description="Only (or no) national key assistance counties")
    ] = None,
    page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 50,
) -> CountyPage:
    """Counties in code order, filtered (by province, prefecture and flags); a page past the
    last one answers 404. An unknown province or prefecture is 422."""
    return await service.list_counties(
        session,
        province_code=province,
        poverty_lifted=poverty_lifted,
        key_assistance=key_assistance,
        prefecture_code=prefecture,
        page=page,
        per_page=per_page,
    )


@router.get("/pairings", response_model=list[PairingOut], tags=["pairings"])
async def list_pairings(
    session: DbSession,
    kind: Annotated[PairingKind | None, Query(description="Only pairings of this kind")] = None,
) -> list[PairingOut]:
    """Pairings between regions (East–West, counterpart support, designated)."""
    return await service.list_pairings(session, kind=kind)
