"""Product and supplier pages in a real browser: a supplier tells its story and publishes a
processed food (a photo and a licence first, each refused clearly until given); a shopper sees
ship-from county, shipping, shelf life, storage and licence, and follows the supplier's link."""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from app.demo.catalog import SUPPLIER_LOGIN
from tests.browser.conftest import LiveServer, save_screenshots

PHONE_WIDTH = 390


def _photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), "#5b8c3a").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(SUPPLIER_LOGIN.email)
    page.locator('input[name="password"]').fill(SUPPLIER_LOGIN.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(SUPPLIER_LOGIN.display_name)


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width} px wide at {PHONE_WIDTH} px"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_supplier_publishes_a_processed_food_and_a_shopper_reads_its_page(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    coop = live_server.supplier_id
    tag = uuid.uuid4().hex[:6].upper()
    title = f"高山云雾茶{tag}"
    story = f"合作社{tag}成立于 2015 年。\n带动全村茶农种植高山茶。"
    _sign_in(page, live_server)

    # The story, from the dashboard.
    page.goto(live_server.url(f"/coop/{coop}"))
    page.locator('textarea[name="story"]').fill(story)
    page.locator("form.coop-story-form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("合作社故事已保存")

    # A new product is saved as a draft; the description is typed as plain text.
    page.goto(live_server.url(f"/coop/{coop}/products/new"))
    form = page.locator(f'form[action="/coop/{coop}/products/new"]')
    form.locator('input[name="title"]').fill(title)
    form.locator('select[name="category"]').select_option("tea")
    form.locator('input[name="unit"]').fill("250g/罐")
    form.locator('input[name="shelf_life_days"]').fill("540")
    form.locator('input[name="storage_conditions"]').fill("密封、避光、防潮保存")
    form.locator('textarea[name="description"]').fill(
        "清明前手工采摘。\n\n每罐 250 克 & 原产地直发"
    )
    form.locator('input[name="sku_code"]').fill(f"TEA-{tag}")
    form.locator('input[name="sku_name"]').fill("250g 罐装")
    form.locator('input[name="sku_price"]').fill("88")
    form.locator('input[name="sku_stock"]').fill("50")
    form.locator('input[name="sku_weight"]').fill("400")
    form.locator('button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/products/\d+/edit\?saved=created"))
    # What was typed comes back as typed, not as <p> tags.
    description = page.locator('textarea[name="description"]')
    expect(description).to_have_value("清明前手工采摘。\n\n每罐 250 克 & 原产地直发")

    details = page.locator('form[action$="/edit"]')
    # Publishing without a photo is refused, saying what to do.
    details.locator('select[name="status"]').select_option("active")
    details.locator('button[type="submit"]').click()
    expect(page.locator(".form-error[role=alert]")).to_contain_text(
        "上架前请先上传至少一张商品图片"
    )
    upload = page.locator('form[enctype="multipart/form-data"]')
    upload.locator('input[type="file"][name="file"]').set_input_files(_photo(tmp_path / "tea.png"))
    upload.locator('button[type="submit"]').click()
    expect(page.locator('img[src*="/media/products/"]').first).to_be_visible()

    # Tea is processed food: the licence number is asked for, and checked.
    details.locator('select[name="status"]').select_option("active")
    details.locator('button[type="submit"]').click()
    expect(page.locator("#food_licence_number-error")).to_contain_text("食品生产许可证")
    details.locator('input[name="food_licence_number"]').fill("SC123")
    details.locator('select[name="status"]').select_option("active")
    details.locator('button[type="submit"]').click()
    expect(page.locator("#food_licence_number-error")).to_contain_text("SC 加 14 位数字")
    expect(details.locator('input[name="food_licence_number"]')).to_have_value("SC123")
    details.locator('input[name="food_licence_number"]').fill("sc 1145 2263 3000 17")
    details.locator('select[name="status"]').select_option("active")
    details.locator('button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"saved=product"))
    expect(details.locator('input[name="food_licence_number"]')).to_have_value("SC11452263300017")

    # The shopper's view (signed out).
    page.locator("form[action='/logout'] button").click()
    # Listed once the outbox has indexed it (and the listing's kept page has been refreshed).
    card = page.locator("a.sf-card-link", has_text=title)
    deadline = time.monotonic() + 30
    while True:
        page.goto(live_server.url("/products?sort=newest"))
        if card.count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    card.click()
    expect(page.locator("h1")).to_have_text(title)
    facts = page.locator(".sf-product-info .sf-facts")
    expect(facts).to_contain_text("540 天")
    expect(facts).to_contain_text("密封、避光、防潮保存")
    expect(facts.locator(".sf-licence")).to_have_text("SC11452263300017")
    expect(facts.locator(".sf-shipping")).to_contain_text(re.compile(r"起|包邮"))
    expect(page.locator(".sf-description p").first).to_have_text("清明前手工采摘。")
    expect(page.locator(".sf-description")).not_to_contain_text("<p>")
    save_screenshots(page, live_server.backend, "product-page")
    _fits_a_phone(page)

    # Ship-from county links to its page; the supplier to its own.
    expect(facts.locator("a.sf-ships-from")).to_have_attribute("href", re.compile(r"^/counties/"))
    facts.locator("a.sf-supplier-link").click()
    expect(page).to_have_url(re.compile(rf"/suppliers/{coop}$"))
    expect(page.locator(".sf-story")).to_contain_text(f"合作社{tag}成立于 2015 年。")
    expect(page.locator(".sf-households")).to_contain_text("户")
    expect(page.locator("a.sf-card-link", has_text=title)).to_be_visible()
    save_screenshots(page, live_server.backend, "supplier-page")
    _fits_a_phone(page)

    # With a delivery region chosen in the cart, the product page quotes shipping to it.
    page.goto(live_server.url("/cart?county_code=440106"))
    page.goto(live_server.url("/products?sort=newest"))
    page.locator("a.sf-card-link", has_text=title).click()
    expect(page.locator(".sf-shipping")).to_contain_text("至 广东省广州市天河区")


def test_an_unverified_supplier_has_no_page(live_server: LiveServer, page: Page) -> None:
    response = page.goto(live_server.url("/suppliers/987654"))
    assert response is not None and response.status == 404
