"""The portal's approval queue: submitted bulk orders, approved (the order is placed) or
rejected with a comment by an approver or admin other than the submitter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.checkout.pages import payment_method_labels
from app.core.errors import DomainError
from app.order.service import PaymentTimeouts
from app.procurement import service
from app.procurement.pages.bulk_request import BulkOrderRequest, PostedBulkOrder
from app.procurement.pages.wording import portal_page, refusal, row_problems
from app.procurement.service import gifts
from app.web.db import DbSession
from app.web.forms import FormText
from app.web.paths import page_id
from app.web.responses import see_other

router = APIRouter()

QUEUE_SIZE = 100
DECIDED_SHOWN = 20


async def _queue_page(
    request: Request,
    session: AsyncSession,
    user: User,
    org_id: int,
    *,
    problem: str | None = None,
    problem_of: int | None = None,
    problem_rows: dict[int, str] | None = None,
    comment: str = "",
    status_code: int = 200,
) -> Response:
    waiting = await service.list_bulk_orders(
        session, user=user, organization_id=org_id, status="submitted", per_page=QUEUE_SIZE
    )
    decided = await service.list_bulk_orders(
        session,
        user=user,
        organization_id=org_id,
        status="approved,rejected",
        per_page=DECIDED_SHOWN,
    )
    waiting_gifts = await gifts.list_gift_orders(
        session, user=user, organization_id=org_id, status="submitted", per_page=QUEUE_SIZE
    )
    people = await service.names(
        session,
        [item.submitted_by_user_id for item in [*waiting.items, *decided.items]]
        + [item.submitted_by_user_id for item in waiting_gifts.items]
        + [item.approver_user_id for item in decided.items],
    )
    context: dict[str, Any] = {
        "waiting": waiting,
        "waiting_gifts": waiting_gifts,
        "decided": decided,
        "people": people,
        "problem": problem,
        "problem_of": problem_of,
        "problem_rows": problem_rows or {},
        "comment": comment,
        "payment_method_labels": payment_method_labels(),
        "placed_number": request.query_params.get("order"),
    }
    return await portal_page(
        request,
        session,
        user,
        org_id,
        "procurement/show_approvals.html",
        "approvals",
        context,
        status_code=status_code,
    )


@router.get("/org/{organization_id}/approvals", response_class=HTMLResponse)
async def show_approvals(
    request: Request, organization_id: str, user: PageUser, session: DbSession
) -> Response:
    """Bulk orders waiting for a decision, and the latest decisions."""
    return await _queue_page(request, session, user, page_id(organization_id))


async def _refused(
    at: BulkOrderRequest,
    error: DomainError,
    *,
    problem_rows: dict[int, str] | None = None,
    comment: str = "",
) -> Response:
    """The queue again, saying why a decision was refused (404s stay 404 pages)."""
    if error.status_code == 404:
        raise error
    return await _queue_page(
        at.request,
        at.session,
        at.user,
        at.org_id,
        problem=refusal(error),
        problem_of=at.bulk_id,
        problem_rows=problem_rows,
        comment=comment,
        status_code=error.status_code,
    )


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/approve", response_class=HTMLResponse
)
async def approve(at: PostedBulkOrder) -> Response:
    """Approve: the order is placed; back to the queue, which names it."""
    org_id = at.org_id
    bulk_id = at.bulk_id
    try:
        order = await service.approve(
            at.session,
            user=at.user,
            organization_id=org_id,
            bulk_order_id=bulk_id,
            timeouts=PaymentTimeouts.from_settings(at.request.app.state.settings),
        )
    except DomainError as exc:
        return await _refused(at, exc, problem_rows=row_problems(exc))
    return see_other(f"/org/{org_id}/approvals?done=approved&order={order.number}")


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/reject", response_class=HTMLResponse
)
async def reject(at: PostedBulkOrder, comment: FormText = "") -> Response:
    """Reject with a comment; back to the queue."""
    org_id = at.org_id
    bulk_id = at.bulk_id
    try:
        await service.reject(
            at.session, user=at.user, organization_id=org_id, bulk_order_id=bulk_id, comment=comment
        )
    except DomainError as exc:
        return await _refused(at, exc, comment=comment)
    return see_other(f"/org/{org_id}/approvals?done=rejected")
