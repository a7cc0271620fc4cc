"""Pages that show a supplier's performance: the public supplier page (/suppliers/{id}: county,
story, certificates, households, rating, shipping speed and its products, a page at a time) and
the operator's supplier page (/admin/cooperatives/{id})."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import OptionalPageUser, PageOperator
from app.performance import service
from app.web.db import DbSession
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.paths import page_id
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def _kind_names() -> dict[str, str]:
    return {
        "cooperative": _("农民专业合作社"),
        "enterprise": _("企业"),
        "family_farm": _("家庭农场"),
    }


@router.get("/suppliers/{cooperative_id}", response_class=HTMLResponse)
async def show_supplier(
    request: Request,
    session: DbSession,
    user: OptionalPageUser,
    cooperative_id: str,
    page: Annotated[str, Query(max_length=6)] = "1",
) -> Response:
    """A verified supplier's page; any other (or none) is the 404 page."""
    # A page that is not a number is the first; one past the last is the 404 page.
    page_number = int(page) if page.isascii() and page.isdigit() and int(page) >= 1 else 1
    supplier = await service.public_supplier(
        session, page_id(cooperative_id), page=page_number, media=request_media(request)
    )
    context = {
        "supplier": supplier,
        "performance": supplier.performance,
        "kind_names": _kind_names(),
        "last_page": max(1, -(-supplier.product_count // supplier.per_page)),
        "page_url": lambda n: f"/suppliers/{supplier.id}?page={n}",
    }
    return render(request, "performance/public_supplier.html", context)


@router.get("/admin/cooperatives/{cooperative_id}", response_class=HTMLResponse)
async def show_supplier_to_operator(
    request: Request, session: DbSession, operator: PageOperator, cooperative_id: str
) -> Response:
    """Any supplier's record, shipping speed, after-sales, rating and flagged prices; an
    unknown id is the 404 page."""
    view = await service.operator_supplier(session, page_id(cooperative_id), operator=operator)
    context = {"supplier": view.cooperative, "performance": view.performance}
    return render(request, "performance/operator_supplier.html", context)
