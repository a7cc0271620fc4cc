"""The portal's bulk-order pages: upload with its templates, the report with bad rows marked,
upload again, submit with PO number and address, the approval queue (approve, reject with a
comment, own submissions refused), the organisation's orders; CSRF and labels everywhere."""

from __future__ import annotations

import io
import re

from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]

from app.account.models import Role
from app.core.db import Database
from app.procurement.models import BulkOrderStatus
from tests.catalog.factories import create_seller
from tests.order.factories import BUYER_COUNTY, counts, mark_paid
from tests.procurement.factories import (
    browsers,
    bulk_order_count,
    bulk_order_row,
    csv_bytes,
    sku_codes,
)

_FORM = re.compile(r"<form\b.*?</form>", re.S)
_FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>")


def assert_forms_are_safe_and_labelled(html: str) -> None:
    """Every POST form carries the CSRF token; every visible field sits in a label."""
    for form in _FORM.findall(html):
        if 'method="post"' in form:
            assert 'name="csrf_token"' in form, form[:200]
        for tag, attributes in _FIELD.findall(form):
            if 'type="hidden"' in attributes:
                continue
            name = re.search(r'name="([^"]+)"', attributes)
            assert name is not None
            before = form[: form.index(attributes)]
            assert before.rfind("<label") > before.rfind("</label>"), (tag, name.group(1))


def bulk_id_of(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[-1].split("?")[0])


async def test_upload_report_fix_submit_and_approve_through_the_pages(
    app: FastAPI, database: Database
) -> None:
    supplier = await create_seller(database, stock=40, skus=2)
    first, second = await sku_codes(database, supplier.sku_ids)
    async with browsers(app, database, [Role.ORG_BUYER, Role.ORG_APPROVER]) as (org, people):
        buyer, approver = people
        listing = await buyer.client.get(f"/org/{org}/bulk-orders")
        assert listing.status_code == 200
        assert f"/org/{org}/bulk-orders/template.xlsx" in listing.text
        assert 'enctype="multipart/form-data"' in listing.text
        assert_forms_are_safe_and_labelled(listing.text)
        template = await buyer.client.get(f"/org/{org}/bulk-orders/template.xlsx")
        header = next(load_workbook(io.BytesIO(template.content)).worksheets[0].iter_rows(
            values_only=True))  # fmt: skip
        assert header == ("商品编码", "数量", "配送日期")
        csv_template = await buyer.client.get(f"/org/{org}/bulk-orders/template.csv")
        assert csv_template.content.startswith(b"\xef\xbb\xbf")

        # Without the form's token nothing is stored.
        forged = await buyer.client.post(
            f"/org/{org}/bulk-orders",
            files={"file": ("a.csv", csv_bytes([("sku_code", "quantity"), (first, 1)]))},
        )
        assert forged.status_code == 403
        assert await bulk_order_count(database) == (0, 0)

        token = await buyer.csrf(f"/org/{org}/bulk-orders")
        bad = await buyer.client.post(
            f"/org/{org}/bulk-orders",
            data={"csrf_token": token},
            files={"file": ("订单.png", b"\x89PNG\r\n\x1a\n" + bytes(32))},
        )
        assert bad.status_code == 422
        assert "不是 CSV 或 XLSX" in bad.text
        assert await bulk_order_count(database) == (0, 0)

        uploaded = await buyer.client.post(
            f"/org/{org}/bulk-orders",
            data={"csrf_token": token},
            files={
                "file": ("清单.csv", csv_bytes([("商品编码", "数量"), (first, 3), ("NOPE", 2)]))
            },
        )
        assert uploaded.status_code == 303
        bulk_id = bulk_id_of(uploaded.headers["location"])
        report = await buyer.client.get(uploaded.headers["location"])
        assert report.status_code == 200
        assert 'class="bulk-row-error" id="row-3"' in report.text
        assert "没有这个商品编码" in report.text
        english = await buyer.client.get(uploaded.headers["location"] + "?lang=en")
        assert "Validation report" in english.text and "No SKU has this code" in english.text
        await buyer.client.get(uploaded.headers["location"] + "?lang=zh-CN")  # (the choice sticks)
        assert f'action="/org/{org}/bulk-orders/{bulk_id}/submit"' not in report.text
        assert_forms_are_safe_and_labelled(report.text)

        token = await buyer.csrf(f"/org/{org}/bulk-orders/{bulk_id}")
        fixed = await buyer.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/file",
            data={"csrf_token": token},
            files={
                "file": ("清单.csv", csv_bytes([("商品编码", "数量"), (first, 3), (second, 2)]))
            },
        )
        assert fixed.status_code == 303
        report = await buyer.client.get(fixed.headers["location"])
        assert "bulk-row-error" not in report.text
        assert f'action="/org/{org}/bulk-orders/{bulk_id}/submit"' in report.text
        assert_forms_are_safe_and_labelled(report.text)

        token = await buyer.csrf(f"/org/{org}/bulk-orders/{bulk_id}")
        form = {
            "csrf_token": token,
            "payment_method": "bank_transfer",
            "po_number": "PO-页面-1",
            "name": "李四",
            "phone": "13900001111",
            "county_code": "999999",
            "detail": "人民路 8 号食堂",
        }
        refused = await buyer.client.post(f"/org/{org}/bulk-orders/{bulk_id}/submit", data=form)
        assert refused.status_code == 422
        assert "请选择省份、城市和区县。" in refused.text
        assert (await bulk_order_row(database, bulk_id)).status == BulkOrderStatus.DRAFT
        sent = await buyer.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/submit", data={**form, "county_code": BUYER_COUNTY}
        )
        assert sent.status_code == 303
        row = await bulk_order_row(database, bulk_id)
        assert (row.status, row.po_number) == (BulkOrderStatus.SUBMITTED, "PO-页面-1")

        # The buyer sees the queue but cannot decide; the approver can.
        queue = await buyer.client.get(f"/org/{org}/approvals")
        assert f"/bulk-orders/{bulk_id}/approve" not in queue.text
        queue = await approver.client.get(f"/org/{org}/approvals")
        assert queue.status_code == 200
        assert f'action="/org/{org}/bulk-orders/{bulk_id}/approve"' in queue.text
        assert "org-menu-count" in queue.text  # the menu counts what waits
        assert_forms_are_safe_and_labelled(queue.text)
        token = await approver.csrf(f"/org/{org}/approvals")
        approved = await approver.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/approve", data={"csrf_token": token}
        )
        assert approved.status_code == 303
        done = await approver.client.get(approved.headers["location"])
        assert "已批准" in done.text
        assert (await counts(database)).orders == 1

        orders = await buyer.client.get(f"/org/{org}/orders")
        assert orders.status_code == 200
        assert "PO-页面-1" in orders.text
        assert_forms_are_safe_and_labelled(orders.text)
        row = await bulk_order_row(database, bulk_id)
        assert row.order_id is not None
        certificate = f"/org/{org}/orders/{row.order_id}/certificate"
        assert certificate not in orders.text  # unpaid: nothing to certify yet
        await mark_paid(database, row.order_id)
        paid = await buyer.client.get(f"/org/{org}/orders")
        assert f'href="{certificate}"' in paid.text
        workbook = await buyer.client.get(f"/org/{org}/orders/{row.order_id}.xlsx")
        assert workbook.status_code == 200
        token = await buyer.csrf(f"/org/{org}/orders")
        again = await buyer.client.post(
            f"/org/{org}/orders/{row.order_id}/reorder", data={"csrf_token": token}
        )
        assert again.status_code == 303
        assert (await bulk_order_count(database))[0] == 2


async def test_the_queue_refuses_own_submissions_and_rejects_with_a_comment(
    app: FastAPI, database: Database
) -> None:
    supplier = await create_seller(database, stock=40)
    (code,) = await sku_codes(database, supplier.sku_ids)
    roles = [Role.ORG_ADMIN, Role.ORG_APPROVER]
    async with browsers(app, database, roles) as (org, (admin, approver)):
        token = await admin.csrf(f"/org/{org}/bulk-orders")
        uploaded = await admin.client.post(
            f"/org/{org}/bulk-orders",
            data={"csrf_token": token},
            files={"file": ("清单.csv", csv_bytes([("sku_code", "quantity"), (code, 4)]))},
        )
        bulk_id = bulk_id_of(uploaded.headers["location"])
        token = await admin.csrf(f"/org/{org}/bulk-orders/{bulk_id}")
        await admin.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/submit",
            data={
                "csrf_token": token,
                "payment_method": "bank_transfer",
                "name": "王五",
                "phone": "13900002222",
                "county_code": BUYER_COUNTY,
                "detail": "建设路 2 号",
            },
        )
        assert (await bulk_order_row(database, bulk_id)).status == BulkOrderStatus.SUBMITTED

        queue = await admin.client.get(f"/org/{org}/approvals")
        assert "需由其他审批人处理" in queue.text
        token = await admin.csrf(f"/org/{org}/approvals")
        own = await admin.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/approve", data={"csrf_token": token}
        )
        assert own.status_code == 403
        assert "不能审批自己提交的采购单" in own.text
        assert (await bulk_order_row(database, bulk_id)).status == BulkOrderStatus.SUBMITTED

        token = await approver.csrf(f"/org/{org}/approvals")
        empty = await approver.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/reject", data={"csrf_token": token, "comment": " "}
        )
        assert empty.status_code == 422
        assert "请填写驳回原因" in empty.text
        rejected = await approver.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/reject",
            data={"csrf_token": token, "comment": "本月预算已用完"},
        )
        assert rejected.status_code == 303
        row = await bulk_order_row(database, bulk_id)
        assert (row.status, row.comment) == (BulkOrderStatus.REJECTED, "本月预算已用完")
        page = await admin.client.get(f"/org/{org}/bulk-orders/{bulk_id}")
        assert "本月预算已用完" in page.text


async def test_outsiders_get_404_pages(app: FastAPI, database: Database) -> None:
    async with (
        browsers(app, database, [Role.ORG_BUYER]) as (org, (member,)),
        browsers(app, database, [Role.ORG_BUYER]) as (_, (outsider,)),
    ):
        for page in (
            f"/org/{org}/bulk-orders",
            f"/org/{org}/approvals",
            f"/org/{org}/orders",
            f"/org/{org}/bulk-orders/template.xlsx",
            f"/org/{org}/bulk-orders/1",
        ):
            assert (await outsider.client.get(page)).status_code == 404, page
        assert (await member.client.get(f"/org/{org}/bulk-orders/99")).status_code == 404
        assert (await member.client.get(f"/org/{org}/bulk-orders/x")).status_code == 404


async def test_the_submit_form_lists_regions_without_javascript_and_offers_what_the_site_takes(
    app: FastAPI, database: Database
) -> None:
    supplier = await create_seller(database, stock=40)
    (code,) = await sku_codes(database, supplier.sku_ids)
    async with browsers(app, database, [Role.ORG_BUYER]) as (org, (buyer,)):
        token = await buyer.csrf(f"/org/{org}/bulk-orders")
        uploaded = await buyer.client.post(
            f"/org/{org}/bulk-orders",
            data={"csrf_token": token},
            files={"file": ("清单.csv", csv_bytes([("sku_code", "quantity"), (code, 4)]))},
        )
        bulk_id = bulk_id_of(uploaded.headers["location"])
        report = await buyer.client.get(f"/org/{org}/bulk-orders/{bulk_id}")
        # No Stripe in the test settings: a transfer only, chosen; three labelled selects.
        assert 'name="payment_method" value="stripe"' not in report.text
        assert 'value="bank_transfer" checked' in report.text
        assert 'name="province"' in report.text and 'name="prefecture"' in report.text
        assert 'name="county_code" data-region="county"' in report.text
        assert "列出区县" not in report.text  # no separate form that loses what was typed
        assert_forms_are_safe_and_labelled(report.text)
        form = {
            "csrf_token": await buyer.csrf(f"/org/{org}/bulk-orders/{bulk_id}"),
            "payment_method": "bank_transfer",
            "name": "食堂收货员",
            "phone": "13800138000",
            "province": "330000",
            "prefecture": "",
            "county_code": "",
            "detail": "西湖区文三路 1 号食堂",
        }

        refreshed = await buyer.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/submit", data={**form, "refresh": "1"}
        )
        card = await buyer.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/submit",
            data={**form, "payment_method": "stripe", "county_code": "330106"},
        )

        assert refreshed.status_code == 200
        assert 'value="食堂收货员"' in refreshed.text and "西湖区文三路 1 号食堂" in refreshed.text
        assert '<option value="330100">杭州市</option>' in refreshed.text
        assert card.status_code == 422
        assert "请选择支付方式" in card.text
        assert (await bulk_order_row(database, bulk_id)).status == BulkOrderStatus.DRAFT
        sent = await buyer.client.post(
            f"/org/{org}/bulk-orders/{bulk_id}/submit", data={**form, "county_code": "330106"}
        )
        assert sent.status_code == 303
        row = await bulk_order_row(database, bulk_id)
        assert (row.status, row.ship_to_county_code) == (BulkOrderStatus.SUBMITTED, "330106")
