"""HTML routes of the operator's review of organisations: the queue (pending first) with the
verify, reject, suspend and reinstate buttons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import register_back_office_counter
from app.organization import service
from app.organization.deps import PageOperator
from app.organization.errors import InvalidOrganizationFields, InvalidStatusTransition
from app.organization.models import OrganizationStatus
from app.organization.pages.wording import problem_message
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.review_queue import RefusedAction, review_queue_context
from app.web.templating import render

router = APIRouter(include_in_schema=False)
register_back_office_counter("organizations", service.count_pending)


async def _review_page(
    request: Request,
    session: AsyncSession,
    *,
    status: OrganizationStatus,
    refused: RefusedAction | None = None,
    status_code: int = 200,
) -> Response:
    queue = await service.review_queue(session, status=status)
    actions = {
        item.id: [a.value for a in service.available_actions(OrganizationStatus(item.status))]
        for item in queue.items
    }
    context = review_queue_context(queue, actions, OrganizationStatus, refused)
    return render(request, "organization/show_review_queue.html", context, status_code=status_code)


@router.get("/admin/organizations", response_class=HTMLResponse)
async def show_review_queue(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: OrganizationStatus = OrganizationStatus.PENDING,
) -> Response:
    """Organisations of one status (pending by default) with the actions each allows."""
    return await _review_page(request, session, status=status)


@router.post("/admin/organizations/{organization_id}/{action}")
async def review_organization(
    request: Request,
    organization_id: str,
    action: service.StatusAction,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    reason: FormText = "",
    status: Annotated[OrganizationStatus, Form()] = OrganizationStatus.PENDING,
) -> Response:
    """Verify, reject, suspend or reinstate; back to the queue the form was on."""
    org_id = page_id(organization_id)
    try:
        await service.change_status(
            session, operator=operator, organization_id=org_id, action=action, reason=reason
        )
    except InvalidOrganizationFields as exc:
        field = next(iter(exc.problems))
        refused = RefusedAction(org_id, problem_message(field, exc.problems[field]), reason)
        return await _review_page(request, session, status=status, refused=refused, status_code=422)
    except InvalidStatusTransition:
        refused = RefusedAction(org_id, _("该单位的状态已变化，此操作不再适用。"))
        return await _review_page(request, session, status=status, refused=refused, status_code=409)
    return see_other(f"/admin/organizations?status={status.value}")
