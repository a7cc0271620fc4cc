"""JSON routes of the shipping domain: a supplier's shipping rule."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.account.deps import CurrentUser
from app.core.fields import MAX_ID
from app.shipping import service
from app.shipping.schemas import ShippingRuleIn, ShippingRuleOut
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["shipping"], responses=API_ERROR_RESPONSES)

CooperativeId = Annotated[int, Path(ge=1, le=MAX_ID, description="The supplier's id")]


@router.get(
    "/cooperatives/{cooperative_id}/shipping-rule",
    response_model=ShippingRuleOut,
    status_code=200,
    summary="A supplier's shipping rule",
)
async def show_shipping_rule(
    cooperative_id: CooperativeId, user: CurrentUser, session: DbSession
) -> ShippingRuleOut:
    """The rule (or the platform default, `is_default`); members only, others 404."""
    return await service.get_rule(session, user=user, cooperative_id=cooperative_id)


@router.put(
    "/cooperatives/{cooperative_id}/shipping-rule",
    response_model=ShippingRuleOut,
    status_code=200,
    summary="Replace a supplier's shipping rule",
)
async def put_shipping_rule(
    cooperative_id: CooperativeId, body: ShippingRuleIn, user: CurrentUser, session: DbSession
) -> ShippingRuleOut:
    """Fees are integer fen 0…10^7; unknown province codes → 422 `invalid_shipping_rule`."""
    return await service.set_rule(session, user=user, cooperative_id=cooperative_id, data=body)
