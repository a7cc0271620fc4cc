"""HTML routes of payments: the buyer's pay page (card, or a transfer's details and the
remittance step) and the operator's payments, transfers (with the buyer's slip) and refunds."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageOperator, PageUser, register_back_office_counter
from app.account.models import User
from app.core.errors import ValidationFailed
from app.core.fields import parse_yuan
from app.payment import service
from app.payment.errors import (
    AlreadyPaid,
    AmountMismatch,
    BankReferenceMismatch,
    InvalidRefundLines,
    InvalidRefundReason,
    PaymentNotRefundable,
    RefundExceedsPayment,
    RemittanceNotExpected,
    WrongPaymentMethod,
)
from app.payment.schemas import MAX_AMOUNT_FEN, MAX_QUANTITY
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, OptionalUpload
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.responses import attachment, see_other
from app.web.security_headers import (
    CSP,
    PERMISSIONS_POLICY,
    content_security_policy,
    permissions_policy,
)
from app.web.templating import render
from app.web.uploads import read_bounded

router = APIRouter(include_in_schema=False)
register_back_office_counter("transfers", service.count_awaited_transfers)

QUANTITY_FIELD_PREFIX = "quantity_"


def parse_amount(raw: str) -> int | None:
    """Fen from an amount in yuan as an operator types it from a bank statement ("1,234.50",
    "¥58"); None for anything else (negative, zero, more than two decimals, exponents)."""
    fen = parse_yuan(raw)
    return fen if fen is not None and 0 < fen <= MAX_AMOUNT_FEN else None


def parse_quantity(raw: str) -> int | None:
    """A whole number of units typed in a refund form (blank is 0); None if invalid."""
    text = raw.strip()
    if not text:
        return 0
    if len(text) > len(str(MAX_QUANTITY)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_QUANTITY else None


# ---------------------------------------------------------------------------------------------
# The buyer's pay page

STRIPE_JS_ORIGIN = "https://js.stripe.com"


def pay_page_headers(stripe_js_url: str) -> dict[str, str]:
    """The site's policies with Stripe.js's own hosts added, on this page only: its script,
    the frames it draws card fields and 3-D Secure in, and its API; wallets may ask for the
    Payment Request API from its frames. A stand-in for Stripe (the tests' local fake) serves
    all of it from the one origin of its script."""
    parts = urlsplit(stripe_js_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin == STRIPE_JS_ORIGIN:
        scripts: tuple[str, ...] = (origin, "https://*.js.stripe.com")
        frames: tuple[str, ...] = (*scripts, "https://hooks.stripe.com")
        connect: tuple[str, ...] = ("https://api.stripe.com",)
    else:
        scripts = frames = connect = (origin,)
    return {
        CSP: content_security_policy(
            {"script-src": scripts, "frame-src": frames, "connect-src": connect}
        ),
        PERMISSIONS_POLICY: permissions_policy({"payment": ("self", f'"{origin}"')}),
    }


def _bank(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {
        "account_name": settings.bank_account_name,
        "bank_name": settings.bank_name,
        "account_number": settings.bank_account_number,
    }


async def _pay_page(
    request: Request,
    session: DbSession,
    user: User,
    order_id: int,
    *,
    notice: str | None = None,
    slip_error: str | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    page = await service.pay_page(
        session, buyer=user, order_id=order_id, offered=service.offered_methods(settings)
    )
    if page.paid:
        return see_other(f"/orders/{order_id}")
    context: dict[str, Any] = {
        "page": page,
        "order": page.order,
        "payment": page.payment,
        "notice": notice,
        "slip_error": slip_error,
        "slip_type": service.slip_type(page.payment),
        "method_labels": {"stripe": _("银行卡支付"), "bank_transfer": _("对公转账")},
        "stripe_js_url": settings.stripe_js_url,
        "stripe_publishable_key": settings.stripe_publishable_key,
        "stripe_pay_element": settings.stripe_pay_element,
        "bank": _bank(request),
    }
    return render(
        request,
        "payment/show_pay.html",
        context,
        status_code=status_code,
        headers=pay_page_headers(settings.stripe_js_url),
    )


@router.get("/orders/{order_id}/pay", response_class=HTMLResponse)
async def show_pay(
    request: Request,
    order_id: int,
    user: PageUser,
    session: DbSession,
    switched: Annotated[str | None, Query(max_length=10)] = None,
    refused: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """Pay an order: Stripe's Payment Element (or Card Element, per setting); or the bank
    account and reference of a transfer, with copy buttons and the "我已汇款" step (a slip
    optional); and a button to pay the other way instead, when the site offers it. A paid
    order goes to its page; someone else's order is 404."""
    notice = None
    if switched:
        notice = _("支付方式已更换，订单和库存保留不变。")
    elif refused:
        notice = _("该订单已付款、已取消或已告知汇款，不能再更换支付方式。")
    return await _pay_page(request, session, user, order_id, notice=notice)


def _slip_message(code: str) -> str:
    return {
        "too_large": _("文件超过 8 MB，请压缩后重新上传。"),
        "empty_file": _("文件是空的，请重新选择。"),
        "invalid_image": _("图片无法识别或太小，请上传清晰的汇款凭证（至少 200×200 像素）。"),
    }.get(code, _("请上传 JPEG、PNG、WebP 图片或 PDF 文件。"))


@router.post("/orders/{order_id}/remittance", response_class=HTMLResponse)
async def report_remittance(
    request: Request,
    order_id: int,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    slip: OptionalUpload = None,
) -> Response:
    """我已汇款: the buyer tells the platform the transfer is sent, with the remittance slip if
    they have one (image or PDF, at most 8 MB). A refused slip records nothing."""
    data = await read_bounded(slip, service.MAX_SLIP_BYTES) if slip and slip.filename else None
    try:
        await service.report_remittance(
            session, buyer=user, order_id=order_id, slip=data, media=request_media(request)
        )
    except ValidationFailed as exc:
        return await _pay_page(
            request,
            session,
            user,
            order_id,
            slip_error=_slip_message(exc.code),
            status_code=exc.status_code,
        )
    except RemittanceNotExpected as exc:
        return await _pay_page(
            request,
            session,
            user,
            order_id,
            notice=_("该订单不是待付款的对公转账订单。"),
            status_code=exc.status_code,
        )
    return see_other(f"/orders/{order_id}/pay#remittance")


def _slip_response(slip: service.SlipFile) -> Response:
    """An image shows in the page; a PDF is downloaded (never run in the site's origin)."""
    response = attachment(slip, inline=slip.media_type != "application/pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/orders/{order_id}/remittance-slip")
async def show_remittance_slip(
    request: Request, order_id: int, user: PageUser, session: DbSession
) -> Response:
    """The slip the buyer uploaded for their own order."""
    slip = await service.buyer_remittance_slip(
        session, buyer=user, order_id=order_id, media=request_media(request)
    )
    return _slip_response(slip)


# ---------------------------------------------------------------------------------------------
# Operator: payments and transfers


@router.get("/admin/payments", response_class=HTMLResponse)
async def list_payments(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    status: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """The newest payments, optionally of one status."""
    rows = await service.admin_payments(session, status=status or None)
    statuses = ["pending", "requires_action", "succeeded", "failed", "cancelled"]
    context = {"rows": rows, "status": status or "", "statuses": statuses}
    return render(request, "payment/list_payments.html", context)


async def _transfers_page(
    request: Request,
    session: DbSession,
    *,
    confirmed: str | None = None,
    failed_order_id: int | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "rows": await service.awaited_transfers(session),
        "confirmed": confirmed,
        "failed_order_id": failed_order_id,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "payment/list_transfers.html", context, status_code=status_code)


@router.get("/admin/transfers", response_class=HTMLResponse)
async def list_transfers(
    request: Request,
    operator: PageOperator,
    session: DbSession,
    confirmed: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """Bank transfers the platform waits for, each with a form to confirm its remittance."""
    return await _transfers_page(request, session, confirmed=confirmed)


@router.get("/admin/transfers/{order_id}/slip")
async def show_transfer_slip(
    request: Request, order_id: int, operator: PageOperator, session: DbSession
) -> Response:
    """The remittance slip the buyer uploaded, beside the confirmation form."""
    slip = await service.remittance_slip(session, order_id=order_id, media=request_media(request))
    return _slip_response(slip)


@router.post("/admin/transfers/{order_id}/confirm")
async def confirm_transfer(
    request: Request,
    order_id: int,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    bank_reference: FormText = "",
    amount_yuan: FormText = "",
) -> Response:
    """Record a remittance seen on the bank statement: reference and amount must match."""
    form = {"bank_reference": bank_reference, "amount_yuan": amount_yuan}
    errors: dict[str, str] = {}
    if not bank_reference.strip():
        errors["bank_reference"] = _("请填写汇款附言中的识别码。")
    amount_fen = parse_amount(amount_yuan)
    if amount_fen is None:
        errors["amount_yuan"] = _("请填写到账金额（元），最多两位小数。")
    if errors or amount_fen is None:
        return await _transfers_page(
            request, session, failed_order_id=order_id, errors=errors, form=form, status_code=422
        )
    try:
        payment = await service.confirm_bank_transfer(
            session,
            order_id=order_id,
            bank_reference=bank_reference,
            amount_fen=amount_fen,
            actor=operator,
        )
    except BankReferenceMismatch:
        errors["bank_reference"] = _("识别码与该订单不符，请核对。")
        status_code = 422
    except AmountMismatch:
        errors["amount_yuan"] = _("到账金额与订单应付金额不一致，不能确认。")
        status_code = 409
    except (AlreadyPaid, WrongPaymentMethod):
        errors["form"] = _("该订单已付款或不是对公转账订单。")
        status_code = 409
    else:
        return see_other(f"/admin/transfers?confirmed={payment.bank_reference or ''}")
    return await _transfers_page(
        request,
        session,
        failed_order_id=order_id,
        errors=errors,
        form=form,
        status_code=status_code,
    )


# ---------------------------------------------------------------------------------------------
# Operator: refunds


async def _refund_page(
    request: Request,
    session: DbSession,
    order_id: int,
    *,
    refunded: int | None = None,
    cancelled: bool = False,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "view": await service.refund_form(session, order_id=order_id),
        "refunded": refunded,
        "cancelled": cancelled,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "payment/show_refund.html", context, status_code=status_code)


@router.get("/admin/orders/{order_id}/refund", response_class=HTMLResponse)
async def show_refund(
    request: Request,
    order_id: int,
    operator: PageOperator,
    session: DbSession,
    refunded: Annotated[int | None, Query(ge=1)] = None,
    cancelled: Annotated[int | None, Query(ge=1, le=1)] = None,
) -> Response:
    """An order's lines with what is left to refund, its past refunds, the refund form, and
    the cancellation form while it may be cancelled (handled by checkout)."""
    return await _refund_page(
        request, session, order_id, refunded=refunded, cancelled=cancelled == 1
    )


@router.post("/admin/orders/{order_id}/refund")
async def create_refund(
    request: Request, order_id: int, operator: PageOperator, csrf: CsrfChecked, session: DbSession
) -> Response:
    """Refund the units entered per line (blank: none), with a reason."""
    # The lines' fields are named after them (quantity_<line id>): read the whole form.
    submitted = await request.form()
    form = {key: str(value) for key, value in submitted.items() if isinstance(value, str)}
    errors: dict[str, str] = {}
    lines: list[tuple[int, int]] = []
    for key, value in form.items():
        if not key.startswith(QUANTITY_FIELD_PREFIX):
            continue
        suffix = key.removeprefix(QUANTITY_FIELD_PREFIX)
        quantity = parse_quantity(value)
        if not (suffix.isascii() and suffix.isdigit()) or len(suffix) > 19:
            continue  # not a field this page wrote
        if quantity is None:
            errors[key] = _("请填写 0 或正整数。")
        elif quantity > 0:
            lines.append((int(suffix), quantity))
    if errors:
        return await _refund_page(
            request, session, order_id, errors=errors, form=form, status_code=422
        )
    try:
        refund = await service.refund(
            session, order_id=order_id, lines=lines, reason=form.get("reason", ""), actor=operator
        )
    except InvalidRefundReason:
        errors["reason"] = _("请填写退款原因，最多 500 个字符。")
        status_code = 422
    except InvalidRefundLines:
        errors["form"] = _("请至少为一行填写退款数量。")
        status_code = 422
    except RefundExceedsPayment as exc:
        for field in exc.fields:
            index = int(field.split(".")[1]) if field.count(".") == 2 else None
            if index is not None and index < len(lines):
                errors[f"{QUANTITY_FIELD_PREFIX}{lines[index][0]}"] = _("超过了可退数量。")
        errors["form"] = _("退款超过了可退的数量或金额。")
        status_code = 409
    except PaymentNotRefundable:
        errors["form"] = _("该订单没有可退的已收款项。")
        status_code = 409
    else:
        return see_other(f"/admin/orders/{order_id}/refund?refunded={refund.id}")
    return await _refund_page(
        request, session, order_id, errors=errors, form=form, status_code=status_code
    )
