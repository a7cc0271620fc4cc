"""Trust in Chromium: a supplier registers a harvest batch and ships a parcel naming it; the
buyer follows the order page's link to /trace/{code}, confirms receipt, reviews the line (a
text with markup stays text); the supplier replies, and both show on the product page. Pages
are looked at 1366 and 390 px wide, and none overflows a phone."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.account.models import Role, User
from app.catalog.models import Product, ProductStatus, Sku
from app.config import PROJECT_ROOT
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from app.demo.accounts import DemoLogin
from app.order.models import (
    BuyerKind,
    Fulfillment,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from tests.browser.conftest import WIDE, LiveServer, look_at

BUYER = next(login for login in DEMO_LOGINS if login.role == Role.CONSUMER)


@dataclass(frozen=True)
class Arranged:
    order_id: int
    fulfillment_id: int
    product_id: int
    slug: str
    title: str


async def _paid_order(database_url: str, cooperative_id: int) -> Arranged:
    """A paid order of the demo buyer for one of the demo supplier's products, waiting for the
    supplier (the checkout itself is another test's)."""
    database = Database(database_url)
    try:
        async with unit_of_work(database.writer) as session:
            buyer_id = await session.scalar(select(User.id).where(User.email == BUYER.email))
            product, sku = (
                await session.execute(
                    select(Product, Sku)
                    .join(Sku, Sku.product_id == Product.id)
                    .where(
                        Product.cooperative_id == cooperative_id,
                        Product.status == ProductStatus.ACTIVE,
                        Sku.is_active.is_(True),
                    )
                    .order_by(Product.id)
                    .limit(1)
                )
            ).one()
            assert buyer_id is not None
            price = sku.price_fen
            order = Order(
                buyer_user_id=buyer_id,
                idempotency_key=uuid.uuid4().hex,
                request_fingerprint="0" * 64,
                buyer_kind=BuyerKind.CONSUMER,
                buyer_province_code="110000",
                status=OrderStatus.PAID,
                payment_method=PaymentMethod.BANK_TRANSFER,
                goods_fen=price,
                shipping_fen=0,
                total_fen=price,
                ship_to_name="张三",
                ship_to_phone="13812345678",
                ship_to_county_code="110105",
                ship_to_detail="朝阳路 1 号院 2 号楼 301",
                paid_at=utcnow(),
            )
            session.add(order)
            await session.flush()
            order.number = f"TRACE{order.id:08d}"
            fulfillment = Fulfillment(
                order_id=order.id, cooperative_id=cooperative_id, goods_fen=price, shipping_fen=0
            )
            session.add(fulfillment)
            await session.flush()
            session.add(
                OrderLine(
                    order_id=order.id,
                    fulfillment_id=fulfillment.id,
                    sku_id=sku.id,
                    product_id=product.id,
                    cooperative_id=cooperative_id,
                    origin_county_code="110105",
                    title=product.title,
                    sku_name=sku.name,
                    sku_code=sku.code,
                    quantity=1,
                    unit_price_fen=price,
                    line_total_fen=price,
                )
            )
            await session.flush()
            return Arranged(order.id, fulfillment.id, product.id, product.slug, product.title)
    finally:
        await database.dispose()


def _signed_in(browser: Browser, live_server: LiveServer, login: DemoLogin) -> Page:
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(login.email)
    page.locator('input[name="password"]').fill(login.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(login.display_name)
    return page


def test_a_batch_is_shipped_traced_and_the_line_reviewed(
    browser: Browser, live_server: LiveServer
) -> None:
    with ThreadPoolExecutor(max_workers=1) as worker:
        arranged = worker.submit(
            asyncio.run, _paid_order(live_server.database_url, live_server.supplier_id)
        ).result()
    folder = PROJECT_ROOT / "var" / "screenshots" / live_server.backend
    folder.mkdir(parents=True, exist_ok=True)
    coop = f"/coop/{live_server.supplier_id}"
    harvested = (china_date(utcnow()) - timedelta(days=4)).isoformat()

    # The supplier registers a batch from its side menu.
    supplier = _signed_in(browser, live_server, SUPPLIER_LOGIN)
    supplier.goto(live_server.url(coop))
    supplier.locator("nav").get_by_role("link", name="溯源批次").click()
    expect(supplier).to_have_url(re.compile(rf"{coop}/batches"))
    form = supplier.locator(f'form[action="{coop}/batches"]')
    form.locator('select[name="product_id"]').select_option(str(arranged.product_id))
    form.locator('input[name="harvested_on"]').fill(harvested)
    form.locator('input[name="quantity"]').fill("1500")
    form.locator('input[name="unit"]').fill("kg")
    form.locator('button[type="submit"]').click()
    notice = supplier.locator('p[role="status"]')
    expect(notice).to_contain_text("批次已登记")
    code = re.search(r"FS[0-9A-Z]{8}", notice.inner_text())
    assert code is not None
    trace_code = code.group(0)
    expect(supplier.locator(f'img[src="/trace/{trace_code}.svg"]')).to_be_visible()
    look_at(supplier, folder, "coop-batches")

    # It accepts the parcel and ships it naming the batch.
    supplier.goto(live_server.url(f"{coop}/fulfillments"))
    card = supplier.locator(f"#fulfillment-{arranged.fulfillment_id}")
    card.get_by_role("button", name="接单").click()
    card = supplier.locator(f"#fulfillment-{arranged.fulfillment_id}")
    card.locator('select[name="carrier"]').select_option("顺丰速运")
    card.locator('input[name="tracking_number"]').fill("SF1234567890")
    card.locator('select[name^="batch-"]').select_option(label=f"{trace_code} · 采收于 {harvested}")
    card.get_by_role("button", name="发货").click()
    expect(supplier.locator(f"#fulfillment-{arranged.fulfillment_id}")).to_contain_text(trace_code)

    # The buyer follows the order page's link to the trace page.
    buyer = _signed_in(browser, live_server, BUYER)
    buyer.goto(live_server.url(f"/orders/{arranged.order_id}"))
    buyer.locator(f'a[href="/trace/{trace_code}"]').click()
    expect(buyer).to_have_url(re.compile(rf"/trace/{trace_code}$"))
    expect(buyer.locator("h1")).to_have_text("产品溯源")
    expect(buyer.locator(".trace")).to_contain_text(harvested)
    expect(buyer.locator(".trace")).to_contain_text(arranged.title)
    expect(buyer.locator(".trace")).to_contain_text("户")
    expect(buyer.locator("img.trace-qr")).to_be_visible()
    look_at(buyer, folder, "trace")

    # Received: the buyer reviews the line; markup in the text stays text.
    buyer.goto(live_server.url(f"/orders/{arranged.order_id}"))
    buyer.get_by_role("button", name="确认收货").click()
    review = buyer.locator("form.review-form")
    review.locator('select[name^="rating-"]').select_option("5")
    text = "果子很甜，包装结实 <script>alert(1)</script>"
    review.locator('textarea[name^="text-"]').fill(text)
    review.get_by_role("button", name="提交评价").click()
    expect(buyer.locator(".order-reviews")).to_contain_text(text)
    expect(buyer.locator("form.review-form")).to_have_count(0)
    look_at(buyer, folder, "order-reviewed")

    # The supplier replies from its portal's reviews page.
    supplier.goto(live_server.url(coop))
    supplier.locator("nav").get_by_role("link", name="买家评价").click()
    mine = supplier.locator(".review", has_text="果子很甜")
    mine.locator('textarea[name="text"]').fill("谢谢支持，欢迎再来！")
    mine.get_by_role("button", name="回复").click()
    expect(supplier.locator(".review", has_text="果子很甜")).to_contain_text("谢谢支持")
    look_at(supplier, folder, "coop-reviews")

    buyer.goto(live_server.url(f"/products/{arranged.slug}"))
    reviews = buyer.locator("#reviews")
    expect(reviews).to_contain_text(text)
    expect(reviews.locator(".review-stars").first).to_have_text("★★★★★")
    expect(buyer.locator(".sf-product-rating")).to_contain_text("条评价")
    expect(reviews).to_contain_text("谢谢支持，欢迎再来！")
    reviews.scroll_into_view_if_needed()
    look_at(buyer, folder, "product-reviews")
    supplier.context.close()
    buyer.context.close()
