"""JSON routes of checkout: placing orders, the buyer's orders, cancelling, switching an unpaid
order's payment method, confirming receipt, and the buyer's address book."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.account.deps import CurrentUser, Operator
from app.checkout import service
from app.checkout.schemas import OperatorCancelRequest, OrderOut, OrderPage
from app.core.fields import MAX_ID
from app.order import service as order_service
from app.order.models import PaymentMethod
from app.order.schemas import PlaceOrderRequest, SavedAddressIn, SavedAddressOut
from app.order.service import IDEMPOTENCY_KEY_MAX_LENGTH, PaymentTimeouts
from app.payment import service as payment_service
from app.payment.schemas import PaymentMethodRequest
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=API_ERROR_RESPONSES)

REPLAY_HEADER = "Idempotent-Replayed"
AddressId = Annotated[int, Path(ge=1, le=MAX_ID)]

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
    stock: 409 `insufficient_stock`, and nothing is written. A payment method the site does
    not take (card payments without Stripe set up): 422 `payment_method_unavailable`. For
    Stripe the PaymentIntent is created right after the order commits:
    `payment.stripe_client_secret` appears in GET /orders/{id} moments later.
    """
    settings = request.app.state.settings
    order, created = await service.place_order(
        session,
        buyer=user,
        idempotency_key=idempotency_key,
        request=body,
        timeouts=PaymentTimeouts.from_settings(settings),
        offered=payment_service.offered_methods(settings),
        # Any refusal raises, and the request's transaction rolls back with it; a new order
        # is committed by the service, with its stock reservation.
        savepoint=False,
        commit=True,
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
    "/orders/{order_id}/payment-method",
    response_model=OrderOut,
    status_code=200,
    summary="Pay an unpaid order another way",
)
async def change_payment_method(
    order_id: int,
    body: PaymentMethodRequest,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> OrderOut:
    """Switch an unpaid order between `stripe` and `bank_transfer` without ordering again:
    its stock stays reserved and its payment deadline becomes the new method's timeout from
    now (never later than the longest timeout from when it was placed). A transfer gets its
    `payment.bank_reference`; a card payment its PaymentIntent (client secret moments later,
    as after placing). The same method again: 200, unchanged. A method the site does not
    take: 422 `payment_method_unavailable`; paid, cancelled, or a transfer reported as sent:
    409 `payment_method_locked`; anyone else's order: 404."""
    settings = request.app.state.settings
    return await service.change_payment_method(
        session,
        buyer=user,
        order_id=order_id,
        method=PaymentMethod(body.payment_method),
        offered=payment_service.offered_methods(settings),
        timeouts=PaymentTimeouts.from_settings(settings),
    )


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


# ---------------------------------------------------------------------------------------------
# The address book


@router.get(
    "/me/addresses",
    response_model=list[SavedAddressOut],
    status_code=200,
    summary="Your saved addresses",
    tags=["addresses"],
)
async def list_addresses(user: CurrentUser, session: DbSession) -> list[SavedAddressOut]:
    """Your address book: the default first, then the most recently changed, each with its
    province, prefecture and county names and `place_name` (广东省广州市天河区)."""
    return await order_service.list_addresses(session, user_id=user.id)


@router.post(
    "/me/addresses",
    response_model=SavedAddressOut,
    status_code=201,
    summary="Save an address",
    tags=["addresses"],
)
async def add_address(
    body: SavedAddressIn, user: CurrentUser, session: DbSession
) -> SavedAddressOut:
    """Checked as an order's shipping address is (422 naming `name`, `phone`, `county_code`
    or `detail`). The first address is the default; the same address again answers the one
    saved. At most 20: 409 `address_book_full`."""
    return await order_service.add_address(
        session,
        user_id=user.id,
        address=body,
        is_default=body.is_default,
    )


@router.get(
    "/me/addresses/{address_id}",
    response_model=SavedAddressOut,
    status_code=200,
    summary="A saved address",
    tags=["addresses"],
)
async def get_address(
    address_id: AddressId, user: CurrentUser, session: DbSession
) -> SavedAddressOut:
    """One of your addresses; anyone else's is 404 `address_not_found`."""
    return await order_service.get_address(session, user_id=user.id, address_id=address_id)


@router.put(
    "/me/addresses/{address_id}",
    response_model=SavedAddressOut,
    status_code=200,
    summary="Change a saved address",
    tags=["addresses"],
)
async def update_address(
    address_id: AddressId, body: SavedAddressIn, user: CurrentUser, session: DbSession
) -> SavedAddressOut:
    """Replace the address's fields (checked as when saved); `is_default: true` makes it the
    default (the default stays one until another is made the default)."""
    return await order_service.update_address(
        session,
        user_id=user.id,
        address_id=address_id,
        address=body,
        is_default=body.is_default,
    )


@router.post(
    "/me/addresses/{address_id}/default",
    response_model=SavedAddressOut,
    status_code=200,
    summary="Make a saved address the default",
    tags=["addresses"],
)
async def make_default(
    address_id: AddressId, user: CurrentUser, session: DbSession
) -> SavedAddressOut:
    """Checkout starts with the default address."""
    return await order_service.set_default_address(session, user_id=user.id, address_id=address_id)


@router.delete(
    "/me/addresses/{address_id}",
    response_model=None,
    status_code=204,
    summary="Delete a saved address",
    tags=["addresses"],
)
async def delete_address(address_id: AddressId, user: CurrentUser, session: DbSession) -> Response:
    """Orders placed with it keep their own copy; when it was the default, the most recently
    changed of the rest becomes the default."""
    await order_service.delete_address(session, user_id=user.id, address_id=address_id)
    return Response(status_code=204)
