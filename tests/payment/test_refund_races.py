"""Refunds racing each other on PostgreSQL, with real concurrent transactions.

The refund code locks the order, then the payment, then the refund, and re-reads each locked
row (`populate_existing`): a row read earlier in the same transaction may be stale by then.
These tests interleave transactions so that a missing lock or a stale re-read would refund
units twice, lose a concurrent refund from the books or tell the buyer twice. SQLite lets one
writer in at a time, so nothing can interleave there: these run on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.impact.models import LedgerEntry
from app.jobs.runner import JobRunner
from app.order.service import BUYER_NOTICE_JOB
from app.payment import service
from app.payment.errors import PaymentProviderRefused
from app.payment.gateway import PaymentGateway, RefundState
from app.payment.models import RefundStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.conftest import Backend
from tests.payment.factories import (
    card_order,
    deliver,
    jobs,
    lines_of,
    paid_by_transfer,
    payment_of,
    refunds_of,
)
from tests.stripe_fixtures import LocalStripe


@pytest.fixture(autouse=True)
def _postgresql_only(db_backend: Backend) -> None:
    if db_backend.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: no transactions interleave")


def _refund_path(order_id: int) -> str:
    return f"/api/v1/admin/orders/{order_id}/refunds"


def _refund_body(line_id: int, quantity: int) -> dict[str, Any]:
    return {"lines": [{"order_line_id": line_id, "quantity": quantity}], "reason": "破损"}


class _HeldStripe:
    """Stripe's refund call, held open until the test lets it answer: meanwhile other
    transactions change the order, its payment or the refund being sent."""

    def __init__(self, answer: RefundState | None) -> None:
        self.answer = answer  # None: Stripe refuses the refund
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def create_refund(
        self, *, payment_intent_id: str, amount_fen: int, refund_id: int, order_id: int
    ) -> RefundState:
        self.called.set()
        await self.release.wait()
        if self.answer is None:
            raise PaymentProviderRefused("charge_already_refunded")
        return self.answer


async def _send_refund(database: Database, stripe: _HeldStripe, refund_id: int) -> None:
    """The outbox job `payment.send_refund`, in a transaction of its own."""
    async with unit_of_work(database.writer) as session:
        await service.send_refund(session, cast(PaymentGateway, stripe), refund_id=refund_id)


async def _while_stripe_answers(
    database: Database, stripe: _HeldStripe, refund_id: int, meanwhile: Any
) -> None:
    """Run the job up to its call to Stripe, then `meanwhile` (to its commit), then let
    Stripe answer and the job finish."""
    job = asyncio.create_task(_send_refund(database, stripe, refund_id))
    await asyncio.wait_for(stripe.called.wait(), timeout=10)
    try:
        await meanwhile()
    finally:
        stripe.release.set()
        await asyncio.wait_for(job, timeout=10)


async def _buyer_notices(database: Database, refund_id: int) -> list[dict[str, Any]]:
    return [
        job.payload
        for job in await jobs(database, BUYER_NOTICE_JOB)
        if job.payload.get("refund_id") == refund_id
    ]


async def _ledger_entries(database: Database, refund_id: int) -> list[tuple[int, int]]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(LedgerEntry.order_line_id, LedgerEntry.amount_fen).where(
                LedgerEntry.refund_id == refund_id
            )
        )
        return sorted((line_id, amount) for line_id, amount in rows)


async def test_concurrent_refunds_of_one_line_refund_its_units_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    """Four operators refund 2 of a line's 3 units at once. The money alone would allow all
    four (the order's other line paid for more), so only the order's row lock, taken before
    its lines are read, keeps the units refunded within the units bought."""
    cheap = await create_seller(database, price_fen=1000, stock=10)
    dear = await create_seller(database, price_fen=5000, stock=10)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    order = await paid_by_transfer(
        client, buyer, operator, [(cheap.sku_ids[0], 3), (dear.sku_ids[0], 1)]
    )
    line_id = next(
        line["id"]
        for fulfillment in order["fulfillments"]
        for line in fulfillment["lines"]
        if line["unit_price_fen"] == 1000
    )

    answers = await asyncio.gather(
        *(
            client.post(
                _refund_path(order["id"]), json=_refund_body(line_id, 2), headers=operator.headers
            )
            for _ in range(4)
        )
    )

    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409], [r.text for r in answers]
    for refused in (r for r in answers if r.status_code == 409):
        assert refused.json()["error"]["code"] == "refund_exceeds_payment"
    [refund] = await refunds_of(database, order["id"])
    assert (refund.amount_fen, refund.status) == (2000, RefundStatus.SUCCEEDED)
    refunded = {line.id: line.refunded_quantity for line in await lines_of(database, order["id"])}
    assert refunded[line_id] == 2
    assert sum(refunded.values()) == 2
    assert (await payment_of(database, order["id"])).refunded_fen == 2000
    # One negative ledger entry, for the two units: the goods sold were 8,000 fen.
    assert await _ledger_entries(database, refund.id) == [(line_id, -2000)]


async def test_a_refund_stripe_refuses_keeps_a_refund_made_meanwhile_on_the_books(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The job read the payment before calling Stripe; an operator refunds another unit while
    Stripe answers, then Stripe refuses the first refund. The payment is re-read under its lock
    before the failed amount is taken off, so the second refund stays counted."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 3)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]
    first = await client.post(
        _refund_path(order["id"]), json=_refund_body(line_id, 1), headers=operator.headers
    )
    assert first.status_code == 201, first.text
    stripe = _HeldStripe(answer=None)

    async def second_refund() -> None:
        response = await client.post(
            _refund_path(order["id"]), json=_refund_body(line_id, 1), headers=operator.headers
        )
        assert response.status_code == 201, response.text

    await _while_stripe_answers(database, stripe, first.json()["id"], second_refund)

    failed, pending = await refunds_of(database, order["id"])
    assert (failed.status, pending.status) == (RefundStatus.FAILED, RefundStatus.PENDING)
    # Refunds asked for and not failed: the second one's 1,000 fen, not 0.
    assert (await payment_of(database, order["id"])).refunded_fen == pending.amount_fen == 1000
    assert [line.refunded_quantity for line in await lines_of(database, order["id"])] == [2]


async def test_a_refund_stripe_confirms_twice_at_once_is_settled_and_told_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """Stripe's webhook confirms the refund while the job that asked for it still waits for
    Stripe's answer. The job read the refund as pending before its call; it re-reads it under
    its lock, finds it settled, and neither writes the ledger again nor mails the buyer again."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]
    created = await client.post(
        _refund_path(order["id"]), json=_refund_body(line_id, 1), headers=operator.headers
    )
    assert created.status_code == 201, created.text
    refund_id: int = created.json()["id"]
    refund_object = {
        "id": "re_race_1",
        "object": "refund",
        "amount": 1000,
        "status": "succeeded",
        "payment_intent": order["payment"]["stripe_payment_intent_id"],
        "metadata": {"order_id": str(order["id"]), "refund_id": str(refund_id)},
    }
    stripe = _HeldStripe(RefundState(id="re_race_1", status="succeeded", amount=1000, metadata={}))

    async def webhook() -> None:
        event = {
            "id": "evt_refund_race_1",
            "type": "refund.updated",
            "data": {"object": refund_object},
        }
        assert (await deliver(client, event)).status_code == 200

    await _while_stripe_answers(database, stripe, refund_id, webhook)

    [refund] = await refunds_of(database, order["id"])
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.SUCCEEDED, "re_race_1")
    assert await _ledger_entries(database, refund_id) == [(line_id, -1000)]
    assert [n["event"] for n in await _buyer_notices(database, refund_id)] == ["refunded"]
    assert (await payment_of(database, order["id"])).refunded_fen == 1000
