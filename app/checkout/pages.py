"""HTML routes of checkout: the checkout form, the buyer's orders and one order's page."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageOperator, PageUser
from app.account.models import User
from app.checkout import service
from app.core.errors import DomainError
from app.order.labels import buyer_fulfillment_status_labels, order_status_labels
from app.order.models import PaymentMethod
from app.order.schemas import PlaceOrderRequest, ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.payment import service as payment_service
from app.payment.errors import InvalidRefundReason
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.paths import is_page_id, page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

_PROVINCE = re.compile(r"[1-9][0-9]0000")
ORDERS_PER_PAGE = 20


def payment_status_labels() -> dict[str, str]:
    return {
        "pending": _("待支付"),
        "requires_action": _("待验证"),
        "succeeded": _("已支付"),
        "failed": _("支付失败"),
        "cancelled": _("已取消"),
    }


def payment_method_labels() -> dict[str, str]:
    return {
        PaymentMethod.STRIPE: _("在线支付（银行卡）"),
        PaymentMethod.BANK_TRANSFER: _("对公转账"),
    }


def cancel_reason_labels() -> dict[str, str]:
    return {
        service.BUYER_CANCEL_REASON: _("买家取消"),
        service.EXPIRED_REASON: _("超时未支付，订单已自动取消"),
    }


# The form's fields, and the request fields whose errors they show.
_FORM_FIELDS = {
    "shipping_address.name": "name",
    "shipping_address.phone": "phone",
    "shipping_address.county_code": "county_code",
    "shipping_address.detail": "detail",
    "payment_method": "payment_method",
    "organization_id": "organization_id",
    "po_number": "po_number",
}


def _field_messages(fields: dict[str, str]) -> dict[str, str]:
    """The service's field errors in the page's language, keyed by form field."""
    messages = {
        "name": _("请填写收货人姓名，最多 50 个字符。"),
        "phone": _("请填写有效的手机号码或固定电话。"),
        "county_code": _("请填写有效的六位区县代码。"),
        "detail": _("详细地址应为 5 到 200 个字符。"),
        "payment_method": _("请选择支付方式。"),
        "organization_id": _("请选择您可以代表采购的单位。"),
        "po_number": _("采购单号最多 60 个字符，且仅用于单位采购。"),
    }
    shown: dict[str, str] = {}
    for name in fields:
        form_field = _FORM_FIELDS.get(name)
        if form_field is not None:
            shown[form_field] = messages[form_field]
    return shown


def _problem_message(error: DomainError) -> str:
    """Why the cart cannot be ordered as it is, in the page's language."""
    return {
        "empty_cart": _("购物车是空的，请先选购商品。"),
        "insufficient_stock": _("部分商品库存不足，请返回购物车调整数量。"),
        "sku_unavailable": _("购物车中有商品已下架或暂不可售，请返回购物车调整。"),
        "below_min_qty": _("购物车中有商品未达到起订量，请返回购物车调整。"),
        "region_not_served": _("部分供应商暂不配送到所选地区，请更换收货地址或调整购物车。"),
        "organization_not_found": _("请选择您可以代表采购的单位。"),
        "organization_not_verified": _("该单位尚未通过平台审核，暂不能下单。"),
    }.get(error.code, _("暂时无法下单，请稍后再试。"))


def _new_form() -> dict[str, str]:
    return {
        "name": "",
        "phone": "",
        "county_code": "",
        "detail": "",
        "payment_method": PaymentMethod.STRIPE.value,
        "organization_id": "",
        "po_number": "",
    }


async def _checkout_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    province: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    county = form.get("county_code") if form else None
    view = await service.checkout_view(
        session,
        buyer=user,
        province_code=province if province and _PROVINCE.fullmatch(province) else None,
        county_code=county,
    )
    if form is None:
        form = _new_form()
        if view.address is not None:
            form.update(view.address.model_dump())
    context: dict[str, Any] = {
        "view": view,
        "form": form,
        "errors": errors or {},
        "form_error": form_error,
        "problem": _problem_message(view.problem) if view.problem else None,
        # A fresh key per rendering: a double submit of this form places one order.
        "idempotency_key": secrets.token_urlsafe(24),
        "payment_method_labels": payment_method_labels(),
        "timeouts": {
            "minutes": request.app.state.settings.order_payment_timeout_minutes,
            "hours": request.app.state.settings.bank_transfer_timeout_hours,
        },
    }
    return render(request, "checkout/show_checkout.html", context, status_code=status_code)


@router.get("/checkout", response_class=HTMLResponse)
async def show_checkout(
    request: Request,
    user: PageUser,
    session: DbSession,
    province: Annotated[str, Query()] = "",
) -> Response:
    """The cart's goods per supplier, shipping, total, the delivery address and payment method."""
    return await _checkout_page(request, session, user, province=province)


@router.post("/checkout", response_class=HTMLResponse)
async def place_order(
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    name: FormText = "",
    phone: FormText = "",
    county_code: FormText = "",
    detail: FormText = "",
    payment_method: FormText = "",
    organization_id: FormText = "",
    po_number: FormText = "",
    idempotency_key: FormText = "",
) -> Response:
    """Place the cart's order; then pay by card (the pay page) or see the transfer details."""
    form = {
        "name": name,
        "phone": phone,
        "county_code": county_code,
        "detail": detail,
        "payment_method": payment_method,
        "organization_id": organization_id,
        "po_number": po_number,
    }
    errors: dict[str, str] = {}
    if payment_method not in {m.value for m in PaymentMethod}:
        errors["payment_method"] = _("请选择支付方式。")
    org_id = organization_id.strip()
    if org_id and not is_page_id(org_id):
        errors["organization_id"] = _("请选择您可以代表采购的单位。")
    if errors:
        return await _checkout_page(
            request, session, user, form=form, errors=errors, status_code=422
        )
    order_request = PlaceOrderRequest(
        shipping_address=ShippingAddressIn(
            name=name, phone=phone, county_code=county_code, detail=detail
        ),
        payment_method=PaymentMethod(payment_method).value,
        organization_id=int(org_id) if org_id else None,
        po_number=po_number or None,
    )
    try:
        order, _created = await service.place_order(
            session,
            buyer=user,
            idempotency_key=idempotency_key,
            request=order_request,
            timeouts=PaymentTimeouts.from_settings(request.app.state.settings),
        )
    except DomainError as exc:
        shown = _field_messages(exc.fields)
        if exc.code == "region_not_served":
            shown["county_code"] = _problem_message(exc)
        return await _checkout_page(
            request,
            session,
            user,
            form=form,
            errors=shown,
            form_error=None if shown else _problem_message(exc),
            status_code=exc.status_code,
        )
    if order.payment_method == PaymentMethod.STRIPE.value:
        return see_other(f"/orders/{order.id}/pay")
    return see_other(f"/orders/{order.id}")


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
    status_code: int = 200,
) -> Response:
    order = await service.get_order(session, buyer=user, order_id=order_id)
    settings = request.app.state.settings
    context: dict[str, Any] = {
        "order": order,
        "bank": {
            "account_name": settings.bank_account_name,
            "bank_name": settings.bank_name,
            "account_number": settings.bank_account_number,
        },
        "action_error": action_error,
        "status_labels": order_status_labels(),
        "fulfillment_labels": buyer_fulfillment_status_labels(),
        "payment_labels": payment_status_labels(),
        "method_labels": payment_method_labels(),
        "cancel_reasons": cancel_reason_labels(),
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
