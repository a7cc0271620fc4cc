"""Pages of the organisation portal for proof of purchase (the menu's 年度对账): the years'
statements, a year's statement and a paid order's certificate, printable (static/css/proof.css,
which hides the portal around the document), with PDF and Excel downloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.core.clock import china_year
from app.core.errors import NotFound
from app.impact.schemas import YEAR_MAX, YEAR_MIN
from app.organization.access import member_organization
from app.organization.menu import menu_context
from app.proof import service
from app.proof.deps import DocumentFormat, PdfFontSetting, send_file
from app.web.db import DbSession
from app.web.paths import page_id
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def _year(text: str) -> int:
    """A statement year in a page path; anything else is a page that does not exist."""
    if not (text.isascii() and text.isdigit() and YEAR_MIN <= int(text) <= YEAR_MAX):
        raise NotFound("No such page.")
    return int(text)


async def _portal(
    session: AsyncSession, user: User, organization_id: int, current: str
) -> dict[str, Any]:
    """The portal's menu around the page (members and operators; others 404)."""
    organization = await member_organization(session, user=user, organization_id=organization_id)
    return await menu_context(session, organization=organization, user=user, current=current)


@router.get("/org/{organization_id}/statements", response_class=HTMLResponse)
async def list_statements(
    request: Request, session: DbSession, user: PageUser, organization_id: str
) -> Response:
    """The years with a statement, newest first, with their net purchases and targets."""
    oid = page_id(organization_id)
    context = await _portal(session, user, oid, "statements")
    context["years"] = await service.statement_years(session, user=user, organization_id=oid)
    return render(request, "proof/list_statements.html", context)


@router.get("/org/{organization_id}/statements/{year}.xlsx")
async def download_statement(
    session: DbSession, user: PageUser, organization_id: str, year: str
) -> Response:
    """The yearly statement as an Excel workbook."""
    return send_file(
        await service.statement_xlsx(
            session, user=user, organization_id=page_id(organization_id), year=_year(year)
        )
    )


@router.get("/org/{organization_id}/statements/{year}", response_class=HTMLResponse)
async def show_statement(
    request: Request,
    session: DbSession,
    user: PageUser,
    font: PdfFontSetting,
    organization_id: str,
    year: str,
    document_format: DocumentFormat = "html",
) -> Response:
    """The yearly statement: target, months, counties, orders (each linked to its certificate)."""
    oid, chosen = page_id(organization_id), _year(year)
    if document_format == "pdf":
        return send_file(
            await service.statement_pdf(
                session, user=user, organization_id=oid, year=chosen, font_setting=font
            ),
            inline=True,
        )
    context = await _portal(session, user, oid, "statements")
    statement = await service.statement(session, user=user, organization_id=oid, year=chosen)
    context.update({"statement": statement, "certificate_base": f"/org/{oid}"})
    return render(request, "proof/show_statement.html", context)


@router.get("/org/{organization_id}/orders/{order_id}/certificate", response_class=HTMLResponse)
async def show_certificate(
    request: Request,
    session: DbSession,
    user: PageUser,
    font: PdfFontSetting,
    organization_id: str,
    order_id: str,
    document_format: DocumentFormat = "html",
) -> Response:
    """A paid order's purchase certificate, to print or download as PDF (members, operators)."""
    oid, order = page_id(organization_id), page_id(order_id)
    if document_format == "pdf":
        return send_file(
            await service.certificate_pdf(
                session, user=user, organization_id=oid, order_id=order, font_setting=font
            ),
            inline=True,
        )
    context = await _portal(session, user, oid, "statements")
    certificate = await service.certificate(session, user=user, organization_id=oid, order_id=order)
    context.update({"certificate": certificate, "year": china_year(certificate.paid_at)})
    return render(request, "proof/show_certificate.html", context)
