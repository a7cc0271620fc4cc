"""The wording of order and fulfilment statuses on pages: the buyer's and the supplier's."""

from __future__ import annotations

from app.order.models import FulfillmentStatus, OrderStatus
from app.web.i18n import gettext as _


def order_status_labels() -> dict[str, str]:
    return {
        OrderStatus.PENDING_PAYMENT: _("待付款"),
        OrderStatus.PAID: _("已付款"),
        OrderStatus.CANCELLED: _("已取消"),
        OrderStatus.COMPLETED: _("已完成"),
    }


def buyer_fulfillment_status_labels() -> dict[str, str]:
    """A buyer's parcels, as the supplier's steps look from the buyer's side."""
    return {
        FulfillmentStatus.PENDING: _("待供应商接单"),
        FulfillmentStatus.ACCEPTED: _("供应商已接单"),
        FulfillmentStatus.SHIPPED: _("已发货"),
        FulfillmentStatus.DELIVERED: _("已签收"),
        FulfillmentStatus.CANCELLED: _("已取消"),
    }


def supplier_fulfillment_status_labels() -> dict[str, str]:
    """A supplier's fulfilment queue: what the supplier has to do next."""
    return {
        FulfillmentStatus.PENDING: _("待接单"),
        FulfillmentStatus.ACCEPTED: _("已接单，待发货"),
        FulfillmentStatus.SHIPPED: _("已发货"),
        FulfillmentStatus.DELIVERED: _("已签收"),
        FulfillmentStatus.CANCELLED: _("已取消"),
    }
