"""The pages' wording of bulk-order statuses, line problems and refusals (the API's messages
are English), and the portal frame every page of this domain is rendered in."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.core.errors import DomainError
from app.organization.access import member_organization
from app.organization.menu import menu_context
from app.web.i18n import gettext as _
from app.web.static import static_url
from app.web.templating import render
from app.web.uploads import sheet_problem

CSS = static_url("css/procurement.css")


def status_labels() -> dict[str, str]:
    return {
        "draft": _("草稿"),
        "submitted": _("待审批"),
        "approved": _("已批准"),
        "rejected": _("已驳回"),
    }


def line_error_labels() -> dict[str, str]:
    """Each line problem; `%(limit)s` is the SKU's minimum or the units left."""
    return {
        "missing_sku_code": _("缺少商品编码"),
        "unknown_sku": _("没有这个商品编码"),
        "sku_unavailable": _("该商品已下架或暂不可售"),
        "invalid_quantity": _("数量应为 1 到 100000 的整数"),
        "below_min_qty": _("未达到起订量 %(limit)s"),
        "insufficient_stock": _("库存不足，当前可售 %(limit)s"),
        "invalid_delivery_date": _("配送日期无效：应为今天起一年内的日期，如 2026-09-01"),
        "conflicting_delivery_dates": _("合并的几行配送日期不同，请合并为一行或分开上传"),
    }


def upload_error(error: DomainError) -> str:
    """Why an uploaded file was refused."""
    problem = sheet_problem(
        error, missing_columns=_("表头缺少“商品编码”或“数量”列，请使用下载的模板。")
    )
    return problem if problem is not None else refusal(error)


def refusal(error: DomainError) -> str:
    """Why submitting, approving or rejecting was refused."""
    return {
        "bulk_order_invalid": _("清单中还有问题，请修改后重新上传，或重新校验。"),
        "bulk_order_not_draft": _("该采购单已提交，不能再修改。"),
        "bulk_order_not_submitted": _("该采购单尚未提交审批。"),
        "bulk_order_already_decided": _("该采购单已经审批或驳回，不能重复处理。"),
        "own_submission": _("不能审批自己提交的采购单，请由本单位其他审批人或管理员处理。"),
        "submitter_not_member": _("提交人已不在本单位，请驳回后由他人重新提交。"),
        "insufficient_stock": _("部分商品库存不足，未能下单；采购单仍为待审批。"),
        "sku_unavailable": _("部分商品已下架或暂不可售，未能下单。"),
        "below_min_qty": _("部分商品未达到起订量，未能下单。"),
        "region_not_served": _("部分供应商不配送到所选地区，请更换收货地址。"),
        "organization_not_verified": _("本单位尚未通过平台审核，暂不能下单。"),
        "invalid_comment": _("请填写驳回原因，最多 500 个字符。"),
        "bulk_order_not_found": _("没有这个采购单。"),
    }.get(error.code, _("操作未完成，请检查后重试。"))


def address_messages(fields: dict[str, str]) -> dict[str, str]:
    """Field problems of the submit form, keyed by form field."""
    messages = {
        "name": _("请填写收货人姓名，最多 50 个字符。"),
        "phone": _("请填写有效的手机号码或固定电话。"),
        "county_code": _("请选择省份、城市和区县。"),
        "detail": _("详细地址应为 5 到 200 个字符。"),
        "po_number": _("采购单号最多 60 个字符。"),
        "payment_method": _("请选择支付方式。"),
    }
    shown: dict[str, str] = {}
    for name in fields:
        field = name.removeprefix("shipping_address.")
        if field in messages:
            shown[field] = messages[field]
    return shown


def recipient_error_labels() -> dict[str, str]:
    """Each problem of a gift's recipient row."""
    return {
        "invalid_name": _("姓名应为 1 到 50 个字符"),
        "invalid_phone": _("手机号或固定电话无效"),
        "unknown_county": _("没有这个区县代码（6 位行政区划代码）"),
        "invalid_address_detail": _("详细地址应为 5 到 200 个字符"),
        "duplicate_recipient": _("与前面一行的姓名和电话相同"),
        "region_not_served": _("有供应商不配送到该地区"),
    }


def gift_problems(error: DomainError) -> list[str]:
    """What an order refusal says of a gift's recipients (`recipients.5.phone`) and SKUs
    (`items.2.quantity`), one line each."""
    lines: list[str] = []
    for name, message in error.fields.items():
        parts = name.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and parts[0] == "recipients":
            lines.append(_("收件人第 %(row)s 行：%(text)s") % {"row": parts[1], "text": message})
        elif len(parts) >= 2 and parts[1].isdigit() and parts[0] == "items":
            lines.append(_("第 %(n)s 种商品：%(text)s") % {"n": parts[1], "text": message})
    return lines


def row_problems(error: DomainError) -> dict[int, str]:
    """Rows an order refusal names (`rows.12.quantity`), with what it says about them."""
    rows: dict[int, str] = {}
    for name, message in error.fields.items():
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "rows" and parts[1].isdigit():
            rows[int(parts[1])] = message
    return rows


async def portal_page(
    request: Request,
    session: AsyncSession,
    user: User,
    organization_id: int,
    template: str,
    current: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A portal page of a member (or operator), with the side menu: 404 for anyone else."""
    organization = await member_organization(session, user=user, organization_id=organization_id)
    full = await menu_context(session, organization=organization, user=user, current=current)
    full.update(
        {
            "css": CSS,
            "status_labels": status_labels(),
            "line_errors": line_error_labels(),
            "notice": request.query_params.get("done"),
        }
    )
    full.update(context)
    return render(request, template, full, status_code=status_code)
