"""A shopper buys from two suppliers in one order and pays by card on the pay page, in Chromium,
against localstripe (switching to a bank transfer and back on the way, the order kept); each
supplier then sees only its own part of the order.

The app runs in uvicorn on its own database per backend, with its outbox worker in-process (it
creates the PaymentIntent) and localstripe's webhooks registered to it (they mark the order
paid). The pay page loads Stripe.js from localstripe, which has no Payment Element: the app is set
to mount the Card Element (FENGSHOU_STRIPE_PAY_ELEMENT=card), of which localstripe has a fake.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.catalog.models import Product
from app.cli import upgrade_database
from app.config import Settings
from app.core.db import Database, unit_of_work
from bench.serving import served
from tests.account.factories import create_user
from tests.browser.conftest import DESKTOP, Violations, choose_county, look_at
from tests.catalog.factories import create_seller
from tests.conftest import (
    BACKENDS,
    TEST_SECRET,
    drop_postgres_database,
    make_settings,
    new_database_url,
)
from tests.cooperative.factories import add_member
from tests.payment.factories import WEBHOOK_PATH
from tests.stripe_fixtures import LocalStripe

PASSWORD = "browser-test-password"
PAID_TIMEOUT_SECONDS = 30.0
TEST_CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "30", "cvc": "123"}


@dataclass(frozen=True)
class Seller:
    cooperative_id: int
    email: str
    product_slug: str
    product_title: str
    sku_id: int


@dataclass(frozen=True)
class Shop:
    base_url: str
    shopper_email: str
    sellers: tuple[Seller, Seller]

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


async def _seed(settings: Settings) -> tuple[str, tuple[Seller, Seller]]:
    """Reference data, two verified suppliers with a product each and a login each, a shopper."""
    from app.regions.service import load_reference_data

    database = Database(settings.database_url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        sellers = []
        for index, price in enumerate((2680, 1590)):
            supplier = await create_seller(database, price_fen=price, stock=20)
            email = f"seller{index}@example.com"
            await add_member(
                database, supplier.id, email=email, password=PASSWORD, display_name=f"供应商{index}"
            )
            async with unit_of_work(database.reader) as session:
                product = await session.get(Product, supplier.product_id)
                assert product is not None
                sellers.append(
                    Seller(supplier.id, email, product.slug, product.title, supplier.sku_ids[0])
                )
        shopper = "shopper@example.com"
        await create_user(database, email=shopper, password=PASSWORD, display_name="城市买家")
        return shopper, (sellers[0], sellers[1])
    finally:
        await database.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, localstripe_server: LocalStripe) -> Iterator[Shop]:
    """The app served with Stripe pointed at localstripe, and the webhook registered to it."""
    workdir = Path(tempfile.mkdtemp(prefix="fengshou-checkout-"))
    url, pg_name = new_database_url(request.param, workdir)
    settings = make_settings(url, workdir / "var", **localstripe_server.settings_overrides())
    try:
        # In a thread of its own: Playwright's sync API may already run an event loop here, and
        # migrations and seeding run theirs.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(upgrade_database, settings).result()
            shopper, sellers = pool.submit(asyncio.run, _seed(settings)).result()
        stripe_env = {
            f"FENGSHOU_{name.upper()}": str(value)
            for name, value in localstripe_server.settings_overrides().items()
        }
        env = {
            **stripe_env,
            "FENGSHOU_ENVIRONMENT": "test",
            "FENGSHOU_SECRET_KEY": TEST_SECRET,
            "FENGSHOU_DATABASE_URL": url,
            "FENGSHOU_VAR_DIR": str(settings.var_dir),
            # localstripe's Stripe.js has no Payment Element: the pay page mounts the Card Element.
            "FENGSHOU_STRIPE_PAY_ELEMENT": "card",
            # The in-process worker creates the PaymentIntent right after the order commits.
            "FENGSHOU_WORKER_IN_PROCESS": "true",
            "FENGSHOU_WORKER_POLL_SECONDS": "0.2",
        }
        with served("app.main:create_app", env, output=workdir / "server.log") as (base_url, _):
            yield Shop(base_url, shopper, sellers)
    finally:
        if pg_name:
            drop_postgres_database(pg_name)


def _sign_in(page: Page, shop: Shop, email: str) -> None:
    page.goto(shop.url("/login"))
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()


def _add_to_cart(page: Page, shop: Shop, seller: Seller, quantity: int) -> None:
    """On the product's page, put units of its SKU in the cart with the page's own form."""
    product_url = shop.url(f"/products/{seller.product_slug}")
    page.goto(product_url)
    expect(page.locator("h1")).to_have_text(seller.product_title)
    form = page.locator(f"form#add-sku-{seller.sku_id}")
    form.locator('input[name="quantity"]').fill(str(quantity))
    form.get_by_role("button", name="加入购物车").click()
    # The cart sends the shopper back to the page the form was on, which says so.
    expect(page).to_have_url(re.compile(re.escape(product_url) + r"\?cart_added=\d+$"))
    expect(page.locator(".cart-added")).to_contain_text("已加入购物车")


def _fulfillments_seen_by(browser: Browser, shop: Shop, seller: Seller) -> Page:
    context: BrowserContext = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in(page, shop, seller.email)
    page.goto(shop.url(f"/coop/{seller.cooperative_id}/fulfillments"))
    return page


def test_a_shopper_pays_two_suppliers_by_card_and_each_supplier_sees_its_own_part(
    shop: Shop,
    localstripe_server: LocalStripe,
    browser: Browser,
    page: Page,
    violations: Violations,
    tmp_path: Path,
) -> None:
    # Each backend's database numbers its orders from 1, and the idempotency key order-{id}
    # would find the other run's intent: start from an empty Stripe, as each database would.
    localstripe_server.reset()
    localstripe_server.register_webhook(shop.url(WEBHOOK_PATH))
    first, second = shop.sellers
    _sign_in(page, shop, shop.shopper_email)
    _add_to_cart(page, shop, first, 2)
    _add_to_cart(page, shop, second, 1)

    page.goto(shop.url("/cart"))
    expect(page.locator(f"#line-{first.sku_id}")).to_contain_text(first.product_title)
    expect(page.locator(f"#line-{second.sku_id}")).to_contain_text(second.product_title)
    page.get_by_role("link", name="去结算").click()

    expect(page).to_have_url(re.compile(r"/checkout"))
    expect(page.locator("article.checkout-group")).to_have_count(2)
    form = page.locator('form[action="/checkout"][method="post"]')
    # The shopper may have saved an address in another test on this server: a new one, then.
    new_address = form.locator('input[type="radio"][name="address_id"][value="new"]')
    if new_address.count():
        new_address.check()
    form.locator('input[name="name"]').fill("李华")
    form.locator('input[name="phone"]').fill("13812345678")
    choose_county(form, "110105")
    form.locator('textarea[name="detail"]').fill("朝阳路 1 号院 2 号楼 301")
    # Cards are set up here: offered, and chosen first.
    expect(form.locator('input[name="payment_method"][value="stripe"]')).to_be_checked()
    expect(page.locator("#checkout-total")).to_have_text(re.compile(r"^¥\d"))
    form.locator("button.checkout-submit").click()

    # The pay page: it waits (reloading) until the worker has created the PaymentIntent, then
    # shows localstripe's card form.
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    order_id = int(re.findall(r"/orders/(\d+)/pay", page.url)[0])
    order_number = page.locator("#pay-order-number").inner_text()
    expect(page.locator("#pay-amount")).to_have_text(re.compile(r"^¥\d"))
    # A change of mind and back, without ordering again: a transfer's details, then the card.
    page.locator("#switch-method").click()
    expect(page.locator("#pay-notice")).to_contain_text("支付方式已更换")
    expect(page.locator("#bank-reference")).to_have_text(re.compile(r"^FS\d+$"))
    expect(page.locator("#switch-method")).to_have_text("改用银行卡支付")
    page.locator("#switch-method").click()
    expect(page.locator("#pay-order-number")).to_have_text(order_number)
    card = page.locator("#card-element")
    expect(card.locator('input[placeholder="number"]')).to_be_visible(timeout=30_000)
    look_at(page, tmp_path, "pay-card")
    for field, value in TEST_CARD.items():
        card.locator(f'input[placeholder="{field}"]').fill(value)
    card.locator('input[placeholder="postal_code"]').fill("10000")
    page.locator("#pay-button").click()

    # Confirmed at Stripe; the order page shows it paid once Stripe's webhook has arrived.
    expect(page).to_have_url(shop.url(f"/orders/{order_id}"))
    deadline = time.monotonic() + PAID_TIMEOUT_SECONDS
    while page.locator("#order-status").inner_text() != "已付款":
        assert time.monotonic() < deadline, "the order was not paid: no webhook arrived"
        time.sleep(0.5)
        page.reload()
    expect(page.locator("#payment-status")).to_have_text("已支付")

    for seller, other in ((first, second), (second, first)):
        queue = _fulfillments_seen_by(browser, shop, seller)
        cards = queue.locator("article.fulfillment-card")
        expect(cards).to_have_count(1)
        expect(cards.first).to_contain_text(order_number)
        expect(cards.first).to_contain_text(seller.product_title)
        expect(queue.locator("main")).not_to_contain_text(other.product_title)
        # Nor may it open the other supplier's queue.
        response = queue.goto(shop.url(f"/coop/{other.cooperative_id}/fulfillments"))
        assert response is not None and response.status == 404
        queue.context.close()
    # The shopper's pages, the pay page with Stripe.js included, ran under the site's policy.
    assert violations.seen == []
