"""A supplier in a real browser: signs in, lists a product with a photo, finds it in the shop."""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from app.demo import SUPPLIER_LOGIN
from tests.browser.conftest import LiveServer

# The catalog reaches the search index through the outbox: the server's in-process worker
# indexes a new product within a poll or two; this bounds the wait, generously for CI.
INDEXED_WITHIN_SECONDS = 20.0


def _photo(path: Path) -> Path:
    """A real 800×800 PNG, like one from a phone's gallery."""
    image = Image.new("RGB", (800, 800), "#6d4c2f")
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 150, 650, 650), fill="#d4a373")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(SUPPLIER_LOGIN.email)
    page.locator('input[name="password"]').fill(SUPPLIER_LOGIN.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(SUPPLIER_LOGIN.display_name)


def test_supplier_creates_a_product_with_a_photo_and_finds_it_listed(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    title = f"浏览器测试山核桃{tag}"
    _sign_in(page, live_server)

    page.goto(live_server.url(f"/coop/{live_server.supplier_id}/products/new"))
    form = page.locator(f'form[action="/coop/{live_server.supplier_id}/products/new"]')
    form.locator('input[name="title"]').fill(title)
    form.locator('select[name="category"]').select_option("nuts")
    form.locator('input[name="unit"]').fill("1kg/袋")
    form.locator('textarea[name="description"]').fill(
        "<p>手工挑选，<strong>当季新货</strong>。</p>"
    )
    # Nuts are processed food: published with the food production licence number.
    form.locator('input[name="food_licence_number"]').fill("SC11852263300019")
    form.locator('input[name="sku_code"]').fill(f"BROWSER-{tag}")
    form.locator('input[name="sku_name"]').fill("1kg 袋装")
    form.locator('input[name="sku_price"]').fill("45.80")
    form.locator('input[name="sku_stock"]').fill("120")
    form.locator('button[type="submit"]').click()

    expect(page).to_have_url(re.compile(r"/products/\d+/edit"))
    upload = page.locator('form[enctype="multipart/form-data"]')
    upload.locator('input[type="file"][name="file"]').set_input_files(_photo(tmp_path / "nuts.png"))
    upload.locator('button[type="submit"]').click()
    expect(page.locator('img[src*="/media/products/"]').first).to_be_visible()
    # Saved as a draft; with its photo it can be published.
    details = page.locator('form[action$="/edit"]')
    details.locator('select[name="status"]').select_option("active")
    details.locator('button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"saved=product"))

    # The shop lists it once the outbox has indexed it, with photo, price, county and supplier.
    card = page.locator("article.sf-card", has_text=title)
    deadline = time.monotonic() + INDEXED_WITHIN_SECONDS
    while True:
        page.goto(live_server.url("/products?sort=newest"))
        if card.count() == 1 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(300)
    expect(card).to_have_count(1)
    expect(card.locator(".sf-price")).to_have_text("¥45.80 起")
    expect(card).to_contain_text("/ 1kg/袋")
    supplier = live_server.plan.suppliers[0]
    expect(card).to_contain_text(supplier.name)
    thumbnail = card.locator("img.sf-card-image")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/media/products/.+-thumb\.jpg$"))
    loaded = thumbnail.evaluate("img => img.complete && img.naturalWidth")
    assert loaded == 400
    # Its page shows the sanitised description as formatting, not as tags.
    card.locator("a.sf-card-link").click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".sf-description strong")).to_have_text("当季新货")
    expect(page.locator(".sf-skus")).to_contain_text(f"BROWSER-{tag}")
