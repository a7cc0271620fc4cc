"""JSON routes of the cart domain: the cart and its lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.account.deps import OPTIONAL_BEARER
from app.cart import service
from app.cart.deps import ApiCartOwner, apply_cart_cookie
from app.cart.schemas import CartItemIn, CartOut, CartQuantityIn
from app.core.fields import MAX_ID
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import request_media

router = APIRouter(prefix="/api/v1", tags=["cart"], responses=API_ERROR_RESPONSES)

CountyQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="Delivery county (six digits): adds shipping per supplier and in total",
    ),
]
SkuId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/cart",
    response_model=CartOut,
    status_code=200,
    summary="The cart",
    openapi_extra=OPTIONAL_BEARER,
)
async def show_cart(
    request: Request,
    response: Response,
    owner: ApiCartOwner,
    session: DbSession,
    county_code: CountyQuery = None,
) -> CartOut:
    """The signed-in user's cart, or the anonymous one of the `cart` cookie; an anonymous cart
    brought along by a signed-in user is merged into theirs (and the cookie cleared)."""
    outcome = await service.view_cart(
        session, owner=owner, county_code=county_code, media=request_media(request)
    )
    apply_cart_cookie(request, response, outcome)
    return outcome.cart


@router.post(
    "/cart/items",
    response_model=CartOut,
    status_code=200,
    summary="Add to the cart",
    openapi_extra=OPTIONAL_BEARER,
)
async def add_cart_item(
    request: Request,
    response: Response,
    body: CartItemIn,
    owner: ApiCartOwner,
    session: DbSession,
    county_code: CountyQuery = None,
) -> CartOut:
    """Adds to the SKU's line if there is one. 422 sku_unavailable / below_min_qty /
    invalid_quantity, 409 insufficient_stock; an anonymous shopper gets the `cart` cookie."""
    outcome = await service.add_item(
        session,
        owner=owner,
        sku_id=body.sku_id,
        quantity=body.quantity,
        county_code=county_code,
        media=request_media(request),
    )
    apply_cart_cookie(request, response, outcome)
    return outcome.cart


@router.patch(
    "/cart/items/{sku_id}",
    response_model=CartOut,
    status_code=200,
    summary="Change a quantity",
    openapi_extra=OPTIONAL_BEARER,
)
async def update_cart_item(
    request: Request,
    response: Response,
    sku_id: SkuId,
    body: CartQuantityIn,
    owner: ApiCartOwner,
    session: DbSession,
    county_code: CountyQuery = None,
) -> CartOut:
    """404 cart_item_not_found when the cart has no such line; otherwise as adding."""
    outcome = await service.update_item(
        session,
        owner=owner,
        sku_id=sku_id,
        quantity=body.quantity,
        county_code=county_code,
        media=request_media(request),
    )
    apply_cart_cookie(request, response, outcome)
    return outcome.cart


@router.delete(
    "/cart/items/{sku_id}",
    response_model=CartOut,
    status_code=200,
    summary="Remove a line",
    openapi_extra=OPTIONAL_BEARER,
)
async def remove_cart_item(
    request: Request,
    response: Response,
    sku_id: SkuId,
    owner: ApiCartOwner,
    session: DbSession,
    county_code: CountyQuery = None,
) -> CartOut:
    """404 cart_item_not_found when the cart has no such line."""
    outcome = await service.remove_item(
        session,
        owner=owner,
        sku_id=sku_id,
        county_code=county_code,
        media=request_media(request),
    )
    apply_cart_cookie(request, response, outcome)
    return outcome.cart
