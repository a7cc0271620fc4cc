"""The outbox job `payment.send_refund` runs at least once: run again for a refund it has
already sent, or that is settled, it asks Stripe for nothing."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.core.db import Database, unit_of_work
from app.impact.models import LedgerEntry
from app.jobs.runner import JobRunner
from app.order.service import BUYER_NOTICE_JOB
from app.payment import service
from app.payment.gateway import PaymentGateway, RefundState
from app.payment.models import Payment, Refund, RefundStatus
from tests.payment.factories import card_order, jobs, payment_of, refunds_of
from tests.stripe_fixtures import LocalStripe


class _RecordingStripe:
    """Answers every refund with success, and remembers each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def create_refund(
        self, *, payment_intent_id: str, amount_fen: int, refund_id: int, order_id: int
    ) -> RefundState:
        self.calls.append({"payment_intent_id": payment_intent_id, "refund_id": refund_id})
        return RefundState(id=f"re_{refund_id}", status="succeeded", amount=amount_fen)


async def _pending_refund(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, localstripe: LocalStripe
) -> tuple[int, Refund]:
    """A card order paid, one of its two units refunded: the refund waits for the job."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]
    response = await client.post(
        f"/api/v1/admin/orders/{order['id']}/refunds",
        json={"lines": [{"order_line_id": line_id, "quantity": 1}], "reason": "破损"},
        headers=operator.headers,
    )
    assert response.status_code == 201, response.text
    [refund] = await refunds_of(database, order["id"])
    return order["id"], refund


async def _send(database: Database, stripe: _RecordingStripe, refund_id: int) -> None:
    async with unit_of_work(database.writer) as session:
        await service.send_refund(session, cast(PaymentGateway, stripe), refund_id=refund_id)


@pytest.mark.parametrize(
    ("status", "stripe_refund_id"),
    [
        (RefundStatus.PENDING, "re_sent_before"),  # Stripe has it, not yet confirmed
        (RefundStatus.FAILED, None),  # Stripe refused it; the operator settles it
        (RefundStatus.SUCCEEDED, None),  # confirmed by the webhook before the job ran
    ],
)
async def test_a_refund_sent_or_settled_is_not_sent_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    status: RefundStatus,
    stripe_refund_id: str | None,
) -> None:
    order_id, refund = await _pending_refund(client, database, runner, localstripe)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Refund)
            .where(Refund.id == refund.id)
            .values(status=status, stripe_refund_id=stripe_refund_id)
        )
    stripe = _RecordingStripe()

    await _send(database, stripe, refund.id)

    assert stripe.calls == []
    [stored] = await refunds_of(database, order_id)
    assert (stored.status, stored.stripe_refund_id) == (status, stripe_refund_id)


async def test_a_payment_without_an_intent_is_not_refunded_at_stripe(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """No intent to refund against: nothing is asked of Stripe, the refund stays pending."""
    order_id, refund = await _pending_refund(client, database, runner, localstripe)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Payment)
            .where(Payment.order_id == order_id)
            .values(stripe_payment_intent_id=None)
        )
    stripe = _RecordingStripe()

    await _send(database, stripe, refund.id)

    assert stripe.calls == []
    [stored] = await refunds_of(database, order_id)
    assert (stored.status, stored.stripe_refund_id) == (RefundStatus.PENDING, None)
    assert (await payment_of(database, order_id)).refunded_fen == 1000


async def test_a_pending_refund_is_sent_once_and_settled(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    order_id, refund = await _pending_refund(client, database, runner, localstripe)
    intent_id = (await payment_of(database, order_id)).stripe_payment_intent_id
    stripe = _RecordingStripe()

    await _send(database, stripe, refund.id)
    await _send(database, stripe, refund.id)  # the job run again

    assert stripe.calls == [{"payment_intent_id": intent_id, "refund_id": refund.id}]
    [stored] = await refunds_of(database, order_id)
    assert (stored.status, stored.stripe_refund_id) == (RefundStatus.SUCCEEDED, f"re_{refund.id}")
    # Confirmed: the ledger takes the unit back and the buyer is told, once, of this refund.
    [line_id] = [line["order_line_id"] for line in stored.lines]
    async with unit_of_work(database.reader) as session:
        entries = await session.execute(
            select(LedgerEntry.order_line_id, LedgerEntry.amount_fen).where(
                LedgerEntry.refund_id == refund.id
            )
        )
        assert list(entries) == [(line_id, -1000)]
    notices = [job.payload for job in await jobs(database, BUYER_NOTICE_JOB)]
    assert [n for n in notices if n["event"] == "refunded"] == [
        {"order_id": order_id, "event": "refunded", "refund_id": refund.id, "amount_fen": 1000}
    ]
