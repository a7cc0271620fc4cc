"""JSON routes of the impact domain: reports, the pairing exports and designated counties.

The report routes answer JSON they serialise themselves (pydantic's `model_dump_json`, the
same document FastAPI would write from the response model, which stays declared for the
schema): FastAPI's own path dumps the model, validates the dump against the response model and
dumps it again, about ten times the cost for the pairing report's few hundred rows. Public
reports are kept serialised in the report cache (app.impact.cache) and answered from it until
the ledger changes.
"""

from __future__ import annotations

from collections.abc import Awaitable

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import CurrentUser
from app.core.sheets import XLSX_MEDIA_TYPE
from app.impact import audience_reports, purchases, reports, service
from app.impact.cache import ReportCache
from app.impact.deps import Operator, PairingFilters, PairingQuery, ProvinceCode, Reports, Year
from app.impact.schemas import (
    BuyerImpact,
    CountyReport,
    DesignatedCountiesIn,
    DesignatedCountiesOut,
    ImpactSummary,
    KeyAssistanceReport,
    OrganizationReport,
    PairingReport,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.responses import attachment

router = APIRouter(prefix="/api/v1", tags=["impact"], responses=API_ERROR_RESPONSES)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


async def _serialised(report: Awaitable[BaseModel]) -> bytes:
    return (await report).model_dump_json().encode()


@router.get("/impact/summary", response_model=ImpactSummary, status_code=200)
async def impact_summary(session: DbSession, cache: Reports, year: Year = None) -> Response:
    """Net goods amount, orders, counties and suppliers that benefited, and the households
    those suppliers support, in a reporting year (China Standard Time)."""
    chosen = year or reports.current_year()
    return _json(
        await cache.cached(
            session,
            ("summary", chosen),
            lambda: _serialised(reports.summary(session, year=chosen)),
        )
    )


@router.get("/impact/key-assistance", response_model=KeyAssistanceReport, status_code=200)
async def impact_key_assistance(
    session: DbSession, cache: Reports, year: Year = None, province: ProvinceCode = None
) -> Response:
    """Every national key-assistance county (乡村振兴重点帮扶县) the reference data knows (of
    one province), with its net amount and orders in the year; `without_purchases` names those
    nothing was bought from; `by_month` the key-assistance share of each month."""
    chosen = year or reports.current_year()
    return _json(
        await cache.cached(
            session,
            ("key_assistance", chosen, province),
            lambda: _serialised(
                reports.key_assistance_report(session, year=chosen, province=province)
            ),
        )
    )


async def _key_assistance_file(
    session: AsyncSession,
    cache: ReportCache,
    fmt: service.ExportFormat,
    year: int | None,
    province: str | None,
) -> Response:
    return attachment(
        await service.export_key_assistance(session, cache, fmt=fmt, year=year, province=province)
    )


@router.get(
    "/impact/key-assistance.csv",
    response_class=Response,
    status_code=200,
    responses={200: {"content": {"text/csv": {}}, "description": "The list as CSV"}},
)
async def impact_key_assistance_csv(
    session: DbSession, cache: Reports, year: Year = None, province: ProvinceCode = None
) -> Response:
    """The key-assistance counties as CSV (UTF-8 with BOM, Chinese headers, a totals row)."""
    return await _key_assistance_file(session, cache, "csv", year, province)


@router.get(
    "/impact/key-assistance.xlsx",
    response_class=Response,
    status_code=200,
    responses={
        200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The list as an Excel workbook"}
    },
)
async def impact_key_assistance_xlsx(
    session: DbSession, cache: Reports, year: Year = None, province: ProvinceCode = None
) -> Response:
    """The key-assistance counties as an Excel workbook (Chinese headers, a totals row)."""
    return await _key_assistance_file(session, cache, "xlsx", year, province)


@router.get("/impact/pairings", response_model=PairingReport, status_code=200)
async def impact_pairings(session: DbSession, cache: Reports, filters: PairingQuery) -> Response:
    """Amount, orders and counties per pairing in a year, largest first: pairings with
    entries in the year, or with `province` every pairing of that province."""
    chosen = filters.year or reports.current_year()
    kind, province = filters.kind, filters.province
    return _json(
        await cache.cached(
            session,
            ("pairings", chosen, kind, province),
            lambda: _serialised(
                reports.pairing_report(session, year=chosen, kind=kind, province=province)
            ),
        )
    )


async def _pairings_file(
    session: AsyncSession, cache: ReportCache, fmt: service.ExportFormat, filters: PairingFilters
) -> Response:
    """The pairing report as a file to download."""
    return attachment(
        await service.export_pairings(
            session,
            cache,
            fmt=fmt,
            year=filters.year,
            kind=filters.kind,
            province=filters.province,
        )
    )


@router.get(
    "/impact/pairings.csv",
    response_class=Response,
    status_code=200,
    responses={200: {"content": {"text/csv": {}}, "description": "The report as CSV"}},
)
async def impact_pairings_csv(
    session: DbSession, cache: Reports, filters: PairingQuery
) -> Response:
    """The pairing report as CSV (UTF-8 with BOM, Chinese headers, a totals row)."""
    return await _pairings_file(session, cache, "csv", filters)


@router.get(
    "/impact/pairings.xlsx",
    response_class=Response,
    status_code=200,
    responses={
        200: {
            "content": {XLSX_MEDIA_TYPE: {}},
            "description": "The report as an Excel workbook",
        }
    },
)
async def impact_pairings_xlsx(
    session: DbSession, cache: Reports, filters: PairingQuery
) -> Response:
    """The pairing report as an Excel workbook (Chinese headers, a totals row)."""
    return await _pairings_file(session, cache, "xlsx", filters)


@router.get("/impact/counties/{code}", response_model=CountyReport, status_code=200)
async def impact_county(
    session: DbSession, cache: Reports, code: str, year: Year = None
) -> Response:
    """A county's net amount in a year, per month and per buyer province; 404
    `county_not_found` for an unknown code."""
    chosen = year or reports.current_year()
    return _json(
        await cache.cached(
            session,
            ("county", code, chosen),
            lambda: _serialised(reports.county_report(session, code=code, year=chosen)),
        )
    )


@router.get(
    "/impact/organizations/{organization_id}", response_model=OrganizationReport, status_code=200
)
async def impact_organization(
    session: DbSession, cache: Reports, user: CurrentUser, organization_id: int, year: Year = None
) -> Response:
    """An organisation's purchases against its reserved-share target (预留份额), per origin
    county. Its members, operators and officials of its province only; others 404."""
    organization = await audience_reports.visible_organization(
        session, user=user, organization_id=organization_id
    )
    chosen = year or reports.current_year()
    declared = await audience_reports.declared_target(session, organization.id, chosen)
    return _json(
        await cache.cached(  # looked up only now that the user may see it
            session,
            ("organization", organization.id, chosen, declared),
            lambda: _serialised(
                audience_reports.organization_purchases(session, organization, chosen)
            ),
        )
    )


@router.get("/me/impact", response_model=BuyerImpact, status_code=200)
async def my_impact(session: DbSession, user: CurrentUser, year: Year = None) -> BuyerImpact:
    """What the caller's own paid orders did (我的帮扶), from the ledger: net goods (refunds
    deducted, no shipping) in a China-time year, or in every year without `year`; per origin
    county (with the households its suppliers support) and per pairing the purchases count
    for. Counties sum to `amount_fen`; pairings need not (a purchase may count for several
    pairings, or none)."""
    return await purchases.buyer_impact(session, user_id=user.id, year=year)


@router.put(
    "/admin/organizations/{organization_id}/designated-counties",
    response_model=DesignatedCountiesOut,
    status_code=200,
)
async def put_designated_counties(
    session: DbSession, operator: Operator, organization_id: int, body: DesignatedCountiesIn
) -> DesignatedCountiesOut:
    """Replace an organisation's designated counties (定点帮扶; operator). Counties added count
    from tomorrow (China time), counties removed until today. 422 `invalid_county_codes`
    names each unknown code; 404 `organization_not_found`."""
    return await service.replace_designated_counties(
        session, organization_id=organization_id, county_codes=body.county_codes, actor=operator
    )
