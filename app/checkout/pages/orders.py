"""HTML routes of checkout for placed orders: the buyer's orders, one order's page, cancelling
(by the buyer or an operator), confirming receipt and switching an unpaid order's payment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageOperator, PageUser
from app.account.models import User
from app.aftersales import service as aftersales_service
from app.aftersales.labels import carriers, kind_labels, refusal_message, status_labels
from app.checkout import service
from app.checkout.pages.wording import (
    cancel_reason_labels,
    payment_method_labels,
    payment_status_labels,
)
from app.core.errors import DomainError
from app.impact import purchases
from app.order.labels import (
    buyer_fulfillment_status_labels,
    buyer_parcel_status,
    order_status_labels,
)
from app.order.models import PaymentMethod
from app.order.service import PaymentTimeouts
from app.payment import service as payment_service
from app.payment.errors import InvalidRefundReason
from app.review import service as review_service
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

ORDERS_PER_PAGE = 20


@router.get("/orders", response_class=HTMLResponse)
async def list_orders(
    request: Request,
    user: PageUser,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The buyer's orders, newest first."""
    orders = await service.list_orders(session, buyer=user, page=page, per_page=ORDERS_PER_PAGE)
    context: dict[str, Any] = {
        "orders": orders,
        "last_page": max(1, -(-orders.total // orders.per_page)),
        "status_labels": order_status_labels(),
    }
    return render(request, "checkout/list_orders.html", context)


async def _order_page(
    request: Request,
    session: AsyncSession,
    user: User,
    order_id: int,
    *,
    action_error: str | None = None,
    review_errors: dict[int, dict[str, str]] | None = None,
    review_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    order = await service.get_order(session, buyer=user, order_id=order_id)
    settings = request.app.state.settings
    refusal = request.query_params.get("after_sales_error")
    delivered = [line.id for f in order.fulfillments if f.status == "delivered" for line in f.lines]
    context: dict[str, Any] = {
        "order": order,
        # Which counties and pairings it helps: only now that it is known to be the buyer's.
        "impact": await purchases.order_impact(session, order_id=order.id),
        "bank": {
            "account_name": settings.bank_account_name,
            "bank_name": settings.bank_name,
            "account_number": settings.bank_account_number,
        },
        "action_error": action_error,
        "status_labels": order_status_labels(),
        "fulfillment_labels": buyer_fulfillment_status_labels(),
        "parcel_status": buyer_parcel_status,
        "payment_labels": payment_status_labels(),
        "method_labels": payment_method_labels(),
        "cancel_reasons": cancel_reason_labels(),
        # The after-sales part: requests, the form, and why a step was refused.
        "after_sales": await aftersales_service.order_panel(
            session, request_media(request), buyer=user, order_id=order.id
        ),
        "after_sales_error": refusal_message(refusal[:60]) if refusal else None,
        "after_sales_labels": status_labels(),
        "after_sales_kinds": kind_labels(),
        "after_sales_carriers": carriers(),
        "reviews": await review_service.order_reviews(session, delivered),
        "review_errors": review_errors or {},
        "review_form": review_form or {},
    }
    return render(request, "checkout/show_order.html", context, status_code=status_code)


async def _action_refused(
    request: Request,
    session: AsyncSession,
    user: User,
    order_id: int,
    refusal: DomainError,
    message: str,
) -> Response:
    """The order's page again, saying why the buyer's action was refused (an order that is not
    the buyer's stays a 404)."""
    if refusal.status_code == 404:
        raise refusal
    return await _order_page(
        request, session, user, order_id, action_error=message, status_code=refusal.status_code
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def show_order(
    request: Request, order_id: str, user: PageUser, session: DbSession
) -> Response:
    """An order: status, each supplier's part with tracking, totals, payment, and actions."""
    return await _order_page(request, session, user, page_id(order_id))


@router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
async def cancel_order(
    request: Request,
    order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Cancel the order (refunded in full if it was paid)."""
    oid = page_id(order_id)
    try:
        await service.cancel_order(session, buyer=user, order_id=oid)
    except DomainError as exc:
        message = _("订单已有商品发货，不能再取消；收到货后可申请退款。")
        return await _action_refused(request, session, user, oid, exc, message)
    return see_other(f"/orders/{oid}")


@router.post("/admin/orders/{order_id}/cancel", response_class=HTMLResponse)
async def cancel_order_as_operator(
    request: Request,
    order_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    reason: FormText = "",
) -> Response:
    """The operator cancels from the order's operator page (the refund page); a refusal shows
    that page again with the reason."""
    oid = page_id(order_id)
    errors: dict[str, str] = {}
    try:
        await service.cancel_order_as_operator(
            session, operator=operator, order_id=oid, reason=reason
        )
    except InvalidRefundReason as exc:
        errors["cancel_reason"] = _("请填写取消原因，最多 500 个字符。")
        status_code = exc.status_code
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        errors["cancel_form"] = _("订单已有商品发货或已结束，不能取消。")
        status_code = exc.status_code
    else:
        return see_other(f"/admin/orders/{oid}/refund?cancelled=1")
    context = {
        "view": await payment_service.refund_form(session, order_id=oid),
        "refunded": None,
        "cancelled": False,
        "errors": errors,
        "form": {"cancel_reason": reason},
    }
    return render(request, "payment/show_refund.html", context, status_code=status_code)


@router.post(
    "/orders/{order_id}/fulfillments/{fulfillment_id}/confirm-receipt",
    response_class=HTMLResponse,
)
async def confirm_receipt(
    request: Request,
    order_id: str,
    fulfillment_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Confirm that one supplier's parcel arrived."""
    oid, fid = page_id(order_id), page_id(fulfillment_id)
    try:
        order = await service.confirm_receipt(session, buyer=user, fulfillment_id=fid)
    except DomainError as exc:
        message = _("该包裹尚未发货或已确认收货。")
        return await _action_refused(request, session, user, oid, exc, message)
    return see_other(f"/orders/{order.id}#fulfillment-{fid}")


@router.post("/orders/{order_id}/payment-method", response_class=HTMLResponse)
async def change_payment_method(
    request: Request,
    order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    payment_method: FormText = "",
) -> Response:
    """Pay the unpaid order another way (card ↔ bank transfer), without ordering again; back
    to the pay page, which says so when the switch was refused."""
    oid = page_id(order_id)
    settings = request.app.state.settings
    if payment_method not in {m.value for m in PaymentMethod}:
        return see_other(f"/orders/{oid}/pay?refused=method")
    try:
        await service.change_payment_method(
            session,
            buyer=user,
            order_id=oid,
            method=PaymentMethod(payment_method),
            offered=payment_service.offered_methods(settings),
            timeouts=PaymentTimeouts.from_settings(settings),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return see_other(f"/orders/{oid}/pay?refused=method")
    return see_other(f"/orders/{oid}/pay?switched=1")
