"""The checkout form: a saved address or a new one (province → prefecture → county selects that
work with and without JavaScript), the cart priced for it with shipping, the payment methods
the site offers, and placing the order."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageUser
from app.account.models import User
from app.checkout import service
from app.checkout.pages.wording import field_messages, payment_method_labels, problem_message
from app.core.errors import DomainError
from app.order.models import PaymentMethod
from app.order.schemas import PlaceOrderRequest, ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.payment import service as payment_service
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.paths import is_page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# The form's fields that choose the address (kept when the page is shown again).
_PICKED = ("address_id", "province", "prefecture", "county_code")


def _codes(picked: dict[str, str]) -> dict[str, str | None]:
    """What the view is asked for: the chosen address and the new address's selects."""
    return {
        "choice": picked.get("address_id") or None,
        "province_code": picked.get("province") or None,
        "prefecture_code": picked.get("prefecture") or None,
        "county_code": picked.get("county_code") or None,
    }


def _new_form(view: service.CheckoutView, offered: list[PaymentMethod]) -> dict[str, str]:
    """A first visit's form: the last order's recipient for a new address, the first method
    the site offers."""
    address = view.address
    return {
        "name": address.name if address else "",
        "phone": address.phone if address else "",
        "detail": address.detail if address else "",
        "payment_method": offered[0].value if offered else "",
        "organization_id": "",
        "po_number": "",
        "save_address": "1",
    }


async def _checkout_page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    picked: dict[str, str],
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    offered = payment_service.offered_methods(request.app.state.settings)
    view = await service.checkout_view(session, buyer=user, **_codes(picked))
    form = dict(form) if form is not None else _new_form(view, offered)
    form.update(
        address_id=str(view.chosen.id) if view.chosen else service.NEW_ADDRESS,
        province=view.regions.province_code,
        prefecture=view.regions.prefecture_code,
        county_code=view.regions.county_code,
    )
    settings = request.app.state.settings
    context: dict[str, Any] = {
        "view": view,
        "form": form,
        "errors": errors or {},
        "form_error": form_error,
        "problem": problem_message(view.problem) if view.problem else None,
        # A fresh key per rendering: a double submit of this form places one order.
        "idempotency_key": secrets.token_urlsafe(24),
        "payment_method_labels": payment_method_labels(offered),
        "timeouts": {
            "minutes": settings.order_payment_timeout_minutes,
            "hours": settings.bank_transfer_timeout_hours,
        },
    }
    return render(request, "checkout/show_checkout.html", context, status_code=status_code)


@router.get("/checkout", response_class=HTMLResponse)
async def show_checkout(
    request: Request,
    user: PageUser,
    session: DbSession,
    address_id: Annotated[str, Query(max_length=20)] = "",
    province: Annotated[str, Query(max_length=6)] = "",
    prefecture: Annotated[str, Query(max_length=6)] = "",
    county_code: Annotated[str, Query(max_length=6)] = "",
) -> Response:
    """The delivery address (the default saved one; from the cart, its delivery county), the
    cart's goods per supplier with shipping and total, and the payment methods offered."""
    picked = {
        "address_id": address_id,
        "province": province,
        "prefecture": prefecture,
        "county_code": county_code,
    }
    return await _checkout_page(request, session, user, picked=picked)


@router.get("/checkout/summary", response_class=HTMLResponse)
async def show_summary(
    request: Request,
    user: PageUser,
    session: DbSession,
    address_id: Annotated[str, Query(max_length=20)] = "",
    county_code: Annotated[str, Query(max_length=6)] = "",
) -> Response:
    """The goods, shipping and total for another address, as the checkout page shows them
    (its script swaps this in when the address changes; a page of its own without it)."""
    view = await service.checkout_view(
        session, buyer=user, choice=address_id or None, county_code=county_code or None
    )
    context: dict[str, Any] = {
        "view": view,
        "problem": problem_message(view.problem) if view.problem else None,
    }
    return render(request, "checkout/_summary.html", context)


@router.post("/checkout", response_class=HTMLResponse)
async def place_order(
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    address_id: FormText = "",
    name: FormText = "",
    phone: FormText = "",
    province: FormText = "",
    prefecture: FormText = "",
    county_code: FormText = "",
    detail: FormText = "",
    save_address: FormText = "",
    payment_method: FormText = "",
    organization_id: FormText = "",
    po_number: FormText = "",
    idempotency_key: FormText = "",
    refresh: FormText = "",
) -> Response:
    """Place the cart's order and go on to pay it. `refresh` (the selects' button without
    JavaScript) only shows the form again with the chosen province's or city's lists."""
    form = {
        "name": name,
        "phone": phone,
        "detail": detail,
        "save_address": save_address,
        "payment_method": payment_method,
        "organization_id": organization_id,
        "po_number": po_number,
    }
    picked = {
        "address_id": address_id,
        "province": province,
        "prefecture": prefecture,
        "county_code": county_code,
    }
    if refresh:
        if not address_id:
            picked["address_id"] = service.NEW_ADDRESS
        return await _checkout_page(request, session, user, picked=picked, form=form)
    settings = request.app.state.settings
    offered = payment_service.offered_methods(settings)
    errors: dict[str, str] = {}
    if payment_method not in {m.value for m in offered}:
        errors["payment_method"] = _("请选择支付方式。")
    org_id = organization_id.strip()
    if org_id and not is_page_id(org_id):
        errors["organization_id"] = _("请选择您可以代表采购的单位。")
    if errors:
        return await _checkout_page(
            request, session, user, picked=picked, form=form, errors=errors, status_code=422
        )
    new_address = not address_id or address_id == service.NEW_ADDRESS
    try:
        address = await service.shipping_address(
            session,
            buyer=user,
            choice=address_id,
            typed=ShippingAddressIn(name=name, phone=phone, county_code=county_code, detail=detail),
        )
        order, _created = await service.place_order(
            session,
            buyer=user,
            idempotency_key=idempotency_key,
            request=PlaceOrderRequest(
                shipping_address=address,
                payment_method=PaymentMethod(payment_method).value,
                organization_id=int(org_id) if org_id else None,
                po_number=po_number or None,
            ),
            timeouts=PaymentTimeouts.from_settings(settings),
            offered=offered,
            save_address=new_address and save_address == "1",
        )
    except DomainError as exc:
        shown = field_messages(exc.fields)
        status_code = exc.status_code
        if exc.code == "address_not_found":  # deleted meanwhile (or never the buyer's)
            picked["address_id"] = ""
            shown["address_id"] = _("该地址已不在地址簿中，请重新选择收货地址。")
            status_code = 422
        if exc.code == "region_not_served":
            shown["county_code" if new_address else "address_id"] = problem_message(exc)
        return await _checkout_page(
            request,
            session,
            user,
            picked=picked,
            form=form,
            errors=shown,
            form_error=None if shown else problem_message(exc),
            status_code=status_code,
        )
    return see_other(f"/orders/{order.id}/pay")
