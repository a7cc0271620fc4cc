"""A shopper searches the way shoppers type: a place and a product (宁夏枸杞), a label word (有机),
an English word (tea); the page says what it understood, and an empty search offers nearby
searches as links."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from app.core.clock import china_date, utcnow
from app.core.db import Database
from tests.browser.conftest import PHONE, LiveServer, Violations
from tests.catalog.factories import create_product, sku
from tests.cooperative.factories import Supplier, create_supplier

TONGXIN = "640324"  # 同心县, 吴忠市, 宁夏回族自治区
GOJI = "同心枸杞"
INDEXED_WITHIN_SECONDS = 20.0


async def _list_goji(base_url: str, supplier: Supplier) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await create_product(
            client,
            supplier,
            title=f"{GOJI} 500g/袋",
            description="<p>宁夏同心县的头茬枸杞。</p>",
            category="nuts",
            unit="500g/袋",
            skus=[sku(price_fen=4900)],
        )


async def _ningxia_supplier(database_url: str) -> Supplier:
    database = Database(database_url)
    try:
        return await create_supplier(database, name="同心县枸杞种植专业合作社", county_code=TONGXIN)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def ningxia_goji(live_server: LiveServer) -> str:
    """The demo catalog has no goji from Ningxia: a cooperative of 同心县 lists one through the
    API, and the server's outbox indexes it."""
    # In a thread: Playwright's event loop counts as running in this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        supplier = worker.submit(asyncio.run, _ningxia_supplier(live_server.database_url)).result()
        # Published as a supplier publishes: a draft, its photo, then on sale.
        worker.submit(
            asyncio.run,
            _list_goji(live_server.base_url, supplier),
        ).result()
    with httpx.Client(base_url=live_server.base_url, timeout=10) as client:
        deadline = time.monotonic() + INDEXED_WITHIN_SECONDS
        while time.monotonic() < deadline:
            found = client.get("/api/v1/products", params={"q": GOJI}).json()
            if found["total"]:
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"{GOJI} was not indexed within {INDEXED_WITHIN_SECONDS} s")
    return GOJI


def _organic_titles(live_server: LiveServer) -> set[str]:
    """Listed demo products with an organic certificate valid today."""
    today = china_date(utcnow())
    verified = {s.credit_code for s in live_server.plan.suppliers if s.status == "verified"}
    return {
        product.title
        for product in live_server.plan.products
        if product.status == "active"
        and product.supplier_credit_code in verified
        and any(
            c.kind == "organic"
            and c.status == "verified"
            and c.valid_from <= today <= c.valid_until
            for c in product.certificates
        )
    }


def _search(page: Page, words: str) -> None:
    """Type the words into the listing's search box, as a shopper does, and send them."""
    box = page.locator("#listing-q")
    box.fill("")
    box.press_sequentially(words)
    box.press("Enter")


def test_a_place_and_a_product_find_the_product_of_that_place(
    live_server: LiveServer, page: Page, ningxia_goji: str, violations: Violations
) -> None:
    page.goto(live_server.url("/products"))
    _search(page, "宁夏枸杞")

    expect(page).to_have_url(re.compile(r"q=%E5%AE%81%E5%A4%8F%E6%9E%B8%E6%9D%9E"))
    cards = page.locator("article.sf-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(ningxia_goji)
    expect(cards.first).to_contain_text("宁夏回族自治区")
    place = page.locator('.sf-chip[data-understood="province"]')
    expect(place).to_contain_text("宁夏回族自治区")
    expect(page.locator('.sf-chip[data-understood="text"]')).to_contain_text("枸杞")
    expect(page.locator('a[data-facet="province"][data-value="640000"]')).to_have_class(
        "sf-facet-on"
    )

    # Removing the place searches goji everywhere.
    place.click()
    expect(page).to_have_url(re.compile(r"/products\?q=%E6%9E%B8%E6%9D%9E$"))
    expect(page.locator('.sf-chip[data-understood="province"]')).to_have_count(0)
    expect(page.locator("article.sf-card", has_text=ningxia_goji)).to_have_count(1)
    assert violations.seen == []


def test_a_label_word_and_an_english_word_find_products(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    organic = _organic_titles(live_server)
    assert organic, "the demo catalog has organic products"

    # From the home page's search box.
    page.goto(live_server.url("/"))
    box = page.locator("#home-q")
    box.press_sequentially("有机")
    box.press("Enter")
    expect(page.locator('.sf-chip[data-understood="label"]')).to_contain_text("有机产品")
    cards = page.locator("article.sf-card")
    expect(cards).to_have_count(len(organic))
    assert {title.strip() for title in cards.locator("h3").all_inner_texts()} == organic
    for badges in cards.locator(".sf-card-badges").all():
        expect(badges).to_contain_text("有机产品")

    _search(page, "tea")
    expect(page.locator('.sf-chip[data-understood="word"]')).to_contain_text("tea → 茶")
    expect(page.locator("article.sf-card").first).to_be_visible()
    expect(page.locator("article.sf-card", has_text="昭平茶")).to_have_count(1)
    assert page.locator("article.sf-card").count() >= 4
    assert violations.seen == []


def test_an_empty_search_offers_nearby_searches(
    live_server: LiveServer, page: Page, violations: Violations
) -> None:
    page.goto(live_server.url("/products"))
    _search(page, "宁夏 tea")

    expect(page.locator(".sf-empty")).to_contain_text("没有找到符合条件的商品")
    expect(page.locator("#result-count")).to_have_text("共 0 件商品")
    suggestions = page.locator("a.sf-suggestion")
    expect(suggestions.first).to_be_visible()
    expect(suggestions.first).to_contain_text("“tea”")

    suggestions.first.click()
    expect(page).to_have_url(re.compile(r"/products\?q=tea$"))
    expect(page.locator("article.sf-card", has_text="昭平茶")).to_have_count(1)
    assert violations.seen == []


def test_on_a_phone_the_search_box_is_at_hand_and_what_was_understood_shows(
    live_server: LiveServer, browser: Browser, ningxia_goji: str
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    try:
        page = context.new_page()
        page.goto(live_server.url("/products"))
        expect(page.locator("details.sf-facets")).not_to_have_attribute("open", "")
        # No need to open the filters to search again.
        expect(page.locator("#listing-q")).to_be_in_viewport()
        _search(page, "宁夏有机枸杞")
        expect(page.locator('.sf-chip[data-understood="province"]')).to_be_in_viewport()
        expect(page.locator('.sf-chip[data-understood="label"]')).to_be_in_viewport()
        # Ningxia's goji is not organic: nearby searches, in view.
        expect(page.locator("a.sf-suggestion", has_text="“宁夏枸杞”")).to_be_in_viewport()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()
