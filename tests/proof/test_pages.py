"""The organisation portal's proof pages: the certificate and the statement in the site's
layout with print, PDF and Excel actions; members and operators only, others 404, signed-out
visitors sent to the login page."""

from __future__ import annotations

import io
import re

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from app.account.models import Role
from app.core.db import Database
from app.web.static import static_url
from tests.proof.factories import ORG_NAME, SANDU_NAME, build_canteen, sign_in


async def test_a_member_prints_a_certificate_from_the_portal(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_BUYER, canteen.organization, None)])
    path = f"/org/{canteen.organization}/orders/{canteen.march}/certificate"

    page = await client.get(path)

    assert page.status_code == 200, page.text
    html = page.text
    assert ORG_NAME in html and SANDU_NAME in html
    assert 'data-benefit-fen="13000"' in html
    assert 'class="site-header"' in html and 'class="org-menu"' in html  # hidden when printed
    assert static_url("css/proof.css") in html and static_url("js/proof.js") in html
    assert 'href="?format=pdf"' in html
    assert f'href="/org/{canteen.organization}/statements/2026"' in html
    pdf = await client.get(path, params={"format": "pdf"})
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert ORG_NAME in text and "¥130.00" in text


async def test_a_member_reads_and_downloads_the_statement(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_APPROVER, canteen.organization, None)])
    path = f"/org/{canteen.organization}/statements/2026"

    page = await client.get(path)

    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-purchased-fen="20000"' in html
    assert f'href="{path}.xlsx"' in html
    assert f'href="/org/{canteen.organization}/statements/2025"' in html
    link = f"/org/{canteen.organization}/orders/{canteen.march}/certificate"
    assert f'href="{link}"' in html
    xlsx = await client.get(f"{path}.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book["按月"]["C4"].value == 13000  # March
    pdf = await client.get(path, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_others_get_the_not_found_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_BUYER, canteen.other_organization, None)])
    base = f"/org/{canteen.organization}"

    for path in (
        f"{base}/orders/{canteen.march}/certificate",
        f"{base}/statements",
        f"{base}/statements/2026",
        f"{base}/statements/2026.xlsx",
    ):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert ORG_NAME not in response.text


async def test_an_unpaid_order_has_no_certificate_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_BUYER, canteen.organization, None)])

    response = await client.get(f"/org/{canteen.organization}/orders/{canteen.unpaid}/certificate")

    assert response.status_code == 409
    assert "订单付款后才能开具采购证明" in response.text


async def test_an_operator_sees_the_pages(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.OPERATOR, None, None)])

    response = await client.get(f"/org/{canteen.organization}/statements/2026")

    assert response.status_code == 200
    assert ORG_NAME in response.text


async def test_signed_out_visitors_are_sent_to_login(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(f"/org/{canteen.organization}/statements/2026")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_the_buyers_order_page_links_to_the_certificate(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user_id = await sign_in(client, database, [])
    canteen = await build_canteen(database, buyer=user_id)
    link = f"/org/{canteen.organization}/orders/{canteen.march}/certificate"

    paid = await client.get(f"/orders/{canteen.march}")
    unpaid = await client.get(f"/orders/{canteen.unpaid}")

    assert paid.status_code == 200, paid.text
    assert f'href="{link}"' in paid.text
    assert unpaid.status_code == 200, unpaid.text
    assert "/certificate" not in unpaid.text
    assert (await client.get(link)).status_code == 200


async def test_the_statements_page_lists_the_years(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_ADMIN, canteen.organization, None)])
    base = f"/org/{canteen.organization}/statements"

    response = await client.get(base)

    assert response.status_code == 200, response.text
    html = response.text
    assert 'class="org-menu"' in html
    assert f'href="{base}" aria-current="page"' in html  # the portal menu's entry
    years = re.findall(r'<tr data-year="(\d+)">', html)
    assert {"2026", "2027"} <= set(years)
    assert years == sorted(years, reverse=True)
    row_2026 = re.search(r'<tr data-year="2026">.*?</tr>', html, re.S)
    assert row_2026 is not None
    assert "¥1,500.00" in row_2026.group(0) and "¥200.00" in row_2026.group(0)
    assert f'href="{base}/2026.xlsx"' in html and f'href="{base}/2026?format=pdf"' in html


async def test_paths_that_name_nothing_are_404_pages(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_BUYER, canteen.organization, None)])
    org = canteen.organization

    for path in (
        "/org/abc/statements",
        f"/org/{org}/statements/1999",
        f"/org/{org}/statements/twenty",
        f"/org/{org}/statements/2101.xlsx",
        f"/org/{org}/orders/0/certificate",
        f"/org/{org}/orders/{10**19}/certificate",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
