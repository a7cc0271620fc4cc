"""Every key page fits a 390 px phone: no sideways scroll on the home page, the listing, a
product, the cart, checkout, an order, the organisation portal, the supplier portal and the
back office; the product page's buy buttons and the cart's checkout button stay in reach
(sticky) while scrolling. Screenshots of each page at 1366 and 390 px are written under
var/screenshots/ for a person to look at."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from app.demo.accounts import DemoLogin
from app.demo.organizations import FEATURED, member_login
from tests.browser.conftest import LiveServer, save_screenshots

PHONE_WIDTH = 390
CONSUMER = next(login for login in DEMO_LOGINS if login.role == Role.CONSUMER)
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)


def _signed_in(browser: Browser, live_server: LiveServer, login: DemoLogin | None) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    if login is not None:
        page.goto(live_server.url("/login"))
        page.locator('input[name="email"]').fill(login.email)
        page.locator('input[name="password"]').fill(login.password)
        page.locator('form button[type="submit"]').click()
        expect(page.locator(".user-name")).to_have_text(login.display_name)
    return page


def _fits(page: Page, live_server: LiveServer, name: str) -> None:
    """Screenshots at both widths; at 390 px nothing may run off the right edge."""
    save_screenshots(page, live_server.backend, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{name} ({page.url}) is {width} px wide on a 390 px phone"


def test_the_shoppers_pages_fit_a_phone(live_server: LiveServer, browser: Browser) -> None:
    page = _signed_in(browser, live_server, CONSUMER)
    page.goto(live_server.url("/"))
    _fits(page, live_server, "home")
    page.goto(live_server.url("/products"))
    _fits(page, live_server, "listing")
    page.locator("article.sf-card a.sf-card-link").first.click()
    expect(page.locator("form.sf-add-to-cart").first).to_be_visible()
    _fits(page, live_server, "product")
    # Scrolled to the bottom of a phone screen, the buy buttons are still in view.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator(".sf-buy-bar")).to_be_in_viewport()

    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()
    page.goto(live_server.url("/cart"))
    _fits(page, live_server, "cart")
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.get_by_role("link", name="去结算")).to_be_in_viewport()
    expect(page.get_by_role("button", name="删除").first).to_be_visible()
    page.get_by_role("link", name="去结算").click()
    expect(page).to_have_url(re.compile(r"/checkout"))
    _fits(page, live_server, "checkout")
    page.goto(live_server.url("/orders"))
    _fits(page, live_server, "orders")
    order = page.locator("a[href^='/orders/']").first
    if order.count():
        order.click()
        _fits(page, live_server, "order")
    page.goto(live_server.url("/impact"))
    _fits(page, live_server, "impact")
    page.context.close()


def test_the_portals_fit_a_phone(live_server: LiveServer, browser: Browser) -> None:
    organisation = _signed_in(browser, live_server, member_login(FEATURED, Role.ORG_BUYER))
    organisation.goto(live_server.url("/org/"))
    _fits(organisation, live_server, "org-dashboard")
    for path, name in (("bulk-orders", "org-bulk-orders"), ("gift-orders", "org-gift-orders")):
        organisation.locator("nav.org-menu").get_by_role("link", name=re.compile(
            "^批量采购" if name == "org-bulk-orders" else "^慰问品")).click()  # fmt: skip
        expect(organisation).to_have_url(re.compile(path))
        _fits(organisation, live_server, name)
    organisation.context.close()

    supplier = _signed_in(browser, live_server, SUPPLIER_LOGIN)
    for path, name in (
        ("", "supplier-dashboard"),
        ("/fulfillments", "supplier-fulfillments"),
        ("/products", "supplier-products"),
    ):
        supplier.goto(live_server.url(f"/coop/{live_server.supplier_id}{path}"))
        _fits(supplier, live_server, name)
    supplier.context.close()

    operator = _signed_in(browser, live_server, OPERATOR)
    for path in ("cooperatives", "transfers", "reference-prices", "audit"):
        operator.goto(live_server.url(f"/admin/{path}"))
        _fits(operator, live_server, f"back-office-{path}")
    operator.context.close()
