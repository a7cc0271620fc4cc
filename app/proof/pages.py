"""Pages of the organisation portal for proof of purchase: a paid order's certificate and the
yearly statement, printable (static/css/proof.css), with PDF and Excel downloads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageUser
from app.core.clock import china_year
from app.proof import service
from app.proof.deps import DocumentFormat, PdfFontSetting, StatementYear, send_file
from app.web.db import DbSession
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/org/{organization_id}/orders/{order_id}/certificate", response_class=HTMLResponse)
async def show_certificate(
    request: Request,
    session: DbSession,
    user: PageUser,
    font: PdfFontSetting,
    organization_id: int,
    order_id: int,
    document_format: DocumentFormat = "html",
) -> Response:
    """A paid order's purchase certificate, to print or download as PDF (members, operators)."""
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
        "proof/show_certificate.html",
        {"certificate": certificate, "year": china_year(certificate.paid_at)},
    )


@router.get("/org/{organization_id}/statements/{year}.xlsx")
async def download_statement(
    session: DbSession, user: PageUser, organization_id: int, year: StatementYear
) -> Response:
    """The yearly statement as an Excel workbook."""
    return send_file(
        await service.statement_xlsx(session, user=user, organization_id=organization_id, year=year)
    )


@router.get("/org/{organization_id}/statements/{year}", response_class=HTMLResponse)
async def show_statement(
    request: Request,
    session: DbSession,
    user: PageUser,
    font: PdfFontSetting,
    organization_id: int,
    year: StatementYear,
    document_format: DocumentFormat = "html",
) -> Response:
    """The yearly statement: target, months, counties, orders (each linked to its certificate)."""
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
        "proof/show_statement.html",
        {"statement": statement, "certificate_base": f"/org/{statement.organization.id}"},
    )
