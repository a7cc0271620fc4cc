"""The refund use cases called as a service (after-sales and checkout call them so), apart
from the API that checks their input first."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import User
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from app.order import service as order_service
from app.payment import service
from app.payment.errors import InvalidRefundLines, InvalidRefundReason
from app.payment.models import PaymentStatus
from app.payment.schemas import MAX_QUANTITY
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.payment.factories import (
    audit_actions,
    card_order,
    jobs,
    payment_of,
    place_order,
    refunds_of,
)
from tests.stripe_fixtures import LocalStripe


async def test_an_order_not_paid_is_not_refunded(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, price_fen=1500, stock=10)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 2)])
    assert (await payment_of(database, placed["id"])).status == PaymentStatus.PENDING

    async with unit_of_work(database.writer) as session:
        order = await order_service.get_order(session, placed["id"])
        actor = await session.get(User, buyer.id)
        assert actor is not None
        created = await service.refund_order_in_full(session, order, reason="取消", actor=actor)

    assert created is None
    assert await refunds_of(database, placed["id"]) == []
    assert (await payment_of(database, placed["id"])).refunded_fen == 0
    assert await jobs(database, "payment.send_refund") == []
    assert "payment.refund" not in await audit_actions(database, placed["id"])


async def test_a_refund_of_no_line_is_refused_naming_the_lines(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The API refuses an empty list itself; the operator's refund page and after-sales hand
    the service what they have, and an empty form must come back as a line error."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )

    async with unit_of_work(database.writer) as session:
        actor = await session.get(User, operator.id)
        with pytest.raises(InvalidRefundLines) as refused:
            await service.refund(session, order_id=order["id"], lines=[], reason="x", actor=actor)

    assert refused.value.fields == {"lines": "name at least one line"}
    assert await refunds_of(database, order["id"]) == []


async def test_a_quantity_out_of_bounds_is_refused_naming_the_bounds(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The refund page reads any whole number from its form; the service bounds it."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]

    for quantity in (0, MAX_QUANTITY + 1):
        async with unit_of_work(database.writer) as session:
            actor = await session.get(User, operator.id)
            with pytest.raises(InvalidRefundLines) as refused:
                await service.refund(
                    session,
                    order_id=order["id"],
                    lines=[(line_id, quantity)],
                    reason="x",
                    actor=actor,
                )
        assert refused.value.fields == {"lines.0.quantity": f"1 to {MAX_QUANTITY}"}
    assert await refunds_of(database, order["id"]) == []


async def test_a_refund_without_an_actor_records_none(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """After-sales refunds for a supplier or at the answer deadline: nobody signed in made it."""
    _suppliers, _buyer, _operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]

    async with unit_of_work(database.writer) as session:
        created = await service.refund(
            session, order_id=order["id"], lines=[(line_id, 1)], reason="售后", actor=None
        )
        refund_id = created.id

    [stored] = await refunds_of(database, order["id"])
    assert (stored.id, stored.created_by_user_id, stored.amount_fen) == (refund_id, None, 1000)
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "payment.refund")
        )
    assert entry is not None
    assert (entry.actor_user_id, entry.reason) == (None, "售后")


async def test_one_unit_at_one_fen_is_refunded(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The smallest refund there is: one fen."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1, 2)
    )
    line_id = order["fulfillments"][0]["lines"][0]["id"]

    async with unit_of_work(database.writer) as session:
        actor = await session.get(User, operator.id)
        created = await service.refund(
            session, order_id=order["id"], lines=[(line_id, 1)], reason="x", actor=actor
        )
        assert created.amount_fen == 1

    assert [r.amount_fen for r in await refunds_of(database, order["id"])] == [1]
    assert (await payment_of(database, order["id"])).refunded_fen == 1


def test_a_reason_of_500_characters_is_enough_and_one_more_too_many() -> None:
    assert service.check_reason(" " + "理" * 500 + " ") == "理" * 500
    with pytest.raises(InvalidRefundReason):
        service.check_reason("理" * 501)
