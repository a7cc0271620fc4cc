"""A shopper goes from the home page to a regional brand's page and on to one of its products;
an operator reads the /impact key-assistance panel, sorts its list and finds a county with no
purchase. Both pages at 1366 and 390 px (screenshots under var/screenshots/), none wider than
the phone's screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import LiveServer, save_screenshots


def _fits(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


def test_from_the_home_page_to_a_brand_and_one_of_its_products(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.url("/"))
    brands = page.locator("#home-brands")
    expect(brands).to_contain_text("赣南脐橙")
    brands.get_by_role("link", name=re.compile("赣南脐橙")).click()

    expect(page).to_have_url(re.compile(r"/brands/gannan-navel-orange$"))
    expect(page.locator("h1")).to_have_text("赣南脐橙")
    expect(page.locator("#brand-counties")).to_contain_text("会昌县")
    expect(page.locator("#brand-benefit")).to_contain_text("¥")
    expect(page.locator("img.brand-logo")).to_be_visible()
    cards = page.locator("article.sf-card")
    expect(cards.first).to_contain_text("脐橙")
    expect(cards.first.locator(".sf-brand")).to_have_text("赣南脐橙")
    for shot in save_screenshots(page, live_server.backend, "brand-page"):
        assert shot.stat().st_size > 0
    _fits(page, 390)
    page.set_viewport_size({"width": 1366, "height": 900})

    cards.first.locator("a.sf-card-link").click()
    expect(page).to_have_url(re.compile(r"/products/"))
    badge = page.locator(".sf-product-badges a.sf-brand")
    expect(badge).to_contain_text("赣南脐橙")
    expect(badge).to_have_attribute("href", "/brands/gannan-navel-orange")


def test_an_operator_reads_the_key_assistance_panel(live_server: LiveServer, page: Page) -> None:
    operator = next(login for login in DEMO_LOGINS if login.role.value == "operator")
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(operator.email)
    page.locator('input[name="password"]').fill(operator.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(operator.display_name)

    page.goto(live_server.url("/impact"))
    panel = page.locator("#key-assistance")
    expect(panel).to_be_visible()
    # The share chart is drawn (ECharts' SVG) and the list names counties with no purchase.
    panel.locator('[data-chart="share"]').scroll_into_view_if_needed()
    expect(panel.locator('[data-chart="share"] svg')).to_have_count(1)
    without = panel.locator("#key-assistance-without li")
    assert without.count() > 0
    expect(without.first.locator("a")).to_have_attribute("href", re.compile(r"/counties/\d{6}$"))
    first_without = without.first.locator("a").inner_text()
    rows = panel.locator("#key-assistance-table tbody tr")
    assert rows.count() >= without.count()
    expect(panel.locator("#key-assistance-table")).to_contain_text(first_without)

    # Sorting by amount, largest first: the first row then has the largest amount.
    amount_header = panel.locator("#key-assistance-table thead th").nth(2)
    amount_header.locator("button").click()
    expect(amount_header).to_have_attribute("aria-sort", "ascending")
    amount_header.locator("button").click()
    expect(amount_header).to_have_attribute("aria-sort", "descending")
    amounts = [
        int(cell.get_attribute("data-sort") or "0")
        for cell in panel.locator("#key-assistance-table tbody tr td:nth-child(3)").all()
    ]
    assert amounts == sorted(amounts, reverse=True)

    for shot in save_screenshots(page, live_server.backend, "impact-key-assistance"):
        assert shot.stat().st_size > 0
    _fits(page, 390)
    # The panel alone, at both widths, to look at closely.
    folder = save_screenshots(page, live_server.backend, "impact-key-assistance")[0].parent
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        panel.screenshot(path=folder / f"impact-key-assistance-panel-{width}.png")
