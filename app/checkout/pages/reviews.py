"""The buyer reviews a delivered parcel's lines from the order's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.account.deps import PageUser
from app.checkout.pages.orders import _order_page
from app.core.errors import DomainError
from app.core.fields import parse_id
from app.review import service as review_service
from app.review.schemas import ReviewItemIn
from app.web.db import DbSession
from app.web.forms import CsrfChecked
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other

router = APIRouter(include_in_schema=False)


@router.post(
    "/orders/{order_id}/fulfillments/{fulfillment_id}/reviews", response_class=HTMLResponse
)
async def review_fulfillment(
    request: Request,
    order_id: str,
    fulfillment_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Post the ratings given (rating-{line id}: 1–5, text-{line id}); lines left without a
    rating are for later. A refusal shows the order's page again with the reason."""
    oid, fid = page_id(order_id), page_id(fulfillment_id)
    form: dict[str, str] = {}
    items: list[ReviewItemIn] = []
    problem: str | None = None
    posted = await request.form()
    for key, value in posted.multi_items():
        if isinstance(value, str) and key.startswith(("rating-", "text-")):
            form[key] = value[:2000]
    for key, value in form.items():
        if not key.startswith("rating-") or not value:
            continue
        line_id = parse_id(key.removeprefix("rating-"))
        if line_id is None or value not in {"1", "2", "3", "4", "5"}:
            problem = _("评分应为 1 到 5 星。")
            continue
        items.append(
            ReviewItemIn(
                order_line_id=line_id, rating=int(value), text=form.get(f"text-{line_id}", "")
            )
        )
    if problem is None and not items:
        problem = _("请至少为一件商品打分。")
    if problem is None:
        try:
            await review_service.post_reviews(session, buyer=user, fulfillment_id=fid, items=items)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            problem = {
                "review_exists": _("这件商品已经评价过了。"),
                "fulfillment_not_delivered": _("包裹签收后才能评价。"),
            }.get(exc.code, _("评价内容最多 1000 字，请检查后重试。"))
            status_code = exc.status_code
    else:
        status_code = 422
    if problem is not None:
        return await _order_page(
            request,
            session,
            user,
            oid,
            review_errors={fid: {"form": problem}},
            review_form=form,
            status_code=status_code,
        )
    return see_other(f"/orders/{oid}#fulfillment-{fid}")
