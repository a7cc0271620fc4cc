"""The operator's price monitoring page: reference prices per category and unit (set or
changed in a form) and the products priced far above them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageOperator, register_back_office_counter
from app.catalog import service
from app.catalog.portal_schemas import ReferencePriceIn
from app.core.errors import DomainError
from app.core.fields import parse_yuan
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.i18n import gettext as _
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)
register_back_office_counter("prices", service.count_flagged)

PAGE = "/admin/reference-prices"


async def _page(
    request: Request,
    session: AsyncSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "monitoring": await service.price_monitoring(session),
        "form": form or {"category": "", "unit": "", "price": "", "ratio": "150"},
        "errors": errors or {},
        "notice": request.query_params.get("done"),
    }
    return render(request, "catalog/show_reference_prices.html", context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
async def show_reference_prices(
    request: Request, operator: PageOperator, session: DbSession
) -> Response:
    """Reference prices and flagged products, for operators."""
    return await _page(request, session)


def _ratio_bp(text: str) -> int | None:
    """A percentage as typed ("150", "150%") in basis points of the reference price."""
    cleaned = text.strip().removesuffix("%").strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 5:
        return None
    return int(cleaned) * 100


@router.post(PAGE, response_class=HTMLResponse)
async def set_reference_price(
    request: Request,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    category: FormText = "",
    unit: FormText = "",
    price: FormText = "",
    ratio: FormText = "",
) -> Response:
    """Set (or change) a category and unit's reference price; its products are re-flagged."""
    form = {"category": category, "unit": unit, "price": price, "ratio": ratio}
    errors: dict[str, str] = {}
    price_fen = parse_yuan(price)
    ratio_bp = _ratio_bp(ratio)
    if price_fen is None or price_fen <= 0:
        errors["price"] = _("请填写参考价（元），如 39.80。")
    if ratio_bp is None or not 10_000 <= ratio_bp <= 1_000_000:
        errors["ratio"] = _("请填写 100 到 10000 之间的整数百分比。")
    messages = {
        "category": _("请选择商品类目。"),
        "unit": _("请填写计价单位，1 到 30 个字符。"),
        "price_fen": errors.get("price", ""),
        "flag_ratio_bp": errors.get("ratio", ""),
    }
    if not errors and price_fen is not None and ratio_bp is not None:
        try:
            data = ReferencePriceIn(
                category=category, unit=unit, price_fen=price_fen, flag_ratio_bp=ratio_bp
            )
            await service.set_reference_price(session, actor=operator, data=data)
        except ValidationError as exc:
            for problem in exc.errors():
                name = str(problem["loc"][0])
                errors[name if name in {"category", "unit"} else "price"] = messages.get(
                    name, messages["unit"]
                ) or _("请检查此项。")
        except DomainError as exc:
            for name in exc.fields or {"unit": ""}:
                errors[name if name in {"category", "unit"} else "unit"] = messages.get(
                    name, messages["unit"]
                )
    if errors:
        return await _page(request, session, form=form, errors=errors, status_code=422)
    return see_other(f"{PAGE}?done=saved")
