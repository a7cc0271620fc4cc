"""JSON routes of the cooperative domain: onboarding, members, operator review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import OPTIONAL_BEARER, CurrentUser
from app.account.models import User
from app.account.schemas import InvitationCreated, InvitationOut
from app.cooperative import service
from app.cooperative.deps import Operator, OptionalApiUser, RequiresPovertyCounty
from app.cooperative.models import SupplierStatus
from app.cooperative.schemas import (
    CooperativeCreate,
    CooperativeOut,
    CooperativePage,
    MemberInvite,
    MemberOut,
    MemberRoleChange,
    OptionalReason,
    StatusReason,
    StoryIn,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["cooperative"], responses=API_ERROR_RESPONSES)


@router.post(
    "/cooperatives",
    response_model=CooperativeOut,
    status_code=201,
    summary="Apply as a supplier",
)
async def create_cooperative(
    body: CooperativeCreate,
    user: CurrentUser,
    session: DbSession,
    require_poverty_county: RequiresPovertyCounty,
) -> CooperativeOut:
    """Register a cooperative, enterprise or family farm; it is `pending` until an operator
    verifies it, and the caller becomes its admin. 422 names each bad field (code
    `invalid_credit_code`, `credit_code_kind_mismatch`, `unknown_county`,
    `county_not_poverty_lifted`, `invalid_phone`, `invalid_households_supported`, … or
    `validation_failed` when several differ); 409 `credit_code_taken`."""
    application = service.SupplierApplication(
        name=body.name,
        credit_code=body.credit_code,
        county_code=body.county_code,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        households_supported=body.households_supported,
        kind=body.kind,
        recommendation_ref=body.recommendation_ref,
        description=body.description,
    )
    return await service.apply(
        session, user=user, application=application, require_poverty_county=require_poverty_county
    )


@router.get(
    "/cooperatives/{cooperative_id}",
    response_model=CooperativeOut,
    status_code=200,
    summary="A supplier",
    openapi_extra=OPTIONAL_BEARER,
)
async def show_cooperative(
    cooperative_id: int, session: DbSession, viewer: OptionalApiUser
) -> CooperativeOut:
    """Verified suppliers are public; pending, rejected and suspended ones are shown only to
    their members and operators (404 for anyone else). Contact details: members and operators."""
    return await service.view_cooperative(session, cooperative_id=cooperative_id, viewer=viewer)


@router.put(
    "/cooperatives/{cooperative_id}/story",
    response_model=CooperativeOut,
    status_code=200,
    summary="Set the supplier's story (its public page)",
)
async def set_story(
    cooperative_id: int, body: StoryIn, user: CurrentUser, session: DbSession
) -> CooperativeOut:
    """Supplier admins only (anyone else 404); at most 2000 characters (422 `invalid_story`),
    empty clears it. Shown on `/suppliers/{id}` and `GET /suppliers/{id}`."""
    return await service.update_story(
        session, user=user, cooperative_id=cooperative_id, story=body.story
    )


@router.get(
    "/cooperatives/{cooperative_id}/members",
    response_model=list[MemberOut],
    status_code=200,
    summary="A supplier's members",
)
async def list_members(
    cooperative_id: int, user: CurrentUser, session: DbSession
) -> list[MemberOut]:
    """Admins first; for the supplier's members and operators (404 for anyone else)."""
    return await service.list_members(session, viewer=user, cooperative_id=cooperative_id)


@router.post(
    "/cooperatives/{cooperative_id}/members",
    response_model=InvitationCreated,
    status_code=202,
    summary="Invite a member",
)
async def invite_member(
    cooperative_id: int, body: MemberInvite, user: CurrentUser, session: DbSession
) -> InvitationCreated:
    """Supplier admins only (a member gets 403 `supplier_admin_required`, others 404). The
    invitee is mailed a link and becomes a member only by accepting it; the answer is the same
    whether or not the address is registered. A member's address is 409 `already_member`
    (change their role with PATCH); a bad address 422 `invalid_email`."""
    invitation_id = await service.invite_member(
        session, actor=user, cooperative_id=cooperative_id, email=body.email, role=body.role
    )
    return InvitationCreated(invitation_id=invitation_id)


@router.patch(
    "/cooperatives/{cooperative_id}/members/{user_id}",
    response_model=MemberOut,
    status_code=200,
    summary="Change a member's role",
)
async def change_member_role(
    cooperative_id: int,
    user_id: int,
    body: MemberRoleChange,
    user: CurrentUser,
    session: DbSession,
) -> MemberOut:
    """Admins only; demoting the last admin is 409 `last_admin`; 404 `member_not_found` for
    someone who is not a member."""
    return await service.change_member_role(
        session, actor=user, cooperative_id=cooperative_id, user_id=user_id, role=body.role
    )


@router.get(
    "/cooperatives/{cooperative_id}/invitations",
    response_model=list[InvitationOut],
    status_code=200,
    summary="A supplier's unanswered invitations",
)
async def list_invitations(
    cooperative_id: int, user: CurrentUser, session: DbSession
) -> list[InvitationOut]:
    """Admins only, newest first (expired ones show as `expired`)."""
    return await service.list_invitations(session, actor=user, cooperative_id=cooperative_id)


@router.delete(
    "/cooperatives/{cooperative_id}/invitations/{invitation_id}",
    response_model=InvitationOut,
    status_code=200,
    summary="Withdraw an invitation",
)
async def revoke_invitation(
    cooperative_id: int, invitation_id: int, user: CurrentUser, session: DbSession
) -> InvitationOut:
    """Admins only; 404 `invitation_not_found` unless it is the supplier's and unanswered."""
    return await service.revoke_invitation(
        session, actor=user, cooperative_id=cooperative_id, invitation_id=invitation_id
    )


@router.delete(
    "/cooperatives/{cooperative_id}/members/{user_id}",
    response_model=MemberOut,
    status_code=200,
    summary="Remove a member",
)
async def remove_member(
    cooperative_id: int, user_id: int, user: CurrentUser, session: DbSession
) -> MemberOut:
    """Admins remove anyone, members themselves; never the last admin (409 `last_admin`).
    Answers with the member as they were (404 `member_not_found` for a non-member)."""
    return await service.remove_member(
        session, actor=user, cooperative_id=cooperative_id, user_id=user_id
    )


# ---------------------------------------------------------------------------------------------
# Operator


@router.get(
    "/admin/cooperatives",
    response_model=CooperativePage,
    status_code=200,
    summary="Suppliers for review (operator)",
)
async def list_cooperatives(
    operator: Operator,
    session: DbSession,
    status: SupplierStatus | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 50,
) -> CooperativePage:
    """Suppliers of a status (all without `status`), oldest application first."""
    return await service.list_for_review(session, status=status, page=page, per_page=per_page)


# A reason is optional when verifying and reinstating.
OptionalReasonBody = Annotated[OptionalReason | None, Body()]


async def _change_status(
    session: AsyncSession,
    operator: User,
    cooperative_id: int,
    action: service.StatusAction,
    reason: str | None,
) -> CooperativeOut:
    return await service.change_status(
        session, operator=operator, cooperative_id=cooperative_id, action=action, reason=reason
    )


@router.post(
    "/admin/cooperatives/{cooperative_id}/verify",
    response_model=CooperativeOut,
    status_code=200,
    summary="Verify a pending supplier (operator)",
)
async def verify_cooperative(
    cooperative_id: int, operator: Operator, session: DbSession, body: OptionalReasonBody = None
) -> CooperativeOut:
    """pending → verified; anything else is 409 `invalid_status_transition`."""
    action, reason = service.StatusAction.VERIFY, body.reason if body else None
    return await _change_status(session, operator, cooperative_id, action, reason)


@router.post(
    "/admin/cooperatives/{cooperative_id}/reject",
    response_model=CooperativeOut,
    status_code=200,
    summary="Reject a pending supplier (operator)",
)
async def reject_cooperative(
    cooperative_id: int, body: StatusReason, operator: Operator, session: DbSession
) -> CooperativeOut:
    """pending → rejected, with a reason (422 `reason_required` without one)."""
    action = service.StatusAction.REJECT
    return await _change_status(session, operator, cooperative_id, action, body.reason)


@router.post(
    "/admin/cooperatives/{cooperative_id}/suspend",
    response_model=CooperativeOut,
    status_code=200,
    summary="Suspend a verified supplier (operator)",
)
async def suspend_cooperative(
    cooperative_id: int, body: StatusReason, operator: Operator, session: DbSession
) -> CooperativeOut:
    """verified → suspended, with a reason; its listings stop selling at once."""
    action = service.StatusAction.SUSPEND
    return await _change_status(session, operator, cooperative_id, action, body.reason)


@router.post(
    "/admin/cooperatives/{cooperative_id}/reinstate",
    response_model=CooperativeOut,
    status_code=200,
    summary="Reinstate a suspended supplier (operator)",
)
async def reinstate_cooperative(
    cooperative_id: int, operator: Operator, session: DbSession, body: OptionalReasonBody = None
) -> CooperativeOut:
    """suspended → verified."""
    action, reason = service.StatusAction.REINSTATE, body.reason if body else None
    return await _change_status(session, operator, cooperative_id, action, reason)
