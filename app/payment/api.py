"""JSON routes of payments: Stripe's webhook, bank transfer confirmation and refunds (operator)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile

from app.account.deps import CurrentUser, Operator
from app.payment import service
from app.payment.schemas import (
    AdminPaymentList,
    ConfirmTransferRequest,
    PaymentView,
    RefundRequest,
    RefundView,
    WebhookAck,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media
from app.web.responses import attachment
from app.web.uploads import read_bounded

router = APIRouter(prefix="/api/v1", tags=["payments"], responses=API_ERROR_RESPONSES)

# The webhook reads its body raw (the signature covers the exact bytes), so FastAPI cannot
# describe it from a parameter: it is documented here instead.
_STRIPE_EVENT_BODY: dict[str, Any] = {
    # Required, but its absence is the same 400 `invalid_signature` as a wrong one.
    "parameters": [
        {
            "name": "Stripe-Signature",
            "in": "header",
            "required": True,
            "description": "Stripe's signature of the raw body",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "description": "A Stripe event, exactly as Stripe sent it",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["id", "type", "data"],
                    "properties": {
                        "id": {"type": "string", "examples": ["evt_1Q2w3E4r5T6y7U8i"]},
                        "type": {"type": "string", "examples": ["payment_intent.succeeded"]},
                        "data": {
                            "type": "object",
                            "properties": {"object": {"type": "object"}},
                        },
                    },
                }
            }
        },
    },
}


@router.post(
    "/payments/stripe/webhook",
    response_model=WebhookAck,
    status_code=200,
    summary="Stripe's webhook",
    openapi_extra=_STRIPE_EVENT_BODY,
)
async def stripe_webhook(
    request: Request,
    session: DbSession,
    stripe_signature: Annotated[
        str | None, Header(alias="Stripe-Signature", include_in_schema=False)
    ] = None,
) -> WebhookAck:
    """Events `payment_intent.succeeded`, `payment_intent.payment_failed`, `charge.refunded`
    (and refund updates), verified against the raw body with the webhook secret: a missing or
    wrong signature is 400 `invalid_signature`. Each event is stored once and applied once;
    a repeated event answers 200 with `duplicate: true`."""
    from app.payment.stripe_gateway import verify_webhook  # Stripe's library when first used

    event = verify_webhook(
        await request.body(), stripe_signature, request.app.state.settings.stripe_webhook_secret
    )
    return await service.handle_stripe_event(session, event)


@router.post(
    "/admin/orders/{order_id}/confirm-payment",
    response_model=PaymentView,
    status_code=200,
    summary="Confirm a bank transfer (operator)",
)
async def confirm_payment(
    order_id: int, body: ConfirmTransferRequest, user: Operator, session: DbSession
) -> PaymentView:
    """The remittance's reference must be the order's (422 `bank_reference_mismatch`) and its
    amount the order's total (409 `amount_mismatch`); then the order is paid. Audit-logged."""
    payment = await service.confirm_bank_transfer(
        session,
        order_id=order_id,
        bank_reference=body.bank_reference,
        amount_fen=body.amount_fen,
        actor=user,
    )
    return service.payment_view(payment)


@router.post(
    "/orders/{order_id}/remittance",
    response_model=PaymentView,
    status_code=200,
    summary="Report a bank transfer as sent (buyer)",
)
async def report_remittance(
    order_id: int,
    user: CurrentUser,
    session: DbSession,
    media: Media,
    slip: Annotated[
        UploadFile | None,
        File(description="Optional remittance slip: JPEG, PNG or WebP image, or PDF; ≤ 8 MB"),
    ] = None,
) -> PaymentView:
    """我已汇款: your unpaid bank-transfer order's money is on its way (multipart; `slip`
    optional). `remitted_at` is set (the first report's time is kept) and the slip, if sent,
    replaces any before; the operator sees both beside the confirmation. Nothing is paid
    until the operator confirms the remittance. A bad slip: 422 on `slip` (`empty_file`,
    `too_large`, `unsupported_type`, `invalid_image`) and nothing is recorded; not an unpaid
    transfer: 409 `remittance_not_expected`; anyone else's order: 404."""
    data = await read_bounded(slip, service.MAX_SLIP_BYTES) if slip is not None else None
    payment = await service.report_remittance(
        session, buyer=user, order_id=order_id, slip=data, media=media
    )
    return service.payment_view(payment)


@router.get(
    "/admin/orders/{order_id}/remittance-slip",
    response_class=Response,
    status_code=200,
    summary="The buyer's remittance slip (operator)",
    responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}}},
)
async def remittance_slip(
    order_id: int, user: Operator, session: DbSession, media: Media
) -> Response:
    """The slip as stored: a JPEG (uploaded images are re-encoded) or the PDF as sent; 404
    `remittance_slip_not_found` when the buyer sent none."""
    slip = await service.remittance_slip(session, order_id=order_id, media=media)
    response = attachment(slip)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/admin/orders/{order_id}/refunds",
    response_model=RefundView,
    status_code=201,
    summary="Refund lines of a paid order (operator)",
)
async def create_refund(
    order_id: int, body: RefundRequest, user: Operator, session: DbSession
) -> RefundView:
    """Refund units of the order's lines (with the shipping once the whole order is refunded).
    By Stripe for card payments (`pending` until Stripe confirms), recorded as done for bank
    transfers (the operator pays back). More than is left: 409 `refund_exceeds_payment`."""
    refund = await service.refund(
        session,
        order_id=order_id,
        lines=[(line.order_line_id, line.quantity) for line in body.lines],
        reason=body.reason,
        actor=user,
    )
    return service.refund_view(refund)


@router.get(
    "/admin/orders/{order_id}/refunds",
    response_model=list[RefundView],
    status_code=200,
    summary="An order's refunds (operator)",
)
async def list_refunds(order_id: int, user: Operator, session: DbSession) -> list[RefundView]:
    """Oldest first, with their status (pending, succeeded, failed)."""
    return await service.order_refunds(session, order_id=order_id)


@router.get(
    "/admin/payments",
    response_model=AdminPaymentList,
    status_code=200,
    summary="Recent payments (operator)",
)
async def list_payments(
    user: Operator,
    session: DbSession,
    status: Annotated[str | None, Query(description="pending, succeeded, failed, …")] = None,
    method: Annotated[str | None, Query(description="stripe or bank_transfer")] = None,
) -> AdminPaymentList:
    """The newest 200 payments with their orders' numbers and statuses."""
    return AdminPaymentList(
        items=await service.admin_payments(session, status=status, method=method)
    )
