"""A shopper in a real browser: filters the listing, opens a product, checks its certificate."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from app.core.clock import china_date, utcnow
from app.demo.plan import PlannedProduct
from tests.browser.conftest import PHONE, LiveServer


def _gi_number(product: PlannedProduct) -> str | None:
    today = china_date(utcnow())
    for certificate in product.certificates:
        if (
            certificate.kind == "gi"
            and certificate.status == "verified"
            and certificate.valid_from <= today <= certificate.valid_until
        ):
            return certificate.number
    return None


def test_shopper_filters_by_province_and_label_and_sees_the_certificate(
    live_server: LiveServer, page: Page
) -> None:
    plan = live_server.plan
    counties = {s.credit_code: s.county_code for s in plan.suppliers}
    verified = {s.credit_code for s in plan.suppliers if s.status == "verified"}
    with_gi = [p for p in plan.products if p.supplier_credit_code in verified and _gi_number(p)]
    province = counties[with_gi[0].supplier_credit_code][:2] + "0000"
    expected = {
        p.slug: _gi_number(p)
        for p in with_gi
        if counties[p.supplier_credit_code].startswith(province[:2])
    }

    page.goto(live_server.url("/products"))
    expect(page.locator("#result-count")).to_contain_text("件商品")
    page.locator(f'a[data-facet="province"][data-value="{province}"]').click()
    expect(page).to_have_url(re.compile(rf"province={province}"))
    page.locator('a[data-facet="label"][data-value="gi"]').click()
    expect(page).to_have_url(re.compile(r"label=gi"))
    assert f"province={province}" in page.url

    cards = page.locator("article.sf-card")
    expect(cards).to_have_count(len(expected))
    for label in cards.locator(".sf-card-badges").all():
        expect(label).to_contain_text("地理标志")
    expect(page.locator(".sf-chip")).to_have_count(2)

    first = cards.first.locator("a.sf-card-link")
    slug = (first.get_attribute("href") or "").rsplit("/", 1)[-1]
    assert slug in expected
    first.click()
    expect(page).to_have_url(re.compile(rf"/products/{re.escape(slug)}$"))
    number = page.locator(".sf-cert-gi .sf-cert-number")
    expect(number).to_have_text(expected[slug] or "")
    expect(page.locator(".sf-cert-gi")).to_contain_text("农业农村部")
    expect(page.locator(".sf-cert-gi")).to_contain_text("有效期至")
    # The origin county links to its page, which lists the product again.
    page.locator(".sf-facts a[href^='/counties/']").first.click()
    expect(page.locator(f'a.sf-card-link[href="/products/{slug}"]')).to_be_visible()


def test_sort_select_applies_at_once_and_pages_keep_the_filters(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.url("/products"))

    page.locator('select[name="sort"]').select_option("price_asc")

    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    prices = [
        float(text.replace("¥", "").replace(",", "").replace(" 起", ""))
        for text in page.locator(".sf-price").all_inner_texts()
    ]
    assert prices == sorted(prices)
    page.locator('a[rel="next"]').click()
    expect(page).to_have_url(re.compile(r"sort=price_asc.*page=2"))
    later = [
        float(text.replace("¥", "").replace(",", "").replace(" 起", ""))
        for text in page.locator(".sf-price").all_inner_texts()
    ]
    assert later and min(later) >= max(prices)


def test_a_bad_price_keeps_what_was_typed_and_says_why(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url("/products"))

    page.locator('input[name="min_price"]').fill("12.345")
    page.locator('button:has-text("应用筛选")').click()

    expect(page.locator(".form-error")).to_contain_text("最低价（元）")
    expect(page.locator('input[name="min_price"]')).to_have_value("12.345")
    expect(page.locator('input[name="min_price"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator("article.sf-card")).to_have_count(0)


def test_phone_layout_has_no_sideways_scroll_and_collapsed_facets(
    live_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    try:
        page = context.new_page()
        for path in ("/", "/products", f"/products/{live_server.plan.products[0].slug}"):
            page.goto(live_server.url(path))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
        page.goto(live_server.url("/products"))
        facets = page.locator("details.sf-facets")
        expect(facets).not_to_have_attribute("open", "")
        # Results come first; the facets open on demand.
        expect(page.locator("article.sf-card").first).to_be_in_viewport()
        facets.locator("summary").click()
        expect(page.locator('a[data-facet="province"]').first).to_be_visible()
    finally:
        context.close()


def test_adding_to_the_cart_says_so_counts_it_and_buy_now_goes_to_checkout(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(live_server.url("/products"))
    page.locator("article.sf-card a.sf-card-link").first.click()
    form = page.locator("form.sf-add-to-cart").first
    expect(page.locator(".cart-count")).to_have_count(0)

    form.get_by_role("button", name="加入购物车").click()

    expect(page.locator(".cart-added")).to_contain_text("已加入购物车")
    expect(page.locator(".site-header .cart-count")).to_have_text("1")
    page.locator(".cart-added").get_by_role("link", name="去购物车结算").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.locator(".site-header .cart-count")).to_have_text("1")

    page.go_back()
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="立即购买").click()
    # Checkout needs an account: the visitor is asked to sign in, on the way to checkout.
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcheckout"))
