"""After-sales pages: the order page's form and status, the supplier's queue with its menu
count, the operator's arbitration queue; text is escaped, refusals are told on the page."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from tests.account.factories import create_user, csrf_token_in, sign_in_page
from tests.aftersales.factories import Bought, bought_by_transfer, ledger_total, request_row
from tests.catalog.factories import png_bytes
from tests.payment.factories import refunds_of


@contextlib.asynccontextmanager
async def _browser(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await sign_in_page(client, email)
        assert response.status_code == 303, response.text
        yield client


async def _with_password(database: Database, *roles: Role | tuple[Role, int, None]) -> str:
    email = f"as-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email, roles=roles)
    return email


async def test_the_whole_path_through_the_pages(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    bought: Bought = await bought_by_transfer(client, database, quantity=3, price_fen=2000)
    stranger_email = await _with_password(database, Role.CONSUMER)
    order_path = f"/orders/{bought.order['id']}"
    line_id = bought.line["id"]

    async with _browser(app, stranger_email) as stranger:
        assert (await stranger.get(order_path)).status_code == 404

    async with _browser(app, bought.emails["buyer"]) as buyer:
        page = await buyer.get(order_path)
        assert f'action="{order_path}/after-sales"' in page.text
        csrf = csrf_token_in(page.text)
        too_many = await buyer.post(
            f"{order_path}/after-sales",
            data={"csrf_token": csrf, "kind": "refund_only", f"qty_{line_id}": "4", "reason": "坏"},
        )
        assert too_many.status_code == 303
        refused = await buyer.get(too_many.headers["location"])
        assert "申请数量超过可退数量" in refused.text
        asked = await buyer.post(
            f"{order_path}/after-sales",
            data={
                "csrf_token": csrf,
                "kind": "refund_only",
                f"qty_{line_id}": "2",
                "reason": "<script>alert(1)</script>烂了",
            },
            files={"photos": ("p.png", png_bytes(640, 480), "image/png")},
        )
        assert asked.status_code == 303, asked.text
        page = await buyer.get(order_path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;烂了" in page.text
        assert "<script>alert(1)" not in page.text
        assert "待供应商处理" in page.text
        assert page.text.count('class="after-sales-photos"') == 1  # the photo came along
        rid = int(re.search(r'id="after-sales-(\d+)"', page.text).group(1))  # type: ignore[union-attr]

        async with _browser(app, bought.emails["supplier"]) as supplier:
            queue_path = f"/coop/{bought.seller.id}/after-sales"
            queue = await supplier.get(queue_path)
            assert queue.status_code == 200
            assert re.search(r"售后处理\s*<span[^>]*>\s*1\s*<", queue.text), queue.text
            assert "&lt;script&gt;" in queue.text
            csrf_s = csrf_token_in(queue.text)
            empty = await supplier.post(
                f"{queue_path}/{rid}/reject", data={"csrf_token": csrf_s, "reason": " "}
            )
            assert empty.status_code == 422
            rejected = await supplier.post(
                f"{queue_path}/{rid}/reject", data={"csrf_token": csrf_s, "reason": "完好发出"}
            )
            assert rejected.status_code == 303
            other = await supplier.get(f"/coop/{bought.seller.id + 10_000}/after-sales")
            assert other.status_code == 404

        page = await buyer.get(order_path)
        assert "供应商已拒绝" in page.text and "完好发出" in page.text
        escalated = await buyer.post(
            f"{order_path}/after-sales/{rid}/escalate",
            data={"csrf_token": csrf_token_in(page.text), "reason": "照片为证"},
        )
        assert escalated.status_code == 303

    async with _browser(app, bought.emails["operator"]) as operator:
        queue = await operator.get("/admin/after-sales")
        assert f'id="after-sales-{rid}"' in queue.text
        csrf_o = csrf_token_in(queue.text)
        decided = await operator.post(
            f"/admin/after-sales/{rid}/decide",
            data={"csrf_token": csrf_o, "outcome": "refund", "reason": "照片显示腐烂"},
        )
        assert decided.status_code == 303
        queue = await operator.get("/admin/after-sales")
        assert "登记已转账退款" in queue.text  # a bank transfer: the operator pays it back
        bad = await operator.post(
            f"/admin/after-sales/{rid}/payout", data={"csrf_token": csrf_o, "bank_reference": "?"}
        )
        assert bad.status_code == 422
        paid = await operator.post(
            f"/admin/after-sales/{rid}/payout",
            data={"csrf_token": csrf_o, "bank_reference": "HX-PAGE-01"},
        )
        assert paid.status_code == 303

    assert (await request_row(database, rid)).status.value == "refunded"
    [refund] = await refunds_of(database, bought.order["id"])
    assert refund.amount_fen == 4000
    assert await ledger_total(database, bought.order["id"]) == 2000
