"""Submitting and deciding on bulk orders: only valid drafts are submitted, the submitter never
approves, a decision is taken once, approval places the order through checkout (tier prices,
PO number, organisation, payment), stock gone meanwhile changes nothing, and a confirmed bank
transfer moves the organisation's progress by the goods amount."""

from __future__ import annotations

import io
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select, update

from app.account.models import Role
from app.catalog.models import Product
from app.core.db import Database, unit_of_work
from app.impact.reports import current_year
from app.inventory.models import StockMovement
from app.order.models import Order
from app.procurement.models import BulkOrderStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import counts, jobs_named
from tests.procurement.factories import (
    Team,
    bulk_order_row,
    create_team,
    draft,
    path,
    set_sku,
    sku_codes,
    submit_body,
    submitted,
    upload,
)


async def approve(client: httpx.AsyncClient, team: Team, bulk_id: int, who: Any) -> httpx.Response:
    return await client.post(path(team, f"/{bulk_id}/approve"), headers=who.headers)


async def test_only_a_valid_draft_is_submitted_with_checked_fields(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bad = await draft(client, team, [(code, 1), ("TYPO", 1)])
    good = await draft(client, team, [(code, 2)])

    assert_error(
        await client.post(
            path(team, f"/{bad['id']}/submit"), json=submit_body(), headers=team.buyer.headers
        ),
        409,
        "bulk_order_invalid",
    )
    wrong = submit_body(
        shipping_address={"name": "", "phone": "12", "county_code": "999999", "detail": "x"}
    )
    refused = await client.post(
        path(team, f"/{good['id']}/submit"), json=wrong, headers=team.buyer.headers
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {
        "shipping_address.name",
        "shipping_address.phone",
        "shipping_address.county_code",
        "shipping_address.detail",
    }
    assert (await bulk_order_row(database, good["id"])).status == BulkOrderStatus.DRAFT
    # A good address with a PO number too long (or unprintable) is refused the same way.
    for po_number in ("P" * 61, "PO\x00-1"):
        long_po = await client.post(
            path(team, f"/{good['id']}/submit"),
            json=submit_body(po_number=po_number),
            headers=team.buyer.headers,
        )
        error = assert_error(long_po, 422, "invalid_po_number")
        assert set(error["fields"]) == {"po_number"}
    assert (await bulk_order_row(database, good["id"])).status == BulkOrderStatus.DRAFT
    # An approver does not submit; a buyer does, once.
    assert_error(
        await client.post(
            path(team, f"/{good['id']}/submit"), json=submit_body(), headers=team.approver.headers
        ),
        404,
        "organization_not_found",
    )
    done = await client.post(
        path(team, f"/{good['id']}/submit"),
        json=submit_body(po_number=" PO-2026-001 "),
        headers=team.buyer.headers,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["po_number"], body["submitted_by_user_id"]) == (
        "submitted",
        "PO-2026-001",
        team.buyer.id,
    )
    assert body["shipping_fen"] is not None
    assert_error(
        await client.post(
            path(team, f"/{good['id']}/submit"), json=submit_body(), headers=team.buyer.headers
        ),
        409,
        "bulk_order_not_draft",
    )
    # A submitted list no longer changes.
    assert_error(
        await client.post(path(team, f"/{good['id']}/recheck"), headers=team.buyer.headers),
        409,
        "bulk_order_not_draft",
    )


async def test_approval_places_the_order_through_checkout_at_tier_prices(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=200, price_fen=1000, skus=2)
    other = await create_seller(database, stock=200, price_fen=2500)
    codes = await sku_codes(database, [*supplier.sku_ids, *other.sku_ids])
    await set_sku(database, supplier.sku_ids[0], min_qty=10, tiers=[(20, 900), (50, 800)])
    team = await create_team(app, database)
    bulk = await submitted(
        client,
        team,
        [(codes[0], 30), (codes[1], 4), (codes[2], 2), (codes[0], 25)],
        po_number="PO-7",
    )

    response = await approve(client, team, bulk["id"], team.approver)

    assert response.status_code == 201, response.text
    order = response.json()
    goods = 55 * 800 + 4 * 1000 + 2 * 2500
    assert (order["status"], order["goods_fen"]) == ("pending_payment", goods)
    assert (order["organization_id"], order["po_number"]) == (team.organization_id, "PO-7")
    assert order["total_fen"] == goods + order["shipping_fen"]
    assert order["payment"]["method"] == "bank_transfer"
    assert order["payment"]["bank_reference"]
    lines = {
        line["sku_id"]: (line["quantity"], line["unit_price_fen"])
        for fulfillment in order["fulfillments"]
        for line in fulfillment["lines"]
    }
    assert lines == {
        supplier.sku_ids[0]: (55, 800),
        supplier.sku_ids[1]: (4, 1000),
        other.sku_ids[0]: (2, 2500),
    }
    assert len(order["fulfillments"]) == 2
    assert await stock_of(database, supplier.sku_ids[0]) == 200 - 55
    async with unit_of_work(database.reader) as session:
        placed = await session.get(Order, order["id"])
        assert placed is not None
        assert placed.buyer_user_id == team.buyer.id  # in the submitter's name
    assert len(await jobs_named(database, "checkout.expire_order")) == 1
    decided = await client.get(path(team, f"/{bulk['id']}"), headers=team.buyer.headers)
    assert (decided.json()["status"], decided.json()["order_id"]) == ("approved", order["id"])
    assert decided.json()["approver_user_id"] == team.approver.id
    assert decided.json()["goods_fen"] == goods


async def test_the_submitter_never_approves_their_own_submission(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    created = await draft(client, team, [(code, 1)])
    submitted_by_admin = await client.post(
        path(team, f"/{created['id']}/submit"), json=submit_body(), headers=team.admin.headers
    )
    assert submitted_by_admin.status_code == 200
    before = await counts(database)

    error = assert_error(
        await approve(client, team, created["id"], team.admin), 403, "own_submission"
    )
    assert "another approver" in error["message"]
    assert_error(
        await client.post(
            path(team, f"/{created['id']}/reject"),
            json={"comment": "撤回"},
            headers=team.admin.headers,
        ),
        403,
        "own_submission",
    )
    assert (await bulk_order_row(database, created["id"])).status == BulkOrderStatus.SUBMITTED
    assert await counts(database) == before
    assert await stock_of(database, supplier.sku_ids[0]) == 10
    # Another approver may; a buyer without the approver role may not.
    assert_error(
        await approve(client, team, created["id"], team.buyer), 404, "organization_not_found"
    )
    assert (await approve(client, team, created["id"], team.approver)).status_code == 201


async def test_a_decision_is_taken_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(code, 2)])
    first = await approve(client, team, bulk["id"], team.approver)
    assert first.status_code == 201
    before = await counts(database)

    again = await approve(client, team, bulk["id"], team.second_approver)
    same = await approve(client, team, bulk["id"], team.approver)
    rejected = await client.post(
        path(team, f"/{bulk['id']}/reject"),
        json={"comment": "晚了"},
        headers=team.second_approver.headers,
    )

    for response in (again, same, rejected):
        error = assert_error(response, 409, "bulk_order_already_decided")
        assert "already approved" in error["message"]
    assert await counts(database) == before
    assert await stock_of(database, supplier.sku_ids[0]) == 8
    row = await bulk_order_row(database, bulk["id"])
    assert (row.status, row.approver_user_id) == (BulkOrderStatus.APPROVED, team.approver.id)


async def test_a_draft_is_not_decided_and_a_rejection_needs_a_comment(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    created = await draft(client, team, [(code, 1)])
    assert_error(
        await approve(client, team, created["id"], team.approver), 409, "bulk_order_not_submitted"
    )
    bulk = await submitted(client, team, [(code, 1)])

    for comment in ("", "   ", "x" * 501, "坏\x00字符"):
        assert_error(
            await client.post(
                path(team, f"/{bulk['id']}/reject"),
                json={"comment": comment},
                headers=team.approver.headers,
            ),
            422,
            "invalid_comment",
        )
    rejected = await client.post(
        path(team, f"/{bulk['id']}/reject"),
        json={"comment": "数量超出本月预算，请减半后重新提交"},
        headers=team.approver.headers,
    )

    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["comment"]) == (
        "rejected",
        "数量超出本月预算，请减半后重新提交",
    )
    assert_error(
        await approve(client, team, bulk["id"], team.second_approver),
        409,
        "bulk_order_already_decided",
    )
    assert (await counts(database)).orders == 0


async def test_stock_gone_between_submit_and_approve_leaves_it_submitted_and_reserves_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=20, skus=2)
    codes = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(codes[0], 5), (codes[1], 15)])
    await set_sku(database, supplier.sku_ids[1], stock=3)  # sold elsewhere meanwhile
    before = await counts(database)

    response = await approve(client, team, bulk["id"], team.approver)

    error = assert_error(response, 409, "insufficient_stock")
    assert error["fields"] == {"rows.3.quantity": "only 3 left"}  # named by its row
    assert await counts(database) == before
    assert await stock_of(database, supplier.sku_ids[0]) == 20
    async with unit_of_work(database.reader) as session:
        moved = (await session.scalars(select(StockMovement))).all()
    assert moved == []
    row = await bulk_order_row(database, bulk["id"])
    assert (row.status, row.order_id, row.approver_user_id) == (
        BulkOrderStatus.SUBMITTED,
        None,
        None,
    )
    # Restocked, it is approved after all.
    await set_sku(database, supplier.sku_ids[1], stock=30)
    assert (await approve(client, team, bulk["id"], team.approver)).status_code == 201


async def test_a_product_withdrawn_before_approval_is_refused_by_row(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=20)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(code, 5)])
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Product).where(Product.id == supplier.product_id).values(status="archived")
        )

    error = assert_error(
        await approve(client, team, bulk["id"], team.approver), 422, "sku_unavailable"
    )

    assert set(error["fields"]) == {"rows.2.sku_id"}
    assert (await bulk_order_row(database, bulk["id"])).status == BulkOrderStatus.SUBMITTED


async def test_a_submitter_who_left_cannot_have_orders_placed_in_their_name(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    from sqlalchemy import delete

    from app.account.models import RoleAssignment

    supplier = await create_seller(database, stock=20)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(code, 5)])
    async with unit_of_work(database.writer) as session:
        await session.execute(
            delete(RoleAssignment).where(
                RoleAssignment.user_id == team.buyer.id, RoleAssignment.scope_id.is_not(None)
            )
        )

    assert_error(
        await approve(client, team, bulk["id"], team.approver), 409, "submitter_not_member"
    )
    assert (await counts(database)).orders == 0


async def test_members_of_another_organisation_act_on_nothing_here(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=20)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    other = await create_team(app, database)
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    bulk = await submitted(client, team, [(code, 5)])

    for who in (other.approver, other.admin, operator):
        assert_error(await approve(client, team, bulk["id"], who), 404, "organization_not_found")
        assert_error(
            await client.post(
                path(team, f"/{bulk['id']}/reject"), json={"comment": "no"}, headers=who.headers
            ),
            404,
            "organization_not_found",
        )
    # Their own organisation's path does not reach this bulk order either.
    assert_error(
        await approve(client, other, bulk["id"], other.approver), 404, "bulk_order_not_found"
    )
    assert (await bulk_order_row(database, bulk["id"])).status == BulkOrderStatus.SUBMITTED


async def test_a_confirmed_transfer_moves_the_organisations_progress_by_the_goods_amount(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100, price_fen=1000)
    (code,) = await sku_codes(database, supplier.sku_ids)
    await set_sku(database, supplier.sku_ids[0], tiers=[(10, 850)])
    team = await create_team(app, database)
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    impact = f"/api/v1/impact/organizations/{team.organization_id}"
    year = current_year()
    declared = await client.put(
        f"/api/v1/organizations/{team.organization_id}/targets/{year}",
        json={"canteen_budget_fen": 10_000_000, "reserved_share_bp": 1500},
        headers=team.admin.headers,
    )
    assert declared.status_code == 200, declared.text
    before = (await client.get(impact, headers=team.admin.headers)).json()
    assert (before["target_fen"], before["purchased_fen"]) == (1_500_000, 0)
    bulk = await submitted(client, team, [(code, 12)], po_number="PO-8")
    order = (await approve(client, team, bulk["id"], team.approver)).json()
    assert order["shipping_fen"] > 0

    confirmed = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )

    assert confirmed.status_code == 200, confirmed.text
    after = (await client.get(impact, headers=team.admin.headers)).json()
    assert after["purchased_fen"] - before["purchased_fen"] == order["goods_fen"] == 12 * 850
    assert after["progress"] == round(12 * 850 / 1_500_000, 4)


async def test_card_payment_is_opened_as_checkout_opens_it(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(code, 3)], method="stripe")

    order = (await approve(client, team, bulk["id"], team.approver)).json()

    assert (order["payment_method"], order["payment"]["status"]) == ("stripe", "pending")
    assert len(await jobs_named(database, "payment.create_payment_intent")) == 1
    # The submitter, in whose name it is, sees it among their orders.
    mine = await client.get(f"/api/v1/orders/{order['id']}", headers=team.buyer.headers)
    assert mine.status_code == 200


async def test_reorder_and_the_order_workbook_read_back_as_the_same_list(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100, skus=2)
    codes = await sku_codes(database, supplier.sku_ids)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Product)
            .where(Product.id == supplier.product_id)
            .values(title='=HYPERLINK("http://evil.example","点我")')
        )
    team = await create_team(app, database)
    other = await create_team(app, database)
    bulk = await submitted(client, team, [(codes[0], 3), (codes[1], 4)], po_number="@SUM(1)")
    order = (await approve(client, team, bulk["id"], team.approver)).json()

    again = await client.post(
        f"/api/v1/organizations/{team.organization_id}/orders/{order['id']}/reorder",
        headers=team.buyer.headers,
    )
    assert again.status_code == 201, again.text
    assert again.json()["reorder_of_order_id"] == order["id"]
    assert [(line["sku_code"], line["quantity"]) for line in again.json()["lines"]] == [
        (codes[0], 3),
        (codes[1], 4),
    ]
    assert again.json()["valid"]

    workbook = await client.get(
        f"/api/v1/organizations/{team.organization_id}/orders/{order['id']}.xlsx",
        headers=team.approver.headers,
    )
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert order["number"] in workbook.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("商品编码", "数量")
    assert rows[1][2] == "'" + '=HYPERLINK("http://evil.example","点我")'  # escaped, not a formula
    assert rows[1][-1] == "'@SUM(1)"
    assert {cell.data_type for row in sheet.iter_rows() for cell in row} <= {"s", "n", "d"}
    reuploaded = await upload(client, team, workbook.content, filename="again.xlsx")
    assert [(line["sku_code"], line["quantity"]) for line in reuploaded.json()["lines"]] == [
        (codes[0], 3),
        (codes[1], 4),
    ]
    # Other organisations, and orders not placed for this one: 404.
    outsider = await create_api_user(database)
    for who in (other.buyer, outsider):
        assert_error(
            await client.get(
                f"/api/v1/organizations/{team.organization_id}/orders/{order['id']}.xlsx",
                headers=who.headers,
            ),
            404,
            "organization_not_found",
        )
    assert_error(
        await client.post(
            f"/api/v1/organizations/{other.organization_id}/orders/{order['id']}/reorder",
            headers=other.buyer.headers,
        ),
        404,
        "order_not_found",
    )
