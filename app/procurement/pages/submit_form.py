"""The submit form of a checked bulk or gift order (templates/procurement/_macros.html
submit_card): the payment methods the site offers, the address with its province → city →
county selects, and what a refused or refreshed form shows again."""

from __future__ import annotations

from typing import Any

from app.checkout.pages import payment_method_labels
from app.order.models import PaymentMethod
from app.payment import service as payment_service
from app.procurement import service
from app.procurement.pages.bulk_request import BulkOrderRequest


def offered(at: BulkOrderRequest) -> list[PaymentMethod]:
    return payment_service.offered_methods(at.request.app.state.settings)


def method_refused(at: BulkOrderRequest, payment_method: str) -> bool:
    """Whether the posted method is not one the site offers."""
    return payment_method not in {m.value for m in offered(at)}


async def submit_context(
    at: BulkOrderRequest, *, form: dict[str, str] | None, province: str | None = None
) -> dict[str, Any]:
    """The template's `choices`, `form` and `payment_method_labels`: a posted form as it was
    sent (its selects listing what it chose), else the user's starting address and the
    transfer an organisation usually pays by (or the method the site offers)."""
    methods = offered(at)
    picked = form or {}
    choices = await service.address_choices(
        at.session,
        user=at.user,
        province_code=picked.get("province") or province or None,
        prefecture_code=picked.get("prefecture") or None,
        county_code=picked.get("county_code") or None,
    )
    if form is None:
        address = choices.address
        default = (
            PaymentMethod.BANK_TRANSFER if PaymentMethod.BANK_TRANSFER in methods else None
        ) or (methods[0] if methods else None)
        form = {
            "name": address.name if address else "",
            "phone": address.phone if address else "",
            "detail": address.detail if address else "",
            "po_number": "",
            "payment_method": default.value if default else "",
        }
    return {
        "choices": choices,
        "form": form,
        "payment_method_labels": payment_method_labels(methods),
    }
