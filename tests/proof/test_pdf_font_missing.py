"""Without a Chinese font (here: FENGSHOU_PDF_FONT names a file that is not there) the PDF
routes answer 503 `pdf_font_missing` in the contract's error form; the HTML stays available."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.config import Settings
from app.core.db import Database
from tests.conftest import Backend, make_settings
from tests.http_assertions import assert_error
from tests.proof.factories import build_canteen, member_headers, sign_in, user_headers


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path) -> Settings:
    return make_settings(db_backend.url, tmp_path / "var", pdf_font=tmp_path / "no-such-font.ttc")


async def test_pdfs_answer_503_and_html_still_works(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)
    base = f"/api/v1/organizations/{canteen.organization}"

    for path in (f"{base}/orders/{canteen.march}/certificate", f"{base}/statements/2026"):
        missing = await client.get(path, headers=headers, params={"format": "pdf"})
        body = assert_error(missing, 503, "pdf_font_missing")
        assert "FENGSHOU_PDF_FONT" in body["message"]
        html = await client.get(path, headers=headers)
        assert html.status_code == 200
    xlsx = await client.get(f"{base}/statements/2026.xlsx", headers=headers)
    assert xlsx.status_code == 200


async def test_access_and_payment_are_checked_before_the_font(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    base = f"/api/v1/organizations/{canteen.organization}"
    stranger = await user_headers(app, database, [])

    outsider = await client.get(
        f"{base}/orders/{canteen.march}/certificate", params={"format": "pdf"}, headers=stranger
    )
    assert_error(outsider, 404, "organization_not_found")
    unpaid = await client.get(
        f"{base}/orders/{canteen.unpaid}/certificate",
        params={"format": "pdf"},
        headers=member_headers(app, canteen),
    )
    assert_error(unpaid, 409, "order_not_paid")


async def test_the_portal_page_shows_the_error_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    await sign_in(client, database, [(Role.ORG_BUYER, canteen.organization, None)])

    response = await client.get(
        f"/org/{canteen.organization}/statements/2026", params={"format": "pdf"}
    )

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "FENGSHOU_PDF_FONT" in response.text
