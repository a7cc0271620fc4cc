"""Impact where buyers look, in Chromium: a 广东 shopper checks out on a phone with the
place-order bar (total and 提交订单) in sight at the bottom of the screen, buys from a 贵州
county (helped by 广东's east–west pairing) and a 河北 county (helped by no pairing of
广东), pays by bank transfer, and the operator confirms it. The order page then names both
counties and the pairing; 我的帮扶 (reached from the header) shows the counties with amounts
and households; /impact shows the shopper signed in and explains attribution; the county page
shows its benefit to date. Without JavaScript the place-order bar is there too. Screenshots at
1366 and 390 px go to var/screenshots/, and no page is wider than a 390 px phone."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS
from app.demo.plan import PlannedProduct
from tests.browser.conftest import NARROW, WIDE, LiveServer, save_screenshots

PASSWORD = "browser-impact-1"
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
TIANHE = "440106"  # 广东省广州市天河区: the buyer's province is 广东


def _product(live_server: LiveServer, province_prefix: str) -> PlannedProduct:
    """A product on sale with stock from a verified supplier of a province ("52": 贵州)."""
    verified = {
        s.credit_code: s.county_code for s in live_server.plan.suppliers if s.status == "verified"
    }
    return next(
        product
        for product in live_server.plan.products
        if product.status == "active"
        and verified.get(product.supplier_credit_code, "").startswith(province_prefix)
        and all(sku.stock >= 5 * max(sku.min_qty, 1) for sku in product.skus)
    )


def _county_of(live_server: LiveServer, product: PlannedProduct) -> str:
    return next(
        s.county_code
        for s in live_server.plan.suppliers
        if s.credit_code == product.supplier_credit_code
    )


def _register(browser: Browser, live_server: LiveServer, *, javascript: bool = True) -> Page:
    context = browser.new_context(viewport=WIDE, locale="zh-CN", java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/register"))
    page.locator('input[name="email"]').fill(f"helper-{uuid.uuid4().hex[:8]}@example.com")
    page.locator('input[name="display_name"]').fill("帮扶买家")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()
    return page


def _add(page: Page, live_server: LiveServer, product: PlannedProduct) -> None:
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()
    expect(page.locator(".cart-added")).to_be_visible()


def _fits(page: Page, live_server: LiveServer, name: str) -> None:
    save_screenshots(page, live_server.backend, name)  # leaves the page at 390 px
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{name} is {width} px wide on a 390 px phone"
    page.set_viewport_size(WIDE)


def _fill_address(page: Page) -> None:
    form = page.locator("#checkout-form")
    form.get_by_label("收货人").fill("陈帮扶")
    form.get_by_label("手机号码").fill("13912345678")
    form.get_by_label("详细地址").fill("天河路 385 号")


def _bar_stays_in_sight(page: Page) -> None:
    """At 390 px, wherever the form is scrolled, the total and 提交订单 are on screen."""
    page.set_viewport_size(NARROW)
    bar = page.locator("#checkout-bar")
    for where in ("0", "document.body.scrollHeight / 3", "document.body.scrollHeight / 2"):
        page.evaluate(f"window.scrollTo(0, {where})")
        expect(bar).to_be_in_viewport()
        expect(bar.get_by_role("button", name="提交订单")).to_be_in_viewport()
        expect(bar.locator("[data-checkout-bar-total]")).to_be_in_viewport()
    box = bar.bounding_box()
    assert box is not None
    # Docked at the bottom edge of the screen (not merely somewhere on it) at the top of the
    # page, where the form's end is far below.
    page.evaluate("window.scrollTo(0, 0)")
    box = bar.bounding_box()
    assert box is not None
    assert abs(box["y"] + box["height"] - NARROW["height"]) <= 2, box
    page.set_viewport_size(WIDE)


def test_a_buyer_sees_what_their_purchase_helped(live_server: LiveServer, browser: Browser) -> None:
    guizhou = _product(live_server, "52")
    hebei = _product(live_server, "13")
    guizhou_county, hebei_county = _county_of(live_server, guizhou), _county_of(live_server, hebei)
    page = _register(browser, live_server)
    _add(page, live_server, guizhou)
    _add(page, live_server, hebei)

    page.goto(live_server.url(f"/checkout?county_code={TIANHE}"))
    expect(page.locator("#checkout-total")).to_have_text(re.compile(r"^¥\d"))
    _fill_address(page)
    bar_total = page.locator("#checkout-bar [data-checkout-bar-total]")
    expect(bar_total).to_have_text(page.locator("#checkout-total").inner_text())
    _bar_stays_in_sight(page)
    _fits(page, live_server, "checkout-place-order-bar")

    # Placed from the bar on a phone.
    page.set_viewport_size(NARROW)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#checkout-bar").get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    page.set_viewport_size(WIDE)
    order_path = page.url.rsplit("/", 1)[0].replace(live_server.base_url, "")
    reference = page.locator("#bank-reference").inner_text()
    amount = page.locator("#pay-amount").inner_text().replace("¥", "").replace(",", "")

    # Before payment the order page says what it will help.
    page.goto(live_server.url(order_path))
    expect(page.locator("#order-impact-title")).to_have_text("付款后，这笔订单将帮扶")

    operator = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    operator.goto(live_server.url("/login"))
    operator.locator('input[name="email"]').fill(OPERATOR.email)
    operator.locator('input[name="password"]').fill(OPERATOR.password)
    operator.locator('form button[type="submit"]').click()
    operator.goto(live_server.url("/admin/transfers"))
    card = operator.locator("article.pay-transfer", has_text=reference)
    card.locator('input[name="bank_reference"]').fill(reference)
    card.locator('input[name="amount_yuan"]').fill(amount)
    card.get_by_role("button", name="确认收款").click()
    expect(operator.locator("article.pay-transfer", has_text=reference)).to_have_count(0)
    operator.context.close()

    # The order page: both counties from the ledger, and the one pairing 广东 has with them.
    page.goto(live_server.url(order_path))
    impact = page.locator("#order-impact")
    expect(page.locator("#order-impact-title")).to_have_text("这笔订单帮扶了")
    rows = impact.locator("#order-impact-counties tbody tr")
    expect(rows).to_have_count(2)
    expect(impact.locator(f'a[href="/counties/{guizhou_county}"]')).to_be_visible()
    expect(impact.locator(f'a[href="/counties/{hebei_county}"]')).to_be_visible()
    pairings = impact.locator("#order-impact-pairings li")
    expect(pairings).to_have_count(1)
    expect(pairings.first).to_contain_text("东西部协作")
    expect(pairings.first).to_contain_text("广东省 → 贵州省")
    goods = page.locator("dl.order-facts dd").first.inner_text()
    _fits(page, live_server, "order-impact")

    # 我的帮扶, from the header: the two counties, summing to the order's goods.
    page.locator(".user-nav").get_by_role("link", name="我的帮扶").click()
    expect(page).to_have_url(re.compile(r"/account/impact$"))
    expect(page.locator("#my-impact-totals dd").first).to_have_text(goods)
    expect(page.locator("#my-counties-table tbody tr")).to_have_count(2)
    expect(page.locator("#my-pairings li")).to_have_count(1)
    expect(page.locator("#impact-attribution")).to_be_visible()
    # The year picker: this year holds the purchase; 全部年份 is the default.
    expect(page.locator('#my-impact-year select[name="year"]')).to_have_value("")
    page.locator('#my-impact-year select[name="year"]').select_option(index=1)
    page.locator("#my-impact-year").get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"/account/impact\?year=20\d\d$"))
    expect(page.locator("#my-impact-totals dd").first).to_have_text(goods)
    _fits(page, live_server, "my-impact")

    # /impact: the shopper is signed in there too, and it explains the attribution.
    page.goto(live_server.url("/impact"))
    expect(page.locator(".user-name")).to_have_text("帮扶买家")
    expect(page.locator(".user-nav").get_by_role("link", name="登录")).to_have_count(0)
    expect(page.locator("#impact-attribution")).to_contain_text("东西部协作或对口支援")
    _fits(page, live_server, "impact-signed-in")

    # The county page: its benefit to date, loaded from the impact box.
    page.goto(live_server.url(f"/counties/{guizhou_county}"))
    box = page.locator("#county-impact .impact-county-box")
    expect(box).to_be_visible()
    expect(box.locator("[data-to-date]")).to_have_text(re.compile(r"^¥\d"))
    assert box.locator("[data-to-date]").inner_text() != "¥0.00"
    _fits(page, live_server, "county-impact")
    page.context.close()


def test_the_place_order_bar_works_without_javascript(
    live_server: LiveServer, browser: Browser
) -> None:
    page = _register(browser, live_server, javascript=False)
    _add_without_script(page, live_server, _product(live_server, "52"))
    page.goto(live_server.url(f"/checkout?county_code={TIANHE}"))
    _fill_address(page)
    expect(page.locator("#checkout-bar [data-checkout-bar-total]")).to_have_text(
        page.locator("#checkout-total").inner_text()
    )
    _bar_stays_in_sight(page)
    _fits(page, live_server, "checkout-place-order-bar-no-js")

    page.locator("#checkout-bar").get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    page.context.close()


def _add_without_script(page: Page, live_server: LiveServer, product: PlannedProduct) -> None:
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()
    expect(page.locator(".cart-added")).to_be_visible()
