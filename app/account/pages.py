"""HTML routes of the account domain: sign-up, sign-in, sign-out, the account page (password,
API tokens, signing out everywhere) and the page where an invitee accepts or declines an
invitation."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account import invitations, service, sessions
from app.account.deps import OptionalPageUser, PageUser
from app.account.errors import CurrentPasswordWrong, EmailTaken, InvalidCredentials
from app.account.limits import (
    admit_registration,
    sign_in_failed,
    sign_in_succeeded,
    sign_in_wait,
)
from app.account.models import InvitationScope, Role, User
from app.core.errors import ValidationFailed
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, field_messages
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.security import log_in_session, log_out_session
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# `next` is the customary name of the return path; the Python name avoids the builtin.
NextQuery = Annotated[str, Query(alias="next")]
NextForm = Annotated[str, Form(alias="next")]
# Anything a browser could read as another host or scheme: //host, /\host, control characters.
_UNSAFE_NEXT = re.compile(r"[\\\x00-\x20\x7f]")


def safe_next_path(candidate: str | None) -> str:
    """A local path to return to after signing in; anything else (an open redirect) gives "/"."""
    if not candidate or len(candidate) > 2000 or not candidate.startswith("/"):
        return "/"
    if candidate.startswith("//") or _UNSAFE_NEXT.search(candidate):
        return "/"
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return "/"
    return candidate


def _field_messages(fields: dict[str, str]) -> dict[str, str]:
    """The service's field errors in the page's language (one rule per field, one message)."""
    messages = {
        "email": _("请输入有效的电子邮箱地址。"),
        "password": _("密码长度应为 8 到 256 个字符。"),
        "display_name": _("请填写昵称，最多 100 个字符。"),
    }
    return field_messages(fields, messages)


def _role_labels() -> dict[str, str]:
    return {
        Role.CONSUMER: _("消费者"),
        Role.SUPPLIER_MEMBER: _("供应商成员"),
        Role.SUPPLIER_ADMIN: _("供应商管理员"),
        Role.ORG_BUYER: _("单位采购员"),
        Role.ORG_APPROVER: _("单位审批人"),
        Role.ORG_ADMIN: _("单位管理员"),
        Role.OPERATOR: _("平台运营"),
        Role.REGIONAL_OFFICIAL: _("地区主管部门（只读）"),
    }


def _login_page(
    request: Request,
    *,
    email: str = "",
    next_path: str = "/",
    form_error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "form": {"email": email, "next": next_path},
        "form_error": form_error,
    }
    return render(
        request,
        "account/show_login.html",
        context,
        status_code=status_code,
        headers=headers,
    )


def _register_page(
    request: Request,
    *,
    email: str = "",
    display_name: str = "",
    next_path: str = "/",
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "form": {"email": email, "display_name": display_name, "next": next_path},
        "errors": errors or {},
        "form_error": form_error or (_("请修改标出的内容后再提交。") if errors else None),
    }
    return render(
        request, "account/show_register.html", context, status_code=status_code, headers=headers
    )


@router.get("/login")
async def show_login(
    request: Request, user: OptionalPageUser, next_path: NextQuery = "/"
) -> Response:
    """The sign-in form."""
    return _login_page(request, next_path=safe_next_path(next_path))


async def _start_session(request: Request, session: AsyncSession, user: User) -> None:
    """Sign the browser in with a new server-side session, ending the one it had, if any."""
    previous = getattr(request.state, "browser_session_id", None)
    if previous is not None:
        await sessions.end_browser_session(session, user, previous)
    settings = request.app.state.settings
    issued = await sessions.start_browser_session(
        session, user, ttl_seconds=settings.session_ttl_seconds
    )
    log_in_session(request, issued.secret)


def _too_many_attempts() -> str:
    return _("尝试次数过多，请稍后再试。")


@router.post("/login")
async def log_in(
    request: Request,
    session: DbSession,
    user: OptionalPageUser,
    csrf: CsrfChecked,
    email: FormText = "",
    password: FormText = "",
    next_form: NextForm = "/",
) -> Response:
    """Check the password, start a session and go back where they came from."""
    next_path = safe_next_path(next_form)
    wait = await sign_in_wait(request, email)
    if wait:
        return _login_page(
            request,
            email=email,
            next_path=next_path,
            form_error=_("登录尝试过于频繁，请稍后再试。"),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        signed_in = await service.authenticate(session, email=email, password=password)
    except InvalidCredentials:
        await sign_in_failed(request, email)
        return _login_page(
            request,
            email=email,
            next_path=next_path,
            form_error=_("邮箱或密码不正确。"),
            status_code=401,
        )
    await sign_in_succeeded(request, email)
    await _start_session(request, session, signed_in)
    return see_other(next_path)


@router.get("/register")
async def show_register(
    request: Request, user: OptionalPageUser, next_path: NextQuery = "/"
) -> Response:
    """The sign-up form."""
    return _register_page(request, next_path=safe_next_path(next_path))


@router.post("/register")
async def register(
    request: Request,
    session: DbSession,
    user: OptionalPageUser,
    csrf: CsrfChecked,
    email: FormText = "",
    display_name: FormText = "",
    password: FormText = "",
    next_form: NextForm = "/",
) -> Response:
    """Create a consumer account and sign it in (the fields in the form's order)."""
    next_path = safe_next_path(next_form)
    refill = partial(
        _register_page, request, email=email, display_name=display_name, next_path=next_path
    )
    wait = await admit_registration(request)
    if wait:
        return refill(
            form_error=_("来自您所在网络的注册过于频繁，请稍后再试。"),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        created = await service.register_user(
            session, email=email, password=password, display_name=display_name
        )
    except EmailTaken:
        return refill(errors={"email": _("该邮箱已注册，请直接登录。")}, status_code=409)
    except ValidationFailed as exc:
        return refill(errors=_field_messages(exc.fields), status_code=422)
    await _start_session(request, session, created)
    return see_other(next_path)


@router.post("/logout")
async def log_out(
    request: Request, user: OptionalPageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """End the session on the server, so that no copy of the cookie opens it again;
    CSRF-checked so that another site cannot sign the user out."""
    session_id = getattr(request.state, "browser_session_id", None)
    if user is not None and session_id is not None:
        await sessions.end_browser_session(session, user, session_id)
    log_out_session(request)
    return see_other("/")


async def _account_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    summary = await service.summarize_user(session, user)
    labels = _role_labels()
    context = {
        "summary": summary,
        "roles": [labels.get(role, role) for role in summary.roles],
        "invitations": await invitations.my_invitations(session, user=user),
        "tokens": await sessions.api_tokens(session, user),
        "notice": request.query_params.get("done"),
        "errors": errors or {},
        "form_error": form_error,
    }
    return render(
        request, "account/show_account.html", context, status_code=status_code, headers=headers
    )


@router.get("/account")
async def show_account(request: Request, user: PageUser, session: DbSession) -> Response:
    """The signed-in user's account: name, e-mail and roles, the password, the API tokens
    (each revocable) and signing out everywhere."""
    return await _account_page(request, session, user)


@router.post("/account/password")
async def change_password(
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    """Change the password: every session and API token ends, this browser gets a new session.
    A wrong current password counts as a wrong password at sign-in."""
    wait = await sign_in_wait(request, user.email)
    if wait:
        return await _account_page(
            request,
            session,
            user,
            form_error=_too_many_attempts(),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        await service.change_password(
            session, user, current_password=current_password, new_password=new_password
        )
    except CurrentPasswordWrong:
        await sign_in_failed(request, user.email)
        errors = {"current_password": _("当前密码不正确。")}
        return await _account_page(request, session, user, errors=errors, status_code=422)
    except ValidationFailed:
        errors = {"new_password": _("密码长度应为 8 到 256 个字符。")}
        return await _account_page(request, session, user, errors=errors, status_code=422)
    request.state.browser_session_id = None  # ended with all the others
    await _start_session(request, session, user)
    return see_other("/account?done=password_changed")


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: str, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Revoke one of the user's API tokens; anyone else's (or an unknown one) is a 404 page."""
    await sessions.revoke_api_token(session, user, page_id(token_id))
    return see_other("/account?done=token_revoked#tokens")


@router.post("/account/sign-out-everywhere")
async def sign_out_everywhere(
    request: Request, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """End every session and API token of the user, this browser's included."""
    await sessions.end_all_sessions(session, user)
    log_out_session(request)
    return see_other("/login")


# Where a member of each kind of scope works: an accepted invitation leads there.
_SCOPE_PAGES = {
    InvitationScope.COOPERATIVE.value: "/coop/{}",
    InvitationScope.ORGANIZATION.value: "/org/{}/",
}


@router.get("/invitations/{invitation_id}")
async def show_invitation(
    request: Request, invitation_id: str, user: PageUser, session: DbSession
) -> Response:
    """An invitation to the signed-in user's address, to accept or decline while it is open;
    anyone else's (or an unknown one) is a 404 page."""
    invitation = await invitations.invitation_for_invitee(
        session, user=user, invitation_id=page_id(invitation_id)
    )
    return render(
        request,
        "account/show_invitation.html",
        {"invitation": invitation, "notice": request.query_params.get("done")},
    )


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: str, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Accept, then go to the cooperative's or organisation's pages."""
    accepted = await invitations.accept(session, user=user, invitation_id=page_id(invitation_id))
    return see_other(_SCOPE_PAGES[accepted.scope_kind].format(accepted.scope_id))


@router.post("/invitations/{invitation_id}/decline")
async def decline_invitation(
    invitation_id: str, user: PageUser, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Decline, and show the invitation as declined."""
    declined = await invitations.decline(session, user=user, invitation_id=page_id(invitation_id))
    return see_other(f"/invitations/{declined.id}?done=declined")
