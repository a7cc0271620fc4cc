"""Outbox jobs of payments: creating and cancelling PaymentIntents, sending refunds to Stripe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.jobs.registry import JobContext, job
from app.payment import service

if TYPE_CHECKING:
    from app.payment.stripe_gateway import StripeGateway


def _stripe(ctx: JobContext) -> StripeGateway:
    """Stripe's library (some 10 MB) is loaded by the first job that calls it."""
    from app.payment.stripe_gateway import StripeGateway

    return StripeGateway.from_settings(ctx.settings)


@job(service.CREATE_INTENT_JOB)
async def create_payment_intent(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Right after an order commits: its PaymentIntent (once, whatever the retries)."""
    async with _stripe(ctx) as gateway:
        await service.create_payment_intent(ctx.session, gateway, order_id=int(payload["order_id"]))


@job(service.CANCEL_INTENT_JOB)
async def cancel_payment_intent(ctx: JobContext, payload: dict[str, Any]) -> None:
    """After an order was cancelled or expired unpaid: cancel its intent at Stripe."""
    async with _stripe(ctx) as gateway:
        await service.cancel_payment_intent(
            ctx.session, gateway, payment_id=int(payload["payment_id"])
        )


@job(service.SEND_REFUND_JOB)
async def send_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A refund recorded as pending: ask Stripe to pay it back."""
    async with _stripe(ctx) as gateway:
        await service.send_refund(ctx.session, gateway, refund_id=int(payload["refund_id"]))
