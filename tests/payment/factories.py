"""Factories for payment tests: orders paid by Stripe or transfer, events signed like Stripe's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import httpx
import stripe
from fastapi import FastAPI
from sqlalchemy import func, select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from app.order.models import Order, OrderLine
from app.payment.models import Payment, Refund, StripeEvent
from tests.account.factories import ApiUser, create_api_user
from tests.catalog.factories import Seller, create_seller
from tests.order.factories import install_routes, order_body, place
from tests.stripe_fixtures import STRIPE_SECRET_KEY, LocalStripe, sign_payload

WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"


def install_payment_routes(app: FastAPI) -> None:
    """Until app/main.py includes the payment routers and jobs (the integrator adds them),
    add them to the test app, with the order and checkout ones; then this does nothing."""
    from app.payment import api as payment_api
    from app.payment import jobs as payment_jobs
    from app.payment import pages as payment_pages

    del payment_jobs  # imported for its @job registrations
    install_routes(app)
    present = {getattr(route, "path", None) for route in app.router.routes}
    if WEBHOOK_PATH not in present:
        app.include_router(payment_api.router)
    if "/orders/{order_id}/pay" not in present:
        app.include_router(payment_pages.router)


def stripe_client(localstripe: LocalStripe) -> stripe.StripeClient:
    """A Stripe client of the tests themselves (the buyer's side: confirming with a card)."""
    return stripe.StripeClient(
        STRIPE_SECRET_KEY,
        base_addresses={"api": localstripe.url},
        http_client=stripe.HTTPXClient(),
        max_network_retries=0,
    )


async def confirm_intent(
    localstripe: LocalStripe, intent_id: str, payment_method: str = "pm_card_visa"
) -> str:
    """What Stripe.js does when the buyer pays: confirm the intent with a card. Returns the
    intent's status; a declined card answers "declined"."""
    client = stripe_client(localstripe)
    try:
        intent = await client.v1.payment_intents.confirm_async(
            intent_id, {"payment_method": payment_method}
        )
    except stripe.CardError:
        return "declined"
    return str(intent.status)


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    secret: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST an event to the webhook as Stripe does: the exact body, signed."""
    payload = json.dumps(event)
    header = (
        signature
        if signature is not None
        else (sign_payload(payload) if secret is None else sign_payload(payload, secret))
    )
    return await client.post(
        WEBHOOK_PATH,
        content=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )


def events_of(localstripe: LocalStripe, intent_id: str, event_type: str) -> list[dict[str, Any]]:
    """localstripe's events of one intent and type, oldest first."""
    return [
        event
        for event in localstripe.events(event_type)
        if event["data"]["object"].get("id") == intent_id
    ]


async def run_outbox(runner: JobRunner) -> int:
    return await runner.run_until_idle()


async def place_order(
    client: httpx.AsyncClient,
    buyer: ApiUser,
    lines: Sequence[tuple[int, int]],
    *,
    method: str = "stripe",
) -> dict[str, Any]:
    response = await place(client, buyer, order_body(lines, method=method))
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def get_order(client: httpx.AsyncClient, buyer: ApiUser, order_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


async def payment_of(database: Database, order_id: int) -> Payment:
    async with unit_of_work(database.reader) as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert payment is not None
        return payment


async def order_row(database: Database, order_id: int) -> Order:
    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, order_id)
        assert order is not None
        return order


async def lines_of(database: Database, order_id: int) -> list[OrderLine]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
        )
        return list(result)


async def refunds_of(database: Database, order_id: int) -> list[Refund]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
        )
        return list(result)


async def count_rows(database: Database, model: type[Any], *where: Any) -> int:
    async with unit_of_work(database.reader) as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(await session.scalar(query) or 0)


async def stored_events(database: Database) -> int:
    return await count_rows(database, StripeEvent)


async def jobs(database: Database, name: str, status: JobStatus | None = None) -> list[Job]:
    async with unit_of_work(database.reader) as session:
        query = select(Job).where(Job.name == name)
        if status is not None:
            query = query.where(Job.status == status)
        return list(await session.scalars(query.order_by(Job.id)))


async def audit_actions(database: Database, order_id: int) -> list[str]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_kind == "order", AuditEntry.entity_id == str(order_id))
            .order_by(AuditEntry.id)
        )
        return list(result)


async def paid_by_card(
    client: httpx.AsyncClient,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    lines: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """An order paid by card the whole way: intent, confirmation, webhook."""
    placed = await place_order(client, buyer, lines)
    await run_outbox(runner)
    order = await get_order(client, buyer, placed["id"])
    intent_id = order["payment"]["stripe_payment_intent_id"]
    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, event)).status_code == 200
    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "paid"
    return order


class CardOrder(NamedTuple):
    """An order paid by card, the suppliers it was bought from, its buyer and an operator."""

    suppliers: list[Seller]
    buyer: ApiUser
    operator: ApiUser
    order: dict[str, Any]


async def card_order(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    *lines: tuple[int, int],
) -> CardOrder:
    """One supplier per (price_fen, quantity) line, each with 10 in stock; a buyer who paid
    for those quantities by card; an operator to refund or cancel it."""
    suppliers = [await create_seller(database, price_fen=price, stock=10) for price, _ in lines]
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    bought = [(s.sku_ids[0], quantity) for s, (_, quantity) in zip(suppliers, lines, strict=True)]
    order = await paid_by_card(client, runner, localstripe, buyer, bought)
    return CardOrder(suppliers, buyer, operator, order)


async def paid_by_transfer(
    client: httpx.AsyncClient,
    buyer: ApiUser,
    operator: ApiUser,
    lines: Sequence[tuple[int, int]],
) -> dict[str, Any]:
    """An order paid by bank transfer, confirmed by the operator."""
    placed = await place_order(client, buyer, lines, method="bank_transfer")
    response = await client.post(
        f"/api/v1/admin/orders/{placed['id']}/confirm-payment",
        json={
            "bank_reference": placed["payment"]["bank_reference"],
            "amount_fen": placed["total_fen"],
        },
        headers=operator.headers,
    )
    assert response.status_code == 200, response.text
    return await get_order(client, buyer, placed["id"])
