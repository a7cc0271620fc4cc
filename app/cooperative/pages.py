"""HTML routes of the cooperative domain: the supplier portal and the operator's review queue."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageUser, register_back_office_counter
from app.account.errors import AlreadyMember
from app.account.models import User
from app.cooperative import service
from app.cooperative.deps import PageOperator, RequiresPovertyCounty
from app.cooperative.errors import (
    CreditCodeTaken,
    FieldProblem,
    InvalidFields,
    InvalidStatusTransition,
    LastAdmin,
    SupplierAdminRequired,
)
from app.cooperative.menu import SupplierPortal
from app.cooperative.models import SupplierKind, SupplierStatus
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, PostedForm, check_this
from app.web.i18n import gettext as _
from app.web.responses import see_other
from app.web.review_queue import RefusedAction, review_queue_context
from app.web.templating import render

router = APIRouter(include_in_schema=False)
register_back_office_counter("cooperatives", service.count_pending)

HOUSEHOLDS_MAX_DIGITS = 7


def parse_households(raw: str) -> int | None:
    """A whole number typed in the form, or None (the service then names the field)."""
    # NFKC turns full-width digits and commas (as Chinese input methods type them) into ASCII.
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    # ASCII only: int() would also accept Arabic-Indic and other digits.
    if not text or len(text) > HOUSEHOLDS_MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _credit_code_messages() -> dict[str | None, str]:
    return {
        "length": _("统一社会信用代码应为 18 位。"),
        "charset": _("统一社会信用代码只含数字和大写字母（不含 I、O、Z、S、V）。"),
        "region": _("统一社会信用代码第 3–8 位应为登记机关的行政区划代码。"),
        "org_code_check": _("统一社会信用代码第 9–17 位（组织机构代码）校验不符，请核对。"),
        "check_character": _("统一社会信用代码第 18 位校验码不符，请核对是否输错。"),
    }


def _problem_message(field: str, problem: FieldProblem) -> str:
    """The page's wording of a service problem (the API's messages are English)."""
    if problem.code == "invalid_credit_code":
        return _credit_code_messages().get(problem.detail, _("统一社会信用代码无效。"))
    if problem.code == "credit_code_kind_mismatch":
        if field == "kind":
            return _("主体类型与统一社会信用代码不符。")
        return _(
            "合作社的代码以 93 开头，企业以 91 开头，家庭农场以 92 或 91 开头；"
            "请核对主体类型与代码。"
        )
    messages = {
        "invalid_name": _("名称应为 2 到 100 个字符。"),
        "invalid_kind": _("请选择主体类型。"),
        "unknown_county": _("请选择所在县。"),
        "county_not_poverty_lifted": _("所选县不在脱贫县名单中，暂不能入驻。"),
        "invalid_contact_name": _("请填写联系人，最多 50 个字符。"),
        "invalid_phone": _("请填写有效的手机号码或固定电话（如 0571-87654321）。"),
        "invalid_households_supported": _("带动农户数应为 0 到 1000000 之间的整数。"),
        "invalid_recommendation_ref": _("推荐文号最多 100 个字符。"),
        "invalid_description": _("简介最多 2000 个字符。"),
        "invalid_email": _("请输入有效的电子邮箱地址。"),
        "invalid_role": _("请选择角色。"),
        "reason_required": _("请填写原因。"),
        "reason_too_long": _("原因最多 500 个字符。"),
        "invalid_reason": _("原因含有无法显示的字符。"),
    }
    if problem.detail == "charset":
        return _("含有无法显示的字符。")
    return messages.get(problem.code, check_this())


def _field_messages(error: InvalidFields) -> dict[str, str]:
    return {field: _problem_message(field, problem) for field, problem in error.problems.items()}


# ---------------------------------------------------------------------------------------------
# Supplier portal


@router.get("/coop", response_class=HTMLResponse)
async def list_mine(request: Request, user: PageUser, session: DbSession) -> Response:
    """The signed-in user's suppliers, with a link to register one."""
    mine = await service.list_my_cooperatives(session, user=user)
    return render(request, "cooperative/list_mine.html", {"mine": mine})


async def _register_page(
    request: Request,
    session: DbSession,
    *,
    require_poverty_county: bool,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    provinces = await service.registration_counties(
        session, require_poverty_county=require_poverty_county
    )
    context: dict[str, Any] = {
        "form": form or {"kind": SupplierKind.COOPERATIVE.value},
        "errors": errors or {},
        "form_error": _("请修改标出的内容后再提交。") if errors else None,
        "provinces": provinces,
        "require_poverty_county": require_poverty_county,
    }
    return render(request, "cooperative/show_register.html", context, status_code=status_code)


@router.get("/coop/register", response_class=HTMLResponse)
async def show_register(
    request: Request,
    user: PageUser,
    session: DbSession,
    require_poverty_county: RequiresPovertyCounty,
) -> Response:
    """The supplier application form."""
    return await _register_page(request, session, require_poverty_county=require_poverty_county)


@router.post("/coop/register")
async def register(
    request: Request,
    user: PageUser,
    session: DbSession,
    require_poverty_county: RequiresPovertyCounty,
    csrf: CsrfChecked,
    name: FormText = "",
    kind: FormText = SupplierKind.COOPERATIVE.value,
    credit_code: FormText = "",
    county_code: FormText = "",
    contact_name: FormText = "",
    contact_phone: FormText = "",
    households_supported: FormText = "",
    recommendation_ref: FormText = "",
    description: FormText = "",
) -> Response:
    """Submit the application; on success go to the new supplier's dashboard."""
    form = {
        "name": name,
        "kind": kind,
        "credit_code": credit_code,
        "county_code": county_code,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "households_supported": households_supported,
        "recommendation_ref": recommendation_ref,
        "description": description,
    }
    application = service.SupplierApplication(
        name=name,
        credit_code=credit_code,
        county_code=county_code,
        contact_name=contact_name,
        contact_phone=contact_phone,
        households_supported=parse_households(households_supported),
        kind=kind,
        recommendation_ref=recommendation_ref,
        description=description,
    )
    try:
        created = await service.apply(
            session,
            user=user,
            application=application,
            require_poverty_county=require_poverty_county,
        )
    except InvalidFields as exc:
        return await _register_page(
            request,
            session,
            require_poverty_county=require_poverty_county,
            form=form,
            errors=_field_messages(exc),
            status_code=422,
        )
    except CreditCodeTaken:
        return await _register_page(
            request,
            session,
            require_poverty_county=require_poverty_county,
            form=form,
            errors={"credit_code": _("该统一社会信用代码已被注册。")},
            status_code=409,
        )
    return see_other(f"/coop/{created.id}")


async def _dashboard_page(
    request: Request,
    session: DbSession,
    user: PageUser,
    cooperative_id: int,
    *,
    invite: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    member_error: str | None = None,
    story: str | None = None,
    status_code: int = 200,
) -> Response:
    overview = await service.dashboard(session, user=user, cooperative_id=cooperative_id)
    pending = (
        await service.list_invitations(session, actor=user, cooperative_id=cooperative_id)
        if overview.role == "admin"
        else []
    )
    context: dict[str, Any] = {
        "overview": overview,
        "invitations": pending,
        "cooperative": overview.cooperative,
        "invite": invite or {"email": "", "role": "member"},
        "errors": errors or {},
        "member_error": member_error,
        "notice": request.query_params.get("done"),
        # What a refused story form had typed, else the story as saved.
        "story": story if story is not None else overview.cooperative.description or "",
    }
    return render(request, "cooperative/show_dashboard.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}", response_class=HTMLResponse)
async def show_dashboard(
    _menu: SupplierPortal, request: Request, cooperative_id: int, user: PageUser, session: DbSession
) -> Response:
    """A supplier's dashboard for its members: status, details, members (404 for others)."""
    return await _dashboard_page(request, session, user, cooperative_id)


@router.post("/coop/{cooperative_id}/story")
async def save_story(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: int,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    story: FormText = "",
) -> Response:
    """The supplier's story, shown on its public page (admins only; too long comes back)."""
    try:
        await service.update_story(session, user=user, cooperative_id=cooperative_id, story=story)
    except InvalidFields:
        return await _dashboard_page(
            request,
            session,
            user,
            cooperative_id,
            errors={"story": _("合作社故事最多 2000 个字符。")},
            story=story,
            status_code=422,
        )
    return see_other(f"/coop/{cooperative_id}?done=story_saved")


@router.post("/coop/{cooperative_id}/members")
async def invite_member(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: int,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    email: FormText = "",
    role: FormText = "member",
) -> Response:
    """Invite a member (admins only): they are mailed a link and join by accepting. Errors
    re-render the dashboard with the entered values."""
    invite = {"email": email, "role": role}
    try:
        await service.invite_member(
            session, actor=user, cooperative_id=cooperative_id, email=email, role=role
        )
    except InvalidFields as exc:
        errors, status_code = _field_messages(exc), 422
    except AlreadyMember:
        errors, status_code = {"email": _("该用户已是成员，可在成员列表中修改其角色。")}, 409
    else:
        return see_other(f"/coop/{cooperative_id}?done=invitation_sent")
    return await _dashboard_page(
        request,
        session,
        user,
        cooperative_id,
        invite=invite,
        errors=errors,
        status_code=status_code,
    )


@dataclass(frozen=True)
class _MemberForm(PostedForm[User]):
    """A form posted about one member, and the dashboard it may be refused back to."""

    cooperative_id: int
    member_id: int

    async def refused(self, error: str, status_code: int) -> Response:
        return await _dashboard_page(
            self.request,
            self.session,
            self.user,
            self.cooperative_id,
            member_error=error,
            status_code=status_code,
        )


async def _member_form(
    request: Request,
    cooperative_id: int,
    member_id: int,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> _MemberForm:
    return _MemberForm(request, session, user, cooperative_id, member_id)


MemberForm = Annotated[_MemberForm, Depends(_member_form)]


@router.post("/coop/{cooperative_id}/members/{member_id}/role")
async def change_member_role(
    _menu: SupplierPortal, posted: MemberForm, role: FormText = ""
) -> Response:
    """Make a member an admin or an admin a member (admins only); the last admin stays."""
    cooperative_id = posted.cooperative_id
    try:
        await service.change_member_role(
            posted.session,
            actor=posted.user,
            cooperative_id=cooperative_id,
            user_id=posted.member_id,
            role=role,
        )
    except InvalidFields:
        return await posted.refused(_("请选择角色。"), 422)
    except LastAdmin:
        return await posted.refused(_("这是唯一的管理员，请先指定另一位管理员。"), 409)
    return see_other(f"/coop/{cooperative_id}?done=member_saved")


@router.post("/coop/{cooperative_id}/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    _menu: SupplierPortal,
    cooperative_id: int,
    invitation_id: int,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Withdraw an unanswered invitation (admins only)."""
    await service.revoke_invitation(
        session, actor=user, cooperative_id=cooperative_id, invitation_id=invitation_id
    )
    return see_other(f"/coop/{cooperative_id}?done=invitation_revoked")


@router.post("/coop/{cooperative_id}/members/{member_id}/remove")
async def remove_member(_menu: SupplierPortal, posted: MemberForm) -> Response:
    """Remove a member (admins; members may leave); the last admin stays."""
    cooperative_id, member_id = posted.cooperative_id, posted.member_id
    try:
        await service.remove_member(
            posted.session, actor=posted.user, cooperative_id=cooperative_id, user_id=member_id
        )
    except LastAdmin:
        return await posted.refused(_("不能移除唯一的管理员，请先指定另一位管理员。"), 409)
    except SupplierAdminRequired:
        return await posted.refused(_("只有管理员可以管理成员。"), 403)
    left = member_id == posted.user.id
    return see_other("/coop" if left else f"/coop/{cooperative_id}?done=member_removed")


# ---------------------------------------------------------------------------------------------
# Operator


async def _review_page(
    request: Request,
    session: DbSession,
    *,
    status: SupplierStatus,
    refused: RefusedAction | None = None,
    status_code: int = 200,
) -> Response:
    queue = await service.review_queue(session, status=status)
    actions = {
        item.id: [a.value for a in service.available_actions(SupplierStatus(item.status))]
        for item in queue.items
    }
    context = review_queue_context(queue, actions, SupplierStatus, refused)
    context["reason_required"] = [a.value for a in service.REASON_REQUIRED]
    return render(request, "cooperative/show_review_queue.html", context, status_code=status_code)


@router.get("/admin/cooperatives", response_class=HTMLResponse)
async def show_review_queue(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: SupplierStatus = SupplierStatus.PENDING,
) -> Response:
    """Suppliers of one status (pending by default) with the actions each allows."""
    return await _review_page(request, session, status=status)


@router.post("/admin/cooperatives/{cooperative_id}/{action}")
async def review_cooperative(
    request: Request,
    cooperative_id: int,
    action: service.StatusAction,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    reason: FormText = "",
    status: Annotated[SupplierStatus, Form()] = SupplierStatus.PENDING,
) -> Response:
    """Verify, reject, suspend or reinstate; back to the queue the form was on."""
    try:
        await service.change_status(
            session,
            operator=operator,
            cooperative_id=cooperative_id,
            action=action,
            reason=reason,
        )
    except InvalidFields as exc:
        field = next(iter(exc.problems))
        message = _problem_message(field, exc.problems[field])
        refused = RefusedAction(cooperative_id, message, reason)
        return await _review_page(request, session, status=status, refused=refused, status_code=422)
    except InvalidStatusTransition:
        refused = RefusedAction(cooperative_id, _("该供应商的状态已变化，此操作不再适用。"))
        return await _review_page(request, session, status=status, refused=refused, status_code=409)
    return see_other(f"/admin/cooperatives?status={status.value}")
