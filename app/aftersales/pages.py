"""HTML routes of after-sales: the buyer's steps from the order page, the supplier portal's
after-sales queue and the operator's arbitration queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.responses import Response

from app.account.deps import PageOperator, PageUser, register_back_office_counter
from app.account.models import User
from app.aftersales import service
from app.aftersales.labels import kind_labels, refusal_message, status_labels
from app.aftersales.models import RequestKind, RequestStatus
from app.cooperative.menu import SupplierPortal, register_supplier_counter
from app.core.errors import DomainError
from app.core.images import MAX_UPLOAD_BYTES
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.media import Media
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

register_supplier_counter("after_sales", service.supplier_count)
register_back_office_counter("after_sales", service.operator_count)

_QUANTITY_PREFIX = "qty_"


def _back_to_order(order_id: int, error: DomainError | None = None) -> Response:
    """The order page, at its after-sales part; a refusal is named there by its code (the
    step changed nothing: services refuse before they write)."""
    query = f"?{urlencode({'after_sales_error': error.code})}" if error is not None else ""
    return see_other(f"/orders/{order_id}{query}#after-sales")


def _refused(error: DomainError) -> DomainError:
    """Someone else's order or request stays a 404 page; anything else is told on the page."""
    if error.status_code == 404:
        raise error
    return error


def _quantities(form: Any) -> list[tuple[int, int]]:
    """(order_line_id, quantity) from fields `qty_<line id>`; blank and 0 are not asked."""
    lines = []
    for key, value in form.multi_items():
        if not key.startswith(_QUANTITY_PREFIX) or not isinstance(value, str):
            continue
        line_id, text = key.removeprefix(_QUANTITY_PREFIX), value.strip()
        if not text or text == "0":
            continue
        if not (line_id.isascii() and line_id.isdigit() and text.isascii() and text.isdigit()):
            lines.append((0, 0))  # refused by the service as a line not of the order
            continue
        lines.append((int(line_id), min(int(text), 10**9)))
    return lines


@router.post("/orders/{order_id}/after-sales", response_class=HTMLResponse)
async def ask(
    request: Request,
    order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
) -> Response:
    """The order page's form: kind, units per line, reason, photos."""
    oid = page_id(order_id)
    form = await request.form()
    kind_text = str(form.get("kind", ""))
    uploads = [
        await item.read(MAX_UPLOAD_BYTES + 1)
        for item in form.getlist("photos")
        if isinstance(item, UploadFile) and item.filename
    ]
    try:
        kind = RequestKind(kind_text)
        await service.ask_with_photos(
            session,
            media,
            buyer=user,
            order_id=oid,
            kind=kind,
            lines=_quantities(form),
            reason=str(form.get("reason", "")),
            uploads=uploads,
        )
    except ValueError:
        return see_other(f"/orders/{oid}?after_sales_error=invalid_after_sales#after-sales")
    except DomainError as exc:
        return _back_to_order(oid, _refused(exc))
    return _back_to_order(oid)


@router.post("/orders/{order_id}/after-sales/{request_id}/escalate", response_class=HTMLResponse)
async def escalate(
    order_id: str,
    request_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    reason: FormText = "",
) -> Response:
    oid = page_id(order_id)
    try:
        await service.escalate(
            session, user=user, request_id=page_id(request_id), reason=reason, order_id=oid
        )
    except DomainError as exc:
        return _back_to_order(oid, _refused(exc))
    return _back_to_order(oid)


@router.post("/orders/{order_id}/after-sales/{request_id}/return", response_class=HTMLResponse)
async def send_return(
    order_id: str,
    request_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    carrier: FormText = "",
    tracking_number: FormText = "",
) -> Response:
    oid = page_id(order_id)
    try:
        await service.send_return(
            session,
            user=user,
            request_id=page_id(request_id),
            carrier=carrier,
            tracking_number=tracking_number,
            order_id=oid,
        )
    except DomainError as exc:
        return _back_to_order(oid, _refused(exc))
    return _back_to_order(oid)


# ---------------------------------------------------------------------------------------------
# The supplier's queue


async def _supplier_page(
    request: Request,
    session: AsyncSession,
    media: Any,
    user: User,
    cooperative_id: int,
    *,
    status: str,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = status if status in set(RequestStatus) else ""
    items = await service.for_cooperative(
        session, media, user=user, cooperative_id=cooperative_id, status=shown or None
    )
    context: dict[str, Any] = {
        "cooperative_id": cooperative_id,
        "items": items,
        "status": shown,
        "statuses": list(RequestStatus),
        "status_labels": status_labels(),
        "kind_labels": kind_labels(),
        "errors": errors or {},
    }
    return render(request, "aftersales/show_supplier_queue.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/after-sales", response_class=HTMLResponse)
async def show_supplier_queue(
    request: Request,
    cooperative_id: str,
    user: PageUser,
    portal: SupplierPortal,
    session: DbSession,
    media: Media,
    status: str = "",
) -> Response:
    """Requests to the supplier, newest first: answer within 48 h, confirm returned parcels."""
    return await _supplier_page(
        request, session, media, user, page_id(cooperative_id), status=status
    )


async def _supplier_step(
    request: Request,
    session: AsyncSession,
    media: Any,
    user: User,
    cooperative_id: str,
    request_id: str,
    action: str,
    reason: str,
) -> Response:
    cid, rid = page_id(cooperative_id), page_id(request_id)
    try:
        if action == "accept":
            await service.accept(
                session, user=user, request_id=rid, reason=reason, cooperative_id=cid
            )
        elif action == "reject":
            await service.reject(
                session, user=user, request_id=rid, reason=reason, cooperative_id=cid
            )
        else:
            await service.confirm_received(session, user=user, request_id=rid, cooperative_id=cid)
    except DomainError as exc:
        _refused(exc)
        return await _supplier_page(
            request,
            session,
            media,
            user,
            cid,
            status="",
            errors={rid: refusal_message(exc.code)},
            status_code=exc.status_code,
        )
    return see_other(f"/coop/{cid}/after-sales#after-sales-{rid}")


@router.post("/coop/{cooperative_id}/after-sales/{request_id}/accept", response_class=HTMLResponse)
async def accept(
    request: Request,
    cooperative_id: str,
    request_id: str,
    user: PageUser,
    portal: SupplierPortal,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
    reason: FormText = "",
) -> Response:
    return await _supplier_step(
        request, session, media, user, cooperative_id, request_id, "accept", reason
    )


@router.post("/coop/{cooperative_id}/after-sales/{request_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request,
    cooperative_id: str,
    request_id: str,
    user: PageUser,
    portal: SupplierPortal,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
    reason: FormText = "",
) -> Response:
    return await _supplier_step(
        request, session, media, user, cooperative_id, request_id, "reject", reason
    )


@router.post(
    "/coop/{cooperative_id}/after-sales/{request_id}/received", response_class=HTMLResponse
)
async def received(
    request: Request,
    cooperative_id: str,
    request_id: str,
    user: PageUser,
    portal: SupplierPortal,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
) -> Response:
    return await _supplier_step(
        request, session, media, user, cooperative_id, request_id, "received", ""
    )


# ---------------------------------------------------------------------------------------------
# The operator's arbitration queue


async def _operator_page(
    request: Request,
    session: AsyncSession,
    media: Any,
    *,
    status: str,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = status if status in set(RequestStatus) else ""
    wanted = shown or ",".join(service.OPERATOR_WAITING)
    context: dict[str, Any] = {
        "items": await service.for_operator(session, media, status=wanted),
        "status": shown,
        "statuses": list(RequestStatus),
        "status_labels": status_labels(),
        "kind_labels": kind_labels(),
        "errors": errors or {},
    }
    return render(request, "aftersales/show_admin_queue.html", context, status_code=status_code)


@router.get("/admin/after-sales", response_class=HTMLResponse)
async def show_admin_queue(
    request: Request, operator: PageOperator, session: DbSession, media: Media, status: str = ""
) -> Response:
    """Escalated requests to decide and accepted bank-transfer refunds to pay back (by
    default), or every request of one status."""
    return await _operator_page(request, session, media, status=status)


@router.post("/admin/after-sales/{request_id}/decide", response_class=HTMLResponse)
async def decide(
    request: Request,
    request_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
    outcome: FormText = "",
    reason: FormText = "",
) -> Response:
    rid = page_id(request_id)
    try:
        if outcome not in {"refund", "reject"}:
            raise service.InvalidAfterSales({"outcome": "refund or reject"})
        await service.decide(
            session, operator=operator, request_id=rid, outcome=outcome, reason=reason
        )
    except DomainError as exc:
        _refused(exc)
        return await _operator_page(
            request,
            session,
            media,
            status="",
            errors={rid: refusal_message(exc.code)},
            status_code=exc.status_code,
        )
    return see_other("/admin/after-sales")


@router.post("/admin/after-sales/{request_id}/payout", response_class=HTMLResponse)
async def payout(
    request: Request,
    request_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
    bank_reference: FormText = "",
) -> Response:
    rid = page_id(request_id)
    try:
        await service.record_payout(
            session, operator=operator, request_id=rid, bank_reference=bank_reference
        )
    except DomainError as exc:
        _refused(exc)
        return await _operator_page(
            request,
            session,
            media,
            status="",
            errors={rid: refusal_message(exc.code)},
            status_code=exc.status_code,
        )
    return see_other("/admin/after-sales")
