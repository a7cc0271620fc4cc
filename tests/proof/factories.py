"""A canteen's purchases for the proof tests, made with the impact factories (orders paid at
given times, the ledger written as the payment hook writes it, refunds with their entries)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.account.models import Role, RoleAssignment
from app.core.db import Database, unit_of_work
from app.order.models import BuyerKind, Order, OrderStatus
from tests.account.factories import create_user, sign_in_page, token_headers
from tests.account.factories import create_user as create_account
from tests.catalog.factories import create_seller
from tests.impact.factories import (
    GUANGDONG,
    SANDU,
    SHANGHAI,
    SHUFU,
    Line,
    create_order,
    paid_order,
    refund,
    set_target,
)
from tests.organization.factories import create_organization

ORG_NAME = "徐汇区机关食堂"
SANDU_NAME = "三都水族自治县"
SHUFU_NAME = "疏附县"


@dataclass(frozen=True)
class Canteen:
    """徐汇区机关食堂 (上海) and what it bought; amounts in fen.

    2026 (China time): order `march` (三都 3 × 1 000, 疏附 2 × 5 000) on 10 March; order `july`
    (三都 5 × 1 000) on 1 July, 2 units refunded on 1 August; order `december` (疏附 1 × 4 000)
    on 20 December, refunded whole on 5 January 2027. 2027: order `new_year` (疏附 1 × 2 000)
    paid at 2026-12-31 17:00 UTC. Besides: an unpaid and a cancelled order of the canteen, a
    consumer's order and another organisation's order, which no document of it shows.
    """

    organization: int
    other_organization: int
    buyer: int  # an org_buyer member
    march: int
    march_lines: tuple[int, int]
    july: int
    july_line: int
    december: int
    new_year: int
    unpaid: int
    cancelled: int
    consumer_order: int
    other_order: int


async def build_canteen(database: Database, *, buyer: int | None = None) -> Canteen:
    """The canteen's history; `buyer` (a user id) is made its org_buyer and places its orders."""
    sandu = await create_seller(
        database, county_code=SANDU, households_supported=12, name="三都水族自治县合作社"
    )
    shufu = await create_seller(
        database, county_code=SHUFU, households_supported=30, name="疏附县合作社"
    )
    organization = await create_organization(database, region_code="310104", name=ORG_NAME)
    other = await create_organization(database, region_code="310104", name="别的单位食堂")
    await set_target(database, organization, 2026, budget_fen=1_000_000, share_bp=1500)
    if buyer is None:
        buyer = await create_user(database, roles=[(Role.ORG_BUYER, organization, None)])
    else:
        async with unit_of_work(database.writer) as session:
            session.add(RoleAssignment(user_id=buyer, role=Role.ORG_BUYER, scope_id=organization))
    outsider = await create_user(database, roles=[(Role.ORG_BUYER, other, None)])

    async def canteen_order(lines: list[Line], paid_at: datetime) -> tuple[int, list[int]]:
        order = await paid_order(
            database,
            buyer_user_id=buyer,
            lines=lines,
            buyer_province_code=SHANGHAI,
            organization_id=organization,
            buyer_kind=BuyerKind.GOVERNMENT,
            paid_at=paid_at,
        )
        return order.id, order.line_ids

    march, march_lines = await canteen_order(
        [Line(sandu, 3, 1000), Line(shufu, 2, 5000)], datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    )
    july, july_lines = await canteen_order(
        [Line(sandu, 5, 1000)], datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    )
    await refund(database, july, [(july_lines[0], 2)], at=datetime(2026, 8, 1, 2, tzinfo=UTC))
    december, december_lines = await canteen_order(
        [Line(shufu, 1, 4000)], datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    )
    await refund(
        database, december, [(december_lines[0], 1)], at=datetime(2027, 1, 5, 2, tzinfo=UTC)
    )
    new_year, _ = await canteen_order(
        [Line(shufu, 1, 2000)], datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    )
    unpaid = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 1, 1000)],
        buyer_province_code=SHANGHAI,
        organization_id=organization,
        buyer_kind=BuyerKind.GOVERNMENT,
    )
    cancelled = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 1, 1000)],
        buyer_province_code=SHANGHAI,
        organization_id=organization,
        buyer_kind=BuyerKind.GOVERNMENT,
    )
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Order)
            .where(Order.id == cancelled.id)
            .values(status=OrderStatus.CANCELLED, cancel_reason="测试取消")
        )
    consumer_order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 4, 1000)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
    )
    other_order = await paid_order(
        database,
        buyer_user_id=outsider,
        lines=[Line(sandu, 7, 1000)],
        buyer_province_code=SHANGHAI,
        organization_id=other,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=datetime(2026, 3, 12, 2, 0, tzinfo=UTC),
    )
    return Canteen(
        organization=organization,
        other_organization=other,
        buyer=buyer,
        march=march,
        march_lines=(march_lines[0], march_lines[1]),
        july=july,
        july_line=july_lines[0],
        december=december,
        new_year=new_year,
        unpaid=unpaid.id,
        cancelled=cancelled.id,
        consumer_order=consumer_order.id,
        other_order=other_order.id,
    )


def member_headers(app: FastAPI, canteen: Canteen) -> dict[str, str]:
    return token_headers(canteen.buyer)


async def user_headers(
    app: FastAPI, database: Database, roles: list[tuple[Role, int | None, str | None]]
) -> dict[str, str]:
    """Bearer headers of a new user holding `roles`."""
    return token_headers(await create_user(database, roles=roles))


async def sign_in(
    client: httpx.AsyncClient,
    database: Database,
    roles: list[tuple[Role, int | None, str | None]],
) -> int:
    """A user with a real password and these roles, signed in through /login (pages)."""
    email = f"proof-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await create_account(database, email=email, display_name="食堂采购员")
    async with unit_of_work(database.writer) as session:
        for role, scope_id, scope_code in roles:
            session.add(
                RoleAssignment(user_id=user_id, role=role, scope_id=scope_id, scope_code=scope_code)
            )
    response = await sign_in_page(client, email)
    assert response.status_code == 303, response.text
    return user_id
