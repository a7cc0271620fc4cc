"""JSON routes of the account domain: registration, access tokens, the current user and the
invitations addressed to them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.account import invitations, service
from app.account.deps import (
    CurrentUser,
    forget_login_failures,
    login_attempt_allowed,
    too_many_login_attempts,
)
from app.account.schemas import (
    InvitationOut,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UserOut,
)
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.security import TokenSigner

router = APIRouter(prefix="/api/v1", tags=["account"], responses=API_ERROR_RESPONSES)


@router.post(
    "/auth/register",
    response_model=UserOut,
    status_code=201,
    summary="Create a consumer account",
)
async def register(body: RegisterRequest, session: DbSession) -> UserOut:
    """Sign up with e-mail, password (8–256 characters) and display name; 409 `email_taken`."""
    user = await service.register_user(
        session, email=body.email, password=body.password, display_name=body.display_name
    )
    return UserOut.model_validate(await service.summarize_user(session, user))


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    status_code=200,
    summary="Exchange e-mail and password for a bearer token",
)
async def issue_token(body: TokenRequest, request: Request, session: DbSession) -> TokenResponse:
    """401 `invalid_credentials` for any wrong pair; 429 `rate_limited` after too many tries."""
    if not await login_attempt_allowed(request, body.email):
        raise too_many_login_attempts(request)
    user = await service.authenticate(session, email=body.email, password=body.password)
    await forget_login_failures(request, body.email)
    signer: TokenSigner = request.app.state.token_signer
    return TokenResponse(
        access_token=signer.issue(user.id),
        token_type="bearer",  # noqa: S106  (the OAuth token type, not a secret)
        expires_in=request.app.state.settings.access_token_ttl_seconds,
    )


@router.get("/me", response_model=UserOut, status_code=200, summary="The signed-in user")
async def show_me(user: CurrentUser, session: DbSession) -> UserOut:
    """The token's user, with their roles and the cooperatives and organisations they act for."""
    return UserOut.model_validate(await service.summarize_user(session, user))


@router.get(
    "/me/invitations",
    response_model=list[InvitationOut],
    status_code=200,
    summary="Open invitations to the signed-in user",
)
async def list_my_invitations(user: CurrentUser, session: DbSession) -> list[InvitationOut]:
    """Pending, unexpired invitations to the user's e-mail address, newest first."""
    return await invitations.my_invitations(session, user=user)


@router.post(
    "/invitations/{invitation_id}/accept",
    response_model=InvitationOut,
    status_code=200,
    summary="Accept an invitation",
)
async def accept_invitation(
    invitation_id: int, user: CurrentUser, session: DbSession
) -> InvitationOut:
    """Become a member of the cooperative or organisation with the offered role. 404
    `invitation_not_found` unless it is addressed to the user's e-mail, pending and unexpired
    (accepting twice is 404 too)."""
    return await invitations.accept(session, user=user, invitation_id=invitation_id)


@router.post(
    "/invitations/{invitation_id}/decline",
    response_model=InvitationOut,
    status_code=200,
    summary="Decline an invitation",
)
async def decline_invitation(
    invitation_id: int, user: CurrentUser, session: DbSession
) -> InvitationOut:
    """Turn the invitation down; 404 `invitation_not_found` as for accepting."""
    return await invitations.decline(session, user=user, invitation_id=invitation_id)
