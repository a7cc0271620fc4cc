"""A canteen's bulk order in a real browser, by clicking: the buyer uploads a list with a bad
row, sees it marked, uploads the fixed list and submits it; another member approves it; an
operator confirms the bank transfer; the organisation's purchased amount grows by the order's
goods amount.

The live server's database holds the demo organisations (conftest): their buyer, approver and
the demo operator sign in with the demo passwords, and the list names demo SKU codes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from app.account.models import Role
from app.core.money import yuan_to_fen
from app.demo import DEMO_LOGINS
from app.demo.accounts import DemoLogin
from app.demo.organizations import FEATURED, member_login
from app.demo.plan import PlannedSku
from tests.browser.conftest import LiveServer, choose_county

WIDE = ViewportSize(width=1366, height=900)
NARROW = ViewportSize(width=390, height=844)
UNKNOWN_CODE = "NO-SUCH-SKU-1"
PO_NUMBER = "PO-BROWSER-0001"
BUYER = member_login(FEATURED, Role.ORG_BUYER)
APPROVER = member_login(FEATURED, Role.ORG_APPROVER)
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)


def _fen(text: str) -> int:
    """Fen from an amount as the pages show it: '¥1,234.50'."""
    figure = re.search(r"-?¥[0-9,]+\.[0-9]{2}", text)
    assert figure is not None, f"no amount in {text!r}"
    return yuan_to_fen(Decimal(figure.group().replace("¥", "").replace(",", "")))


def _skus(live_server: LiveServer, count: int) -> list[PlannedSku]:
    """SKUs on sale with stock to spare, from the end of the demo catalog (the demo
    organisations' seeded orders bought from its start)."""
    verified = {s.credit_code for s in live_server.plan.suppliers if s.status == "verified"}
    found = [
        sku
        for product in reversed(live_server.plan.products)
        if product.status == "active" and product.supplier_credit_code in verified
        for sku in product.skus
        if sku.stock >= 10 * max(sku.min_qty, 1)
    ]
    assert len(found) >= count, "the demo catalog has too few SKUs on sale"
    return found[:count]


def _signed_in(browser: Browser, live_server: LiveServer, login: DemoLogin) -> Page:
    """A fresh browser profile on the start page, signed in with the header's 登录 link."""
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/"))
    page.locator(".site-header").get_by_role("link", name="登录").click()
    page.locator('input[name="email"]').fill(login.email)
    page.locator('input[name="password"]').fill(login.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(login.display_name)
    return page


def _menu(page: Page, label: str) -> Locator:
    return page.locator("nav.org-menu").get_by_role("link", name=re.compile(f"^{label}"))


def _purchased_fen(page: Page) -> int:
    """The dashboard's 已采购 figure (this year, refunds deducted)."""
    figure = page.locator(".org-progress .impact-totals div", has_text="已采购").locator("dd")
    return _fen(figure.inner_text())


def _screenshots(page: Page, folder: Path, name: str) -> None:
    """The page at desktop and phone width (full height), then back at desktop width."""
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.screenshot(path=folder / f"{name}-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(WIDE)


def _csv(path: Path, rows: list[tuple[str, int]]) -> Path:
    lines = ["商品编码,数量", *(f"{code},{quantity}" for code, quantity in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_canteen_bulk_order_is_fixed_submitted_approved_paid_and_counted(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    first, second = _skus(live_server, 2)
    good = [(first.code, first.min_qty), (second.code, second.min_qty)]

    # The buyer: 机构 → the organisation's dashboard (the only organisation: straight there).
    buyer = _signed_in(browser, live_server, BUYER)
    buyer.locator(".site-header").get_by_role("link", name="机构").click()
    expect(buyer.locator(".org-main h1")).to_have_text(FEATURED.name)
    expect(buyer.locator(".org-progress-bar")).to_be_visible()
    purchased_before = _purchased_fen(buyer)

    # A list whose second data row (spreadsheet row 3) names no SKU.
    _menu(buyer, "批量采购").click()
    upload = buyer.locator("section.bulk-upload form")
    bad_list = _csv(tmp_path / "清单.csv", [good[0], (UNKNOWN_CODE, 5), good[1]])
    upload.locator('input[type="file"]').set_input_files(bad_list)
    upload.get_by_role("button", name="上传并校验").click()

    expect(buyer).to_have_url(re.compile(r"/org/\d+/bulk-orders/\d+$"))
    report = buyer.locator("table.bulk-lines")
    expect(report.locator("tbody tr")).to_have_count(3)
    marked = report.locator("tr.bulk-row-error")
    expect(marked).to_have_count(1)
    expect(marked).to_have_id("row-3")
    expect(marked).to_contain_text(UNKNOWN_CODE)
    expect(marked).to_contain_text("没有这个商品编码")
    expect(buyer.locator(".bulk-facts")).to_contain_text("1 行有问题")
    # No submit form while a row has a problem.
    expect(buyer.get_by_role("button", name="提交审批")).to_have_count(0)
    _screenshots(buyer, tmp_path, "report")

    # The fixed list replaces it; every row is fine and the submit form appears.
    again = buyer.locator("section.bulk-actions form", has_text="改正后的清单文件")
    again.locator('input[type="file"]').set_input_files(_csv(tmp_path / "清单-改.csv", good))
    again.get_by_role("button", name="重新上传").click()
    expect(buyer.locator(".notice")).to_have_text("已按新文件重新校验。")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tr.bulk-row-error")).to_have_count(0)
    bulk_title = buyer.locator(".org-main h1").inner_text()  # 采购单 #7 待审批…
    bulk_goods_fen = _fen(buyer.locator(".bulk-facts dt:text-is('商品金额') + dd").inner_text())
    assert bulk_goods_fen > 0

    form = buyer.locator("form", has=buyer.get_by_role("button", name="提交审批"))
    form.get_by_label("对公转账").check()
    form.get_by_label("采购单号（选填）").fill(PO_NUMBER)
    form.get_by_label("收货人").fill("食堂收货员")
    form.get_by_label("联系电话").fill("13800138000")
    choose_county(form, FEATURED.region_code)
    form.get_by_label("详细地址").fill(FEATURED.delivery_detail)
    _screenshots(buyer, tmp_path, "submit")
    form.get_by_role("button", name="提交审批").click()
    expect(buyer.locator(".notice")).to_contain_text("已提交审批")
    expect(buyer.locator(".bulk-facts")).to_contain_text(PO_NUMBER)
    bulk_number = re.search(r"#\d+", bulk_title)
    assert bulk_number is not None

    # The approver finds it waiting (the menu counts it) and approves: the order is placed.
    approver = _signed_in(browser, live_server, APPROVER)
    approver.locator(".site-header").get_by_role("link", name="机构").click()
    approvals = _menu(approver, "采购审批")
    expect(approvals.locator(".org-menu-count")).to_have_text("1")
    approvals.click()
    waiting = approver.locator("article.bulk-queue-item", has_text=bulk_number.group())
    expect(waiting).to_contain_text(PO_NUMBER)
    expect(waiting).to_contain_text("对公转账")
    waiting.get_by_role("button", name="批准并下单").click()
    placed = approver.locator(".notice")
    expect(placed).to_contain_text("已批准，订单")
    order_number = re.search(r"订单 (\S+) 已生成", placed.inner_text())
    assert order_number is not None
    number = order_number.group(1)
    expect(approvals.locator(".org-menu-count")).to_have_count(0)
    approver.context.close()

    # The order among the organisation's orders, with the goods amount the list showed.
    _menu(buyer, "订单").click()
    row = buyer.locator("table.bulk-orders tbody tr", has_text=number)
    expect(row).to_contain_text(PO_NUMBER)
    order_goods_fen = _fen(row.locator("td[data-label='商品金额']").inner_text())
    assert order_goods_fen == bulk_goods_fen

    # The operator: 运营后台 → 对公转账确认, the order's transfer confirmed as the bank shows it.
    operator = _signed_in(browser, live_server, OPERATOR)
    operator.locator(".site-header").get_by_role("link", name="运营后台").click()
    operator.get_by_role("link", name="对公转账确认").click()
    transfer = operator.locator("article.pay-transfer", has_text=number)
    reference = transfer.locator("h2 code").inner_text()
    due = transfer.locator("dt:text-is('应付金额') + dd").inner_text()
    transfer.get_by_label("付款参考号").fill(reference)
    transfer.get_by_label("到账金额（元）").fill(due.replace("¥", ""))
    transfer.get_by_role("button", name="确认收款").click()
    expect(operator.locator("#transfer-confirmed")).to_contain_text(reference)
    expect(operator.locator("article.pay-transfer", has_text=number)).to_have_count(0)
    operator.context.close()

    # The dashboard's purchased amount moved by exactly the order's goods.
    _menu(buyer, "概览").click()
    expect(buyer.locator(".org-progress-bar")).to_be_visible()
    assert _purchased_fen(buyer) - purchased_before == order_goods_fen
    _screenshots(buyer, tmp_path, "dashboard")
    buyer.context.close()
