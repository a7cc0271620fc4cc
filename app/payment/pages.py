"""HTML routes of payments: the buyer's pay page and the operator's payments, transfers and
refunds."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageOperator, PageUser, register_back_office_counter
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
    WrongPaymentMethod,
)
from app.payment.schemas import MAX_AMOUNT_FEN, MAX_QUANTITY
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.responses import see_other
from app.web.security_headers import (
    CSP,
    PERMISSIONS_POLICY,
    content_security_policy,
    permissions_policy,
)
from app.web.templating import render

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


@router.get("/orders/{order_id}/pay", response_class=HTMLResponse)
async def show_pay(request: Request, order_id: int, user: PageUser, session: DbSession) -> Response:
    """Pay an order: Stripe's Payment Element (or Card Element, per setting), or the bank
    account and reference of a transfer. A paid order goes to its page; someone else's order is
    404."""
    page = await service.pay_page(session, buyer=user, order_id=order_id)
    if page.paid:
        return see_other(f"/orders/{order_id}")
    settings = request.app.state.settings
    context: dict[str, Any] = {
        "page": page,
        "order": page.order,
        "payment": page.payment,
        "stripe_js_url": settings.stripe_js_url,
        "stripe_publishable_key": settings.stripe_publishable_key,
        "stripe_pay_element": settings.stripe_pay_element,
        "bank": {
            "account_name": settings.bank_account_name,
            "bank_name": settings.bank_name,
            "account_number": settings.bank_account_number,
        },
    }
    return render(
        request, "payment/show_pay.html", context, headers=pay_page_headers(settings.stripe_js_url)
    )


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
