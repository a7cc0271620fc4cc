"""The portal's orders of the organisation: each downloadable as XLSX and orderable again as
a new bulk-order draft."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.core.errors import DomainError
from app.order.labels import order_status_labels
from app.procurement import service
from app.procurement.pages.wording import portal_page, refusal
from app.web.db import DbSession
from app.web.forms import CsrfChecked
from app.web.paths import page_id
from app.web.responses import attachment, see_other

router = APIRouter()


async def _orders_page(
    request: Request,
    session: AsyncSession,
    user: User,
    org_id: int,
    *,
    page: int = 1,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    found = await service.organization_orders(session, user=user, organization_id=org_id, page=page)
    context = {
        "found": found,
        "order_status_labels": order_status_labels(),
        "people": await service.names(session, [order.buyer_user_id for order in found.orders]),
        "problem": problem,
    }
    return await portal_page(
        request,
        session,
        user,
        org_id,
        "procurement/list_orders.html",
        "orders",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/orders", response_class=HTMLResponse)
async def list_orders(
    request: Request,
    organization_id: str,
    user: PageUser,
    session: DbSession,
    page: Annotated[int, Query()] = 1,
) -> Response:
    """The organisation's orders, newest first."""
    return await _orders_page(request, session, user, page_id(organization_id), page=page)


@router.get("/org/{organization_id}/orders/{order_id}.xlsx")
async def download_order(
    organization_id: str, order_id: str, user: PageUser, session: DbSession
) -> Response:
    """The order's lines as a workbook, formula-safe; it reads back as a bulk-order list."""
    return attachment(
        await service.order_xlsx(
            session,
            user=user,
            organization_id=page_id(organization_id),
            order_id=page_id(order_id),
        )
    )


@router.post("/org/{organization_id}/orders/{order_id}/reorder", response_class=HTMLResponse)
async def reorder(
    request: Request,
    organization_id: str,
    order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """A new draft with the order's lines, checked now; then its report."""
    org_id = page_id(organization_id)
    try:
        created = await service.reorder(
            session, user=user, organization_id=org_id, order_id=page_id(order_id)
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _orders_page(
            request, session, user, org_id, problem=refusal(exc), status_code=exc.status_code
        )
    return see_other(f"/org/{org_id}/bulk-orders/{created.id}")
