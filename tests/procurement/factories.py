"""Factories for bulk-order tests: an organisation with a buyer, two approvers and an admin,
SKUs with minimums and tiers, lists as CSV or XLSX, and the calls the tests repeat."""

from __future__ import annotations

import contextlib
import io
import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select, update

from app.account.models import Role
from app.catalog.models import PriceTier, Sku
from app.core.db import Database, unit_of_work
from app.procurement.models import BulkOrder, BulkOrderLine
from tests.account.factories import (
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    sign_in_page,
)
from tests.order.factories import address
from tests.organization.factories import create_organization

_organizations = itertools.count(1)


@dataclass(frozen=True)
class Team:
    """A verified organisation's members, one per role (two approvers, for races)."""

    organization_id: int
    buyer: ApiUser
    approver: ApiUser
    second_approver: ApiUser
    admin: ApiUser


async def create_team(app: FastAPI, database: Database, **org: Any) -> Team:
    buyer, approver, second, admin = [await create_api_user(database) for _ in range(4)]
    organization_id = await create_organization(
        database,
        n=next(_organizations),
        members={
            buyer.id: Role.ORG_BUYER,
            approver.id: Role.ORG_APPROVER,
            second.id: Role.ORG_APPROVER,
            admin.id: Role.ORG_ADMIN,
        },
        **org,
    )
    return Team(organization_id, buyer, approver, second, admin)


async def sku_codes(database: Database, sku_ids: Sequence[int]) -> list[str]:
    async with unit_of_work(database.reader) as session:
        codes = dict(
            (await session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(sku_ids)))).all()
        )
    return [codes[sku_id] for sku_id in sku_ids]


async def set_sku(
    database: Database,
    sku_id: int,
    *,
    tiers: Sequence[tuple[int, int]] = (),
    **values: Any,
) -> None:
    """Change SKU columns (min_qty, stock, is_active, price_fen) and add price tiers."""
    async with unit_of_work(database.writer) as session:
        if values:
            await session.execute(update(Sku).where(Sku.id == sku_id).values(**values))
        session.add_all(
            PriceTier(sku_id=sku_id, min_qty=min_qty, price_fen=price) for min_qty, price in tiers
        )


def csv_bytes(rows: Sequence[Sequence[object]], *, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(",".join(str(cell) for cell in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def path(team: Team, suffix: str = "") -> str:
    return f"/api/v1/organizations/{team.organization_id}/bulk-orders{suffix}"


async def upload(
    client: httpx.AsyncClient,
    team: Team,
    data: bytes,
    *,
    who: ApiUser | None = None,
    filename: str = "清单.csv",
    organization_id: int | None = None,
) -> httpx.Response:
    org = team.organization_id if organization_id is None else organization_id
    return await client.post(
        f"/api/v1/organizations/{org}/bulk-orders",
        files={"file": (filename, data, "application/octet-stream")},
        headers=(who or team.buyer).headers,
    )


async def draft(
    client: httpx.AsyncClient, team: Team, rows: Sequence[Sequence[object]]
) -> dict[str, Any]:
    """A draft from a CSV of these rows under the header sku_code, quantity (and
    delivery_date, when the rows have a third cell)."""
    header = ("sku_code", "quantity", "delivery_date")[: max(2, len(rows[0]))]
    response = await upload(client, team, csv_bytes([header, *rows]))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def submit_body(method: str = "bank_transfer", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"payment_method": method, "shipping_address": address()}
    body.update(extra)
    return body


async def submitted(
    client: httpx.AsyncClient,
    team: Team,
    rows: Sequence[Sequence[object]],
    **extra: Any,
) -> dict[str, Any]:
    """A bulk order the buyer drew up and submitted."""
    created = await draft(client, team, rows)
    assert created["valid"], created
    response = await client.post(
        path(team, f"/{created['id']}/submit"),
        json=submit_body(**extra),
        headers=team.buyer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def bulk_order_count(database: Database) -> tuple[int, int]:
    """How many bulk orders and lines are stored."""
    async with unit_of_work(database.reader) as session:
        orders = await session.scalar(select(func.count()).select_from(BulkOrder))
        lines = await session.scalar(select(func.count()).select_from(BulkOrderLine))
    return int(orders or 0), int(lines or 0)


async def bulk_order_row(database: Database, bulk_order_id: int) -> BulkOrder:
    async with unit_of_work(database.reader) as session:
        bulk = await session.get(BulkOrder, bulk_order_id)
        assert bulk is not None
        return bulk


# ---------------------------------------------------------------------------------------------
# Pages: members signed in through the login form, each with their own cookies


@dataclass(frozen=True)
class Browser:
    """A signed-in browser: its client (cookies) and the user's id."""

    client: httpx.AsyncClient
    user_id: int

    async def csrf(self, page: str) -> str:
        response = await self.client.get(page)
        assert response.status_code == 200, response.text
        return csrf_token_in(response.text)


@asynccontextmanager
async def browsers(
    app: FastAPI, database: Database, roles: Sequence[Role], **org: Any
) -> AsyncIterator[tuple[int, list[Browser]]]:
    """An organisation and one signed-in browser per role, in that order."""
    transport = httpx.ASGITransport(app=app)
    opened: list[Browser] = []
    async with contextlib.AsyncExitStack() as stack:
        for _ in roles:
            email = f"member-{uuid.uuid4().hex[:10]}@example.com"
            user_id = await create_user(database, email=email, display_name=f"成员{len(opened)}")
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            signed = await sign_in_page(client, email)
            assert signed.status_code == 303, signed.text
            opened.append(Browser(client, user_id))
        organization_id = await create_organization(
            database,
            n=next(_organizations),
            members={browser.user_id: role for browser, role in zip(opened, roles, strict=True)},
            **org,
        )
        yield organization_id, opened


# ---------------------------------------------------------------------------------------------
# Gift orders

RECIPIENTS_HEADER = ("name", "phone", "county_code", "detail")
# Three recipients in three provinces (北京朝阳, 上海浦东, 杭州西湖).
RECIPIENTS = (
    ("王芳", "13800000001", "110105", "朝阳路 1 号院 2 号楼 301"),
    ("李强", "13800000002", "310115", "世纪大道 100 号 8 楼"),
    ("赵敏", "0571-87654321", "330106", "文三路 90 号东部软件园"),
)


def gift_path(team: Team, suffix: str = "") -> str:
    return f"/api/v1/organizations/{team.organization_id}/gift-orders{suffix}"


async def upload_gift(
    client: httpx.AsyncClient,
    team: Team,
    items: Sequence[tuple[int, int]],
    recipients: Sequence[Sequence[object]] = RECIPIENTS,
    *,
    who: ApiUser | None = None,
    data: bytes | None = None,
    filename: str = "名单.csv",
) -> httpx.Response:
    """POST a gift: (sku_id, quantity_each) pairs and a recipients CSV of these rows."""
    body = data if data is not None else csv_bytes([RECIPIENTS_HEADER, *recipients])
    return await client.post(
        gift_path(team),
        data={
            "sku_id": [str(sku_id) for sku_id, _ in items],
            "quantity_each": [str(each) for _, each in items],
        },
        files={"recipients": (filename, body, "application/octet-stream")},
        headers=(who or team.buyer).headers,
    )


async def submitted_gift(
    client: httpx.AsyncClient,
    team: Team,
    items: Sequence[tuple[int, int]],
    recipients: Sequence[Sequence[object]] = RECIPIENTS,
    **extra: Any,
) -> dict[str, Any]:
    """A gift the buyer drew up and submitted (the union's contact address on the order)."""
    created = await upload_gift(client, team, items, recipients)
    assert created.status_code == 201, created.text
    assert created.json()["valid"], created.json()
    response = await client.post(
        gift_path(team, f"/{created.json()['id']}/submit"),
        json=submit_body(**extra),
        headers=team.buyer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
