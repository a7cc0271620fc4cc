"""HTML routes of the certification domain: the supplier's certificates and the operator's queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageOperator, PageUser, register_back_office_counter
from app.account.models import User
from app.certification import errors, service
from app.certification.errors import (
    CertificateInvalid,
    CertificateNumberHeld,
    CertificateNumberTaken,
    InvalidStatusTransition,
    ScanLocked,
    ScanRefused,
)
from app.certification.models import CertificateKind, CertificateStatus
from app.cooperative.menu import SupplierPortal
from app.core.errors import ValidationFailed
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, OptionalUpload, check_this
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)
register_back_office_counter("certificates", service.count_pending)

ADMIN_PER_PAGE = 50


def _kind_labels() -> dict[str, str]:
    return {
        CertificateKind.GI: _("农产品地理标志"),
        CertificateKind.GREEN_FOOD: _("绿色食品"),
        CertificateKind.ORGANIC: _("有机产品"),
    }


def _status_labels() -> dict[str, str]:
    return {
        CertificateStatus.PENDING: _("待审核"),
        CertificateStatus.VERIFIED: _("已核验"),
        CertificateStatus.REJECTED: _("已驳回"),
        CertificateStatus.REVOKED: _("已撤销"),
    }


def _number_formats() -> dict[str, str]:
    return {
        CertificateKind.GI: _("地理标志证书编号应为 AGI 加 5 位数字，例如 AGI00122。"),
        CertificateKind.GREEN_FOOD: _(
            "绿色食品编号应为 LB-、两位产品类别、-、十位数字（年月 yymm，月份为 01–12；"
            "两位省份代码；四位序号）及等级 A 或 AA，例如 LB-15-1806040659A。"
        ),
        CertificateKind.ORGANIC: _(
            "有机产品认证证书编号应为三位认证机构代码、OP、两位年份和五位序号，例如 001OP2112345。"
        ),
    }


def _date_message(english: str) -> str:
    return {
        errors.BAD_DATE: _("请按“年-月-日”格式填写日期。"),
        errors.DATE_OUT_OF_RANGE: _("日期应在 1990-01-01 至 2100-12-31 之间。"),
        errors.UNTIL_NOT_AFTER_FROM: _("有效期截止日应晚于起始日。"),
        errors.ALREADY_EXPIRED: _("该证书已过有效期。"),
    }.get(english, check_this())


def _certificate_field_messages(fields: dict[str, str], kind: str) -> dict[str, str]:
    """The service's field errors in the page's language."""
    messages: dict[str, str] = {}
    for name, english in fields.items():
        if name == "kind":
            messages[name] = _("请选择证书类型。")
        elif name == "number":
            messages[name] = _number_formats().get(kind, _("请检查证书编号。"))
        elif name == "issuer":
            messages[name] = _("发证机构应为 2 到 100 个字符。")
        elif name in {"valid_from", "valid_until"}:
            messages[name] = _date_message(english)
        else:
            messages[name] = check_this()
    return messages


def _scan_message(code: str) -> str:
    return {
        "empty_file": _("请选择要上传的文件，文件不能为空。"),
        "too_large": _("文件不能超过 8 MB。"),
        "unsupported_type": _("请上传 JPEG、PNG、WebP 图片或 PDF 文件。"),
        "invalid_image": _("图片每边应在 200 到 8000 像素之间。"),
        "too_many_pixels": _("图片像素过多：最多 2500 万像素（例如 5000×5000），请缩小后再上传。"),
    }.get(code, _("无法使用此文件。"))


# ---------------------------------------------------------------------------------------------
# The supplier's certificates


async def _coop_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    form: dict[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
    scan_errors: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = await service.supplier_certificates(
        session, user=user, cooperative_id=cooperative_id, media=request_media(request)
    )
    context: dict[str, Any] = {
        "view": view,
        "form": form
        or {"kind": "", "number": "", "issuer": "", "valid_from": "", "valid_until": ""},
        "errors": form_errors or {},
        "form_error": _("请修改标出的内容后再提交。") if form_errors else None,
        "scan_errors": scan_errors or {},
        "kind_labels": _kind_labels(),
        "status_labels": _status_labels(),
        "number_formats": _number_formats(),
        "editable_statuses": (CertificateStatus.PENDING, CertificateStatus.REJECTED),
    }
    return render(
        request, "certification/show_coop_certificates.html", context, status_code=status_code
    )


@router.get("/coop/{cooperative_id}/certificates", response_class=HTMLResponse)
async def show_coop_certificates(
    _menu: SupplierPortal, request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """A supplier's certificates with their status and validity, and the forms to add and scan."""
    return await _coop_page(request, session, user, page_id(cooperative_id))


@router.post("/coop/{cooperative_id}/certificates", response_class=HTMLResponse)
async def add_certificate(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    kind: FormText = "",
    number: FormText = "",
    issuer: FormText = "",
    valid_from: FormText = "",
    valid_until: FormText = "",
) -> Response:
    """Add a certificate; the form comes back with the entered values and its errors."""
    coop_id = page_id(cooperative_id)
    form = {
        "kind": kind,
        "number": number,
        "issuer": issuer,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    try:
        await service.add_certificate(
            session,
            user=user,
            cooperative_id=coop_id,
            kind=kind,
            number=number,
            issuer=issuer,
            valid_from=valid_from,
            valid_until=valid_until,
            media=request_media(request),
        )
    except CertificateNumberTaken:
        errors, status_code = {"number": _("该证书编号已登记。")}, 409
    except CertificateInvalid as exc:
        errors, status_code = _certificate_field_messages(exc.fields, kind), 422
    else:
        return see_other(f"/coop/{coop_id}/certificates")
    return await _coop_page(
        request, session, user, coop_id, form=form, form_errors=errors, status_code=status_code
    )


@router.post(
    "/coop/{cooperative_id}/certificates/{certificate_id}/scan", response_class=HTMLResponse
)
async def upload_scan(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    certificate_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    file: OptionalUpload = None,
) -> Response:
    """Upload a certificate's scan; a refused file comes back as an error on that certificate."""
    coop_id, cert_id = page_id(cooperative_id), page_id(certificate_id)
    data = await file.read(service.MAX_SCAN_BYTES + 1) if file is not None else b""
    try:
        await service.attach_scan(
            session,
            user=user,
            certificate_id=cert_id,
            data=data,
            media=request_media(request),
            cooperative_id=coop_id,
        )
    except ScanRefused as exc:
        return await _coop_page(
            request,
            session,
            user,
            coop_id,
            scan_errors={cert_id: _scan_message(exc.code)},
            status_code=422,
        )
    except ScanLocked:
        message = _("已核验或已撤销的证书不能更换扫描件，请添加新证书。")
        return await _coop_page(
            request, session, user, coop_id, scan_errors={cert_id: message}, status_code=409
        )
    except CertificateNumberTaken:
        message = _("另一供应商已申报此证书编号，正在等待审核，暂时不能重新提交。")
        return await _coop_page(
            request, session, user, coop_id, scan_errors={cert_id: message}, status_code=409
        )
    return see_other(f"/coop/{coop_id}/certificates#certificate-{cert_id}")


# ---------------------------------------------------------------------------------------------
# The operator's queue


def _status_filter(text: str | None) -> CertificateStatus | None:
    if not text:
        return None
    try:
        return CertificateStatus(text)
    except ValueError:
        raise ValidationFailed(
            "Unknown certificate status.", fields={"status": "unknown status"}
        ) from None


async def _admin_page(
    request: Request,
    session: AsyncSession,
    *,
    status: CertificateStatus | None,
    page: int,
    action_errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    queue = await service.certificate_queue(
        session, status=status, page=page, per_page=ADMIN_PER_PAGE, media=request_media(request)
    )
    last_page = max(1, -(-queue.total // queue.per_page))
    context: dict[str, Any] = {
        "queue": queue,
        "status": status.value if status else "",
        "last_page": last_page,
        "action_errors": action_errors or {},
        "reasons": reasons or {},
        "kind_labels": _kind_labels(),
        "status_labels": _status_labels(),
        "statuses": list(CertificateStatus),
    }
    return render(
        request, "certification/show_admin_certificates.html", context, status_code=status_code
    )


@router.get("/admin/certificates", response_class=HTMLResponse)
async def show_admin_certificates(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The operator's queue: pending first, with scan, number, issuer, validity and supplier."""
    return await _admin_page(request, session, status=_status_filter(status), page=page)


async def _admin_action(
    request: Request,
    session: AsyncSession,
    operator: User,
    certificate_id: str,
    action: service.ReviewAction,
    reason: str,
) -> Response:
    """Apply an operator's decision; a refused one re-renders the queue with its error."""
    cert_id = page_id(certificate_id)
    try:
        await service.review_certificate(
            session,
            actor=operator,
            certificate_id=cert_id,
            action=action,
            reason=reason,
            media=request_media(request),
        )
    except (InvalidStatusTransition, CertificateNumberHeld) as exc:
        message = (
            _("另一供应商持有此编号的证书已核验，请先撤销那张证书。")
            if isinstance(exc, CertificateNumberHeld)
            else _("该证书当前的状态不允许此操作。")
        )
        return await _admin_page(
            request, session, status=None, page=1, action_errors={cert_id: message}, status_code=409
        )
    except ValidationFailed:
        return await _admin_page(
            request,
            session,
            status=None,
            page=1,
            action_errors={cert_id: _("请填写原因，最多 500 个字符。")},
            reasons={cert_id: reason},
            status_code=422,
        )
    return see_other(f"/admin/certificates#certificate-{cert_id}")


@router.post("/admin/certificates/{certificate_id}/verify", response_class=HTMLResponse)
async def verify_certificate(
    request: Request,
    certificate_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
) -> Response:
    """Verify a pending certificate."""
    return await _admin_action(request, session, operator, certificate_id, "verify", "")


def _decision_with_reason(action: service.ReviewAction) -> Callable[..., Awaitable[Response]]:
    """The route of an operator's decision that takes a reason."""

    async def decide(
        request: Request,
        certificate_id: str,
        operator: PageOperator,
        csrf: CsrfChecked,
        session: DbSession,
        reason: FormText = "",
    ) -> Response:
        return await _admin_action(request, session, operator, certificate_id, action, reason)

    return decide


# Reject a pending certificate; revoke a verified one.
router.add_api_route(
    "/admin/certificates/{certificate_id}/reject",
    _decision_with_reason("reject"),
    methods=["POST"],
    response_class=HTMLResponse,
    name="reject_certificate",
)
router.add_api_route(
    "/admin/certificates/{certificate_id}/revoke",
    _decision_with_reason("revoke"),
    methods=["POST"],
    response_class=HTMLResponse,
    name="revoke_certificate",
)
