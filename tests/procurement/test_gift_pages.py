"""The portal's gift-order pages: SKUs picked from the shop (no codes typed), the recipients
list uploaded and its bad rows shown, fixed, submitted with the union's contact, approved
from the queue's link; and the supplier's queue page that ships parcels from a sheet."""

from __future__ import annotations

import io
import re

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]

from app.account.models import Role
from app.core.db import Database
from app.organization.models import OrganizationKind
from app.procurement.models import BulkOrderStatus
from tests.account.factories import csrf_token_in, sign_in_page
from tests.catalog.factories import create_seller
from tests.cooperative.factories import add_member
from tests.order.factories import BUYER_COUNTY, counts, mark_paid
from tests.procurement.factories import (
    RECIPIENTS,
    RECIPIENTS_HEADER,
    browsers,
    bulk_order_row,
    csv_bytes,
    xlsx_bytes,
)
from tests.procurement.test_pages import assert_forms_are_safe_and_labelled, bulk_id_of


async def test_a_union_draws_up_fixes_submits_and_approves_a_gift_through_the_pages(
    app: FastAPI, database: Database
) -> None:
    tea = await create_seller(database, stock=30, title="都匀毛尖礼盒")
    rice = await create_seller(database, stock=30, title="五常大米礼袋")
    roles = [Role.ORG_BUYER, Role.ORG_APPROVER]
    async with browsers(app, database, roles, kind=OrganizationKind.TRADE_UNION) as (org, people):
        buyer, approver = people
        listing = await buyer.client.get(f"/org/{org}/gift-orders")
        assert listing.status_code == 200
        assert (
            "都匀毛尖礼盒" in listing.text and "五常大米礼袋" in listing.text
        )  # picked, not typed
        assert f'href="/org/{org}/gift-orders"' in listing.text  # the menu entry
        assert_forms_are_safe_and_labelled(listing.text)
        template = await buyer.client.get(f"/org/{org}/gift-orders/template.xlsx")
        header = next(load_workbook(io.BytesIO(template.content)).worksheets[0].iter_rows(
            values_only=True))  # fmt: skip
        assert header == ("姓名", "手机号", "区县代码", "详细地址")

        token = csrf_token_in(listing.text)
        nothing_picked = await buyer.client.post(
            f"/org/{org}/gift-orders",
            data={"csrf_token": token, "sku_id": ["", ""], "quantity_each": ["1", "1"]},
            files={"recipients": ("名单.csv", csv_bytes([RECIPIENTS_HEADER, *RECIPIENTS]))},
        )
        assert nothing_picked.status_code == 422
        assert "请至少选择一种商品" in nothing_picked.text

        with_bad_row = [*RECIPIENTS, ("钱多", "110", "110105", "朝阳路 8 号")]
        created = await buyer.client.post(
            f"/org/{org}/gift-orders",
            data={
                "csrf_token": token,
                "sku_id": [str(tea.sku_ids[0]), str(rice.sku_ids[0]), ""],
                "quantity_each": ["1", "2", "1"],
            },
            files={"recipients": ("名单.csv", csv_bytes([RECIPIENTS_HEADER, *with_bad_row]))},
        )
        assert created.status_code == 303, created.text
        page = created.headers["location"]
        gift_id = bulk_id_of(page)
        report = await buyer.client.get(page)
        assert report.status_code == 200
        assert "手机号或固定电话无效" in report.text
        assert 'id="recipient-5"' in report.text
        assert "提交审批" not in report.text  # not while a row has a problem
        assert_forms_are_safe_and_labelled(report.text)

        token = csrf_token_in(report.text)
        fixed = await buyer.client.post(
            page + "/recipients",
            data={"csrf_token": token},
            files={"recipients": ("名单.xlsx", xlsx_bytes([RECIPIENTS_HEADER, *RECIPIENTS]))},
        )
        assert fixed.status_code == 303
        report = await buyer.client.get(fixed.headers["location"])
        assert "已按新名单重新校验" in report.text and "提交审批" in report.text
        submitted = await buyer.client.post(
            page + "/submit",
            data={
                "csrf_token": csrf_token_in(report.text),
                "payment_method": "bank_transfer",
                "po_number": "GH-2026-中秋",
                "name": "工会办公室",
                "phone": "0571-88888888",
                "county_code": BUYER_COUNTY,
                "detail": "体育场路 1 号工会大楼",
            },
        )
        assert submitted.status_code == 303, submitted.text
        assert (await bulk_order_row(database, gift_id)).status == BulkOrderStatus.SUBMITTED

        queue = await approver.client.get(f"/org/{org}/approvals")
        assert f'href="/org/{org}/gift-orders/{gift_id}"' in queue.text
        shown = await approver.client.get(page)
        before = await counts(database)
        approved = await approver.client.post(
            page + "/approve", data={"csrf_token": csrf_token_in(shown.text)}
        )
        assert approved.status_code == 303, approved.text
        after = await counts(database)
        assert (after.orders - before.orders, after.fulfillments - before.fulfillments) == (1, 6)
        final = await approver.client.get(approved.headers["location"])
        assert "已批准" in final.text
        assert final.text.count('class="gift-parcel"') == 6
        assert "待付款" in final.text  # the transfer has not arrived yet


async def test_a_supplier_ships_from_the_sheet_on_its_queue_page(
    app: FastAPI, database: Database
) -> None:
    supplier = await create_seller(database, stock=30)
    roles = [Role.ORG_BUYER, Role.ORG_APPROVER]
    async with browsers(app, database, roles, kind=OrganizationKind.TRADE_UNION) as (org, people):
        buyer, approver = people
        listing = await buyer.client.get(f"/org/{org}/gift-orders")
        created = await buyer.client.post(
            f"/org/{org}/gift-orders",
            data={
                "csrf_token": csrf_token_in(listing.text),
                "sku_id": [str(supplier.sku_ids[0])],
                "quantity_each": ["1"],
            },
            files={"recipients": ("名单.csv", csv_bytes([RECIPIENTS_HEADER, *RECIPIENTS]))},
        )
        page = created.headers["location"]
        report = await buyer.client.get(page)
        await buyer.client.post(
            page + "/submit",
            data={
                "csrf_token": csrf_token_in(report.text),
                "payment_method": "bank_transfer",
                "name": "工会办公室",
                "phone": "13900000000",
                "county_code": BUYER_COUNTY,
                "detail": "体育场路 1 号工会大楼",
            },
        )
        shown = await approver.client.get(page)
        await approver.client.post(
            page + "/approve", data={"csrf_token": csrf_token_in(shown.text)}
        )
    gift = await bulk_order_row(database, bulk_id_of(page))
    assert gift.order_id is not None
    await mark_paid(database, gift.order_id)

    email = "shipper@example.com"
    await add_member(database, supplier.id, email=email, password="correct horse battery")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as member:
        assert (await sign_in_page(member, email, "correct horse battery")).status_code == 303
        queue = await member.get(f"/coop/{supplier.id}/fulfillments")
        assert "批量发货" in queue.text
        assert_forms_are_safe_and_labelled(queue.text)
        sheet = await member.get(f"/coop/{supplier.id}/fulfillments/shipping-sheet.xlsx")
        rows = list(load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(
            values_only=True))  # fmt: skip
        filled = [
            rows[0],
            *[(*row[:6], "中通快递", f"ZT9000{n}") for n, row in enumerate(rows[1:])],
        ]
        token = csrf_token_in(queue.text)

        bad = [rows[0], (*rows[1][:6], "中通快递", "x")]
        refused = await member.post(
            f"/coop/{supplier.id}/fulfillments/tracking",
            data={"csrf_token": token},
            files={"file": ("发货表.xlsx", xlsx_bytes(bad))},
        )
        assert refused.status_code == 422
        assert "第 2 行快递单号" in refused.text and "本次没有发货" in refused.text

        shipped = await member.post(
            f"/coop/{supplier.id}/fulfillments/tracking",
            data={"csrf_token": token},
            files={"file": ("发货表.xlsx", xlsx_bytes(filled))},
        )
        assert shipped.status_code == 303, shipped.text
        done = await member.get(shipped.headers["location"])
        assert "已按发货表发货 3 个包裹" in done.text
        assert len(re.findall(r"<code>ZT9000\d</code>", done.text)) == 3
