"""How the organisation pages read what is typed (percentages) and word the service's field
problems in the page's language (the API's messages are English)."""

from __future__ import annotations

import re
from decimal import Decimal

from app.core.money import BASIS_POINTS
from app.organization.errors import FieldProblem, InvalidOrganizationFields
from app.web.forms import check_this
from app.web.i18n import gettext as _

# A share in percent as typed: "15", "12.5", "10.25" (a basis point is 0.01 %).
_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


def parse_percent(raw: str) -> int | None:
    """Basis points from a percentage typed in the form ("15" → 1500), None if it is none."""
    text = raw.strip().removesuffix("%").strip()
    if not _PERCENT.fullmatch(text):
        return None
    return int(Decimal(text) * BASIS_POINTS / 100)


def problem_message(field: str, problem: FieldProblem) -> str:
    """The page's wording of a service problem (the API's messages are English)."""
    if problem.code == "invalid_credit_code":
        return _("统一社会信用代码无效，请核对（18 位，含校验码）。")
    if problem.code == "credit_code_kind_mismatch":
        if field == "kind":
            return _("单位类型与统一社会信用代码不符。")
        return _(
            "机关以 11 开头，事业单位以 12 开头，企业以 91 开头，工会以 81 开头；"
            "请核对单位类型与代码。"
        )
    messages = {
        "invalid_name": _("名称应为 2 到 100 个字符。"),
        "invalid_kind": _("请选择单位类型。"),
        "unknown_county": _("请选择注册地所在的区县。"),
        "invalid_email": _("请输入有效的电子邮箱地址。"),
        "invalid_role": _("请选择角色。"),
        "reason_required": _("请填写原因。"),
        "reason_too_long": _("原因最多 500 个字符。"),
        "invalid_reason": _("原因含有无法显示的字符。"),
        "invalid_year": _("请选择年度。"),
        "invalid_budget": _("请填写预算金额（元），最多两位小数。"),
        "invalid_reserved_share": _("请填写预留比例，如 15。"),
        "reserved_share_too_low": _("预留比例不能低于 10%（建议 15%）。"),
        "reserved_share_too_high": _("预留比例不能超过 100%。"),
    }
    if problem.detail == "charset":
        return _("含有无法显示的字符。")
    return messages.get(problem.code, check_this())


def field_messages(error: InvalidOrganizationFields) -> dict[str, str]:
    return {field: problem_message(field, problem) for field, problem in error.problems.items()}
