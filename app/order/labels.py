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


# The buyer's label of a parcel whose order is not paid yet: suppliers see it only once paid.
AWAITING_PAYMENT = "awaiting_payment"


def buyer_fulfillment_status_labels() -> dict[str, str]:
    """A buyer's parcels, as the supplier's steps look from the buyer's side (a parcel of an
    unpaid order waits for the payment, not for its supplier: AWAITING_PAYMENT)."""
    return {
        AWAITING_PAYMENT: _("待付款"),
        FulfillmentStatus.PENDING: _("待供应商接单"),
        FulfillmentStatus.ACCEPTED: _("供应商已接单"),
        FulfillmentStatus.SHIPPED: _("已发货"),
        FulfillmentStatus.DELIVERED: _("已签收"),
        FulfillmentStatus.CANCELLED: _("已取消"),
    }


def buyer_parcel_status(order_status: str, fulfillment_status: str) -> str:
    """The key of a parcel's label for its buyer: AWAITING_PAYMENT while the order is unpaid."""
    if (
        order_status == OrderStatus.PENDING_PAYMENT
        and fulfillment_status == FulfillmentStatus.PENDING
    ):
        return AWAITING_PAYMENT
    return fulfillment_status


def supplier_fulfillment_status_labels() -> dict[str, str]:
    """A supplier's fulfilment queue: what the supplier has to do next."""
    return {
        FulfillmentStatus.PENDING: _("待接单"),
        FulfillmentStatus.ACCEPTED: _("已接单，待发货"),
        FulfillmentStatus.SHIPPED: _("已发货"),
        FulfillmentStatus.DELIVERED: _("已签收"),
        FulfillmentStatus.CANCELLED: _("已取消"),
    }
