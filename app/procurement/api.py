"""JSON routes of procurement: an organisation's bulk orders (upload, report, submit, approve,
reject), ordering a past order again, and an order as a spreadsheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from app.account.deps import CurrentUser
from app.checkout.schemas import OrderOut
from app.core.sheets import XLSX_MEDIA_TYPE
from app.order.service import PaymentTimeouts
from app.procurement import service
from app.procurement.schemas import BulkOrderOut, BulkOrderPage, RejectRequest, SubmitRequest
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.responses import attachment
from app.web.uploads import read_bounded

router = APIRouter(prefix="/api/v1", tags=["organisations"], responses=API_ERROR_RESPONSES)

BASE = "/organizations/{organization_id}/bulk-orders"
UploadedList = Annotated[
    UploadFile,
    File(
        description="CSV (UTF-8 with or without BOM, or GBK) or XLSX with the columns sku_code "
        "(商品编码) and quantity (数量), optionally delivery_date (配送日期); ≤ 5,000 rows"
    ),
]


async def read_upload(file: UploadFile) -> bytes:
    """The upload, read no further than one byte past the limit."""
    data = await read_bounded(file, service.MAX_UPLOAD_BYTES)
    service.check_upload_size(data)
    return data


@router.post(BASE, response_model=BulkOrderOut, status_code=201, summary="Upload a bulk order")
async def upload_bulk_order(
    organization_id: int, file: UploadedList, user: CurrentUser, session: DbSession
) -> BulkOrderOut:
    """A new draft from the list, with a report per row: unknown or unavailable SKUs, quantities
    that are not whole numbers or below the SKU's minimum, stock short now, bad delivery dates;
    rows naming one SKU merged into the first. Tier prices applied; nothing is reserved.
    Buyers and admins of a verified organisation. An unreadable file (neither CSV nor XLSX,
    empty, over 5,000 rows, a zip bomb) is refused with 4xx and nothing is stored."""
    data = await read_upload(file)
    return await service.upload(
        session, user=user, organization_id=organization_id, data=data, filename=file.filename
    )


@router.get(BASE, response_model=BulkOrderPage, status_code=200, summary="Bulk orders")
async def list_bulk_orders(
    organization_id: int,
    user: CurrentUser,
    session: DbSession,
    status: Annotated[
        str | None, Query(description="draft, submitted, approved or rejected; or several, comma")
    ] = None,
    page: Annotated[int, Query()] = 1,
    per_page: Annotated[int, Query()] = 20,
) -> BulkOrderPage:
    """The organisation's bulk orders, newest first, without their lines; members and
    operators."""
    return await service.list_bulk_orders(
        session,
        user=user,
        organization_id=organization_id,
        status=status,
        page=page,
        per_page=per_page,
    )


@router.get(
    BASE + "/{bulk_order_id}.xlsx",
    response_class=Response,
    status_code=200,
    summary="A bulk order's report as XLSX",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
async def bulk_order_xlsx(
    organization_id: int, bulk_order_id: int, user: CurrentUser, session: DbSession
) -> Response:
    """The validation report as a workbook (code, quantity, date, then the problem), to fix
    and upload again."""
    return attachment(
        await service.report_xlsx(
            session, user=user, organization_id=organization_id, bulk_order_id=bulk_order_id
        )
    )


# Digits only in the path, here and on DELETE below: …/12.xlsx is the report's route alone (so
# DELETE on it is a 405, not a 422 about an id "12.xlsx"), and …/abc names nothing (404).
@router.get(
    BASE + "/{bulk_order_id:int}",
    response_model=BulkOrderOut,
    status_code=200,
    summary="A bulk order",
)
async def get_bulk_order(
    organization_id: int, bulk_order_id: int, user: CurrentUser, session: DbSession
) -> BulkOrderOut:
    """A bulk order with its validation report; members and operators."""
    return await service.get_bulk_order(
        session, user=user, organization_id=organization_id, bulk_order_id=bulk_order_id
    )


@router.put(
    BASE + "/{bulk_order_id}/file",
    response_model=BulkOrderOut,
    status_code=200,
    summary="Upload a draft's list again",
)
async def replace_list(
    organization_id: int,
    bulk_order_id: int,
    file: UploadedList,
    user: CurrentUser,
    session: DbSession,
) -> BulkOrderOut:
    """The corrected list replaces the draft's, checked afresh (drafts only: 409)."""
    data = await read_upload(file)
    return await service.replace_list(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=bulk_order_id,
        data=data,
        filename=file.filename,
    )


@router.post(
    BASE + "/{bulk_order_id}/recheck",
    response_model=BulkOrderOut,
    status_code=200,
    summary="Check a draft again",
)
async def recheck(
    organization_id: int, bulk_order_id: int, user: CurrentUser, session: DbSession
) -> BulkOrderOut:
    """The draft's lines checked again against stock and prices now."""
    return await service.recheck(
        session, user=user, organization_id=organization_id, bulk_order_id=bulk_order_id
    )


@router.delete(
    BASE + "/{bulk_order_id:int}", response_model=None, status_code=204, summary="Delete a draft"
)
async def delete_draft(
    organization_id: int, bulk_order_id: int, user: CurrentUser, session: DbSession
) -> Response:
    """Drafts only (409 once submitted)."""
    await service.delete_draft(
        session, user=user, organization_id=organization_id, bulk_order_id=bulk_order_id
    )
    return Response(status_code=204)


@router.post(
    BASE + "/{bulk_order_id}/submit",
    response_model=BulkOrderOut,
    status_code=200,
    summary="Submit a bulk order for approval",
)
async def submit(
    organization_id: int,
    bulk_order_id: int,
    body: SubmitRequest,
    user: CurrentUser,
    session: DbSession,
) -> BulkOrderOut:
    """A valid draft (409 `bulk_order_invalid` otherwise) submitted with its payment method,
    delivery address and PO number, checked as an order checks them; the list is priced again
    for that address. Buyers and admins. Answers `{status: "submitted", …}`."""
    return await service.submit(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=bulk_order_id,
        request=body,
    )


@router.post(
    BASE + "/{bulk_order_id}/approve",
    response_model=OrderOut,
    status_code=201,
    summary="Approve a bulk order: the order is placed",
)
async def approve(
    organization_id: int,
    bulk_order_id: int,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> OrderOut:
    """An approver or admin other than the submitter (403 `own_submission`) approves: the
    order is placed in the submitter's name for the organisation, with its PO number, prices
    and stock checked again, and returned as POST /orders returns it. Out of stock now: 409
    `insufficient_stock` and the bulk order stays submitted; decided already: 409
    `bulk_order_already_decided`."""
    return await service.approve(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=bulk_order_id,
        timeouts=PaymentTimeouts.from_settings(request.app.state.settings),
    )


@router.post(
    BASE + "/{bulk_order_id}/reject",
    response_model=BulkOrderOut,
    status_code=200,
    summary="Reject a bulk order",
)
async def reject(
    organization_id: int,
    bulk_order_id: int,
    body: RejectRequest,
    user: CurrentUser,
    session: DbSession,
) -> BulkOrderOut:
    """With a comment (1–500 characters) saying why; approvers and admins other than the
    submitter."""
    return await service.reject(
        session,
        user=user,
        organization_id=organization_id,
        bulk_order_id=bulk_order_id,
        comment=body.comment,
    )


@router.post(
    "/organizations/{organization_id}/orders/{order_id}/reorder",
    response_model=BulkOrderOut,
    status_code=201,
    summary="Order a past order again",
)
async def reorder(
    organization_id: int, order_id: int, user: CurrentUser, session: DbSession
) -> BulkOrderOut:
    """A new draft with the lines of an order the organisation placed, checked now."""
    return await service.reorder(
        session, user=user, organization_id=organization_id, order_id=order_id
    )


@router.get(
    "/organizations/{organization_id}/orders/{order_id}.xlsx",
    response_class=Response,
    status_code=200,
    summary="An organisation's order as XLSX",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
async def order_xlsx(
    organization_id: int, order_id: int, user: CurrentUser, session: DbSession
) -> Response:
    """The order's lines (code, quantity, product, prices, supplier), formula-safe; it reads
    back as a bulk-order list. Members and operators."""
    return attachment(
        await service.order_xlsx(
            session, user=user, organization_id=organization_id, order_id=order_id
        )
    )
