"""JSON routes of the account domain: registration, access tokens, the current user and the
invitations addressed to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.account import invitations, service, sessions
from app.account.deps import CurrentUser
from app.account.errors import CurrentPasswordWrong, InvalidCredentials
from app.account.limits import (
    check_registration_allowed,
    check_sign_in_allowed,
    sign_in_failed,
    sign_in_succeeded,
)
from app.account.schemas import (
    ApiTokenOut,
    InvitationOut,
    PasswordChangeRequest,
    RegisterRequest,
    TokenRequest,
    TokenResponse,
    UserOut,
)
from app.config import Settings
from app.core.fields import MAX_ID
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["account"], responses=API_ERROR_RESPONSES)

TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="API token id")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/auth/register",
    response_model=UserOut,
    status_code=201,
    summary="Create a consumer account",
)
async def register(body: RegisterRequest, request: Request, session: DbSession) -> UserOut:
    """Sign up with e-mail, password (8–256 characters) and display name; 409 `email_taken`;
    429 `rate_limited` (with Retry-After) after too many sign-ups from one network."""
    await check_registration_allowed(request)
    user = await service.register_user(
        session, email=body.email, password=body.password, display_name=body.display_name
    )
    return UserOut.model_validate(await service.summarize_user(session, user))


def _token_response(request: Request, issued: sessions.Issued) -> TokenResponse:
    return TokenResponse(
        access_token=issued.secret,
        token_type="bearer",  # noqa: S106  (the OAuth token type, not a secret)
        expires_in=_settings(request).access_token_ttl_seconds,
        token_id=issued.id,
    )


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    status_code=200,
    summary="Exchange e-mail and password for a bearer token",
)
async def issue_token(body: TokenRequest, request: Request, session: DbSession) -> TokenResponse:
    """A new API token, listed under GET /me/tokens with its optional `name`. 401
    `invalid_credentials` for any wrong pair; 429 `rate_limited` (with Retry-After, in
    seconds) after too many wrong passwords for the account or from the client's network,
    whatever the password then."""
    await check_sign_in_allowed(request, body.email)
    try:
        user = await service.authenticate(session, email=body.email, password=body.password)
    except InvalidCredentials:
        await sign_in_failed(request, body.email)
        raise
    await sign_in_succeeded(request, body.email)
    issued = await sessions.issue_api_token(
        session, user, ttl_seconds=_settings(request).access_token_ttl_seconds, name=body.name
    )
    return _token_response(request, issued)


@router.post(
    "/auth/logout",
    response_model=None,
    status_code=204,
    summary="Revoke the bearer token of this request",
)
async def log_out(request: Request, user: CurrentUser, session: DbSession) -> Response:
    """The token stops working at once; the user's other tokens and sessions go on."""
    await sessions.revoke_api_token(session, user, request.state.api_token_id)
    return Response(status_code=204)


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


@router.get(
    "/me/tokens",
    response_model=list[ApiTokenOut],
    status_code=200,
    summary="The signed-in user's API tokens",
)
async def list_my_tokens(
    request: Request, user: CurrentUser, session: DbSession
) -> list[ApiTokenOut]:
    """Unexpired tokens, newest first (at most 50 are kept); `current` marks this request's.
    The secrets themselves are never shown again."""
    current = request.state.api_token_id
    return [
        ApiTokenOut(
            id=token.id,
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            current=token.id == current,
        )
        for token in await sessions.api_tokens(session, user)
    ]


@router.delete(
    "/me/tokens/{token_id}",
    response_model=None,
    status_code=204,
    summary="Revoke one of the signed-in user's API tokens",
)
async def revoke_my_token(token_id: TokenId, user: CurrentUser, session: DbSession) -> Response:
    """It stops working at once (this request's own token too); 404 `token_not_found` for
    another user's token or an unknown id."""
    await sessions.revoke_api_token(session, user, token_id)
    return Response(status_code=204)


@router.post(
    "/me/sign-out-everywhere",
    response_model=None,
    status_code=204,
    summary="End every session and API token of the signed-in user",
)
async def sign_out_everywhere(user: CurrentUser, session: DbSession) -> Response:
    """Every browser session and every API token of the user ends, this request's included."""
    await sessions.end_all_sessions(session, user)
    return Response(status_code=204)


@router.post(
    "/me/password",
    response_model=TokenResponse,
    status_code=200,
    summary="Change the signed-in user's password",
)
async def change_my_password(
    body: PasswordChangeRequest, request: Request, user: CurrentUser, session: DbSession
) -> TokenResponse:
    """Every session and API token of the user ends, this request's included; the answer is a
    new token to go on with. 422 `wrong_password` when `current_password` does not match
    (counted as a wrong password: 429 `rate_limited` after too many), 422 `validation_failed`
    for a `new_password` outside 8–256 characters."""
    await check_sign_in_allowed(request, user.email)
    try:
        await service.change_password(
            session,
            user,
            current_password=body.current_password,
            new_password=body.new_password,
        )
    except CurrentPasswordWrong:
        await sign_in_failed(request, user.email)
        raise
    issued = await sessions.issue_api_token(
        session, user, ttl_seconds=_settings(request).access_token_ttl_seconds, name=body.token_name
    )
    return _token_response(request, issued)
