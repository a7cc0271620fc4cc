"""HTML routes of the organisation portal: the user's organisations, registration, and the
members and targets pages of /org/{id}/. (The portal's dashboard reads the benefit ledger and
lives with it, in app.impact.pages.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.errors import AlreadyMember
from app.account.models import User
from app.core.clock import china_year, utcnow
from app.core.fields import parse_yuan, yuan_text
from app.organization import access, service
from app.organization.errors import (
    CreditCodeTaken,
    InvalidOrganizationFields,
    LastAdmin,
    OrganizationAdminRequired,
)
from app.organization.menu import menu_context
from app.organization.models import OrganizationKind
from app.organization.pages.wording import field_messages, parse_percent
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, PostedForm
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)


async def _portal(
    request: Request,
    session: AsyncSession,
    user: User,
    organization_id: str,
    current: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """The portal page of the menu entry `current` (template organization/show_<current>.html)
    of a member (or operator), with the notice of what was just done: 404 for anyone else."""
    organization = await access.member_organization(
        session, user=user, organization_id=page_id(organization_id)
    )
    full = await menu_context(session, organization=organization, user=user, current=current)
    full["notice"] = request.query_params.get("done")
    full.update(context)
    template = f"organization/show_{current}.html"
    return render(request, template, full, status_code=status_code)


# ---------------------------------------------------------------------------------------------
# The user's organisations and registration


@router.get("/org/", response_class=HTMLResponse)
async def list_mine(request: Request, user: PageUser, session: DbSession) -> Response:
    """The user's organisations; straight to the only one when there is one."""
    mine = await service.list_my_organizations(session, user=user)
    if len(mine) == 1:
        return see_other(f"/org/{mine[0].organization.id}/")
    return render(request, "organization/list_mine.html", {"mine": mine})


async def _register_page(
    request: Request,
    session: AsyncSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "form": form or {"kind": OrganizationKind.GOVERNMENT.value},
        "errors": errors or {},
        "form_error": _("请修改标出的内容后再提交。") if errors else None,
        "kinds": [kind.value for kind in OrganizationKind],
        "provinces": await service.registration_counties(session),
    }
    return render(request, "organization/show_register.html", context, status_code=status_code)


@router.get("/org/register", response_class=HTMLResponse)
async def show_register(request: Request, user: PageUser, session: DbSession) -> Response:
    """The registration form of an organisation."""
    return await _register_page(request, session)


@router.post("/org/register")
async def register(
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    name: FormText = "",
    kind: FormText = "",
    credit_code: FormText = "",
    region_code: FormText = "",
) -> Response:
    """Register; on success go to the new organisation's dashboard."""
    form = {"name": name, "kind": kind, "credit_code": credit_code, "region_code": region_code}
    application = service.OrganizationApplication(
        name=name, credit_code=credit_code, kind=kind, region_code=region_code
    )
    try:
        created = await service.register(session, user=user, application=application)
    except InvalidOrganizationFields as exc:
        return await _register_page(
            request, session, form=form, errors=field_messages(exc), status_code=422
        )
    except CreditCodeTaken:
        errors = {"credit_code": _("该统一社会信用代码已被注册。")}
        return await _register_page(request, session, form=form, errors=errors, status_code=409)
    return see_other(f"/org/{created.id}/")


# ---------------------------------------------------------------------------------------------
# Members


async def _members_page(
    request: Request,
    session: AsyncSession,
    user: User,
    organization_id: str,
    *,
    invite: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    member_error: str | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page_id(organization_id)
    members = await service.list_members(session, viewer=user, organization_id=org_id)
    role = await service.member_role(session, user=user, organization_id=org_id)
    pending = (
        await service.list_invitations(session, actor=user, organization_id=org_id)
        if role == "admin"
        else []
    )
    context: dict[str, Any] = {
        "members": members,
        "invitations": pending,
        "invite": invite or {"email": "", "role": "buyer"},
        "errors": errors or {},
        "member_error": member_error,
    }
    return await _portal(
        request, session, user, organization_id, "members", context, status_code=status_code
    )


@router.get("/org/{organization_id}/members", response_class=HTMLResponse)
async def show_members(
    request: Request, organization_id: str, user: PageUser, session: DbSession
) -> Response:
    """Members and, for admins, the invitations awaiting an answer and the invite form."""
    return await _members_page(request, session, user, organization_id)


@router.post("/org/{organization_id}/members")
async def invite_member(
    request: Request,
    organization_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    email: FormText = "",
    role: FormText = "buyer",
) -> Response:
    """Invite a member by e-mail (admins); errors re-render the page with what was entered."""
    org_id = page_id(organization_id)
    try:
        await service.invite_member(
            session, actor=user, organization_id=org_id, email=email, role=role
        )
    except InvalidOrganizationFields as exc:
        errors, status_code = field_messages(exc), 422
    except AlreadyMember:
        errors, status_code = {"email": _("该用户已是成员，可在上方修改其角色。")}, 409
    else:
        return see_other(f"/org/{org_id}/members?done=invitation_sent")
    return await _members_page(
        request,
        session,
        user,
        organization_id,
        invite={"email": email, "role": role},
        errors=errors,
        status_code=status_code,
    )


@dataclass(frozen=True)
class _MemberForm(PostedForm[User]):
    """A form posted about one member, and the members page it may be refused back to."""

    organization_id: str
    member_id: str

    async def refused(self, error: str, status_code: int) -> Response:
        return await _members_page(
            self.request,
            self.session,
            self.user,
            self.organization_id,
            member_error=error,
            status_code=status_code,
        )


async def _member_form(
    request: Request,
    organization_id: str,
    member_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> _MemberForm:
    # The route reads the ids (a 404 for a malformed one) as it did on its own.
    return _MemberForm(request, session, user, organization_id, member_id)


MemberForm = Annotated[_MemberForm, Depends(_member_form)]


@router.post("/org/{organization_id}/members/{member_id}/role")
async def change_member_role(posted: MemberForm, role: FormText = "") -> Response:
    """Give a member another role (admins); the last admin stays one."""
    org_id = page_id(posted.organization_id)
    try:
        await service.change_member_role(
            posted.session,
            actor=posted.user,
            organization_id=org_id,
            user_id=page_id(posted.member_id),
            role=role,
        )
    except InvalidOrganizationFields:
        return await posted.refused(_("请选择角色。"), 422)
    except LastAdmin:
        return await posted.refused(_("这是唯一的管理员，请先指定另一位管理员。"), 409)
    return see_other(f"/org/{org_id}/members?done=member_saved")


@router.post("/org/{organization_id}/members/{member_id}/remove")
async def remove_member(posted: MemberForm) -> Response:
    """Remove a member (admins; members may leave); the last admin stays."""
    org_id, user_id = page_id(posted.organization_id), page_id(posted.member_id)
    try:
        await service.remove_member(
            posted.session, actor=posted.user, organization_id=org_id, user_id=user_id
        )
    except LastAdmin:
        return await posted.refused(_("不能移除唯一的管理员，请先指定另一位管理员。"), 409)
    except OrganizationAdminRequired:
        return await posted.refused(_("只有管理员可以管理成员。"), 403)
    left = user_id == posted.user.id
    return see_other("/org/" if left else f"/org/{org_id}/members?done=member_removed")


@router.post("/org/{organization_id}/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    organization_id: str,
    invitation_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Withdraw an unanswered invitation (admins)."""
    org_id = page_id(organization_id)
    await service.revoke_invitation(
        session, actor=user, organization_id=org_id, invitation_id=page_id(invitation_id)
    )
    return see_other(f"/org/{org_id}/members?done=invitation_revoked")


# ---------------------------------------------------------------------------------------------
# Yearly targets


async def _targets_page(
    request: Request,
    session: AsyncSession,
    user: User,
    organization_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page_id(organization_id)
    targets = await service.list_targets(session, user=user, organization_id=org_id)
    this_year = china_year(utcnow())
    current = next((t for t in targets if t.year == this_year), None)
    share_bp = current.reserved_share_bp if current else service.SUGGESTED_SHARE_BP
    suggested = {
        "year": str(this_year),
        "budget_yuan": yuan_text(current.canteen_budget_fen) if current else "",
        "share_percent": f"{share_bp / 100:g}",
    }
    context: dict[str, Any] = {
        "targets": targets,
        "years": list(reversed(service.target_years())),
        "form": form or suggested,
        "errors": errors or {},
        "form_error": _("请修改标出的内容后再提交。") if errors else None,
    }
    return await _portal(
        request, session, user, organization_id, "targets", context, status_code=status_code
    )


@router.get("/org/{organization_id}/targets", response_class=HTMLResponse)
async def show_targets(
    request: Request, organization_id: str, user: PageUser, session: DbSession
) -> Response:
    """The declared targets and, for admins, the form (15 % suggested)."""
    return await _targets_page(request, session, user, organization_id)


@router.post("/org/{organization_id}/targets")
async def declare_target(
    request: Request,
    organization_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    year: FormText = "",
    budget_yuan: FormText = "",
    share_percent: FormText = "",
) -> Response:
    """Declare or correct a year's budget and share (admins)."""
    org_id = page_id(organization_id)
    form = {"year": year, "budget_yuan": budget_yuan, "share_percent": share_percent}
    chosen = int(year) if year.isascii() and year.isdigit() and len(year) == 4 else 0
    try:
        await service.declare_target(
            session,
            actor=user,
            organization_id=org_id,
            year=chosen,
            canteen_budget_fen=parse_yuan(budget_yuan),
            reserved_share_bp=parse_percent(share_percent),
        )
    except InvalidOrganizationFields as exc:
        return await _targets_page(
            request,
            session,
            user,
            organization_id,
            form=form,
            errors=field_messages(exc),
            status_code=422,
        )
    return see_other(f"/org/{org_id}/targets?done=target_saved")
