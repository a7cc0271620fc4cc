"""axe-core finds nothing wrong on the storefront, the checkout, the supplier and organisation
portals and the operator's back office, at 1280 and 390 px: no violation of the default rules or
of WCAG 2.0 to 2.2 A and AA, whatever its impact (tests/browser/axe.py). Pages are audited in the
states users meet: with a cart, after adding to it, a checkout form refused for a bad phone, an
order waiting for its transfer. Then the details axe cannot judge: the skip link of every
layout, the card photos, the phone's targets, the charts' names, and what a shopper is told when
adding to the cart or when the checkout refuses the form."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, ViewportSize, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from app.demo.accounts import DemoLogin
from app.demo.organizations import FEATURED, member_login
from app.demo.plan import PlannedProduct
from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import LiveServer

OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
WIDTHS = (ViewportSize(width=1280, height=900), ViewportSize(width=390, height=844))
XIHU = "330106"  # 浙江省杭州市西湖区


class Audit:
    """The violations of every page audited, listed at the end (one failure names them all)."""

    def __init__(self, page: Page, live_server: LiveServer) -> None:
        self.page = page
        self.live_server = live_server
        self.found: list[str] = []
        self.audited: list[str] = []

    def visit(self, path: str) -> None:
        response = self.page.goto(self.live_server.url(path))
        assert response is not None and response.status == 200, path
        self.here()

    def here(self) -> None:
        """Audit the page as it is now, at each width."""
        self.page.wait_for_load_state("networkidle")
        url = self.page.url.replace(self.live_server.base_url, "")
        for viewport in WIDTHS:
            self.page.set_viewport_size(viewport)
            self.found += describe(url, viewport["width"], axe_violations(self.page))
        self.page.set_viewport_size(WIDTHS[0])
        self.audited.append(url)

    def check(self) -> None:
        assert self.found == [], "axe violations:\n" + "\n".join(self.found)


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=WIDTHS[0], locale="zh-CN")
    context.set_default_timeout(15_000)
    return context.new_page()


def _sign_in(page: Page, live_server: LiveServer, login: DemoLogin) -> None:
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(login.email)
    page.locator('input[name="password"]').fill(login.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(login.display_name)


def _on_sale(live_server: LiveServer) -> PlannedProduct:
    """A product on sale with stock to spare, from the end of the demo catalog."""
    verified = {s.credit_code for s in live_server.plan.suppliers if s.status == "verified"}
    return next(
        product
        for product in reversed(live_server.plan.products)
        if product.status == "active"
        and product.supplier_credit_code in verified
        and any(sku.stock >= 5 * max(sku.min_qty, 1) for sku in product.skus)
    )


def _first_link(page: Page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    assert href, selector
    return href


def test_the_storefront_passes_axe(live_server: LiveServer, browser: Browser) -> None:
    page = _new_page(browser)
    audit = Audit(page, live_server)
    product = _on_sale(live_server)
    county = next(
        s.county_code
        for s in live_server.plan.suppliers
        if s.credit_code == product.supplier_credit_code
    )

    for path in ("/", "/products", f"/products/{product.slug}", f"/counties/{county}"):
        audit.visit(path)
    audit.visit("/products?label=gi&sort=price_asc")
    audit.visit("/impact")
    audit.visit("/brands")
    if page.locator("a[href^='/brands/']").count():
        audit.visit(_first_link(page, "a[href^='/brands/']"))
    audit.visit(f"/products/{product.slug}")
    audit.visit(_first_link(page, "a[href^='/suppliers/']"))
    audit.visit("/cart")  # empty
    audit.visit("/login")
    audit.visit("/register")

    # Adding to the cart: the answer is announced where the shopper is.
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()
    expect(page.get_by_role("status").filter(has_text="已加入购物车")).to_be_visible()
    audit.here()
    audit.visit("/cart")
    audit.visit(f"/cart?county_code={XIHU}")

    page.context.close()
    audit.check()


def test_the_checkout_and_the_buyer_pages_pass_axe(
    live_server: LiveServer, browser: Browser
) -> None:
    page = _new_page(browser)
    audit = Audit(page, live_server)
    page.goto(live_server.url("/register"))
    page.locator('input[name="email"]').fill(f"axe-{uuid.uuid4().hex[:8]}@example.com")
    page.locator('input[name="display_name"]').fill("无障碍买家")
    page.locator('input[name="password"]').fill("browser-shopper-axe")
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()
    product = _on_sale(live_server)
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()

    audit.visit(f"/checkout?county_code={XIHU}")
    form = page.locator("#checkout-form")
    form.get_by_label("收货人").fill("李华")
    form.get_by_label("手机号码").fill("1381234")  # too short
    form.get_by_label("详细地址").fill("文三路 90 号")
    form.locator("button.checkout-submit").click()
    expect(page.locator("#phone-error")).to_be_visible()
    audit.here()  # refused: the error summary and the field's error

    page.locator("#checkout-form").get_by_label("手机号码").fill("13812345678")
    page.locator("#checkout-form button.checkout-submit").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    audit.here()
    order_path = page.url.replace(live_server.base_url, "").removesuffix("/pay")
    for path in (order_path, "/orders", "/account", "/account/impact", "/account/addresses"):
        audit.visit(path)

    page.context.close()
    audit.check()


def test_the_supplier_portal_passes_axe(live_server: LiveServer, browser: Browser) -> None:
    page = _new_page(browser)
    _sign_in(page, live_server, SUPPLIER_LOGIN)
    audit = Audit(page, live_server)
    base = f"/coop/{live_server.supplier_id}"

    audit.visit("/coop")
    for path in (
        "",
        "/fulfillments",
        "/after-sales",
        "/products",
        "/products/new",
        "/certificates",
        "/batches",
        "/reviews",
        "/shipping",
        "/impact",
        "/webhook",
    ):
        audit.visit(base + path)
    audit.visit(base + "/products")
    audit.visit(_first_link(page, f"a[href^='{base}/products/'][href$='/edit']"))

    page.context.close()
    audit.check()


def test_the_back_office_passes_axe(live_server: LiveServer, browser: Browser) -> None:
    page = _new_page(browser)
    _sign_in(page, live_server, OPERATOR)
    audit = Audit(page, live_server)

    for path in (
        "/admin/cooperatives",
        "/admin/organizations",
        "/admin/certificates",
        "/admin/transfers",
        "/admin/payments",
        "/admin/after-sales",
        "/admin/reference-prices",
        "/admin/brands",
        "/admin/reviews",
        "/admin/audit",
    ):
        audit.visit(path)
    audit.visit("/admin/brands")
    audit.visit(_first_link(page, "a[href^='/admin/brands/']"))
    audit.visit("/admin/cooperatives?status=verified")
    audit.visit(_first_link(page, "a[href^='/admin/cooperatives/']"))  # a supplier's page

    page.context.close()
    audit.check()


def test_the_organisation_portal_passes_axe(live_server: LiveServer, browser: Browser) -> None:
    page = _new_page(browser)
    _sign_in(page, live_server, member_login(FEATURED, Role.ORG_ADMIN))
    audit = Audit(page, live_server)

    audit.visit("/org/")  # one organisation: its dashboard
    found = re.search(r"/org/\d+", page.url)
    base = found.group() if found else _first_link(page, "article.card a[href^='/org/']")
    for path in (
        "/",
        "/members",
        "/targets",
        "/bulk-orders",
        "/gift-orders",
        "/approvals",
        "/orders",
        "/statements",
    ):
        audit.visit(base + path)

    page.context.close()
    audit.check()


def _skip_link_reaches_main(page: Page) -> None:
    """The first Tab reaches the skip link; following it puts the focus on <main>."""
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_every_layout_opens_with_a_skip_link_to_the_content(
    live_server: LiveServer, browser: Browser
) -> None:
    page = _new_page(browser)
    page.goto(live_server.url("/products"))
    _skip_link_reaches_main(page)
    _sign_in(page, live_server, SUPPLIER_LOGIN)
    page.goto(live_server.url(f"/coop/{live_server.supplier_id}/products"))
    _skip_link_reaches_main(page)
    page.context.close()

    page = _new_page(browser)
    _sign_in(page, live_server, OPERATOR)
    page.goto(live_server.url("/admin/audit"))
    _skip_link_reaches_main(page)
    page.context.close()


def test_cards_phone_targets_and_charts_say_things_once(
    live_server: LiveServer, browser: Browser
) -> None:
    page = _new_page(browser)
    page.goto(live_server.url("/products"))
    # The card's photo is decoration: its title, in the same link, names it.
    card = page.locator("article.sf-card").first
    expect(card.locator("img.sf-card-image")).to_have_attribute("alt", "")
    assert card.locator("a.sf-card-link").inner_text().strip() != ""

    product = _on_sale(live_server)
    page.set_viewport_size(WIDTHS[1])
    page.goto(live_server.url(f"/products/{product.slug}"))
    for quantity in page.locator('input[name="quantity"]').all():
        if quantity.is_visible():
            box = quantity.bounding_box()
            assert box is not None and box["height"] >= 24, quantity.get_attribute("id")

    # A drawn chart keeps its own label (ECharts' generated description would replace it).
    page.goto(live_server.url("/impact"))
    chart = page.locator("[data-chart]:not([data-labels='[]'])").first
    chart.scroll_into_view_if_needed()
    expect(chart.locator("svg").first).to_be_attached()
    table = page.locator(f"#{chart.get_attribute('aria-describedby')}")
    expect(table).to_be_attached()
    label = chart.get_attribute("aria-label") or ""
    assert label and "图表" not in label and "chart" not in label.lower(), label
    assert page.locator("[data-chart][aria-label*='This is a chart']").count() == 0
    page.context.close()


def test_add_to_cart_and_a_refused_checkout_are_announced(
    live_server: LiveServer, browser: Browser
) -> None:
    page = _new_page(browser)
    page.goto(live_server.url("/register"))
    # A hint stands outside its label and describes its field.
    password = page.locator('input[name="password"]')
    expect(password).to_have_attribute("aria-describedby", "password-hint")
    expect(page.locator("#password-hint")).to_contain_text("8")
    assert "8" not in page.locator("label", has=password).inner_text()
    page.locator('input[name="email"]').fill(f"axe-{uuid.uuid4().hex[:8]}@example.com")
    page.locator('input[name="display_name"]').fill("无障碍买家")
    password.fill("browser-shopper-axe")
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()

    product = _on_sale(live_server)
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()
    notice = page.get_by_role("status").filter(has_text="已加入购物车")
    expect(notice).to_be_focused()

    page.goto(live_server.url(f"/checkout?county_code={XIHU}"))
    form = page.locator("#checkout-form")
    form.get_by_label("收货人").fill("李华")
    form.get_by_label("手机号码").fill("1381234")
    form.get_by_label("详细地址").fill("文三路 90 号")
    form.locator("button.checkout-submit").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("手机号码")
    link = summary.get_by_role("link", name=re.compile("手机号码"))
    link.click()
    phone = page.locator("#field-phone")
    expect(phone).to_be_focused()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_attribute("aria-describedby", "phone-hint phone-error")
    # Hint and error are outside the label: the field's name is its label alone.
    expect(phone).to_have_accessible_name("手机号码")
    expect(page.locator("#phone-error")).to_contain_text("11 位")
    for viewport in (ViewportSize(width=1366, height=900), WIDTHS[1]):
        page.set_viewport_size(viewport)
        page.screenshot(
            path=live_server_screenshot(live_server, f"checkout-refused-{viewport['width']}"),
            full_page=True,
        )
    page.context.close()


def live_server_screenshot(live_server: LiveServer, name: str) -> str:
    from app.config import PROJECT_ROOT

    folder = PROJECT_ROOT / "var" / "screenshots" / live_server.backend
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")
