"""A trade union's gift order in a real browser, by clicking: the union's buyer picks two
suppliers' products from the shop, uploads a list of three members with one bad row, fixes it
and submits; the approver approves from the queue; an operator confirms the transfer; one
supplier ships its three parcels by uploading the filled-in shipping sheet; the union sees each
member's parcels and their tracking numbers.

The live server holds the demo catalog and organisations (conftest): the union's members, the
operator and the demo supplier sign in with the demo passwords.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS, DEMO_ORGANIZATIONS, SUPPLIER_LOGIN
from app.demo.accounts import DemoLogin
from app.demo.organizations import member_login
from app.demo.plan import PlannedProduct, PlannedSku
from app.organization.models import OrganizationKind
from tests.browser.conftest import LiveServer, choose_county
from tests.browser.test_canteen_flow import NARROW, WIDE, _menu, _screenshots

UNION = next(o for o in DEMO_ORGANIZATIONS if o.kind == OrganizationKind.TRADE_UNION)
BUYER = member_login(UNION, Role.ORG_BUYER)
APPROVER = member_login(UNION, Role.ORG_APPROVER)
OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
MEMBERS = (
    ("吴老师", "13900000201", "330106", "文三路 301 号 区实验小学"),
    ("郑老师", "13900000202", "330105", "莫干山路 89 号 区第二中学"),
    ("冯老师", "0571-88800203", "330108", "江南大道 67 号 滨江幼儿园"),
)


def _gift_skus(live_server: LiveServer) -> list[tuple[PlannedProduct, PlannedSku]]:
    """A SKU of the demo supplier (who ships in this test) and one of another supplier, each
    on sale with stock to spare."""
    verified = {s.credit_code for s in live_server.plan.suppliers if s.status == "verified"}
    shipping = live_server.plan.suppliers[0].credit_code
    own: tuple[PlannedProduct, PlannedSku] | None = None
    other: tuple[PlannedProduct, PlannedSku] | None = None
    for product in reversed(live_server.plan.products):
        if product.status != "active" or product.supplier_credit_code not in verified:
            continue
        sku = next((s for s in product.skus if s.stock >= 30 and s.min_qty <= len(MEMBERS)), None)
        if sku is None:
            continue
        if product.supplier_credit_code == shipping:
            own = own or (product, sku)
        else:
            other = other or (product, sku)
    assert own is not None and other is not None, "the demo catalog lacks SKUs for a gift"
    return [own, other]


def _signed_in(browser: Browser, live_server: LiveServer, login: DemoLogin) -> Page:
    context = browser.new_context(viewport=WIDE, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url("/login"))
    page.locator('input[name="email"]').fill(login.email)
    page.locator('input[name="password"]').fill(login.password)
    page.locator('form button[type="submit"]').click()
    expect(page.locator(".user-name")).to_have_text(login.display_name)
    return page


def _csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    lines = ["姓名,手机号,区县代码,详细地址", *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_union_gift_reaches_three_members_from_two_suppliers(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    (own_product, own_sku), (other_product, other_sku) = _gift_skus(live_server)

    # The union's buyer: 机构 → 慰问品; the gift is picked from the shop's products.
    buyer = _signed_in(browser, live_server, BUYER)
    buyer.locator(".site-header").get_by_role("link", name="机构").click()
    _menu(buyer, "慰问品").click()
    form = buyer.locator("section.gift-new form")
    selects = form.locator('select[name="sku_id"]')
    for index, (product, sku) in enumerate([(own_product, own_sku), (other_product, other_sku)]):
        option = selects.nth(index).locator("option", has_text=f"{product.title} · {sku.name}")
        selects.nth(index).select_option(value=option.first.get_attribute("value"))
    bad = [*MEMBERS[:2], ("卫老师", "12345", "330106", "文三路 302 号"), MEMBERS[2]]
    form.locator('input[type="file"]').set_input_files(_csv(tmp_path / "名单.csv", bad))
    form.get_by_role("button", name="上传并校验").click()

    expect(buyer).to_have_url(re.compile(r"/org/\d+/gift-orders/\d+$"))
    marked = buyer.locator("table.gift-recipients tr.bulk-row-error")
    expect(marked).to_have_count(1)
    expect(marked).to_have_id("recipient-4")
    expect(marked).to_contain_text("手机号或固定电话无效")
    expect(buyer.get_by_role("button", name="提交审批")).to_have_count(0)
    _screenshots(buyer, tmp_path, "gift-report")

    again = buyer.locator("section.bulk-actions form", has_text="改正后的名单文件")
    again.locator('input[type="file"]').set_input_files(_csv(tmp_path / "名单-改.csv", MEMBERS))
    again.get_by_role("button", name="重新上传").click()
    expect(buyer.locator(".notice")).to_have_text("已按新名单重新校验。")
    expect(buyer.locator("table.gift-recipients tbody tr")).to_have_count(3)
    submit = buyer.locator("form", has=buyer.get_by_role("button", name="提交审批"))
    submit.get_by_label("对公转账").check()
    submit.get_by_label("联系人").fill("工会办公室")
    submit.get_by_label("联系电话").fill("0571-88800200")
    choose_county(submit, UNION.region_code)
    submit.get_by_label("详细地址").fill(UNION.delivery_detail)
    submit.get_by_role("button", name="提交审批").click()
    expect(buyer.locator(".notice")).to_contain_text("已提交审批")
    gift_url = buyer.url.split("?")[0]

    # The approver finds it in the queue and approves it on its page: six parcels.
    approver = _signed_in(browser, live_server, APPROVER)
    approver.locator(".site-header").get_by_role("link", name="机构").click()
    _menu(approver, "采购审批").click()
    approver.locator("article.bulk-queue-item", has_text="慰问品订单").get_by_role(
        "link", name="查看名单并审批"
    ).click()
    approver.get_by_role("button", name="批准并下单").click()
    expect(approver.locator(".notice")).to_contain_text("已批准")
    expect(approver.locator(".gift-parcel")).to_have_count(6)
    number = approver.locator(".gift-order-number").inner_text()
    approver.context.close()

    # The operator confirms the transfer as the bank shows it.
    operator = _signed_in(browser, live_server, OPERATOR)
    operator.locator(".site-header").get_by_role("link", name="运营后台").click()
    operator.get_by_role("link", name="对公转账确认").click()
    transfer = operator.locator("article.pay-transfer", has_text=number)
    reference = transfer.locator("h2 code").inner_text()
    due = transfer.locator("dt:text-is('应付金额') + dd").inner_text()
    transfer.get_by_label("付款参考号").fill(reference)
    transfer.get_by_label("到账金额（元）").fill(due.replace("¥", "").replace(",", ""))
    transfer.get_by_role("button", name="确认收款").click()
    expect(operator.locator("#transfer-confirmed")).to_contain_text(reference)
    operator.context.close()

    # The demo supplier downloads its shipping sheet, fills in three tracking numbers, uploads.
    supplier = _signed_in(browser, live_server, SUPPLIER_LOGIN)
    supplier.goto(live_server.url(f"/coop/{live_server.supplier_id}/fulfillments"))
    with supplier.expect_download() as download:
        supplier.get_by_role("link", name="下载待发货表（XLSX）").click()
    sheet_path = tmp_path / "发货表.xlsx"
    download.value.save_as(sheet_path)
    rows = list(load_workbook(sheet_path).worksheets[0].iter_rows(values_only=True))
    ours = [row for row in rows[1:] if row[1] == number]
    assert sorted(row[2] for row in ours) == sorted(member[0] for member in MEMBERS)
    filled = Workbook()
    sheet = filled.active
    sheet.append(list(rows[0]))
    for n, row in enumerate(ours):
        sheet.append([*row[:6], "中通快递", f"ZT7700{n}"])
    filled_path = tmp_path / "发货表-已填.xlsx"
    filled.save(filled_path)
    bulk = supplier.locator("section.bulk-shipping form")
    bulk.locator('input[type="file"]').set_input_files(filled_path)
    bulk.get_by_role("button", name="上传并发货").click()
    expect(supplier.locator(".notice")).to_contain_text("已按发货表发货 3 个包裹")
    _screenshots(supplier, tmp_path, "supplier-queue")
    supplier.context.close()

    # The union sees each member's parcels: three shipped with tracking, three waiting.
    buyer.goto(gift_url)
    parcels = buyer.locator(".gift-parcel")
    expect(parcels).to_have_count(6)
    expect(parcels.filter(has_text="已发货")).to_have_count(3)
    for n in range(3):
        expect(buyer.locator("table.gift-recipients")).to_contain_text(f"ZT7700{n}")
    buyer.set_viewport_size(NARROW)
    width = buyer.evaluate("document.documentElement.scrollWidth")
    _screenshots(buyer, tmp_path, "gift-parcels")
    buyer.context.close()
    assert width <= 390 + 1, f"the gift page is {width} px wide on a phone"
