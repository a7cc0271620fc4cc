"""The whole after-sales path in Chromium: a buyer of a paid order asks for a refund of one
unit from the order page (with a photo), the supplier rejects it in its portal, the buyer
takes it to the platform, the operator decides to refund and records the transfer back; the
buyer's ledger and the public /impact figures go down by exactly the refunded goods. Each
page is looked at 1366 and 390 px wide, and none overflows the phone.

The live server offers bank transfers only (no Stripe), so the operator pays the refund back.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from app.impact.models import LedgerEntry
from tests.browser.conftest import WIDE, LiveServer, save_screenshots
from tests.order.factories import order_body

PASSWORD = "browser-after-sales-1"
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)


def _token(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _paid_order(api: httpx.Client, live_server: LiveServer) -> tuple[str, dict[str, Any]]:
    """A new buyer's order of two units from the demo supplier, paid by transfer (confirmed
    by the operator through the API). Returns the buyer's e-mail and the order."""
    email = f"after-sales-{uuid.uuid4().hex[:8]}@example.com"
    registered = api.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "售后买家"},
    )
    assert registered.status_code == 201, registered.text
    buyer = _token(api, email, PASSWORD)
    listing = api.get("/api/v1/products", params={"per_page": 100}).json()["items"]
    sku = next(
        sku
        for item in listing
        if item["cooperative"]["id"] == live_server.supplier_id and item["in_stock"]
        for sku in api.get(f"/api/v1/products/{item['id']}").json()["skus"]
        if sku["min_qty"] <= 2 and sku["stock_available"] >= 2
    )
    placed = api.post(
        "/api/v1/orders",
        json=order_body([(sku["id"], 2)]),
        headers={**buyer, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()
    operator = _token(api, OPERATOR.email, OPERATOR.password)
    confirmed = api.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator,
    )
    assert confirmed.status_code == 200, confirmed.text
    return email, order


def _ledger_total(live_server: LiveServer, order_id: int) -> int:
    """The order's net amount in the benefit ledger (read in a thread of its own: Playwright's
    loop runs in this one)."""

    async def read() -> int:
        database = Database(live_server.database_url)
        try:
            async with unit_of_work(database.reader) as session:
                total = await session.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
                        LedgerEntry.order_id == order_id
                    )
                )
                return int(total or 0)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, read()).result()


def _signed_in(browser: Browser, live_server: LiveServer, email: str, password: str) -> Page:
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()
    return page


def _look(page: Page, live_server: LiveServer, name: str) -> None:
    save_screenshots(page, live_server.backend, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width} px wide on a phone"
    page.set_viewport_size(WIDE)


def _photo(folder: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "#b5651d").save(out, format="PNG")
    path = folder / "烂果.png"
    path.write_bytes(out.getvalue())
    return path


def test_a_refund_rejected_escalated_and_refunded_by_the_operator(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    api = httpx.Client(base_url=live_server.base_url, timeout=30)
    email, order = _paid_order(api, live_server)
    line = order["fulfillments"][0]["lines"][0]
    buyer_headers = _token(api, email, PASSWORD)
    public_before = api.get("/api/v1/impact/summary").json()["amount_fen"]
    assert _ledger_total(live_server, order["id"]) == order["goods_fen"]

    # The buyer asks for one unit back, with a photo.
    buyer = _signed_in(browser, live_server, email, PASSWORD)
    buyer.goto(live_server.url(f"/orders/{order['id']}"))
    form = buyer.locator('form[action$="/after-sales"]')
    form.locator('input[value="refund_only"]').check()
    form.locator(f'input[name="qty_{line["id"]}"]').fill("1")
    form.locator('textarea[name="reason"]').fill("收到时有一件已经磕坏")
    form.locator('input[name="photos"]').set_input_files(_photo(tmp_path))
    form.get_by_role("button", name="提交申请").click()
    card = buyer.locator(".after-sales-card").first
    expect(card.locator("[data-after-sales-status]")).to_have_text("待供应商处理")
    expect(card.locator(".after-sales-photos img")).to_have_count(1)
    _look(buyer, live_server, "after-sales-order-requested")

    # The supplier sees it counted in its menu, and rejects it.
    supplier = _signed_in(browser, live_server, SUPPLIER_LOGIN.email, SUPPLIER_LOGIN.password)
    supplier.goto(live_server.url(f"/coop/{live_server.supplier_id}/after-sales"))
    expect(supplier.locator(".side-menu").get_by_text("售后处理")).to_be_visible()
    request_card = supplier.locator(".after-sales-card").filter(has_text=order["number"])
    expect(request_card).to_have_count(1)
    _look(supplier, live_server, "after-sales-supplier-queue")
    request_card.locator('textarea[name="reason"]').fill("发货时完好，照片看不出破损")
    request_card.get_by_role("button", name="拒绝").click()
    expect(
        supplier.locator(".after-sales-card")
        .filter(has_text=order["number"])
        .locator("[data-after-sales-status]")
    ).to_have_text("供应商已拒绝")

    # The buyer takes it to the platform.
    buyer.reload()
    expect(card.locator("[data-after-sales-status]")).to_have_text("供应商已拒绝")
    card.locator('textarea[name="reason"]').fill("照片中的破损很清楚")
    card.get_by_role("button", name="申请平台介入").click()
    expect(
        buyer.locator(".after-sales-card").first.locator("[data-after-sales-status]")
    ).to_have_text("平台介入中")
    _look(buyer, live_server, "after-sales-order-escalated")

    # The operator decides to refund, and records the transfer back.
    operator = _signed_in(browser, live_server, OPERATOR.email, OPERATOR.password)
    operator.goto(live_server.url("/admin/after-sales"))
    escalated = operator.locator(".after-sales-card").filter(has_text=order["number"])
    _look(operator, live_server, "after-sales-arbitration")
    escalated.locator('input[value="refund"]').check()
    escalated.locator('textarea[name="reason"]').fill("照片显示商品破损，予以退款")
    escalated.get_by_role("button", name="提交裁定（最终）").click()
    accepted = operator.locator(".after-sales-card").filter(has_text=order["number"])
    accepted.locator('input[name="bank_reference"]').fill("HX-REFUND-0001")
    accepted.get_by_role("button").click()
    expect(operator.locator(".after-sales-card").filter(has_text=order["number"])).to_have_count(0)

    buyer.reload()
    expect(
        buyer.locator(".after-sales-card").first.locator("[data-after-sales-status]")
    ).to_have_text("已退款")
    _look(buyer, live_server, "after-sales-order-refunded")
    [request] = api.get(f"/api/v1/orders/{order['id']}/after-sales", headers=buyer_headers).json()[
        "items"
    ]
    assert (request["status"], request["refund_bank_reference"]) == ("refunded", "HX-REFUND-0001")
    refunded = line["unit_price_fen"]
    assert _ledger_total(live_server, order["id"]) == order["goods_fen"] - refunded
    assert api.get("/api/v1/impact/summary").json()["amount_fen"] == public_before - refunded
