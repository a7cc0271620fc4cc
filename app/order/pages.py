"""HTML routes of the order domain: the supplier portal's fulfilment queue and webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageUser
from app.account.models import User
from app.cooperative.menu import SupplierPortal, register_supplier_counter
from app.core.errors import DomainError
from app.core.fields import parse_id
from app.order import service
from app.order.carriers import CARRIERS
from app.order.errors import InvalidOrderFields, InvalidStatusTransition, WebhookUrlRefused
from app.order.labels import supplier_fulfillment_status_labels
from app.order.models import FulfillmentStatus
from app.trace.service import batch_choices
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, OptionalUpload, check_this, field_messages
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import attachment, see_other
from app.web.templating import render
from app.web.uploads import read_bounded, sheet_problem

router = APIRouter(include_in_schema=False)
register_supplier_counter("fulfillments", service.count_to_ship)

PER_PAGE = 30


def _shipment_messages(fields: dict[str, str]) -> dict[str, str]:
    messages = {
        "carrier": _("请填写快递公司，1 到 50 个字符。"),
        "tracking_number": _("快递单号应为 4 到 60 位字母、数字或连字符。"),
    }
    return field_messages(fields, messages)


def _queue_url(cooperative_id: int, status: str, fulfillment_id: int | None = None) -> str:
    query = f"?{urlencode({'status': status})}" if status else ""
    anchor = f"#fulfillment-{fulfillment_id}" if fulfillment_id else ""
    return f"/coop/{cooperative_id}/fulfillments{query}{anchor}"


async def _queue_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    status: str = "",
    page: int = 1,
    ship_forms: dict[int, dict[str, str]] | None = None,
    ship_errors: dict[int, dict[str, str]] | None = None,
    action_errors: dict[int, str] | None = None,
    sheet_errors: list[str] | None = None,
    shipped: int | None = None,
    status_code: int = 200,
) -> Response:
    queue = await service.list_supplier_fulfillments(
        session,
        user=user,
        cooperative_id=cooperative_id,
        status=status or None,
        page=page,
        per_page=PER_PAGE,
    )
    context: dict[str, Any] = {
        "queue": queue,
        "status": status,
        "statuses": list(FulfillmentStatus),
        "last_page": max(1, -(-queue.total // queue.per_page)),
        "status_labels": supplier_fulfillment_status_labels(),
        "ship_forms": ship_forms or {},
        "ship_errors": ship_errors or {},
        "action_errors": action_errors or {},
        "carriers": CARRIERS,
        "sheet_errors": sheet_errors or [],
        "shipped": shipped,
        "batch_choices": await batch_choices(
            session,
            cooperative_id,
            [line.product_id for f in queue.items if f.status == "accepted" for line in f.lines],
        ),
    }
    return render(request, "order/show_fulfillments.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/fulfillments", response_class=HTMLResponse)
async def show_fulfillments(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    session: DbSession,
    status: Annotated[str, Query()] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    shipped: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:
    """The supplier's fulfilments of paid orders, with forms to accept and to ship each, and
    to ship many at once from the shipping sheet."""
    return await _queue_page(
        request,
        session,
        user,
        page_id(cooperative_id),
        status=status,
        page=page,
        shipped=shipped,
    )


@router.get("/coop/{cooperative_id}/fulfillments/shipping-sheet.xlsx")
async def download_shipping_sheet(
    _menu: SupplierPortal, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """The parcels waiting to ship, with each recipient's address, to fill in and upload."""
    sheet = await service.shipping_sheet(session, user=user, cooperative_id=page_id(cooperative_id))
    return attachment(sheet)


def _sheet_errors(error: DomainError) -> list[str]:
    """Each problem of an uploaded shipping sheet, as a line the page lists."""
    problem = sheet_problem(
        error, missing_columns=_("表头缺少“包裹编号”“快递公司”或“快递单号”列，请使用下载的发货表。")
    )
    if problem is not None:
        return [problem]
    if not isinstance(error, InvalidOrderFields):
        return [_("上传未完成，请检查后重试。")]
    column_names = {
        "fulfillment_id": _("包裹编号"),
        "carrier": _("快递公司"),
        "tracking_number": _("快递单号"),
    }
    reasons = {
        "unknown_fulfillment": _("没有这个待发货的包裹"),
        "duplicate_fulfillment": _("同一包裹出现了两次"),
        "invalid_status_transition": _("该包裹当前的状态不能发货"),
        "invalid_carrier": _("请填写快递公司，1 到 50 个字符"),
        "invalid_tracking_number": _("快递单号应为 4 到 60 位字母、数字或连字符"),
        "nothing_to_ship": _("表中没有填写了快递单号的行"),
    }
    lines: list[str] = []
    for name, (code, _message) in error.problems.items():
        parts = name.split(".")
        reason = reasons.get(code, check_this())
        if len(parts) == 3 and parts[0] == "rows":
            lines.append(
                _("第 %(row)s 行%(column)s：%(reason)s")
                % {"row": parts[1], "column": column_names.get(parts[2], ""), "reason": reason}
            )
        else:
            lines.append(reason)
    return lines


@router.post("/coop/{cooperative_id}/fulfillments/tracking", response_class=HTMLResponse)
async def ship_from_sheet(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    file: OptionalUpload = None,
) -> Response:
    """Ship the parcels of an uploaded shipping sheet; all or none, with each row's problem."""
    coop_id = page_id(cooperative_id)
    if file is None or not file.filename:
        errors = [_("请选择要上传的发货表。")]
        return await _queue_page(
            request, session, user, coop_id, sheet_errors=errors, status_code=422
        )
    data = await read_bounded(file, service.MAX_SHEET_BYTES)
    try:
        shipment = await service.ship_from_sheet(
            session,
            user=user,
            cooperative_id=coop_id,
            data=data,
            filename=file.filename,
            auto_complete_after=timedelta(days=request.app.state.settings.order_auto_complete_days),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _queue_page(
            request,
            session,
            user,
            coop_id,
            sheet_errors=_sheet_errors(exc),
            status_code=exc.status_code,
        )
    return see_other(f"/coop/{coop_id}/fulfillments?shipped={len(shipment.shipped)}")


@dataclass(frozen=True)
class QueuedFulfillment:
    """A fulfilment a supplier acts on from its queue, named by the form's path, and the queue's
    status filter the form was posted from (to go back to)."""

    cooperative_id: int
    fulfillment_id: int
    status: str

    def queue_url(self) -> str:
        return _queue_url(self.cooperative_id, self.status, self.fulfillment_id)


async def _queued_fulfillment(
    cooperative_id: str, fulfillment_id: str, status: FormText = ""
) -> QueuedFulfillment:
    return QueuedFulfillment(page_id(cooperative_id), page_id(fulfillment_id), status)


# Declared after the user and the CSRF check: a path naming no fulfilment is a 404 then.
QueuedFulfillmentForm = Annotated[QueuedFulfillment, Depends(_queued_fulfillment)]


@router.post(
    "/coop/{cooperative_id}/fulfillments/{fulfillment_id}/accept", response_class=HTMLResponse
)
async def accept_fulfillment(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    queued: QueuedFulfillmentForm,
) -> Response:
    """Accept a paid order's fulfilment."""
    coop_id, fid = queued.cooperative_id, queued.fulfillment_id
    try:
        await service.accept_fulfillment(
            session, user=user, fulfillment_id=fid, cooperative_id=coop_id
        )
    except InvalidStatusTransition:
        errors = {fid: _("该订单当前的状态不能接单。")}
        return await _queue_page(
            request, session, user, coop_id, action_errors=errors, status_code=409
        )
    return see_other(queued.queue_url())


@router.post(
    "/coop/{cooperative_id}/fulfillments/{fulfillment_id}/ship", response_class=HTMLResponse
)
async def ship_fulfillment(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    queued: QueuedFulfillmentForm,
    carrier: FormText = "",
    carrier_other: FormText = "",
    tracking_number: FormText = "",
) -> Response:
    """Ship an accepted fulfilment with carrier (from the list, or typed after 其他) and
    tracking number."""
    coop_id, fid = queued.cooperative_id, queued.fulfillment_id
    form = {"carrier": carrier, "carrier_other": carrier_other, "tracking_number": tracking_number}
    if carrier == "other":
        carrier = carrier_other
    # batch-{line id}: the harvest batch a line ships from (blank: not named).
    fields: dict[str, str] = {}
    batches: list[tuple[int, int]] = []
    for key, value in (await request.form()).multi_items():
        line_id = parse_id(key.removeprefix("batch-")) if key.startswith("batch-") else None
        if line_id is None or not isinstance(value, str) or not value:
            continue
        form[key] = value
        fields[f"batches.{len(batches)}"] = key
        batches.append((line_id, parse_id(value) or 0))
    ship_errors: dict[int, dict[str, str]] = {}
    action_errors: dict[int, str] = {}
    try:
        await service.ship_fulfillment(
            session,
            user=user,
            fulfillment_id=fid,
            carrier=carrier,
            tracking_number=tracking_number,
            auto_complete_after=timedelta(days=request.app.state.settings.order_auto_complete_days),
            cooperative_id=coop_id,
            batches=batches,
        )
    except InvalidOrderFields as exc:
        ship_errors[fid], status_code = _shipment_messages(exc.fields), 422
        for name in exc.fields:
            prefix = name.rsplit(".", 1)[0]
            if prefix in fields:
                ship_errors[fid][fields[prefix]] = _("请选择本社该商品的批次。")
                action_errors[fid] = _("请选择本社该商品的批次。")
    except InvalidStatusTransition:
        action_errors[fid], status_code = _("只有已接单的订单才能发货。"), 409
    else:
        return see_other(queued.queue_url())
    return await _queue_page(
        request,
        session,
        user,
        coop_id,
        ship_forms={fid: form},
        ship_errors=ship_errors,
        action_errors=action_errors,
        status_code=status_code,
    )


# ---------------------------------------------------------------------------------------------
# The supplier's webhook


async def _webhook_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    saved: bool = False,
    errors: dict[str, str] | None = None,
    entered: str | None = None,
    status_code: int = 200,
) -> Response:
    name, webhook = await service.supplier_webhook(
        session, user=user, cooperative_id=cooperative_id
    )
    context: dict[str, Any] = {
        "cooperative_id": cooperative_id,
        "cooperative_name": name,
        "webhook": webhook,
        "url": webhook.url or "" if entered is None else entered,
        "saved": saved,
        "errors": errors or {},
    }
    return render(request, "order/show_webhook.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/webhook", response_class=HTMLResponse)
async def show_webhook(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    session: DbSession,
    saved: Annotated[int | None, Query(ge=1, le=1)] = None,
) -> Response:
    """Where the supplier's new fulfilments are posted, and the secret that signs them."""
    return await _webhook_page(request, session, user, page_id(cooperative_id), saved=saved == 1)


@router.post("/coop/{cooperative_id}/webhook", response_class=HTMLResponse)
async def save_webhook(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    url: FormText = "",
    secret: FormText = "",
) -> Response:
    """Save the URL (blank: none) and, if typed, a new secret; a refusal names the field."""
    cid = page_id(cooperative_id)
    try:
        await service.set_supplier_webhook(
            session,
            user=user,
            cooperative_id=cid,
            url=url.strip() or None,
            secret=secret or None,
            allow_private=request.app.state.settings.supplier_webhook_allow_private,
        )
    except WebhookUrlRefused as exc:
        messages = {
            "url": _("该地址不可用：须为 http(s) 地址，且不能指向本机、内网或保留地址。"),
            "secret": _("请设置 16 到 100 个字符的签名密钥（英文字母、数字或符号）。"),
        }
        errors = {name: messages[name] for name in exc.fields if name in messages}
        return await _webhook_page(
            request, session, user, cid, errors=errors, entered=url, status_code=422
        )
    return see_other(f"/coop/{cid}/webhook?saved=1")
