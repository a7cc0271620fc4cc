"""A new shopper in Chromium checks out by bank transfer: the cart's delivery county comes
along, the province → city → county selects load in place (nothing typed is lost, no reload),
the shipping and total follow the address before ordering, a bad phone is named, and the
address is kept; on the pay page the account and reference copy with one click and the
remittance is reported with a slip, which the operator then sees beside the confirmation
form. The next checkout starts from the saved address. Without JavaScript the same form works
through its refresh button. Pages are looked at 1366 and 390 px wide, and none overflows.

The live server (conftest) offers transfers only: it has no Stripe set up.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS
from app.demo.plan import PlannedProduct
from tests.browser.conftest import WIDE, LiveServer, look_at

PASSWORD = "browser-shopper-1"
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
TIANHE = "440106"  # 广东省广州市天河区
XIHU = "330106"  # 浙江省杭州市西湖区


def _product(live_server: LiveServer) -> PlannedProduct:
    """A product on sale with stock, from the end of the demo catalog."""
    verified = {s.credit_code for s in live_server.plan.suppliers if s.status == "verified"}
    return next(
        product
        for product in reversed(live_server.plan.products)
        if product.status == "active"
        and product.supplier_credit_code in verified
        and any(sku.stock >= 5 * max(sku.min_qty, 1) for sku in product.skus)
    )


def _register(browser: Browser, live_server: LiveServer, *, javascript: bool = True) -> Page:
    context = browser.new_context(viewport=WIDE, locale="zh-CN", java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    if javascript:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_server.url("/register"))
    page.locator('input[name="email"]').fill(f"shopper-{uuid.uuid4().hex[:8]}@example.com")
    page.locator('input[name="display_name"]').fill("城市买家")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_be_visible()
    return page


def _fill_cart(page: Page, live_server: LiveServer) -> None:
    product = _product(live_server)
    page.goto(live_server.url(f"/products/{product.slug}"))
    page.locator("form.sf-add-to-cart").first.get_by_role("button", name="加入购物车").click()


def _slip(folder: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (480, 320), "#e8f0fe").save(out, format="PNG")
    path = folder / "回单.png"
    path.write_bytes(out.getvalue())
    return path


def test_a_shopper_checks_out_by_transfer_and_reports_the_remittance(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    page = _register(browser, live_server)
    _fill_cart(page, live_server)
    # The cart priced shipping for Tianhe; checkout starts there.
    page.goto(live_server.url(f"/cart?county_code={TIANHE}"))
    page.get_by_role("link", name="去结算").click()
    expect(page).to_have_url(re.compile(rf"/checkout\?county_code={TIANHE}$"))
    form = page.locator("#checkout-form")
    expect(form.locator('select[name="province"]')).to_have_value("440000")
    expect(form.locator('select[name="prefecture"]')).to_have_value("440100")
    expect(form.locator('select[name="county_code"]')).to_have_value(TIANHE)
    expect(page.locator("#checkout-shipping")).to_have_text(re.compile(r"^¥\d"))
    expect(page.locator("#checkout-total")).to_have_text(re.compile(r"^¥\d"))
    # No card payments on this site: a transfer is offered and chosen.
    expect(form.locator('input[name="payment_method"]')).to_have_count(1)
    expect(form.locator('input[value="bank_transfer"]')).to_be_checked()
    # Nothing the old form had: no county code to type, no button that reloads.
    expect(form.locator('input[name="county_code"]')).to_have_count(0)
    expect(form.locator("[data-region-refresh]")).to_have_count(0)

    form.get_by_label("收货人").fill("李华")
    form.get_by_label("手机号码").fill("1381234")  # too short
    form.get_by_label("详细地址").fill("文三路 90 号东部软件园 3 号楼")
    page.evaluate("window.stillHere = true")  # gone if the page reloads
    form.locator('select[name="province"]').select_option("330000")
    # The province's cities arrive in place; the county waits, and so does the total.
    expect(form.locator('select[name="prefecture"] option[value="330100"]')).to_have_count(1)
    expect(page.locator("#checkout-shipping")).to_contain_text("选择收货地区后计算")
    form.locator('select[name="prefecture"]').select_option("330100")
    form.locator('select[name="county_code"]').select_option(XIHU)
    expect(page.locator("#checkout-shipping")).to_have_text(re.compile(r"^¥\d"))
    assert page.evaluate("window.stillHere") is True
    expect(form.get_by_label("收货人")).to_have_value("李华")
    look_at(page, tmp_path, "checkout")

    form.locator("button.checkout-submit").click()
    # The server names the phone; everything typed is still there.
    expect(page.locator("#phone-error")).to_contain_text("11 位")
    form = page.locator("#checkout-form")
    expect(form.get_by_label("收货人")).to_have_value("李华")
    expect(form.locator('select[name="county_code"]')).to_have_value(XIHU)
    form.get_by_label("手机号码").fill("13812345678")
    form.locator("button.checkout-submit").click()

    # The pay page: the platform's account and the reference, each copied with a click.
    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    order_path = page.url.rsplit("/", 1)[0].replace(live_server.base_url, "")
    reference = page.locator("#bank-reference").inner_text()
    assert re.fullmatch(r"FS\d+", reference)
    page.locator('button[data-copy="bank-reference"]').click()
    expect(page.locator('button[data-copy="bank-reference"]')).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == reference
    page.locator('button[data-copy="bank-account-number"]').click()
    assert (
        page.evaluate("navigator.clipboard.readText()")
        == page.locator("#bank-account-number").inner_text()
    )
    look_at(page, tmp_path, "pay-transfer")
    page.locator('input[name="slip"]').set_input_files(_slip(tmp_path))
    page.get_by_role("button", name="我已汇款").click()
    expect(page.locator("#remitted")).to_contain_text("告知平台已汇款")
    expect(page.locator("#remittance-slip-link")).to_be_visible()
    look_at(page, tmp_path, "pay-remitted")
    # The order page: the full address, and the parcel waits for the payment.
    page.goto(live_server.url(order_path))
    expect(page.locator("#ship-to-address")).to_have_text(
        "浙江省杭州市西湖区 文三路 90 号东部软件园 3 号楼"
    )
    expect(page.locator("[data-parcel-status]").first).to_have_text("待付款")

    # The next checkout starts from the kept address; a new one is a click away.
    _fill_cart(page, live_server)
    page.goto(live_server.url("/checkout"))
    saved = page.locator('input[name="address_id"]').first
    expect(saved).to_be_checked()
    expect(page.locator("#new-address")).to_be_hidden()
    expect(page.locator("#checkout-shipping")).to_have_text(re.compile(r"^¥\d"))
    page.get_by_text("使用新地址").click()
    expect(page.locator("#new-address")).to_be_visible()
    expect(page.locator("#checkout-shipping")).to_contain_text("选择收货地区后计算")
    look_at(page, tmp_path, "checkout-saved")
    page.goto(live_server.url("/account/addresses"))
    expect(page.locator("article.address-card")).to_have_count(1)
    look_at(page, tmp_path, "address-book")
    page.context.close()

    # The operator sees the report and the slip beside the confirmation form.
    operator = browser.new_context(viewport=WIDE, locale="zh-CN").new_page()
    operator.goto(live_server.url("/login"))
    operator.locator('input[name="email"]').fill(OPERATOR.email)
    operator.locator('input[name="password"]').fill(OPERATOR.password)
    operator.locator('form button[type="submit"]').click()
    operator.goto(live_server.url("/admin/transfers"))
    card = operator.locator("article.pay-transfer", has_text=reference)
    expect(card.locator(".badge")).to_have_text("买家已告知汇款")
    slip = card.locator(".transfer-slip img")
    expect(slip).to_be_visible()
    assert slip.evaluate("image => image.decode().then(() => image.naturalWidth)") > 0
    look_at(operator, tmp_path, "transfers")
    operator.context.close()


def test_without_javascript_the_selects_are_listed_by_the_server(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    page = _register(browser, live_server, javascript=False)
    _fill_cart(page, live_server)
    page.goto(live_server.url("/checkout"))
    form = page.locator("#checkout-form")
    form.get_by_label("收货人").fill("王芳")
    form.get_by_label("手机号码").fill("0571-87654321")
    form.get_by_label("详细地址").fill("世纪大道 100 号 8 楼")

    form.locator('select[name="province"]').select_option("310000")
    form.get_by_role("button", name="更新城市和区县列表").click()
    # Shanghai's one city is chosen; its districts are listed; what was typed is kept.
    form = page.locator("#checkout-form")
    expect(form.locator('select[name="prefecture"]')).to_have_value("310100")
    expect(form.get_by_label("收货人")).to_have_value("王芳")
    form.locator('select[name="county_code"]').select_option("310115")
    look_at(page, tmp_path, "checkout-no-js")
    form.locator("button.checkout-submit").click()

    expect(page).to_have_url(re.compile(r"/orders/\d+/pay$"))
    expect(page.locator("#bank-reference")).to_have_text(re.compile(r"^FS\d+$"))
    # Without the script the copy buttons stay hidden: the values are there to select.
    expect(page.locator('button[data-copy="bank-reference"]')).to_be_hidden()
    page.context.close()
