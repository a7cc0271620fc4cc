"""JSON routes of checkout: placing orders, the buyer's orders, cancelling, confirming receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from app.account.deps import CurrentUser, Operator
from app.checkout import service
from app.checkout.schemas import OperatorCancelRequest, OrderOut, OrderPage
from app.order.schemas import PlaceOrderRequest
from app.order.service import IDEMPOTENCY_KEY_MAX_LENGTH, PaymentTimeouts
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=API_ERROR_RESPONSES)

REPLAY_HEADER = "Idempotent-Replayed"

# The key is documented here rather than by its parameter: it is required, but a request
# without one is the contract's 400 `idempotency_key_required`, not FastAPI's 422.
_IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "A unique value per order (e.g. a UUID): the same key again answers the "
    "order it placed. Missing: 400 `idempotency_key_required`.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
        "pattern": "^[\\x21-\\x7e]+$",
    },
}


@router.post(
    "/orders",
    response_model=OrderOut,
    status_code=201,
    summary="Place an order",
    responses={200: {"model": OrderOut, "description": "The order this key already placed"}},
    openapi_extra={"parameters": [_IDEMPOTENCY_KEY_PARAMETER]},
)
async def place_order(
    body: PlaceOrderRequest,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", include_in_schema=False),
    ] = None,
) -> OrderOut:
    """Order the given lines (or, without `lines`, the cart), split into one fulfilment per
    supplier, with stock reserved and the payment opened, all in one transaction.

    201 with the new order. The same Idempotency-Key again answers 200 with the same order
    (header `Idempotent-Replayed: true`), as it is now; the same key with a different body is
    409 `idempotency_key_reused`. Missing key: 400 `idempotency_key_required`. Not enough
    stock: 409 `insufficient_stock`, and nothing is written. For Stripe the PaymentIntent is
    created right after the order commits: `payment.stripe_client_secret` appears in
    GET /orders/{id} moments later.
    """
    order, created = await service.place_order(
        session,
        buyer=user,
        idempotency_key=idempotency_key,
        request=body,
        timeouts=PaymentTimeouts.from_settings(request.app.state.settings),
    )
    if not created:
        response.status_code = 200
        response.headers[REPLAY_HEADER] = "true"
    return order


@router.get("/orders", response_model=OrderPage, status_code=200, summary="Your orders")
async def list_orders(
    user: CurrentUser,
    session: DbSession,
    page: Annotated[int, Query()] = 1,
    per_page: Annotated[int, Query()] = 20,
) -> OrderPage:
    """Your orders, newest first, 1–100 per page."""
    return await service.list_orders(session, buyer=user, page=page, per_page=per_page)


@router.get("/orders/{order_id}", response_model=OrderOut, status_code=200, summary="An order")
async def get_order(order_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    """One of your orders with its fulfilments, tracking and payment; anyone else's is 404."""
    return await service.get_order(session, buyer=user, order_id=order_id)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderOut,
    status_code=200,
    summary="Cancel an order",
)
async def cancel_order(order_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    """Cancel while unpaid, or while paid and nothing shipped (refunded in full); stock goes
    back. Otherwise 409 `order_not_cancellable`."""
    return await service.cancel_order(session, buyer=user, order_id=order_id)


@router.post(
    "/admin/orders/{order_id}/cancel",
    response_model=OrderOut,
    status_code=200,
    summary="Cancel an order (operator)",
)
async def cancel_order_as_operator(
    order_id: int, body: OperatorCancelRequest, user: Operator, session: DbSession
) -> OrderOut:
    """Cancel any buyer's order while unpaid, or while paid and nothing shipped (refunded in
    full through Stripe; a bank transfer's refund is recorded for the operator to pay back).
    Stock goes back; audit-logged. Otherwise 409 `order_not_cancellable`."""
    return await service.cancel_order_as_operator(
        session, operator=user, order_id=order_id, reason=body.reason
    )


@router.post(
    "/fulfillments/{fulfillment_id}/confirm-receipt",
    response_model=OrderOut,
    status_code=200,
    summary="Confirm receipt of a parcel",
)
async def confirm_receipt(fulfillment_id: int, user: CurrentUser, session: DbSession) -> OrderOut:
    """The buyer received a shipped fulfilment: it becomes delivered, and the order completed
    once every fulfilment is. Not shipped: 409 `invalid_status_transition`."""
    return await service.confirm_receipt(session, buyer=user, fulfillment_id=fulfillment_id)
