"""Certificates and statements as PDF: Chinese text drawn with the installed font (subset, so
the files stay small) and extractable, so that the organisation's name and the amounts can be
found in the file a canteen files with its assessment."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from fastapi import FastAPI
from pypdf import PdfReader

from app.core.db import Database
from app.proof import pdf
from tests.proof.factories import (
    ORG_NAME,
    SANDU_NAME,
    SHUFU_NAME,
    build_canteen,
    member_headers,
)

MAX_PDF_BYTES = 100_000  # the font is 5 MB whole; subset, a certificate is some 30 KB


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_machines_chinese_font_is_found() -> None:
    found = pdf.find_font(None)

    assert found is not None
    assert found.path.is_file()


def test_a_configured_font_is_used_only_if_it_covers_chinese(tmp_path: Path) -> None:
    installed = pdf.find_font(None)
    assert installed is not None
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_bytes(b"not a font")

    assert pdf.find_font(installed.path) == pdf.FontFile(installed.path)
    assert pdf.find_font(not_a_font) is None
    assert pdf.find_font(tmp_path / "missing.ttf") is None


async def test_the_certificate_pdf_holds_the_name_counties_and_amounts(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(
        f"/api/v1/organizations/{canteen.organization}/orders/{canteen.july}/certificate",
        headers=member_headers(app, canteen),
        params={"format": "pdf"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) < MAX_PDF_BYTES
    text = pdf_text(response.content)
    assert "消费帮扶采购凭证" in text
    assert ORG_NAME in text
    assert SANDU_NAME in text
    assert "¥50.00" in text  # goods
    assert "¥20.00" in text  # refunded
    assert "¥30.00" in text  # the benefit: the ledger's net
    assert "12 户" in text


async def test_the_statement_pdf_holds_the_name_target_and_totals(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(
        f"/api/v1/organizations/{canteen.organization}/statements/2026",
        headers=member_headers(app, canteen),
        params={"format": "pdf"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert len(response.content) < MAX_PDF_BYTES
    text = pdf_text(response.content)
    assert "2026 年度消费帮扶采购对账单" in text
    assert ORG_NAME in text
    assert SANDU_NAME in text and SHUFU_NAME in text
    assert "¥1,500.00" in text  # the target
    assert "¥200.00" in text  # net purchases
    assert "13.33 %" in text
    assert "-¥20.00" in text  # August's refund
    assert "¥140.00" in text  # 疏附县's year
