"""HTML routes of the account domain: sign-up, sign-in, sign-out, the account page and the
page where an invitee accepts or declines an invitation."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from app.account import invitations, service
from app.account.deps import (
    OptionalPageUser,
    PageUser,
    forget_login_failures,
    login_attempt_allowed,
    login_retry_after,
)
from app.account.errors import EmailTaken, InvalidCredentials
from app.account.models import InvitationScope, Role
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
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "form": {"email": email, "display_name": display_name, "next": next_path},
        "errors": errors or {},
        "form_error": _("请修改标出的内容后再提交。") if errors else None,
    }
    return render(request, "account/show_register.html", context, status_code=status_code)


@router.get("/login")
async def show_login(
    request: Request, user: OptionalPageUser, next_path: NextQuery = "/"
) -> Response:
    """The sign-in form."""
    return _login_page(request, next_path=safe_next_path(next_path))


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
    """Check the password, bind the session to the user and go back where they came from."""
    next_path = safe_next_path(next_form)
    if not await login_attempt_allowed(request, email):
        return _login_page(
            request,
            email=email,
            next_path=next_path,
            form_error=_("登录尝试过于频繁，请稍后再试。"),
            status_code=429,
            headers={"Retry-After": login_retry_after(request)},
        )
    try:
        signed_in = await service.authenticate(session, email=email, password=password)
    except InvalidCredentials:
        return _login_page(
            request,
            email=email,
            next_path=next_path,
            form_error=_("邮箱或密码不正确。"),
            status_code=401,
        )
    await forget_login_failures(request, email)
    log_in_session(request, signed_in.id)
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
    try:
        created = await service.register_user(
            session, email=email, password=password, display_name=display_name
        )
    except EmailTaken:
        return _register_page(
            request,
            email=email,
            display_name=display_name,
            next_path=next_path,
            errors={"email": _("该邮箱已注册，请直接登录。")},
            status_code=409,
        )
    except ValidationFailed as exc:
        return _register_page(
            request,
            email=email,
            display_name=display_name,
            next_path=next_path,
            errors=_field_messages(exc.fields),
            status_code=422,
        )
    log_in_session(request, created.id)
    return see_other(next_path)


@router.post("/logout")
async def log_out(request: Request, csrf: CsrfChecked) -> Response:
    """End the session; CSRF-checked so that another site cannot sign the user out."""
    log_out_session(request)
    return see_other("/")


@router.get("/account")
async def show_account(request: Request, user: PageUser, session: DbSession) -> Response:
    """The signed-in user's account: name, e-mail and roles."""
    summary = await service.summarize_user(session, user)
    labels = _role_labels()
    roles = [labels.get(role, role) for role in summary.roles]
    context = {
        "summary": summary,
        "roles": roles,
        "invitations": await invitations.my_invitations(session, user=user),
    }
    return render(request, "account/show_account.html", context)


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
