"""Supplier performance over the API: the public supplier page's data (with its rating and
shipping speed) and the operator's view of one supplier."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.account.deps import Operator
from app.catalog import listing
from app.core.fields import MAX_ID
from app.performance import service
from app.performance.schemas import OperatorSupplier, PublicSupplier
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media

router = APIRouter(prefix="/api/v1", tags=["suppliers"], responses=API_ERROR_RESPONSES)

CooperativeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Supplier id")]


@router.get(
    "/suppliers/{cooperative_id}",
    response_model=PublicSupplier,
    status_code=200,
    summary="A supplier's public page: county, story, certificates, households, products, "
    "rating and shipping speed",
)
async def show_supplier(
    cooperative_id: CooperativeId,
    media: Media,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = listing.SUPPLIER_PAGE_PRODUCTS,
) -> PublicSupplier:
    """Verified suppliers only (any other is 404 `cooperative_not_found`); certificates valid
    today with their scans where uploaded; listed products newest first, `page` past the last
    is 404 `page_out_of_range`. `performance` carries the average rating of its visible reviews
    and the share of its parcels shipped within 48 h of payment over the last 90 days."""
    return await service.public_supplier(
        session, cooperative_id, page=page, per_page=per_page, media=media
    )


@router.get(
    "/admin/cooperatives/{cooperative_id}",
    response_model=OperatorSupplier,
    status_code=200,
    summary="One supplier for operators: its record and performance",
)
async def show_supplier_to_operator(
    cooperative_id: CooperativeId, operator: Operator, session: DbSession
) -> OperatorSupplier:
    """Any supplier whatever its status (404 `cooperative_not_found` when none): contacts,
    shipping within 48 h, after-sales rate and escalations over the last 90 days, average
    rating, and each product priced above its reference with the reference and the ratio."""
    return await service.operator_supplier(session, cooperative_id, operator=operator)
