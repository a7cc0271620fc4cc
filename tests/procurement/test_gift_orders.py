"""Trade-union gift orders: a recipients list checked row by row before anything is reserved,
one order and one payment placed on approval with a parcel per recipient and supplier
(each addressed to its recipient, priced at the whole order's tier), the suppliers told once,
parcels shipped from an uploaded sheet, and each recipient's status exported."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.order.models import Fulfillment, Order
from app.organization.models import OrganizationKind
from app.procurement.models import BulkOrderRecipient, BulkOrderStatus
from app.shipping.models import ShippingRule
from tests.account.factories import create_api_user
from tests.catalog.factories import Seller, create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import counts, jobs_named
from tests.procurement.factories import (
    RECIPIENTS,
    RECIPIENTS_HEADER,
    Team,
    bulk_order_row,
    create_team,
    csv_bytes,
    gift_path,
    path,
    set_sku,
    submit_body,
    submitted_gift,
    upload_gift,
    xlsx_bytes,
)


async def _union(app: FastAPI, database: Database) -> Team:
    return await create_team(app, database, kind=OrganizationKind.TRADE_UNION)


async def _approve(client: httpx.AsyncClient, team: Team, gift_id: int) -> httpx.Response:
    return await client.post(gift_path(team, f"/{gift_id}/approve"), headers=team.approver.headers)


async def _recipient_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(BulkOrderRecipient)) or 0)


async def test_each_recipient_row_is_checked_and_the_report_names_its_problem(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100, price_fen=5000)
    team = await _union(app, database)
    rows = [
        *RECIPIENTS,
        ("孙丽", "13800000004", "999999", "不存在的区县 1 号"),  # row 5
        ("周杰", "12345", "110105", "朝阳路 2 号院"),  # row 6: phone
        ("", "13800000006", "110105", "朝阳路 3 号院"),  # row 7: name
        ("吴用", "13800000007", "110105", "短"),  # row 8: address
        ("王芳", "138 0000 0001", "110105", "另一个地址 9 号"),  # row 9: same as row 2
    ]

    response = await upload_gift(client, team, [(supplier.sku_ids[0], 2)], rows)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["valid"], body["recipient_count"]) == ("draft", False, 8)
    errors = {r["row"]: r["error_code"] for r in body["recipients"]}
    assert errors == {
        2: None,
        3: None,
        4: None,
        5: "unknown_county",
        6: "invalid_phone",
        7: "invalid_name",
        8: "invalid_address_detail",
        9: "duplicate_recipient",
    }
    assert body["error_count"] == 5
    # Only the three recipients that can be sent to are priced: 2 boxes each, 10 kg no tier.
    assert body["goods_fen"] == 3 * 2 * 5000
    assert body["shipping_fen"] == sum(
        r["shipping_fen"] for r in body["recipients"] if r["error_code"] is None
    )
    assert all(r["shipping_fen"] is None for r in body["recipients"] if r["error_code"])
    # The phone is stored as the order would store it; nothing is reserved.
    assert body["recipients"][2]["phone"] == "0571-87654321"
    assert await stock_of(database, supplier.sku_ids[0]) == 100
    assert (await counts(database)).orders == 0
    # An invalid draft is not submitted.
    assert_error(
        await client.post(
            gift_path(team, f"/{body['id']}/submit"), json=submit_body(), headers=team.buyer.headers
        ),
        409,
        "bulk_order_invalid",
    )

    fixed = await client.put(
        gift_path(team, f"/{body['id']}/recipients"),
        files={"recipients": ("名单.xlsx", xlsx_bytes([RECIPIENTS_HEADER, *RECIPIENTS]), "x")},
        headers=team.buyer.headers,
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["valid"], fixed.json()["recipient_count"]) == (True, 3)
    assert await _recipient_count(database) == 3


async def test_approval_places_one_order_with_a_parcel_per_recipient_and_supplier(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    tea = await create_seller(database, stock=50, price_fen=6000, weight_grams=500)
    rice = await create_seller(database, stock=50, price_fen=3000, weight_grams=2500)
    # Three recipients × 1 box reach the tea's tier of 3; rice ships free above 50 yuan.
    await set_sku(database, tea.sku_ids[0], tiers=[(3, 5500)])
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=rice.id, base_fee_fen=1200, free_above_fen=5000))
    team = await _union(app, database)
    gift = await submitted_gift(
        client, team, [(tea.sku_ids[0], 1), (rice.sku_ids[0], 2)], po_number="GH-2026-09"
    )
    assert gift["status"] == "submitted"
    assert gift["contact_address"]["name"] == "张三"
    before = await counts(database)

    approved = await _approve(client, team, gift["id"])

    assert approved.status_code == 201, approved.text
    order = approved.json()
    assert (order["organization_id"], order["po_number"]) == (team.organization_id, "GH-2026-09")
    # Until the transfer arrives, the union sees its parcels waiting for the payment.
    unpaid = (
        await client.get(gift_path(team, f"/{gift['id']}"), headers=team.buyer.headers)
    ).json()
    assert (unpaid["order_number"], unpaid["order_status"]) == (order["number"], "pending_payment")
    parcels = order["fulfillments"]
    assert len(parcels) == 6
    assert {(p["parcel_no"], p["cooperative_id"]) for p in parcels} == {
        (row, supplier) for row in (2, 3, 4) for supplier in (tea.id, rice.id)
    }
    by_row = {p["parcel_no"]: p["recipient"] for p in parcels}
    assert by_row[3]["name"] == "李强" and by_row[3]["province_name"] == "上海市"
    assert by_row[4]["phone"] == "0571-87654321"
    tea_parcels = [p for p in parcels if p["cooperative_id"] == tea.id]
    rice_parcels = [p for p in parcels if p["cooperative_id"] == rice.id]
    assert all(p["goods_fen"] == 5500 for p in tea_parcels)  # the tier for 3 in all
    assert all(p["goods_fen"] == 6000 and p["shipping_fen"] == 0 for p in rice_parcels)
    assert all(p["shipping_fen"] == 1000 for p in tea_parcels)  # the platform's default
    # Each parcel lists its line (the answer is built from the rows just written).
    assert sorted(
        (p["cooperative_id"], [(line["sku_id"], line["quantity"]) for line in p["lines"]])
        for p in parcels
    ) == sorted([(tea.id, [(tea.sku_ids[0], 1)])] * 3 + [(rice.id, [(rice.sku_ids[0], 2)])] * 3)
    assert order["goods_fen"] == 3 * 5500 + 3 * 6000
    assert order["shipping_fen"] == 3 * 1000
    assert order["total_fen"] == sum(p["goods_fen"] + p["shipping_fen"] for p in parcels)
    after = await counts(database)
    assert (after.orders - before.orders, after.fulfillments - before.fulfillments) == (1, 6)
    assert (after.lines - before.lines, after.payments - before.payments) == (6, 1)
    assert await stock_of(database, tea.sku_ids[0]) == 47
    assert await stock_of(database, rice.sku_ids[0]) == 44
    assert (await bulk_order_row(database, gift["id"])).status == BulkOrderStatus.APPROVED

    # The transfer confirmed, each supplier hears once of its three parcels.
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    confirmed = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    notices = await jobs_named(database, "order.notify_supplier")
    assert sorted(len(job.payload["parcel_ids"]) for job in notices) == [3, 3]
    assert {frozenset(job.payload["parcel_ids"]) for job in notices} == {
        frozenset(p["id"] for p in tea_parcels),
        frozenset(p["id"] for p in rice_parcels),
    }

    # The gift shows each recipient's parcels; the workbook lists them with their status.
    shown = (await client.get(gift_path(team, f"/{gift['id']}"), headers=team.admin.headers)).json()
    assert shown["order_id"] == order["id"]
    assert [len(r["parcels"]) for r in shown["recipients"]] == [2, 2, 2]
    workbook = await client.get(
        gift_path(team, f"/{gift['id']}/recipients.xlsx"), headers=team.buyer.headers
    )
    assert workbook.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(workbook.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("行号", "收件人", "手机号")
    assert len(rows) == 1 + 6
    assert {row[8] for row in rows[1:]} == {"待接单"}
    assert {row[1] for row in rows[1:]} == {"王芳", "李强", "赵敏"}


async def test_approval_rules_are_those_of_bulk_orders(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=4)
    team = await _union(app, database)
    other = await _union(app, database)
    gift = await submitted_gift(client, team, [(supplier.sku_ids[0], 1)])

    # The submitter does not approve (an admin may submit, and then may not approve);
    # another organisation's member does not see it.
    own = await upload_gift(client, team, [(supplier.sku_ids[0], 1)], who=team.admin)
    submitted_own = await client.post(
        gift_path(team, f"/{own.json()['id']}/submit"),
        json=submit_body(),
        headers=team.admin.headers,
    )
    assert submitted_own.status_code == 200, submitted_own.text
    assert_error(
        await client.post(
            gift_path(team, f"/{own.json()['id']}/approve"), headers=team.admin.headers
        ),
        403,
        "own_submission",
    )
    assert_error(
        await client.post(
            gift_path(team, f"/{gift['id']}/approve"), headers=other.approver.headers
        ),
        404,
        "organization_not_found",
    )
    assert_error(
        await client.get(gift_path(team, f"/{gift['id']}"), headers=other.admin.headers),
        404,
        "organization_not_found",
    )
    # A gift is not a bulk order, nor the other way round.
    assert_error(
        await client.get(path(team, f"/{gift['id']}"), headers=team.admin.headers),
        404,
        "bulk_order_not_found",
    )
    # Stock gone meanwhile: nothing placed, still submitted; then approved once only.
    await set_sku(database, supplier.sku_ids[0], stock=2)
    before = await counts(database)
    assert_error(await _approve(client, team, gift["id"]), 409, "insufficient_stock")
    assert await counts(database) == before
    assert (await bulk_order_row(database, gift["id"])).status == BulkOrderStatus.SUBMITTED
    await set_sku(database, supplier.sku_ids[0], stock=4)
    assert (await _approve(client, team, gift["id"])).status_code == 201
    assert_error(await _approve(client, team, gift["id"]), 409, "bulk_order_already_decided")
    assert await stock_of(database, supplier.sku_ids[0]) == 1


async def test_a_rejected_gift_orders_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    team = await _union(app, database)
    gift = await submitted_gift(client, team, [(supplier.sku_ids[0], 1)])

    rejected = await client.post(
        gift_path(team, f"/{gift['id']}/reject"),
        json={"comment": "名单还要补充退休职工"},
        headers=team.approver.headers,
    )

    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["comment"]) == (
        "rejected",
        "名单还要补充退休职工",
    )
    assert (await counts(database)).orders == 0
    assert_error(await _approve(client, team, gift["id"]), 409, "bulk_order_already_decided")


async def test_bad_gifts_are_refused_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10, skus=6)
    team = await _union(app, database)
    sku = supplier.sku_ids[0]

    cases: list[tuple[httpx.Response, int, str]] = [
        (await upload_gift(client, team, []), 422, "invalid_gift_items"),
        (
            await upload_gift(client, team, [(s, 1) for s in supplier.sku_ids]),
            422,
            "invalid_gift_items",
        ),
        (await upload_gift(client, team, [(sku, 1), (sku, 2)]), 422, "invalid_gift_items"),
        (await upload_gift(client, team, [(sku, 0)]), 422, "invalid_gift_items"),
        (await upload_gift(client, team, [(sku, 101)]), 422, "invalid_gift_items"),
        (
            await upload_gift(client, team, [(sku, 1)], data=b"%PDF-1.7\x00\x01", filename="a.pdf"),
            422,
            "unsupported_file",
        ),
        (await upload_gift(client, team, [(sku, 1)], data=b""), 422, "empty_file"),
        (
            await upload_gift(
                client,
                team,
                [(sku, 1)],
                data=csv_bytes([RECIPIENTS_HEADER, *([RECIPIENTS[0]] * 1001)]),
            ),
            422,
            "too_many_rows",
        ),
        (
            await upload_gift(client, team, [(sku, 1)], data=csv_bytes([("sku_code", "quantity")])),
            422,
            "missing_columns",
        ),
        (
            await upload_gift(client, team, [(sku, 1)], who=team.approver),
            404,
            "organization_not_found",
        ),
    ]

    # Digits that are not ASCII ("²" passes str.isdigit(), then fails int()) name nothing.
    for sku_text, each_text in (("²", "1"), (str(sku), "²"), ("１２", "1")):
        cases.append(
            (
                await client.post(
                    gift_path(team),
                    data={"sku_id": [sku_text], "quantity_each": [each_text]},
                    files={"recipients": ("名单.csv", csv_bytes([RECIPIENTS_HEADER, *RECIPIENTS]))},
                    headers=team.buyer.headers,
                ),
                422,
                "invalid_gift_items",
            )
        )
    for response, status, code in cases:
        assert_error(response, status, code)
    assert await _recipient_count(database) == 0
    assert (await counts(database)).orders == 0


async def test_formulas_in_names_are_text_and_stay_escaped_in_the_export(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    team = await _union(app, database)
    rows = [
        ('=HYPERLINK("http://evil.example","点我")', "13800000009", "110105", "@SUM(1) 号楼 1 单元")
    ]

    created = await upload_gift(
        client,
        team,
        [(supplier.sku_ids[0], 1)],
        data=xlsx_bytes([RECIPIENTS_HEADER, *rows]),
        filename="名单.xlsx",
    )

    assert created.status_code == 201, created.text
    assert created.json()["recipients"][0]["name"].startswith("=HYPERLINK")
    workbook = await client.get(
        gift_path(team, f"/{created.json()['id']}/recipients.xlsx"), headers=team.buyer.headers
    )
    row = list(
        load_workbook(io.BytesIO(workbook.content)).worksheets[0].iter_rows(values_only=True)
    )[1]
    assert row[1] == "'" + '=HYPERLINK("http://evil.example","点我")'
    assert row[4] == "'@SUM(1) 号楼 1 单元"


async def test_a_supplier_that_does_not_deliver_to_a_recipients_province_marks_that_row(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=supplier.id, excluded_province_codes=["310000"]))
    team = await _union(app, database)

    created = (await upload_gift(client, team, [(supplier.sku_ids[0], 1)])).json()

    assert not created["valid"]
    assert [r["error_code"] for r in created["recipients"]] == [None, "region_not_served", None]


async def _fulfillment_rows(database: Database, order_id: int) -> list[Fulfillment]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(
            select(Fulfillment).where(Fulfillment.order_id == order_id).order_by(Fulfillment.id)
        )
        return list(result)


@dataclass(frozen=True)
class PaidGift:
    team: Team
    first: Seller
    second: Seller
    gift_id: int
    order: dict[str, Any]


async def _paid_gift(app: FastAPI, client: httpx.AsyncClient, database: Database) -> PaidGift:
    """A union's gift of two suppliers' SKUs to three recipients, approved and paid."""
    first = await create_seller(database, stock=20)
    second = await create_seller(database, stock=20)
    team = await _union(app, database)
    gift = await submitted_gift(client, team, [(first.sku_ids[0], 1), (second.sku_ids[0], 1)])
    order = (await _approve(client, team, gift["id"])).json()
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    confirmed = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    return PaidGift(team, first, second, gift["id"], order)


async def test_a_supplier_ships_its_parcels_from_the_filled_in_sheet(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    paid = await _paid_gift(app, client, database)
    team, first, order = paid.team, paid.first, paid.order
    member = await create_api_user(database, roles=((Role.SUPPLIER_ADMIN, first.id, None),))
    base = f"/api/v1/cooperatives/{first.id}/fulfillments"

    sheet = await client.get(base + "/shipping-sheet.xlsx", headers=member.headers)

    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == (
        "包裹编号",
        "订单号",
        "收件人",
        "电话",
        "收货地址",
        "商品",
        "快递公司",
        "快递单号",
    )
    assert [row[2] for row in rows[1:]] == ["王芳", "李强", "赵敏"]
    assert rows[2][4].startswith("上海市")
    # The courier's address names the city as well: 浙江省杭州市西湖区, not 浙江省西湖区.
    assert rows[3][4] == "浙江省杭州市西湖区文三路 90 号东部软件园"
    ids = [int(row[0]) for row in rows[1:]]
    # Two filled in, one left for later.
    filled = [
        rows[0],
        *[(*row[:6], "顺丰速运", f"SF10000{n}") for n, row in enumerate(rows[1:3])],
        rows[3],
    ]

    shipped = await client.post(
        base + "/tracking",
        files={"file": ("发货表.xlsx", xlsx_bytes(filled), "x")},
        headers=member.headers,
    )

    assert shipped.status_code == 200, shipped.text
    assert shipped.json() == {"shipped": ids[:2], "skipped_rows": [4]}
    stored = {f.id: f for f in await _fulfillment_rows(database, order["id"])}
    assert [stored[i].status.value for i in ids] == ["shipped", "shipped", "pending"]
    assert stored[ids[1]].tracking_number == "SF100001"
    assert len(await jobs_named(database, "order.complete_fulfillment")) == 2
    # The union follows its members' parcels in the portal: no mail to it per parcel.
    notices = await jobs_named(database, "order.notify_buyer")
    assert [job.payload["event"] for job in notices].count("shipped") == 0
    assert [job.payload["event"] for job in notices].count("paid") == 1
    workbook = await client.get(
        gift_path(team, f"/{paid.gift_id}/recipients.xlsx"), headers=team.admin.headers
    )
    exported = list(
        load_workbook(io.BytesIO(workbook.content)).worksheets[0].iter_rows(values_only=True)
    )
    tracked = {row[7]: (row[8], row[10]) for row in exported[1:]}
    assert tracked[ids[0]] == ("已发货", "SF100000")
    assert tracked[ids[2]] == ("待接单", None)


async def test_a_bad_tracking_sheet_ships_nothing_and_names_each_row(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    paid = await _paid_gift(app, client, database)
    first, second, order = paid.first, paid.second, paid.order
    member = await create_api_user(database, roles=((Role.SUPPLIER_ADMIN, first.id, None),))
    parcels = await _fulfillment_rows(database, order["id"])
    mine = [f.id for f in parcels if f.cooperative_id == first.id]
    theirs = [f.id for f in parcels if f.cooperative_id == second.id]
    header = ("fulfillment_id", "carrier", "tracking_number")
    sheet = csv_bytes(
        [
            header,
            (mine[0], "顺丰速运", "SF1"),  # row 2: tracking number too short
            (theirs[0], "顺丰速运", "SF200000"),  # row 3: another supplier's parcel
            (mine[1], "顺丰速运", "SF300000"),  # row 4: fine
            (mine[1], "中通快递", "ZT400000"),  # row 5: the same parcel again
            ("abc", "中通快递", "ZT500000"),  # row 6: not a number
        ]
    )

    refused = await client.post(
        f"/api/v1/cooperatives/{first.id}/fulfillments/tracking",
        files={"file": ("sheet.csv", sheet, "text/csv")},
        headers=member.headers,
    )

    assert refused.status_code == 422, refused.text
    assert set(refused.json()["error"]["fields"]) == {
        "rows.2.tracking_number",
        "rows.3.fulfillment_id",
        "rows.5.fulfillment_id",
        "rows.6.fulfillment_id",
    }
    assert all(f.status.value == "pending" for f in await _fulfillment_rows(database, order["id"]))
    # A member of the other supplier cannot use this supplier's sheet at all.
    outsider = await create_api_user(database, roles=((Role.SUPPLIER_ADMIN, second.id, None),))
    assert_error(
        await client.get(
            f"/api/v1/cooperatives/{first.id}/fulfillments/shipping-sheet.xlsx",
            headers=outsider.headers,
        ),
        404,
        "cooperative_not_found",
    )


async def test_an_order_unrelated_to_gifts_keeps_one_parcel_per_supplier(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    placed = await client.post(
        "/api/v1/orders",
        json={
            "shipping_address": submit_body()["shipping_address"],
            "payment_method": "bank_transfer",
            "lines": [{"sku_id": supplier.sku_ids[0], "quantity": 2}],
        },
        headers={**buyer.headers, "Idempotency-Key": "plain-order-1"},
    )
    assert placed.status_code == 201, placed.text
    (parcel,) = placed.json()["fulfillments"]
    assert (parcel["parcel_no"], parcel["recipient"]) == (0, None)
    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, placed.json()["id"])
        assert order is not None and order.ship_to_name == "张三"
