"""The key pages under the site's Content-Security-Policy, in a real browser: none of them may
have anything refused (no inline script, no style attribute, nothing from another host), and
what their scripts draw (the impact charts, Swagger UI) is drawn.

Violations are caught by the `violations` fixture (tests/browser/conftest.py).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from app.demo.accounts import DemoLogin
from app.demo.organizations import FEATURED, member_login
from tests.browser.conftest import LiveServer, Violations

CONSUMER = next(login for login in DEMO_LOGINS if login.role == Role.CONSUMER)
ORG_ADMIN = member_login(FEATURED, Role.ORG_ADMIN)


def _visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    csp = response.header_value("content-security-policy") or ""
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
    page.wait_for_load_state("networkidle")


def _sign_in(page: Page, live_server: LiveServer, login: DemoLogin) -> None:
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(login.email)
    page.locator('input[name="password"]').fill(login.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(login.display_name)


def _charts_drawn(page: Page) -> None:
    """Every chart of the page that has numbers (one without stays hidden) is shown and drawn
    (ECharts' SVG) at its height."""
    charts = page.locator("[data-chart]:not([data-labels='[]'])")
    assert charts.count() > 0
    for chart in charts.all():
        chart.scroll_into_view_if_needed()  # drawn when it comes near the screen
        expect(chart).to_be_visible()
        expect(chart.locator("svg").first).to_be_attached()
        box = chart.bounding_box()
        assert box is not None and box["height"] >= 200


def test_the_shop_and_the_impact_charts_run_under_the_policy(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    product = next(p for p in live_server.plan.products if p.status == "active")

    for path in ("/", "/products", f"/products/{product.slug}", "/impact"):
        _visit(page, live_server.url(path))
    _charts_drawn(page)
    # A tooltip is HTML ECharts writes itself: hovering a chart must not be refused either.
    chart = page.locator("[data-chart]:not([data-labels='[]'])").first
    chart.hover()
    page.mouse.move(
        (chart.bounding_box() or {"x": 0})["x"] + 200,
        (chart.bounding_box() or {"y": 0})["y"] + 150,
    )
    page.wait_for_timeout(300)

    assert violations.seen == []


def test_the_cart_and_checkout_run_under_the_policy(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    product = next(
        p for p in reversed(live_server.plan.products) if p.status == "active" and p.skus
    )
    _sign_in(page, live_server, CONSUMER)
    _visit(page, live_server.url(f"/products/{product.slug}"))
    page.locator("form[id^='add-sku-']").first.get_by_role("button", name="加入购物车").click()

    _visit(page, live_server.url("/cart"))
    expect(page.get_by_role("link", name="去结算")).to_be_visible()
    _visit(page, live_server.url("/checkout"))
    expect(page.locator('form[action="/checkout"][method="post"]')).to_be_visible()

    assert violations.seen == []


def test_the_supplier_portal_runs_under_the_policy(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    _sign_in(page, live_server, SUPPLIER_LOGIN)
    supplier = live_server.supplier_id

    for path in (
        f"/coop/{supplier}",
        f"/coop/{supplier}/products",
        f"/coop/{supplier}/products/new",
        f"/coop/{supplier}/certificates",
        f"/coop/{supplier}/impact",
    ):
        _visit(page, live_server.url(path))
    _charts_drawn(page)

    assert violations.seen == []


def test_the_organisation_portal_runs_under_the_policy(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    _sign_in(page, live_server, ORG_ADMIN)

    _visit(page, live_server.url("/org/"))
    if not re.search(r"/org/\d+/", page.url):
        page.locator("a[href^='/org/']").filter(has_text=FEATURED.name).first.click()
    expect(page).to_have_url(re.compile(r"/org/\d+/"))
    expect(page.locator("progress.org-progress-bar")).to_be_visible()
    _charts_drawn(page)

    assert violations.seen == []


def test_the_api_docs_run_under_the_policy(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    _visit(page, live_server.url("/docs"))

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Fengshou")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()

    assert violations.seen == []


def test_a_violation_is_caught(live_server: LiveServer, page: Page, violations: Violations) -> None:
    """The checks above would see a refused inline script: this one makes one."""
    _visit(page, live_server.url("/"))

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("window.ranInline") is None
    assert any("script-src" in seen for seen in violations.seen), violations.seen
