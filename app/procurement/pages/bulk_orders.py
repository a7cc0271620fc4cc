"""The portal's bulk orders: the upload form with its templates and the list, one bulk order's
validation report (uploaded again, checked again, deleted) and its submit form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.core.errors import DomainError
from app.order.schemas import ShippingAddressIn
from app.procurement import service
from app.procurement.pages.bulk_request import BulkOrderRequest, PostedBulkOrder
from app.procurement.pages.submit_form import method_refused, submit_context
from app.procurement.pages.wording import (
    address_messages,
    portal_page,
    refusal,
    row_problems,
    upload_error,
)
from app.procurement.schemas import SubmitRequest
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, OptionalUpload
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import attachment, see_other

router = APIRouter()

LIST_PER_PAGE = 50


async def _read_upload(file: OptionalUpload) -> bytes | None:
    if file is None or not file.filename:
        return None
    return await file.read(service.MAX_UPLOAD_BYTES + 1)


async def _list_page(
    request: Request,
    session: AsyncSession,
    user: User,
    org_id: int,
    *,
    upload_error_text: str | None = None,
    status_code: int = 200,
) -> Response:
    listed = await service.list_bulk_orders(
        session, user=user, organization_id=org_id, per_page=LIST_PER_PAGE
    )
    people = await service.names(
        session,
        [item.created_by_user_id for item in listed.items]
        + [item.submitted_by_user_id for item in listed.items],
    )
    context = {"listed": listed, "people": people, "upload_error": upload_error_text}
    return await portal_page(
        request,
        session,
        user,
        org_id,
        "procurement/list_bulk_orders.html",
        "bulk_orders",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/bulk-orders", response_class=HTMLResponse)
async def list_bulk_orders(
    request: Request, organization_id: str, user: PageUser, session: DbSession
) -> Response:
    """The upload form, the templates to download, and the organisation's bulk orders."""
    return await _list_page(request, session, user, page_id(organization_id))


@router.get("/org/{organization_id}/bulk-orders/template.{kind}")
async def download_template(
    organization_id: str, kind: str, user: PageUser, session: DbSession
) -> Response:
    """The empty list (商品编码, 数量, 配送日期) as XLSX or CSV."""
    return attachment(
        await service.template(
            session, user=user, organization_id=page_id(organization_id), kind=kind
        )
    )


@router.post("/org/{organization_id}/bulk-orders", response_class=HTMLResponse)
async def upload(
    request: Request,
    organization_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    file: OptionalUpload = None,
) -> Response:
    """A new draft from the uploaded list; then its report."""
    org_id = page_id(organization_id)
    data = await _read_upload(file)
    if data is None:
        return await _list_page(
            request,
            session,
            user,
            org_id,
            upload_error_text=_("请选择要上传的文件。"),
            status_code=422,
        )
    try:
        created = await service.upload(
            session,
            user=user,
            organization_id=org_id,
            data=data,
            filename=file.filename if file else None,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _list_page(
            request,
            session,
            user,
            org_id,
            upload_error_text=upload_error(exc),
            status_code=exc.status_code,
        )
    return see_other(f"/org/{org_id}/bulk-orders/{created.id}")


# ---------------------------------------------------------------------------------------------
# One bulk order


async def _report_page(
    at: BulkOrderRequest,
    *,
    province: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    problem_rows: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = at.org_id
    bulk = await service.get_bulk_order(
        at.session, user=at.user, organization_id=org_id, bulk_order_id=at.bulk_id
    )
    only_problems = at.request.query_params.get("problems") == "1"
    context: dict[str, Any] = {
        "bulk": bulk,
        "lines": [line for line in bulk.lines if line.error or not only_problems],
        "only_problems": only_problems,
        "people": await service.names(
            at.session,
            [bulk.created_by_user_id, bulk.submitted_by_user_id, bulk.approver_user_id],
        ),
        **await submit_context(at, form=form, province=province),
        "errors": errors or {},
        "problem": problem,
        "problem_rows": problem_rows or {},
    }
    return await portal_page(
        at.request,
        at.session,
        at.user,
        org_id,
        "procurement/show_bulk_order.html",
        "bulk_orders",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/bulk-orders/{bulk_order_id}.xlsx")
async def download_report(
    organization_id: str, bulk_order_id: str, user: PageUser, session: DbSession
) -> Response:
    """The validation report as a workbook, to fix and upload again."""
    return attachment(
        await service.report_xlsx(
            session,
            user=user,
            organization_id=page_id(organization_id),
            bulk_order_id=page_id(bulk_order_id),
        )
    )


@router.get("/org/{organization_id}/bulk-orders/{bulk_order_id}", response_class=HTMLResponse)
async def show_bulk_order(
    request: Request,
    organization_id: str,
    bulk_order_id: str,
    user: PageUser,
    session: DbSession,
    province: Annotated[str, Query()] = "",
) -> Response:
    """The validation report (rows with problems marked), and what can be done next."""
    at = BulkOrderRequest(request, session, user, organization_id, bulk_order_id)
    return await _report_page(at, province=province)


async def _after(at: BulkOrderRequest, error: DomainError) -> Response:
    """The report again, saying why an action was refused (404s stay 404 pages)."""
    if error.status_code == 404:
        raise error
    return await _report_page(
        at,
        problem=upload_error(error) if error.code in _FILE_CODES else refusal(error),
        problem_rows=row_problems(error),
        status_code=error.status_code,
    )


_FILE_CODES = frozenset(
    {
        "unsupported_file",
        "empty_file",
        "too_many_rows",
        "missing_columns",
        "duplicate_columns",
        "unreadable_file",
        "file_too_large",
    }
)


@router.post("/org/{organization_id}/bulk-orders/{bulk_order_id}/file", response_class=HTMLResponse)
async def upload_again(at: PostedBulkOrder, file: OptionalUpload = None) -> Response:
    """The corrected list replaces the draft's."""
    org_id = at.org_id
    data = await _read_upload(file)
    if data is None:
        return await _report_page(at, problem=_("请选择要上传的文件。"), status_code=422)
    try:
        await service.replace_list(
            at.session,
            user=at.user,
            organization_id=org_id,
            bulk_order_id=at.bulk_id,
            data=data,
            filename=file.filename if file else None,
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(f"/org/{org_id}/bulk-orders/{at.bulk_id}?done=uploaded")


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/recheck", response_class=HTMLResponse
)
async def recheck(at: PostedBulkOrder) -> Response:
    """The draft checked again against stock and prices now."""
    org_id = at.org_id
    try:
        await service.recheck(
            at.session, user=at.user, organization_id=org_id, bulk_order_id=at.bulk_id
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(f"/org/{org_id}/bulk-orders/{at.bulk_id}?done=rechecked")


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/delete", response_class=HTMLResponse
)
async def delete_draft(at: PostedBulkOrder) -> Response:
    """A draft thrown away."""
    org_id = at.org_id
    try:
        await service.delete_draft(
            at.session, user=at.user, organization_id=org_id, bulk_order_id=at.bulk_id
        )
    except DomainError as exc:
        return await _after(at, exc)
    return see_other(f"/org/{org_id}/bulk-orders?done=deleted")


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/submit", response_class=HTMLResponse
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
    """The valid draft submitted for approval with its payment and delivery."""
    org_id = at.org_id
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
        return await _report_page(at, form=form)
    if method_refused(at, payment_method):
        return await _report_page(
            at,
            form=form,
            errors=address_messages({"payment_method": ""}),
            status_code=422,
        )
    request_body = SubmitRequest(
        payment_method=payment_method,  # checked just above
        shipping_address=ShippingAddressIn(
            name=name, phone=phone, county_code=county_code, detail=detail
        ),
        po_number=po_number or None,
    )
    try:
        await service.submit(
            at.session,
            user=at.user,
            organization_id=org_id,
            bulk_order_id=at.bulk_id,
            request=request_body,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        errors = address_messages(exc.fields)
        return await _report_page(
            at,
            form=form,
            errors=errors,
            problem=None if errors else refusal(exc),
            problem_rows=row_problems(exc),
            status_code=exc.status_code,
        )
    return see_other(f"/org/{org_id}/bulk-orders/{at.bulk_id}?done=submitted")
