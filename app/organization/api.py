"""JSON routes of the organisation domain: registration, members and invitations, yearly
targets, and the operator's review. Someone else's organisation answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import CurrentUser
from app.account.models import User
from app.account.schemas import InvitationCreated, InvitationOut
from app.organization import service
from app.organization.deps import Operator
from app.organization.models import OrganizationStatus
from app.organization.schemas import (
    MemberInvite,
    MemberOut,
    MemberRoleChange,
    OptionalReason,
    OrganizationCreate,
    OrganizationOut,
    OrganizationPage,
    StatusReason,
    TargetIn,
    TargetOut,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["organization"], responses=API_ERROR_RESPONSES)


@router.post("/organizations", response_model=OrganizationOut, status_code=201, summary="Register")
async def create_organization(
    body: OrganizationCreate, user: CurrentUser, session: DbSession
) -> OrganizationOut:
    """Register a buying organisation; it is `pending` until an operator verifies it and the
    caller becomes its admin. 422 names each bad field (`invalid_name`, `invalid_credit_code`,
    `credit_code_kind_mismatch`, `unknown_county`, or `validation_failed` when several
    differ); 409 `credit_code_taken`."""
    application = service.OrganizationApplication(
        name=body.name, credit_code=body.credit_code, kind=body.kind, region_code=body.region_code
    )
    return await service.register(session, user=user, application=application)


@router.get(
    "/organizations/{organization_id}",
    response_model=OrganizationOut,
    status_code=200,
    summary="An organisation",
)
async def show_organization(
    organization_id: int, user: CurrentUser, session: DbSession
) -> OrganizationOut:
    """For its members and operators; 404 `organization_not_found` for anyone else."""
    return await service.view_organization(session, user=user, organization_id=organization_id)


# ---------------------------------------------------------------------------------------------
# Members and invitations


@router.get(
    "/organizations/{organization_id}/members",
    response_model=list[MemberOut],
    status_code=200,
    summary="An organisation's members",
)
async def list_members(
    organization_id: int, user: CurrentUser, session: DbSession
) -> list[MemberOut]:
    """Admins first, then approvers and buyers; for members and operators (others 404)."""
    return await service.list_members(session, viewer=user, organization_id=organization_id)


@router.post(
    "/organizations/{organization_id}/members",
    response_model=InvitationCreated,
    status_code=202,
    summary="Invite a member",
)
async def invite_member(
    organization_id: int, body: MemberInvite, user: CurrentUser, session: DbSession
) -> InvitationCreated:
    """Admins only (other members 403 `organization_admin_required`, anyone else 404). The
    invitee is mailed a link and joins only by accepting it; the answer is the same whether or
    not the address is registered. A member's address is 409 `already_member`."""
    invitation_id = await service.invite_member(
        session, actor=user, organization_id=organization_id, email=body.email, role=body.role
    )
    return InvitationCreated(invitation_id=invitation_id)


@router.patch(
    "/organizations/{organization_id}/members/{user_id}",
    response_model=MemberOut,
    status_code=200,
    summary="Change a member's role",
)
async def change_member_role(
    organization_id: int,
    user_id: int,
    body: MemberRoleChange,
    user: CurrentUser,
    session: DbSession,
) -> MemberOut:
    """Admins only; the last admin stays one (409 `last_admin`)."""
    return await service.change_member_role(
        session, actor=user, organization_id=organization_id, user_id=user_id, role=body.role
    )


@router.delete(
    "/organizations/{organization_id}/members/{user_id}",
    response_model=MemberOut,
    status_code=200,
    summary="Remove a member",
)
async def remove_member(
    organization_id: int, user_id: int, user: CurrentUser, session: DbSession
) -> MemberOut:
    """Admins remove anyone, members themselves; never the last admin (409 `last_admin`).
    Answers with the member as they were (404 `member_not_found` for a non-member)."""
    return await service.remove_member(
        session, actor=user, organization_id=organization_id, user_id=user_id
    )


@router.get(
    "/organizations/{organization_id}/invitations",
    response_model=list[InvitationOut],
    status_code=200,
    summary="An organisation's unanswered invitations",
)
async def list_invitations(
    organization_id: int, user: CurrentUser, session: DbSession
) -> list[InvitationOut]:
    """Admins only, newest first (expired ones show as `expired`)."""
    return await service.list_invitations(session, actor=user, organization_id=organization_id)


@router.delete(
    "/organizations/{organization_id}/invitations/{invitation_id}",
    response_model=InvitationOut,
    status_code=200,
    summary="Withdraw an invitation",
)
async def revoke_invitation(
    organization_id: int, invitation_id: int, user: CurrentUser, session: DbSession
) -> InvitationOut:
    """Admins only; 404 `invitation_not_found` unless it is the organisation's and unanswered."""
    return await service.revoke_invitation(
        session, actor=user, organization_id=organization_id, invitation_id=invitation_id
    )


# ---------------------------------------------------------------------------------------------
# Yearly targets


@router.put(
    "/organizations/{organization_id}/targets/{year}",
    response_model=TargetOut,
    status_code=200,
    summary="Declare the year's reserved share",
)
async def declare_target(
    organization_id: int, year: int, body: TargetIn, user: CurrentUser, session: DbSession
) -> TargetOut:
    """The canteen food budget and the share reserved for products of poverty-lifted areas
    (admins only). 422 `reserved_share_too_low` under 1000 basis points (10 %),
    `reserved_share_too_high` over 10000, `invalid_budget`, `invalid_year`."""
    return await service.declare_target(
        session,
        actor=user,
        organization_id=organization_id,
        year=year,
        canteen_budget_fen=body.canteen_budget_fen,
        reserved_share_bp=body.reserved_share_bp,
    )


@router.get(
    "/organizations/{organization_id}/targets",
    response_model=list[TargetOut],
    status_code=200,
    summary="The declared targets",
)
async def list_targets(
    organization_id: int, user: CurrentUser, session: DbSession
) -> list[TargetOut]:
    """Latest year first; members and operators. Progress: GET /impact/organizations/{id}."""
    return await service.list_targets(session, user=user, organization_id=organization_id)


# ---------------------------------------------------------------------------------------------
# Operator


@router.get(
    "/admin/organizations",
    response_model=OrganizationPage,
    status_code=200,
    summary="Organisations for review (operator)",
)
async def list_organizations(
    operator: Operator,
    session: DbSession,
    status: OrganizationStatus | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 50,
) -> OrganizationPage:
    """Organisations of a status (all without `status`), oldest application first."""
    return await service.list_for_review(session, status=status, page=page, per_page=per_page)


OptionalReasonBody = Annotated[OptionalReason | None, Body()]


async def _change_status(
    session: AsyncSession,
    operator: User,
    organization_id: int,
    action: service.StatusAction,
    reason: str | None,
) -> OrganizationOut:
    return await service.change_status(
        session, operator=operator, organization_id=organization_id, action=action, reason=reason
    )


@router.post(
    "/admin/organizations/{organization_id}/verify",
    response_model=OrganizationOut,
    status_code=200,
    summary="Verify a pending organisation (operator)",
)
async def verify_organization(
    organization_id: int, operator: Operator, session: DbSession, body: OptionalReasonBody = None
) -> OrganizationOut:
    """pending → verified: it may place orders from now on; else 409
    `invalid_status_transition`."""
    action, reason = service.StatusAction.VERIFY, body.reason if body else None
    return await _change_status(session, operator, organization_id, action, reason)


@router.post(
    "/admin/organizations/{organization_id}/reject",
    response_model=OrganizationOut,
    status_code=200,
    summary="Reject a pending organisation (operator)",
)
async def reject_organization(
    organization_id: int, body: StatusReason, operator: Operator, session: DbSession
) -> OrganizationOut:
    """pending → rejected, with a reason (422 `reason_required` without one)."""
    action = service.StatusAction.REJECT
    return await _change_status(session, operator, organization_id, action, body.reason)


@router.post(
    "/admin/organizations/{organization_id}/suspend",
    response_model=OrganizationOut,
    status_code=200,
    summary="Suspend a verified organisation (operator)",
)
async def suspend_organization(
    organization_id: int, body: StatusReason, operator: Operator, session: DbSession
) -> OrganizationOut:
    """verified → suspended, with a reason: it places no orders until reinstated."""
    action = service.StatusAction.SUSPEND
    return await _change_status(session, operator, organization_id, action, body.reason)


@router.post(
    "/admin/organizations/{organization_id}/reinstate",
    response_model=OrganizationOut,
    status_code=200,
    summary="Reinstate a suspended organisation (operator)",
)
async def reinstate_organization(
    organization_id: int, operator: Operator, session: DbSession, body: OptionalReasonBody = None
) -> OrganizationOut:
    """suspended → verified."""
    action, reason = service.StatusAction.REINSTATE, body.reason if body else None
    return await _change_status(session, operator, organization_id, action, reason)
