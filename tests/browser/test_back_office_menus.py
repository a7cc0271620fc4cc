"""Every page of the supplier portal and of the operator's back office is reached by clicking,
from the dashboard the header links to, through the side menu; at 390 px the menu shows every
entry and nothing runs off the page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from app.account.models import Role
from app.demo import DEMO_LOGINS, SUPPLIER_LOGIN
from tests.browser.conftest import LiveServer
from tests.browser.test_canteen_flow import NARROW, _screenshots, _signed_in

OPERATOR = next(login for login in DEMO_LOGINS if login.role == Role.OPERATOR)
SUPPLIER_ENTRIES = (
    "订单履约",
    "售后处理",
    "商品管理",
    "资质证书",
    "溯源批次",
    "买家评价",
    "运费规则",
    "帮扶成效",
    "新订单通知",
    "概览",
)
BACK_OFFICE_ENTRIES = (
    "机构审核",
    "资质审核",
    "对公转账确认",
    "支付与退款",
    "售后仲裁",
    "价格监测",
    "区域品牌",
    "评价管理",
    "审计日志",
    "供应商审核",
)


def _click_through(page: Page, labels: tuple[str, ...]) -> list[str]:
    """Click each menu entry in turn; the entry of the page reached is the current one."""
    reached: list[str] = []
    for label in labels:
        page.locator("nav.side-menu").get_by_role("link", name=re.compile(f"^{label}")).click()
        current = page.locator('nav.side-menu a[aria-current="page"]')
        expect(current).to_have_count(1)
        expect(current).to_contain_text(label)
        reached.append(page.url)
    return reached


def _fits_a_phone(page: Page) -> None:
    page.set_viewport_size(NARROW)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], f"{page.url} is {width} px wide at 390 px"
    for link in page.locator("nav.side-menu li a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= NARROW["width"], link.inner_text()


def test_the_supplier_portal_is_reached_entry_by_entry(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    page = _signed_in(browser, live_server, SUPPLIER_LOGIN)
    page.locator(".site-header").get_by_role("link", name="供应商后台").click()
    page.locator(f'article.card a[href="/coop/{live_server.supplier_id}"]').click()
    expect(page.locator("nav.side-menu")).to_be_visible()

    reached = _click_through(page, SUPPLIER_ENTRIES)

    base = f"/coop/{live_server.supplier_id}"
    assert [url.split(base, 1)[1] for url in reached] == [
        "/fulfillments",
        "/after-sales",
        "/products",
        "/certificates",
        "/batches",
        "/reviews",
        "/shipping",
        "/impact",
        "/webhook",
        "",
    ]
    _fits_a_phone(page)
    _screenshots(page, tmp_path, "supplier-portal")
    page.context.close()


def test_the_operator_back_office_is_reached_entry_by_entry(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    page = _signed_in(browser, live_server, OPERATOR)
    page.locator(".site-header").get_by_role("link", name="运营后台").click()
    expect(page.locator("nav.side-menu")).to_be_visible()

    reached = _click_through(page, BACK_OFFICE_ENTRIES)

    assert [url.rsplit("/admin/", 1)[1].split("?")[0] for url in reached] == [
        "organizations",
        "certificates",
        "transfers",
        "payments",
        "after-sales",
        "reference-prices",
        "brands",
        "reviews",
        "audit",
        "cooperatives",
    ]
    _fits_a_phone(page)
    _screenshots(page, tmp_path, "back-office")
    page.context.close()
