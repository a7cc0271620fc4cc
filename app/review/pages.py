"""HTML of reviews: the product page's section, the supplier portal's reviews with replies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageOperator, PageUser
from app.account.models import User
from app.catalog.pages_storefront import register_product_section
from app.catalog.schemas import ProductDetail
from app.cooperative.menu import SupplierPortal
from app.core.errors import DomainError
from app.review import service
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render, templates

router = APIRouter(include_in_schema=False)

PRODUCT_PAGE_REVIEWS = 20
SUPPLIER_PER_PAGE = 30
OPERATOR_PER_PAGE = 50


async def product_reviews_section(
    request: Request, session: AsyncSession, product: ProductDetail
) -> Markup:
    """The product page's newest visible reviews with the suppliers' replies."""
    reviews = await service.product_reviews(session, product.id, per_page=PRODUCT_PAGE_REVIEWS)
    template = templates.env.get_template("review/_product_reviews.html")
    return Markup(template.render({"reviews": reviews, "request": request}))  # noqa: S704


register_product_section(product_reviews_section)


async def _supplier_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    page: int = 1,
    reply_errors: dict[int, str] | None = None,
    replies: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    reviews = await service.supplier_reviews(
        session, user=user, cooperative_id=cooperative_id, page=page, per_page=SUPPLIER_PER_PAGE
    )
    context: dict[str, Any] = {
        "reviews": reviews,
        "last_page": max(1, -(-reviews.total // reviews.per_page)),
        "reply_errors": reply_errors or {},
        "replies": replies or {},
    }
    return render(request, "review/show_supplier_reviews.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/reviews", response_class=HTMLResponse)
async def show_supplier_reviews(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Buyers' reviews of the supplier's products, newest first, each with a reply form."""
    return await _supplier_page(request, session, user, page_id(cooperative_id), page=page)


@router.post("/coop/{cooperative_id}/reviews/{review_id}/reply", response_class=HTMLResponse)
async def reply_to_review(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    review_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    text: FormText = "",
) -> Response:
    """Reply once; a refusal shows the page again with the reason beside the review."""
    coop_id, rid = page_id(cooperative_id), page_id(review_id)
    try:
        review = await service.reply_to_review(session, user=user, review_id=rid, text=text)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        message = {
            "review_already_replied": _("已经回复过这条评价。"),
            "review_hidden": _("这条评价已被平台隐藏，不能回复。"),
        }.get(exc.code, _("请填写回复，1 到 1000 个字符。"))
        return await _supplier_page(
            request,
            session,
            user,
            coop_id,
            reply_errors={rid: message},
            replies={rid: text},
            status_code=exc.status_code,
        )
    return see_other(f"/coop/{coop_id}/reviews#review-{review.id}")


# ---------------------------------------------------------------------------------------------
# The operator's reviews


async def _operator_page(
    request: Request,
    session: AsyncSession,
    *,
    page: int = 1,
    hide_errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    reviews = await service.recent_reviews(session, page=page, per_page=OPERATOR_PER_PAGE)
    context: dict[str, Any] = {
        "reviews": reviews,
        "last_page": max(1, -(-reviews.total // reviews.per_page)),
        "hide_errors": hide_errors or {},
        "reasons": reasons or {},
    }
    return render(request, "review/show_admin_reviews.html", context, status_code=status_code)


@router.get("/admin/reviews", response_class=HTMLResponse)
async def show_admin_reviews(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Every supplier's reviews, newest first, each with a form to hide it with a reason."""
    return await _operator_page(request, session, page=page)


@router.post("/admin/reviews/{review_id}/hide", response_class=HTMLResponse)
async def hide_review(
    request: Request,
    review_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    reason: FormText = "",
) -> Response:
    """Hide a review (audit-logged); a refusal shows the page again with the reason."""
    rid = page_id(review_id)
    try:
        await service.hide_review(session, operator=operator, review_id=rid, reason=reason)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        message = (
            _("这条评价已经隐藏。")
            if exc.code == "review_hidden"
            else _("请填写隐藏原因，2 到 200 个字符。")
        )
        return await _operator_page(
            request,
            session,
            hide_errors={rid: message},
            reasons={rid: reason},
            status_code=exc.status_code,
        )
    return see_other(f"/admin/reviews#review-{rid}")
