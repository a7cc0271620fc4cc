"""JSON-API routes of the proof domain (under /api/v1, bearer token): an organisation's purchase
certificate per order and its yearly statement. They answer documents, not JSON: printable
HTML by default, PDF with `?format=pdf`, the statement as XLSX at `….xlsx`; errors keep the
contract's JSON form. The same documents are pages of the organisation portal (pages.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.account.deps import CurrentUser
from app.core.sheets import XLSX_MEDIA_TYPE
from app.proof import service
from app.proof.deps import DocumentFormat, PdfFontSetting, StatementYear, send_file
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES, ErrorResponse
from app.web.templating import render

router = APIRouter(prefix="/api/v1", tags=["proof"], responses=API_ERROR_RESPONSES)

# The documents' routes answer with Response, not HTMLResponse: FastAPI documents a route's
# error models in its response class's media type, and errors are JSON here.
_PDF: dict[str, dict[str, object]] = {"application/pdf": {}}
_XLSX: dict[str, dict[str, object]] = {XLSX_MEDIA_TYPE: {}}


@router.get(
    "/organizations/{organization_id}/orders/{order_id}/certificate",
    response_class=Response,
    status_code=200,
    responses={
        200: {
            "content": {"text/html": {}, **_PDF},
            "description": "The certificate as printable HTML, or as PDF",
        },
        409: {
            "model": ErrorResponse,
            "description": "`order_not_paid` or `order_cancelled`: no purchase to certify",
        },
        503: {
            "model": ErrorResponse,
            "description": "`pdf_font_missing`: no Chinese font for the PDF (HTML still works)",
        },
    },
)
async def get_certificate(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    font: PdfFontSetting,
    organization_id: int,
    order_id: int,
    document_format: DocumentFormat = "html",
) -> Response:
    """The purchase certificate (消费帮扶采购凭证) of one of the organisation's paid orders:
    organisation, order, origin counties, amounts (goods net of refunds, from the benefit
    ledger) and the households its suppliers support. The organisation's members and operators
    only: others, and orders of another organisation, 404."""
    if document_format == "pdf":
        return send_file(
            await service.certificate_pdf(
                session,
                user=user,
                organization_id=organization_id,
                order_id=order_id,
                font_setting=font,
            ),
            inline=True,
        )
    certificate = await service.certificate(
        session, user=user, organization_id=organization_id, order_id=order_id
    )
    return render(
        request,
        "proof/document.html",
        {
            "title": f"消费帮扶采购凭证 {certificate.order_number}",
            "certificate": certificate,
        },
    )


# Declared before the HTML route, whose `{year}` would otherwise take "2026.xlsx".
@router.get(
    "/organizations/{organization_id}/statements/{year}.xlsx",
    response_class=Response,
    status_code=200,
    responses={200: {"content": _XLSX, "description": "The statement as an Excel workbook"}},
)
async def get_statement_xlsx(
    session: DbSession, user: CurrentUser, organization_id: int, year: StatementYear
) -> Response:
    """The yearly statement as an Excel workbook: summary, months, counties, months by county
    and orders, amounts in yuan and in fen."""
    return send_file(
        await service.statement_xlsx(session, user=user, organization_id=organization_id, year=year)
    )


@router.get(
    "/organizations/{organization_id}/statements/{year}",
    response_class=Response,
    status_code=200,
    responses={
        200: {
            "content": {"text/html": {}, **_PDF},
            "description": "The statement as printable HTML, or as PDF",
        },
        503: {
            "model": ErrorResponse,
            "description": "`pdf_font_missing`: no Chinese font for the PDF (HTML still works)",
        },
    },
)
async def get_statement(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    font: PdfFontSetting,
    organization_id: int,
    year: StatementYear,
    document_format: DocumentFormat = "html",
) -> Response:
    """The organisation's statement for a year (China Standard Time): its reserved-share
    target (预留份额), net purchases by month and by origin county, and the orders. Its sums
    equal GET /api/v1/impact/organizations/{id}. Members and operators only (others 404)."""
    if document_format == "pdf":
        return send_file(
            await service.statement_pdf(
                session, user=user, organization_id=organization_id, year=year, font_setting=font
            ),
            inline=True,
        )
    statement = await service.statement(
        session, user=user, organization_id=organization_id, year=year
    )
    return render(
        request,
        "proof/document.html",
        {
            "title": f"{year} 年度消费帮扶采购对账单 {statement.organization.name}",
            "statement": statement,
            "certificate_base": f"/api/v1/organizations/{statement.organization.id}",
        },
    )
