"""Factories for after-sales tests: paid orders, a supplier's member, parcels delivered."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import httpx
from sqlalchemy import select, update

from app.account.models import Role
from app.aftersales.models import AfterSalesRequest
from app.audit.models import AuditEntry
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.impact.models import LedgerEntry
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from app.order.models import Fulfillment, FulfillmentStatus
from tests.account.factories import ApiUser, create_user, token_headers
from tests.catalog.factories import Seller, create_seller
from tests.payment.factories import paid_by_card, paid_by_transfer
from tests.stripe_fixtures import LocalStripe


class Bought(NamedTuple):
    """A paid order of one supplier's SKU, its buyer, a member of the supplier, an operator."""

    seller: Seller
    buyer: ApiUser
    supplier: ApiUser
    operator: ApiUser
    order: dict[str, Any]
    emails: dict[str, str]  # buyer, supplier, operator: each signs in with PASSWORD

    @property
    def line(self) -> dict[str, Any]:
        found: dict[str, Any] = self.order["fulfillments"][0]["lines"][0]
        return found

    @property
    def fulfillment_id(self) -> int:
        return int(self.order["fulfillments"][0]["id"])


async def _person(database: Database, role: str, roles: Any) -> tuple[ApiUser, str]:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    user_id = await create_user(database, email=email, roles=roles)
    return ApiUser(user_id, token_headers(user_id)), email


async def _people(
    database: Database, seller: Seller
) -> tuple[ApiUser, ApiUser, ApiUser, dict[str, str]]:
    buyer, buyer_email = await _person(database, "buyer", (Role.CONSUMER,))
    supplier, supplier_email = await _person(
        database, "supplier", [(Role.SUPPLIER_ADMIN, seller.id, None)]
    )
    operator, operator_email = await _person(database, "operator", (Role.CONSUMER, Role.OPERATOR))
    emails = {"buyer": buyer_email, "supplier": supplier_email, "operator": operator_email}
    return buyer, supplier, operator, emails


async def bought_by_card(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    *,
    price_fen: int = 1500,
    quantity: int = 3,
) -> Bought:
    seller = await create_seller(database, price_fen=price_fen, stock=20)
    buyer, supplier, operator, emails = await _people(database, seller)
    order = await paid_by_card(client, runner, localstripe, buyer, [(seller.sku_id, quantity)])
    return Bought(seller, buyer, supplier, operator, order, emails)


async def bought_by_transfer(
    client: httpx.AsyncClient, database: Database, *, price_fen: int = 1500, quantity: int = 3
) -> Bought:
    seller = await create_seller(database, price_fen=price_fen, stock=20)
    buyer, supplier, operator, emails = await _people(database, seller)
    order = await paid_by_transfer(client, buyer, operator, [(seller.sku_id, quantity)])
    return Bought(seller, buyer, supplier, operator, order, emails)


async def delivered(database: Database, fulfillment_id: int, *, days_ago: float = 1) -> None:
    """The parcel was delivered `days_ago` days ago."""
    at = utcnow() - timedelta(days=days_ago)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Fulfillment)
            .where(Fulfillment.id == fulfillment_id)
            .values(
                status=FulfillmentStatus.DELIVERED,
                carrier="顺丰速运",
                tracking_number="SF1000000001",
                shipped_at=at - timedelta(days=1),
                delivered_at=at,
            )
        )


async def shipped(database: Database, fulfillment_id: int) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Fulfillment)
            .where(Fulfillment.id == fulfillment_id)
            .values(status=FulfillmentStatus.SHIPPED, shipped_at=utcnow())
        )


def request_body(
    bought: Bought, quantity: int = 1, *, kind: str = "refund_only", **extra: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "lines": [{"order_line_id": bought.line["id"], "quantity": quantity}],
        "reason": "收到的苹果有一半磕伤腐烂",
        **extra,
    }


async def ask(
    client: httpx.AsyncClient, bought: Bought, quantity: int = 1, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{bought.order['id']}/after-sales",
        json=request_body(bought, quantity, **extra),
        headers=bought.buyer.headers,
    )


async def asked(
    client: httpx.AsyncClient, bought: Bought, quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    response = await ask(client, bought, quantity, **extra)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def step(
    client: httpx.AsyncClient,
    user: ApiUser,
    request_id: int,
    action: str,
    json: Any = None,
    *,
    admin: bool = False,
) -> httpx.Response:
    prefix = "/api/v1/admin/after-sales" if admin else "/api/v1/after-sales"
    return await client.post(f"{prefix}/{request_id}/{action}", json=json, headers=user.headers)


async def request_row(database: Database, request_id: int) -> AfterSalesRequest:
    async with unit_of_work(database.reader) as session:
        found = await session.get(AfterSalesRequest, request_id)
        assert found is not None
        return found


async def pass_answer_deadline(database: Database, request_id: int) -> None:
    """48 hours went by: the request's deadline and its auto-accept job are due."""
    past = utcnow() - timedelta(seconds=1)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(AfterSalesRequest)
            .where(AfterSalesRequest.id == request_id)
            .values(deadline_at=past)
        )
        await session.execute(
            update(Job)
            .where(Job.name == "aftersales.auto_accept", Job.status == JobStatus.PENDING)
            .values(run_after=past)
        )


async def ledger_total(database: Database, order_id: int) -> int:
    async with unit_of_work(database.reader) as session:
        amounts = await session.scalars(
            select(LedgerEntry.amount_fen).where(LedgerEntry.order_id == order_id)
        )
        return sum(amounts)


async def audit_of(database: Database, request_id: int) -> list[str]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(AuditEntry.action)
            .where(
                AuditEntry.entity_kind == "after_sales_request",
                AuditEntry.entity_id == str(request_id),
            )
            .order_by(AuditEntry.id)
        )
        return list(result)


async def mails_to(database: Database, request_id: int) -> list[tuple[str, str]]:
    """(step, audience) of each mail queued about the request, in order."""
    async with unit_of_work(database.reader) as session:
        jobs = await session.scalars(
            select(Job).where(Job.name == "aftersales.notify").order_by(Job.id)
        )
        return [
            (job.payload["step"], job.payload["to"])
            for job in jobs
            if job.payload["request_id"] == request_id
        ]


def ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)
