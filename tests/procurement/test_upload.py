"""Uploading a bulk order: the validation report row by row, tier prices, merged rows, the
files refused before anything is stored, and who may upload or read (404 for outsiders)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.account.models import Role
from app.catalog.models import Product, ProductStatus
from app.cooperative.models import SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.organization.models import OrganizationStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import counts
from tests.procurement.factories import (
    bulk_order_count,
    create_team,
    csv_bytes,
    draft,
    path,
    set_sku,
    sku_codes,
    upload,
    xlsx_bytes,
)


def by_row(body: dict[str, object]) -> dict[int, dict[str, object]]:
    lines = body["lines"]
    assert isinstance(lines, list)
    return {line["row"]: line for line in lines}


async def test_a_good_list_becomes_a_valid_draft_priced_at_its_tiers_and_reserves_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=500, price_fen=1000, skus=2)
    first, second = await sku_codes(database, supplier.sku_ids)
    await set_sku(database, supplier.sku_ids[0], tiers=[(10, 900), (50, 800)])
    team = await create_team(app, database)
    before = await counts(database)

    body = await draft(client, team, [(first, 12), (second.lower(), "３")])

    assert (body["status"], body["valid"], body["problem"]) == ("draft", True, None)
    lines = by_row(body)
    assert [
        (n, line["quantity"], line["unit_price_fen"], line["line_total_fen"])
        for n, line in lines.items()
    ] == [(2, 12, 900, 10800), (3, 3, 1000, 3000)]
    assert lines[3]["sku_code"] == second  # compared upper-case, full-width folded
    assert all(line["error"] is None for line in lines.values())
    assert body["goods_fen"] == 13800
    # Nothing reserved, nothing ordered.
    assert await stock_of(database, supplier.sku_ids[0]) == 500
    assert await counts(database) == before


async def test_every_kind_of_bad_row_is_reported_on_its_row(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=5, skus=5)
    suspended = await create_seller(database, status=SupplierStatus.SUSPENDED)
    archived = await create_seller(database)
    codes = await sku_codes(database, supplier.sku_ids)
    (suspended_code,) = await sku_codes(database, suspended.sku_ids)
    (archived_code,) = await sku_codes(database, archived.sku_ids)
    await set_sku(database, supplier.sku_ids[1], min_qty=10, stock=100)
    await set_sku(database, supplier.sku_ids[2], is_active=False)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Product)
            .where(Product.id == archived.product_id)
            .values(status=ProductStatus.ARCHIVED)
        )
    today = china_date(utcnow())
    team = await create_team(app, database)

    body = await draft(
        client,
        team,
        [
            ("NO-SUCH-SKU", 1, ""),  # 2
            (codes[1], 5, ""),  # 3: below the minimum of 10
            (codes[0], 6, ""),  # 4: 5 left
            (codes[2], 1, ""),  # 5: SKU withdrawn
            (suspended_code, 1, ""),  # 6: supplier suspended
            (archived_code, 1, ""),  # 7: product archived
            (codes[3], "0", ""),  # 8
            (codes[3], "2.5", ""),  # 9
            (codes[3], "十", ""),  # 10
            (codes[3], "-3", ""),  # 11
            (codes[3], "100001", ""),  # 12
            ("", 1, ""),  # 13
            (codes[3], 1, "2026-02-30"),  # 14
            (codes[3], 1, (today - timedelta(days=1)).isoformat()),  # 15
            (codes[4], 1, (today + timedelta(days=400)).isoformat()),  # 16
        ],
    )

    assert body["valid"] is False
    lines = by_row(body)
    assert {n: line["error_code"] for n, line in lines.items()} == {
        2: "unknown_sku",
        3: "below_min_qty",
        4: "insufficient_stock",
        5: "sku_unavailable",
        6: "sku_unavailable",
        7: "sku_unavailable",
        8: "invalid_quantity",
        9: "invalid_quantity",
        10: "invalid_quantity",
        11: "invalid_quantity",
        12: "invalid_quantity",
        13: "missing_sku_code",
        14: "invalid_delivery_date",
        15: "invalid_delivery_date",
        16: "invalid_delivery_date",
    }
    assert "10" in str(lines[3]["error"])
    assert "only 5" in str(lines[4]["error"])
    assert "in the past" in str(lines[15]["error"])
    assert lines[9]["quantity"] is None and lines[9]["quantity_text"] == "2.5"
    assert body["error_count"] == 15
    assert body["goods_fen"] == 0  # only lines that can be ordered count


async def test_rows_of_one_sku_are_merged_into_the_first_with_a_note(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100, skus=2, price_fen=1000)
    first, second = await sku_codes(database, supplier.sku_ids)
    await set_sku(database, supplier.sku_ids[0], tiers=[(20, 700)])
    day = china_date(utcnow()) + timedelta(days=3)
    team = await create_team(app, database)

    body = await draft(
        client,
        team,
        [
            (first, 8, day.isoformat()),
            (second, 1, day.isoformat()),
            (f" {first.lower()} ", "７", ""),
            (second, 1, (day + timedelta(days=1)).isoformat()),
            (first, 6, day.strftime("%Y/%m/%d")),
        ],
    )

    lines = by_row(body)
    assert sorted(lines) == [2, 3]
    merged = lines[2]
    assert (merged["quantity"], merged["merged_rows"], merged["error"]) == (21, [4, 6], None)
    assert merged["unit_price_fen"] == 700  # the tier of the merged quantity
    assert merged["delivery_date"] == day.isoformat()
    assert "2, 4 and 6" in str(merged["note"])
    assert lines[3]["error_code"] == "conflicting_delivery_dates"
    assert lines[3]["merged_rows"] == [5]
    assert body["line_count"] == 2


async def test_quantities_and_dates_as_offices_type_them(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=5000, skus=4)
    codes = await sku_codes(database, supplier.sku_ids)
    day = china_date(utcnow()) + timedelta(days=10)
    team = await create_team(app, database)

    body = await draft(
        client,
        team,
        [
            (codes[0], "１２", f"{day.year}年{day.month}月{day.day}日"),
            (codes[1], '"1,200"', day.strftime("%Y%m%d")),
            (codes[2], "30.0", day.strftime("%Y.%m.%d")),
            (codes[3], " 4 ", f"{day.isoformat()} 00:00:00"),
        ],
    )

    assert body["valid"], body
    assert [(line["quantity"], line["delivery_date"]) for line in body["lines"]] == [
        (12, day.isoformat()),
        (1200, day.isoformat()),
        (30, day.isoformat()),
        (4, day.isoformat()),
    ]


@pytest.mark.parametrize("form", ["xlsx", "csv-gbk", "csv-bom", "csv-tab"])
async def test_xlsx_gbk_bom_and_chinese_headers_are_read(
    app: FastAPI, client: httpx.AsyncClient, database: Database, form: str
) -> None:
    supplier = await create_seller(database, stock=50)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    rows = [("2026年食堂采购清单",), ("商品编码", "数量"), (code, 3)]
    data = {
        "xlsx": xlsx_bytes(rows),
        "csv-gbk": csv_bytes(rows, encoding="gbk"),
        "csv-bom": b"\xef\xbb\xbf" + csv_bytes(rows),
        # (a title line above a tab-separated header would hide the separator)
        "csv-tab": "\r\n".join("\t".join(map(str, row)) for row in rows[1:]).encode(),
    }[form]

    response = await upload(client, team, data, filename="清单.dat")

    assert response.status_code == 201, response.text
    body = response.json()
    row = 2 if form == "csv-tab" else 3
    assert [(line["row"], line["quantity"], line["error"]) for line in body["lines"]] == [
        (row, 3, None)
    ]


async def test_a_list_of_more_skus_than_one_order_holds_is_not_valid(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=50, skus=101)
    codes = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)

    body = await draft(client, team, [(code, 1) for code in codes])

    assert body["valid"] is False
    assert body["error_count"] == 0
    assert "at most 100" in body["problem"]


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(51):
                member.write(bytes(1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code", "said"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), 422, "unsupported_file", "PNG"),
        (b"%PDF-1.7 not a list", 422, "unsupported_file", "PDF"),
        (b"", 422, "empty_file", "empty"),
        (b"sku_code,quantity\r\n", 422, "empty_file", "no rows"),
        (b"name,phone\r\nx,y\r\n", 422, "missing_columns", "sku_code"),
        (
            b"sku_code,quantity\r\n" + b"A,1\r\n" * 5001,
            422,
            "too_many_rows",
            "5,000",
        ),
        (_zip_bomb(), 422, "file_too_large", "50 MB"),
        (b"sku_code,quantity\r\n" + b"A" * (8 * 1024 * 1024), 413, "file_too_large", "8 MB"),
    ],
    ids=["png", "pdf", "empty", "header-only", "columns", "5001-rows", "zip-bomb", "9-mb"],
)
async def test_unreadable_files_are_refused_and_nothing_is_stored(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    data: bytes,
    status: int,
    code: str,
    said: str,
) -> None:
    team = await create_team(app, database)

    response = await upload(client, team, data, filename="清单.xlsx")

    error = assert_error(response, status, code)
    assert said in error["message"]
    assert error["fields"].get("file")
    assert await bulk_order_count(database) == (0, 0)


async def test_5000_rows_are_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10**6, skus=3)
    codes = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    rows = [(codes[n % 3], 1) for n in range(5000)]

    body = await draft(client, team, rows)

    assert body["valid"], body["problem"]
    assert [line["quantity"] for line in body["lines"]] == [1667, 1667, 1666]
    assert len(body["lines"][0]["merged_rows"]) == 1666


async def test_a_formula_cell_is_read_as_text_and_escaped_in_the_report_workbook(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    team = await create_team(app, database)
    data = xlsx_bytes([("商品编码", "数量"), ('=HYPERLINK("http://evil.example","x")', "=1+1")])

    response = await upload(client, team, data, filename="清单.xlsx")

    assert response.status_code == 201, response.text
    (line,) = response.json()["lines"]
    assert line["sku_code"].startswith("=HYPERLINK(")  # the formula's text, never evaluated
    assert (line["error_code"], line["quantity_text"]) == ("invalid_quantity", "=1+1")
    report = await client.get(
        path(team, f"/{response.json()['id']}.xlsx"), headers=team.buyer.headers
    )
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).worksheets[0]
    cells = [sheet.cell(row=2, column=column) for column in (1, 2)]
    assert [cell.value[:2] for cell in cells] == ["'=", "'="]
    assert {cell.data_type for cell in cells} == {"s"}


async def test_only_buyers_and_admins_of_a_verified_organisation_upload(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=50)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    other = await create_team(app, database)
    pending = await create_team(app, database, status=OrganizationStatus.PENDING)
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    outsider = await create_api_user(database)
    data = csv_bytes([("sku_code", "quantity"), (code, 1)])

    assert (await upload(client, team, data, who=team.admin)).status_code == 201
    for who in (team.approver, other.buyer, operator, outsider):
        assert_error(await upload(client, team, data, who=who), 404, "organization_not_found")
    assert_error(await upload(client, pending, data), 409, "organization_not_verified")
    assert_error(
        await upload(client, team, data, organization_id=2**70), 404, "organization_not_found"
    )
    assert await bulk_order_count(database) == (1, 1)


async def test_members_and_operators_read_bulk_orders_and_outsiders_get_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=50)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    other = await create_team(app, database)
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    created = await draft(client, team, [(code, 1)])
    theirs = await draft(client, other, [(code, 1)])

    for who in (team.buyer, team.approver, team.admin, operator):
        one = await client.get(path(team, f"/{created['id']}"), headers=who.headers)
        assert one.status_code == 200 and one.json()["lines"], one.text
        listed = await client.get(path(team), headers=who.headers)
        assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert_error(
        await client.get(path(team, f"/{created['id']}"), headers=other.buyer.headers),
        404,
        "organization_not_found",
    )
    # Another organisation's bulk order under this organisation's path: not found.
    assert_error(
        await client.get(path(team, f"/{theirs['id']}"), headers=team.buyer.headers),
        404,
        "bulk_order_not_found",
    )
    assert_error(
        await client.get(path(team, f"/{2**70}"), headers=team.buyer.headers),
        404,
        "bulk_order_not_found",
    )


async def test_the_list_filters_by_status(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=50)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    kept = await draft(client, team, [(code, 1)])

    drafts = await client.get(path(team), params={"status": "draft"}, headers=team.buyer.headers)
    none = await client.get(
        path(team), params={"status": "submitted,approved"}, headers=team.buyer.headers
    )

    assert [item["id"] for item in drafts.json()["items"]] == [kept["id"]]
    assert (none.json()["items"], none.json()["total"]) == ([], 0)
    assert_error(
        await client.get(path(team), params={"status": "sent"}, headers=team.buyer.headers),
        422,
        "invalid_status",
    )


async def test_a_draft_is_uploaded_again_checked_again_and_deleted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=50, skus=2)
    first, second = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    created = await draft(client, team, [(first, 1), ("TYPO", 2)])
    assert created["valid"] is False

    fixed = await client.put(
        path(team, f"/{created['id']}/file"),
        files={
            "file": ("fixed.csv", csv_bytes([("sku_code", "quantity"), (first, 1), (second, 60)]))
        },
        headers=team.buyer.headers,
    )
    assert fixed.status_code == 200, fixed.text
    assert [line["error_code"] for line in fixed.json()["lines"]] == [None, "insufficient_stock"]
    assert fixed.json()["source_filename"] == "fixed.csv"

    await set_sku(database, supplier.sku_ids[1], stock=80)
    rechecked = await client.post(
        path(team, f"/{created['id']}/recheck"), headers=team.buyer.headers
    )
    assert rechecked.status_code == 200
    assert rechecked.json()["valid"] is True
    assert rechecked.json()["goods_fen"] == 61 * 1000
    assert await bulk_order_count(database) == (1, 2)

    deleted = await client.delete(path(team, f"/{created['id']}"), headers=team.buyer.headers)
    assert deleted.status_code == 204
    assert await bulk_order_count(database) == (0, 0)
