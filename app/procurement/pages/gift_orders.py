"""The portal's gift orders (工会慰问品): the form (SKUs from the shop, units per recipient, the
recipients list) and the list, one gift's report (recipients checked row by row, and their
parcels once ordered) with its actions: upload again, check again, delete, submit, decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.core.errors import DomainError
from app.order.schemas import ShippingAddressIn
from app.order.service import MAX_RECIPIENTS, PaymentTimeouts
from app.procurement import service
from app.procurement.pages.bulk_request import BulkOrderRequest, PostedBulkOrder
from app.procurement.pages.submit_form import method_refused, submit_context
from app.procurement.pages.wording import (
    address_messages,
    gift_problems,
    portal_page,
    recipient_error_labels,
    refusal,
    upload_error,
)
from app.procurement.schemas import RejectRequest, SubmitRequest
from app.procurement.service import gifts
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormList, FormText, OptionalUpload
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import attachment, see_other
from app.web.uploads import read_bounded

router = APIRouter()

LIST_PER_PAGE = 50
# The form offers this many SKU choices; the API takes up to five.
FORM_SKUS = 3


async def _list_page(
    request: Request,
    session: AsyncSession,
    user: User,
    org_id: int,
    *,
    form: dict[str, Any] | None = None,
    upload_error_text: str | None = None,
    status_code: int = 200,
) -> Response:
    listed = await gifts.list_gift_orders(
        session, user=user, organization_id=org_id, per_page=LIST_PER_PAGE
    )
    people = await service.names(session, [item.submitted_by_user_id for item in listed.items])
    context = {
        "listed": listed,
        "people": people,
        "choices": await gifts.sku_choices(session),
        "form": form or {"sku_id": [""] * FORM_SKUS, "quantity_each": ["1"] * FORM_SKUS},
        "form_skus": FORM_SKUS,
        "upload_error": upload_error_text,
        "max_recipients": MAX_RECIPIENTS,
    }
    return await portal_page(
        request,
        session,
        user,
        org_id,
        "procurement/list_gift_orders.html",
        "gift_orders",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/gift-orders", response_class=HTMLResponse)
async def list_gift_orders(
    request: Request, organization_id: str, user: PageUser, session: DbSession
) -> Response:
    """The new-gift form and the organisation's gift orders."""
    return await _list_page(request, session, user, page_id(organization_id))


@router.get("/org/{organization_id}/gift-orders/template.{kind}")
async def download_template(
    organization_id: str, kind: str, user: PageUser, session: DbSession
) -> Response:
    """The empty recipients list (姓名, 手机号, 区县代码, 详细地址) as XLSX or CSV."""
    return attachment(
        await gifts.recipients_template(
            session, user=user, organization_id=page_id(organization_id), kind=kind
        )
    )


def _chosen(sku_ids: list[str], quantities: list[str]) -> tuple[list[str], list[str]]:
    """The SKUs picked in the form's selects (empty selects left out), with their units."""
    pairs = [
        (sku, quantities[index] if index < len(quantities) else "")
        for index, sku in enumerate(sku_ids)
        if sku.strip()
    ]
    return [sku for sku, _ in pairs], [quantity for _, quantity in pairs]


@router.post("/org/{organization_id}/gift-orders", response_class=HTMLResponse)
async def upload(
    request: Request,
    organization_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    sku_id: FormList = [],  # noqa: B006 (FastAPI copies list defaults)
    quantity_each: FormList = [],  # noqa: B006
    recipients: OptionalUpload = None,
) -> Response:
    """A new gift from the chosen SKUs and the recipients list; then its report."""
    org_id = page_id(organization_id)
    form = {"sku_id": sku_id, "quantity_each": quantity_each}
    chosen_skus, chosen_quantities = _chosen(sku_id, quantity_each)
    try:
        if recipients is None or not recipients.filename:
            raise _MissingFile()
        data = await read_bounded(recipients, service.MAX_UPLOAD_BYTES)
        created = await gifts.upload(
            session,
            user=user,
            organization_id=org_id,
            sku_ids=chosen_skus,
            quantities=chosen_quantities,
            data=data,
            filename=recipients.filename,
        )
    except _MissingFile:
        return await _list_page(
            request,
            session,
            user,
            org_id,
            form=form,
            upload_error_text=_("请选择收件人名单文件。"),
            status_code=422,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        text = (
            _("请至少选择一种商品，每人数量为 1 到 100 的整数，同一商品不要重复选择。")
            if exc.code == "invalid_gift_items"
            else upload_error(exc)
        )
        return await _list_page(
            request,
            session,
            user,
            org_id,
            form=form,
            upload_error_text=text,
            status_code=exc.status_code,
        )
    return see_other(f"/org/{org_id}/gift-orders/{created.id}")


class _MissingFile(Exception):
    """The form came without a recipients file."""


# ---------------------------------------------------------------------------------------------
# One gift order


async def _gift_page(
    at: BulkOrderRequest,
    *,
    province: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    problem_lines: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    gift = await gifts.get_gift_order(
        at.session, user=at.user, organization_id=at.org_id, gift_order_id=at.bulk_id
    )
    only_problems = at.request.query_params.get("problems") == "1"
    context: dict[str, Any] = {
        "gift": gift,
        "recipients": [r for r in gift.recipients if r.error_code or not only_problems],
        "only_problems": only_problems,
        "people": await service.names(
            at.session,
            [gift.created_by_user_id, gift.submitted_by_user_id, gift.approver_user_id],
        ),
        **await submit_context(at, form=form, province=province),
        "errors": errors or {},
        "problem": problem,
        "problem_lines": problem_lines or [],
        "recipient_errors": recipient_error_labels(),
    }
    return await portal_page(
        at.request,
        at.session,
        at.user,
        at.org_id,
        "procurement/show_gift_order.html",
        "gift_orders",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/gift-orders/{bulk_order_id}/recipients.xlsx")
async def download_recipients(
    organization_id: str, bulk_order_id: str, user: PageUser, session: DbSession
) -> Response:
    """Each recipient's parcels with status and tracking number."""
    return attachment(
        await gifts.recipients_xlsx(
            session,
            user=user,
            organization_id=page_id(organization_id),
            gift_order_id=page_id(bulk_order_id),
        )
    )


@router.get("/org/{organization_id}/gift-orders/{bulk_order_id}", response_class=HTMLResponse)
async def show_gift_order(
    request: Request,
    organization_id: str,
    bulk_order_id: str,
    user: PageUser,
    session: DbSession,
    province: Annotated[str, Query()] = "",
) -> Response:
    """The gift's SKUs, its recipients (problems marked; parcels once ordered), and actions."""
    at = BulkOrderRequest(request, session, user, organization_id, bulk_order_id)
    return await _gift_page(at, province=province)


async def _after(at: BulkOrderRequest, error: DomainError, **kwargs: Any) -> Response:
    """The gift again, saying why an action was refused (404s stay 404 pages)."""
    if error.status_code == 404:
        raise error
    return await _gift_page(
        at,
        problem=upload_error(error),  # a file's problem, or why the action was refused
        problem_lines=gift_problems(error),
        status_code=error.status_code,
        **kwargs,
    )


def _base(at: BulkOrderRequest) -> str:
    return f"/org/{at.org_id}/gift-orders/{at.bulk_id}"


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/recipients", response_class=HTMLResponse
)
async def upload_again(at: PostedBulkOrder, recipients: OptionalUpload = None) -> Response:
    """The corrected recipients list replaces the draft's."""
    if recipients is None or not recipients.filename:
        return await _gift_page(at, problem=_("请选择收件人名单文件。"), status_code=422)
    data = await read_bounded(recipients, service.MAX_UPLOAD_BYTES)
    try:
        await gifts.replace_recipients(
            at.session,
            user=at.user,
            organization_id=at.org_id,
            gift_order_id=at.bulk_id,
            data=data,
            filename=recipients.filename,
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(_base(at) + "?done=uploaded")


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/recheck", response_class=HTMLResponse
)
async def recheck(at: PostedBulkOrder) -> Response:
    """The draft checked again against stock, prices and delivery areas now."""
    try:
        await gifts.recheck(
            at.session, user=at.user, organization_id=at.org_id, gift_order_id=at.bulk_id
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(_base(at) + "?done=rechecked")


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/delete", response_class=HTMLResponse
)
async def delete_draft(at: PostedBulkOrder) -> Response:
    """A gift draft thrown away."""
    try:
        await gifts.delete_gift_draft(
            at.session, user=at.user, organization_id=at.org_id, gift_order_id=at.bulk_id
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(f"/org/{at.org_id}/gift-orders?done=deleted")


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/submit", response_class=HTMLResponse
)
async def submit(
    at: PostedBulkOrder,
    name: FormText = "",
    phone: FormText = "",
    province: FormText = "",
    prefecture: FormText = "",
    county_code: FormText = "",
    detail: FormText = "",
    po_number: FormText = "",
    payment_method: FormText = "",
    refresh: FormText = "",
) -> Response:
    """The valid gift submitted for approval with its payment and the union's contact."""
    form = {
        "name": name,
        "phone": phone,
        "province": province,
        "prefecture": prefecture,
        "county_code": county_code,
        "detail": detail,
        "po_number": po_number,
        "payment_method": payment_method,
    }
    if refresh:  # the selects' button without JavaScript: the form again, lists updated
        return await _gift_page(at, form=form)
    if method_refused(at, payment_method):
        return await _gift_page(
            at, form=form, errors=address_messages({"payment_method": ""}), status_code=422
        )
    body = SubmitRequest(
        payment_method=payment_method,  # checked just above
        shipping_address=ShippingAddressIn(
            name=name, phone=phone, county_code=county_code, detail=detail
        ),
        po_number=po_number or None,
    )
    try:
        await gifts.submit(
            at.session,
            user=at.user,
            organization_id=at.org_id,
            gift_order_id=at.bulk_id,
            request=body,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        errors = address_messages(exc.fields)
        return await _gift_page(
            at,
            form=form,
            errors=errors,
            problem=None if errors else refusal(exc),
            status_code=exc.status_code,
        )
    return see_other(_base(at) + "?done=submitted")


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/approve", response_class=HTMLResponse
)
async def approve(at: PostedBulkOrder) -> Response:
    """Approve: one order with a parcel per recipient and supplier is placed."""
    try:
        await gifts.approve(
            at.session,
            user=at.user,
            organization_id=at.org_id,
            gift_order_id=at.bulk_id,
            timeouts=PaymentTimeouts.from_settings(at.request.app.state.settings),
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(_base(at) + "?done=approved")


@router.post(
    "/org/{organization_id}/gift-orders/{bulk_order_id}/reject", response_class=HTMLResponse
)
async def reject(at: PostedBulkOrder, comment: FormText = "") -> Response:
    """Reject with a comment."""
    try:
        await gifts.reject(
            at.session,
            user=at.user,
            organization_id=at.org_id,
            gift_order_id=at.bulk_id,
            request=RejectRequest(comment=comment),
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(_base(at) + "?done=rejected")
