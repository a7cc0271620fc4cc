"""HTML routes of the shipping domain: the supplier portal's shipping page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import Response

from app.account.deps import PageUser
from app.cooperative.menu import SupplierPortal
from app.core.fields import MAX_ID, yuan_text
from app.shipping import service
from app.shipping.errors import InvalidShippingRule
from app.shipping.schemas import ShippingRuleForm
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

CooperativeId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _field_messages(fields: dict[str, str]) -> dict[str, str]:
    """The service's field problems in the page's language, keyed by form field."""
    messages: dict[str, str] = {}
    for name in fields:
        if name.startswith("excluded_province_codes"):
            messages["excluded_province_codes"] = _("请从列表中选择省份。")
        elif name == "base_fee" and fields[name] == "required":
            messages[name] = _("请填写首重运费。")
        else:
            messages[name] = _("请输入不小于 0 的金额（元），最多两位小数，不超过 100000 元。")
    return messages


@router.get("/coop/{cooperative_id}/shipping")
async def show_shipping_rule(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: CooperativeId,
    user: PageUser,
    session: DbSession,
    saved: bool = False,
) -> Response:
    """The supplier's shipping rule as a form (members only; others 404)."""
    page = await service.rule_page(session, user=user, cooperative_id=cooperative_id)
    rule = page.rule
    form: dict[str, Any] = {
        "base_fee": _yuan_text(rule.base_fee_fen),
        "per_kg": _yuan_text(rule.per_kg_fen),
        "free_above": _yuan_text(rule.free_above_fen),
        "cold_chain_surcharge": _yuan_text(rule.cold_chain_surcharge_fen),
        "excluded_province_codes": rule.excluded_province_codes,
    }
    return render(
        request,
        "shipping/show_rule.html",
        {"page": page, "form": form, "errors": {}, "saved": saved},
    )


def _yuan_text(amount_fen: int | None) -> str:
    """Fen as the yuan text the form shows and posts back ("12.50"), blank for None."""
    return "" if amount_fen is None else yuan_text(amount_fen)


@router.post("/coop/{cooperative_id}/shipping")
async def save_shipping_rule(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: CooperativeId,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    base_fee: FormText = "",
    per_kg: FormText = "",
    free_above: FormText = "",
    cold_chain_surcharge: FormText = "",
    excluded_province_codes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Save the rule; invalid amounts re-render the form with the entered values (422)."""
    form = ShippingRuleForm(
        base_fee=base_fee,
        per_kg=per_kg,
        free_above=free_above,
        cold_chain_surcharge=cold_chain_surcharge,
        excluded_province_codes=excluded_province_codes or [],
    )
    try:
        await service.save_rule_form(session, user=user, cooperative_id=cooperative_id, form=form)
    except InvalidShippingRule as exc:
        page = await service.rule_page(session, user=user, cooperative_id=cooperative_id)
        return render(
            request,
            "shipping/show_rule.html",
            {
                "page": page,
                "form": form.model_dump(),
                "errors": _field_messages(exc.fields),
                "saved": False,
            },
            status_code=422,
        )
    return see_other(f"/coop/{cooperative_id}/shipping?saved=1")
