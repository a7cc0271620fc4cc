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
from app.procurement.pages.wording import portal_page, refusal, row_problems
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
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
    people = await service.names(
        session,
        [item.submitted_by_user_id for item in [*waiting.items, *decided.items]]
        + [item.approver_user_id for item in decided.items],
    )
    context: dict[str, Any] = {
        "waiting": waiting,
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


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/approve", response_class=HTMLResponse
)
async def approve(
    request: Request,
    organization_id: str,
    bulk_order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Approve: the order is placed; back to the queue, which names it."""
    org_id = page_id(organization_id)
    bulk_id = page_id(bulk_order_id)
    try:
        order = await service.approve(
            session,
            user=user,
            organization_id=org_id,
            bulk_order_id=bulk_id,
            timeouts=PaymentTimeouts.from_settings(request.app.state.settings),
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _queue_page(
            request,
            session,
            user,
            org_id,
            problem=refusal(exc),
            problem_of=bulk_id,
            problem_rows=row_problems(exc),
            status_code=exc.status_code,
        )
    return see_other(f"/org/{org_id}/approvals?done=approved&order={order.number}")


@router.post(
    "/org/{organization_id}/bulk-orders/{bulk_order_id}/reject", response_class=HTMLResponse
)
async def reject(
    request: Request,
    organization_id: str,
    bulk_order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    comment: FormText = "",
) -> Response:
    """Reject with a comment; back to the queue."""
    org_id = page_id(organization_id)
    bulk_id = page_id(bulk_order_id)
    try:
        await service.reject(
            session, user=user, organization_id=org_id, bulk_order_id=bulk_id, comment=comment
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _queue_page(
            request,
            session,
            user,
            org_id,
            problem=refusal(exc),
            problem_of=bulk_id,
            comment=comment,
            status_code=exc.status_code,
        )
    return see_other(f"/org/{org_id}/approvals?done=rejected")
