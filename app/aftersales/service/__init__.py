"""Use cases of after-sales (售后). Statuses and who moves them:

    requested ──supplier accepts / 48 h pass──▶ (return: awaiting_return ──buyer's parcel,
        │                                          supplier's receipt──▶) refund
        └─supplier rejects──▶ rejected ──buyer escalates──▶ escalated ──operator──▶ refund | closed

The refund goes through the order's payment (app.payment's refund path): by Stripe at once,
refunded; by bank transfer the request waits, accepted, until the operator records the
transfer back with its reference. Callers import from here.
"""

from app.aftersales.errors import InvalidAfterSales
from app.aftersales.service.answering import (
    accept,
    auto_accept,
    confirm_received,
    decide,
    escalate,
    record_payout,
    reject,
    send_return,
)
from app.aftersales.service.asking import (
    AUTO_ACCEPT_JOB,
    DISCARD_STRAY_PHOTO_JOB,
    add_photo,
    ask,
    ask_with_photos,
    discard_stray_photo,
)
from app.aftersales.service.checks import check_reason
from app.aftersales.service.notices import NOTIFY_JOB, Audience, Step
from app.aftersales.service.views import (
    OPERATOR_WAITING,
    SUPPLIER_WAITING,
    OrderPanel,
    for_cooperative,
    for_operator,
    for_order,
    operator_count,
    order_panel,
    parse_status,
    supplier_count,
    view,
    views,
)

__all__ = [
    "AUTO_ACCEPT_JOB",
    "DISCARD_STRAY_PHOTO_JOB",
    "NOTIFY_JOB",
    "OPERATOR_WAITING",
    "SUPPLIER_WAITING",
    "Audience",
    "InvalidAfterSales",
    "OrderPanel",
    "Step",
    "accept",
    "add_photo",
    "ask",
    "ask_with_photos",
    "auto_accept",
    "check_reason",
    "confirm_received",
    "decide",
    "discard_stray_photo",
    "escalate",
    "for_cooperative",
    "for_operator",
    "for_order",
    "operator_count",
    "order_panel",
    "parse_status",
    "record_payout",
    "reject",
    "send_return",
    "supplier_count",
    "view",
    "views",
]
