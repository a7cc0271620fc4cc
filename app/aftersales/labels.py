"""The wording of after-sales on pages: statuses, kinds, and why a step was refused."""

from __future__ import annotations

from app.aftersales.models import RequestKind, RequestStatus
from app.order.carriers import CARRIERS
from app.web.i18n import gettext as _


def status_labels() -> dict[str, str]:
    return {
        RequestStatus.REQUESTED: _("待供应商处理"),
        RequestStatus.ACCEPTED: _("已同意，待退款"),
        RequestStatus.REJECTED: _("供应商已拒绝"),
        RequestStatus.ESCALATED: _("平台介入中"),
        RequestStatus.AWAITING_RETURN: _("待退货"),
        RequestStatus.REFUNDED: _("已退款"),
        RequestStatus.CLOSED: _("已关闭"),
    }


def kind_labels() -> dict[str, str]:
    return {
        RequestKind.REFUND_ONLY: _("仅退款"),
        RequestKind.RETURN_AND_REFUND: _("退货退款"),
    }


def refusal_messages() -> dict[str, str]:
    """By error code: what the person should know, in the page's language."""
    return {
        "after_sales_quantity_exceeded": _("申请数量超过可退数量（已购数量减去已退数量）。"),
        "after_sales_line_busy": _("该商品已有处理中的售后申请，请等待处理结果。"),
        "after_sales_not_allowed": _(
            "当前不能申请：仅退款限发货前或签收后 15 天内，"
            "退货退款限签收后 15 天内，且订单须已付款。"
        ),
        "invalid_after_sales": _("请检查填写的内容：数量、理由（1–500 字）、快递公司和单号。"),
        "invalid_status_transition": _("申请的状态已变化，不能执行这一步。请刷新页面。"),
        "refund_exceeds_payment": _("退款将超过已付金额或可退数量，未执行。"),
        "unsupported_type": _("照片必须是 JPEG、PNG 或 WebP 图片。"),
        "invalid_image": _("照片无法使用：请上传清晰的 JPEG、PNG 或 WebP 图片。"),
        "too_large": _("照片太大（每张最多 8 MB）。"),
        "validation_failed": _("请检查填写的内容。"),
    }


def refusal_message(code: str) -> str:
    return refusal_messages().get(code, _("操作未能完成，请检查后重试。"))


def carriers() -> list[str]:
    """The carriers a buyer picks from for a return (those suppliers ship with)."""
    return [carrier.name for carrier in CARRIERS]
