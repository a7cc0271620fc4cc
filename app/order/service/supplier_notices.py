"""What a supplier is told of a new paid fulfilment: the notice, and its signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.service import enqueue
from app.order import repository
from app.order.models import FulfillmentStatus
from app.order.schemas import SupplierFulfillmentOut
from app.order.service.views import supplier_views

SUPPLIER_WEBHOOK_JOB = "order.send_supplier_webhook"

# Webhooks to suppliers are signed like Stripe's: the header
#   Fengshou-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of f"{t}.{raw body}">
# keyed with the supplier's webhook_secret. A receiver recomputes v1 over the raw body, compares
# in constant time, and refuses timestamps older than a few minutes (replays). Each delivery is
# signed afresh, so a retried one carries a new t; `id` in the body stays the same, so that the
# receiver can tell a retry from a new event.
SIGNATURE_HEADER = "Fengshou-Signature"
WEBHOOK_EVENT = "fulfillment.created"


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The Fengshou-Signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class SupplierNotice:
    """What a supplier is told about a new (paid) fulfilment, and where."""

    fulfillment: SupplierFulfillmentOut
    admin_emails: list[str]
    webhook_url: str | None
    webhook_secret: str | None

    def webhook_body(self) -> bytes:
        event = {
            "id": f"evt_fulfillment_{self.fulfillment.id}_created",
            "type": WEBHOOK_EVENT,
            "data": self.fulfillment.model_dump(mode="json"),
        }
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


async def supplier_notice(session: AsyncSession, fulfillment_id: int) -> SupplierNotice | None:
    """The notice for a fulfilment of a paid order; None if there is nothing to tell (the
    fulfilment is gone or was cancelled before the job ran)."""
    fulfillment = await repository.get_fulfillment(session, fulfillment_id)
    if (
        fulfillment is None
        or fulfillment.status == FulfillmentStatus.CANCELLED
        or fulfillment.order.paid_at is None
    ):
        return None
    cooperative = await repository.get_cooperative(session, fulfillment.cooperative_id)
    if cooperative is None:
        return None
    return SupplierNotice(
        fulfillment=(await supplier_views(session, [fulfillment]))[0],
        admin_emails=await repository.supplier_admin_emails(session, cooperative.id),
        webhook_url=cooperative.webhook_url,
        webhook_secret=cooperative.webhook_secret,
    )


async def schedule_supplier_webhook(session: AsyncSession, fulfillment_id: int) -> None:
    """The webhook leaves as its own job, so that its retries do not send the e-mails again."""
    await enqueue(session, SUPPLIER_WEBHOOK_JOB, {"fulfillment_id": fulfillment_id})
