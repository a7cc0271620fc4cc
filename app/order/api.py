"""JSON routes of the order domain: a supplier's fulfilment queue, accepting and shipping."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from app.account.deps import CurrentUser
from app.core.sheets import XLSX_MEDIA_TYPE
from app.order import service
from app.order.schemas import (
    BulkShipmentOut,
    FulfillmentPage,
    ShipRequest,
    SupplierFulfillmentOut,
    SupplierWebhookIn,
    SupplierWebhookOut,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.responses import attachment
from app.web.uploads import read_bounded

router = APIRouter(prefix="/api/v1", tags=["fulfilment"], responses=API_ERROR_RESPONSES)


def auto_complete_after(request: Request) -> timedelta:
    return timedelta(days=request.app.state.settings.order_auto_complete_days)


@router.get(
    "/cooperatives/{cooperative_id}/fulfillments",
    response_model=FulfillmentPage,
    status_code=200,
    summary="A supplier's fulfilments",
)
async def list_fulfillments(
    cooperative_id: int,
    user: CurrentUser,
    session: DbSession,
    status: Annotated[str | None, Query(description="pending, accepted, shipped, …")] = None,
    page: Annotated[int, Query()] = 1,
    per_page: Annotated[int, Query()] = 50,
) -> FulfillmentPage:
    """The supplier's parts of paid orders, newest first, with lines and delivery address.
    Members of the supplier only: anyone else gets 404."""
    return await service.list_supplier_fulfillments(
        session,
        user=user,
        cooperative_id=cooperative_id,
        status=status,
        page=page,
        per_page=per_page,
    )


@router.get(
    "/cooperatives/{cooperative_id}/fulfillments/shipping-sheet.xlsx",
    response_class=Response,
    status_code=200,
    summary="Parcels waiting to ship, as a sheet",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
async def shipping_sheet(cooperative_id: int, user: CurrentUser, session: DbSession) -> Response:
    """The supplier's parcels of paid orders waiting to ship, oldest first (at most 5,000): parcel
    number (包裹编号), order number, recipient, phone, address, goods, and empty carrier (快递公司)
    and tracking number (快递单号) columns to fill in and upload. Members only: else 404."""
    sheet = await service.shipping_sheet(session, user=user, cooperative_id=cooperative_id)
    return attachment(sheet)


@router.post(
    "/cooperatives/{cooperative_id}/fulfillments/tracking",
    response_model=BulkShipmentOut,
    status_code=200,
    summary="Ship parcels from an uploaded sheet",
)
async def ship_from_sheet(
    cooperative_id: int,
    file: Annotated[
        UploadFile,
        File(
            description="CSV or XLSX with the columns fulfillment_id (包裹编号), "
            "carrier (快递公司) "
            "and tracking_number (快递单号), e.g. the shipping sheet filled in"
        ),
    ],
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> BulkShipmentOut:
    """Ship each row that has a tracking number (pending parcels are accepted on the way; rows
    without one are left for later). All or nothing: a row naming no parcel of this supplier
    waiting to ship, a parcel twice, or a bad carrier or tracking number answers 422 naming
    `rows.{row}.{column}`, and nothing ships."""
    data = await read_bounded(file, service.MAX_SHEET_BYTES)
    shipment = await service.ship_from_sheet(
        session,
        user=user,
        cooperative_id=cooperative_id,
        data=data,
        filename=file.filename,
        auto_complete_after=auto_complete_after(request),
    )
    return BulkShipmentOut(shipped=shipment.shipped, skipped_rows=shipment.skipped_rows)


@router.post(
    "/fulfillments/{fulfillment_id}/accept",
    response_model=SupplierFulfillmentOut,
    status_code=200,
    summary="Accept a fulfilment",
)
async def accept_fulfillment(
    fulfillment_id: int, user: CurrentUser, session: DbSession
) -> SupplierFulfillmentOut:
    """pending → accepted once the order is paid; otherwise 409 `invalid_status_transition`."""
    return await service.accept_fulfillment(session, user=user, fulfillment_id=fulfillment_id)


@router.post(
    "/fulfillments/{fulfillment_id}/ship",
    response_model=SupplierFulfillmentOut,
    status_code=200,
    summary="Ship a fulfilment",
)
async def ship_fulfillment(
    fulfillment_id: int,
    body: ShipRequest,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> SupplierFulfillmentOut:
    """accepted → shipped with the carrier (1–50 characters) and tracking number (4–60 of
    A–Z, a–z, 0–9, -), and optionally each line's harvest batch (`batches`; a batch of another
    supplier or product: 422 naming `batches.{i}.batch_id`). Unconfirmed parcels count as
    delivered after the configured days."""
    return await service.ship_fulfillment(
        session,
        user=user,
        fulfillment_id=fulfillment_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        auto_complete_after=auto_complete_after(request),
        batches=[(item.order_line_id, item.batch_id) for item in body.batches],
    )


@router.put(
    "/cooperatives/{cooperative_id}/webhook",
    response_model=SupplierWebhookOut,
    status_code=200,
    summary="Set the supplier's webhook",
)
async def set_webhook(
    cooperative_id: int,
    body: SupplierWebhookIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> SupplierWebhookOut:
    """Where new paid fulfilments are POSTed, signed with HMAC-SHA256 of the secret (header
    `Fengshou-Signature`). The URL must be http(s) and its host resolve to public addresses
    only: otherwise 422 `webhook_url_refused` naming the field. The supplier's admins only;
    anyone else: 404."""
    return await service.set_supplier_webhook(
        session,
        user=user,
        cooperative_id=cooperative_id,
        url=body.url,
        secret=body.secret,
        allow_private=request.app.state.settings.supplier_webhook_allow_private,
    )
