"""What the checkout, order and address pages say: status and method labels, field errors and
why an order cannot be placed, in the page's language."""

from __future__ import annotations

from collections.abc import Iterable

from app.checkout import service
from app.core.errors import DomainError
from app.order.models import PaymentMethod
from app.web.i18n import gettext as _


def payment_status_labels() -> dict[str, str]:
    return {
        "pending": _("待支付"),
        "requires_action": _("待验证"),
        "succeeded": _("已支付"),
        "failed": _("支付失败"),
        "cancelled": _("已取消"),
    }


def payment_method_labels(offered: Iterable[PaymentMethod] | None = None) -> dict[str, str]:
    """Every method's label, or only those of the methods `offered`, in their order."""
    labels = {
        PaymentMethod.STRIPE.value: _("在线支付（银行卡）"),
        PaymentMethod.BANK_TRANSFER.value: _("对公转账"),
    }
    if offered is None:
        return labels
    return {method.value: labels[method.value] for method in offered}


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
    "name": "name",
    "phone": "phone",
    "county_code": "county_code",
    "detail": "detail",
    "payment_method": "payment_method",
    "organization_id": "organization_id",
    "po_number": "po_number",
}


def field_messages(fields: Iterable[str]) -> dict[str, str]:
    """The service's field errors in the page's language, keyed by form field."""
    messages = {
        "name": _("请填写收货人姓名，最多 50 个字符。"),
        "phone": _("请填写有效的手机号码（11 位）或固定电话（区号-号码）。"),
        "county_code": _("请选择省份、城市和区县。"),
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


def problem_message(error: DomainError) -> str:
    """Why the cart cannot be ordered as it is, in the page's language."""
    return {
        "empty_cart": _("购物车是空的，请先选购商品。"),
        "insufficient_stock": _("部分商品库存不足，请返回购物车调整数量。"),
        "sku_unavailable": _("购物车中有商品已下架或暂不可售，请返回购物车调整。"),
        "below_min_qty": _("购物车中有商品未达到起订量，请返回购物车调整。"),
        "region_not_served": _("部分供应商暂不配送到所选地区，请更换收货地址或调整购物车。"),
        "organization_not_found": _("请选择您可以代表采购的单位。"),
        "organization_not_verified": _("该单位尚未通过平台审核，暂不能下单。"),
        "payment_method_unavailable": _("该支付方式暂不可用，请选择其他支付方式。"),
    }.get(error.code, _("暂时无法下单，请稍后再试。"))
