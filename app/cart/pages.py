"""HTML routes of the cart domain: the cart page and its add / update / remove forms.

The storefront's "加入购物车" form posts to /cart/add with the fields `sku_id`, `quantity` and
`csrf_token`, and comes back to the page it was sent from (its Referer, when local).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.cart import service
from app.cart.deps import CART_COOKIE, PageCartOwner, apply_cart_cookie
from app.cart.errors import BelowMinQuantity, InvalidQuantity, SkuUnavailable
from app.core.errors import DomainError
from app.core.fields import MAX_ID
from app.inventory.errors import InsufficientStock
from app.web.db import DbSession
from app.web.delivery_region import remember_delivery_county
from app.web.forms import CsrfChecked, FormText
from app.web.header import register_header_count
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)


async def _header_cart_count(request: Request, session: AsyncSession, user_id: int | None) -> int:
    return await service.header_line_count(
        session, user_id=user_id, token=request.cookies.get(CART_COOKIE)
    )


register_header_count("cart", _header_cart_count)

_DIGITS = re.compile(r"^[0-9]{1,19}$")
_SIX_DIGITS = re.compile(r"^[0-9]{6}$")
# Anything a browser could read as another host or scheme: //host, /\host, control characters.
_UNSAFE_PATH = re.compile(r"[\\\x00-\x20\x7f]")


def _form_int(text: str) -> int | None:
    """A whole number as typed in a form (ASCII digits only), else None."""
    cleaned = text.strip()
    if not _DIGITS.match(cleaned):
        return None
    value = int(cleaned)
    return value if value <= MAX_ID else None


def _code(text: str | None) -> str | None:
    return text if text and _SIX_DIGITS.match(text) else None


def _cart_url(county_code: str | None) -> str:
    return f"/cart?{urlencode({'county_code': county_code})}" if county_code else "/cart"


def _back_to(request: Request) -> str:
    """The local page the form was posted from (its Referer), else the cart."""
    referer = request.headers.get("referer", "")
    if not referer or len(referer) > 2000 or _UNSAFE_PATH.search(referer):
        return "/cart"
    parts = urlsplit(referer)
    if parts.scheme not in {"", "http", "https"} or (
        parts.netloc and parts.netloc != request.url.netloc
    ):
        return "/cart"
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return "/cart"
    return f"{path}?{parts.query}" if parts.query else path


def _problem_message(exc: DomainError) -> str:
    if isinstance(exc, InsufficientStock):
        return _("库存不足，目前仅剩 %(count)s 件。") % {"count": exc.available}
    if isinstance(exc, BelowMinQuantity):
        return _("数量低于该商品的起订量。")
    if isinstance(exc, SkuUnavailable):
        return _("该商品暂不可购买。")
    if isinstance(exc, InvalidQuantity):
        return _("请输入 1 到 100000 之间的整数。")
    return exc.message


async def _cart_page(
    request: Request,
    session: DbSession,
    owner: service.CartOwner,
    *,
    province_code: str | None = None,
    county_code: str | None = None,
    form_error: str | None = None,
    line_errors: dict[int, str] | None = None,
    entered: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    page, outcome = await service.cart_page(
        session,
        owner=owner,
        province_code=province_code,
        county_code=county_code,
        media=request_media(request),
    )
    context: dict[str, Any] = {
        "page": page,
        "cart": page.cart,
        "form_error": form_error,
        "line_errors": line_errors or {},
        "entered": entered or {},
        "problem_labels": {
            "unavailable": _("该商品已下架或供应商暂停销售，请移除。"),
            "below_min_qty": _("低于起订量，请增加数量。"),
            "insufficient_stock": _("库存不足，请减少数量。"),
        },
    }
    if page.county_error and status_code == 200:
        status_code = 422
    elif county_code and not page.county_error:
        # Product pages quote shipping to the county the cart was last priced for.
        remember_delivery_county(request, county_code)
    response = render(request, "cart/show_cart.html", context, status_code=status_code)
    apply_cart_cookie(request, response, outcome)
    return response


@router.get("/cart")
async def show_cart(
    request: Request,
    session: DbSession,
    owner: PageCartOwner,
    province: str | None = None,
    county_code: str | None = None,
) -> Response:
    """The cart: lines, per-supplier parcels with shipping once a delivery county is chosen."""
    return await _cart_page(
        request,
        session,
        owner,
        province_code=_code(province),
        county_code=county_code or None,
    )


async def _not_in_cart(
    request: Request, session: DbSession, owner: service.CartOwner, county_code: str | None
) -> Response:
    """The cart again, saying that the line a form named is not in it."""
    return await _cart_page(
        request,
        session,
        owner,
        county_code=county_code,
        form_error=_("该商品不在购物车中。"),
        status_code=422,
    )


def _redirect(location: str, request: Request, outcome: service.CartOutcome) -> Response:
    response = see_other(location)
    apply_cart_cookie(request, response, outcome)
    return response


@router.post("/cart/add")
async def add_to_cart(
    request: Request,
    session: DbSession,
    owner: PageCartOwner,
    csrf: CsrfChecked,
    sku_id: FormText = "",
    quantity: FormText = "1",
    buy_now: FormText = "",
) -> Response:
    """Add to the cart and go back to the page the form was on, which then says so (or, with
    立即购买 `buy_now`, on to checkout); a refusal shows the cart with the reason (422 or 409)."""
    sku = _form_int(sku_id)
    units = _form_int(quantity)
    if sku is None or sku < 1:
        return await _cart_page(
            request, session, owner, form_error=_("该商品暂不可购买。"), status_code=422
        )
    if units is None:
        return await _cart_page(
            request,
            session,
            owner,
            form_error=_("请输入 1 到 100000 之间的整数。"),
            status_code=422,
        )
    try:
        outcome = await service.add_item(
            session, owner=owner, sku_id=sku, quantity=units, media=request_media(request)
        )
    except (SkuUnavailable, BelowMinQuantity, InvalidQuantity, InsufficientStock) as exc:
        return await _cart_page(
            request,
            session,
            owner,
            form_error=_problem_message(exc),
            status_code=exc.status_code,
        )
    target = "/checkout" if buy_now else _with_notice(_back_to(request), units)
    return _redirect(target, request, outcome)


def _with_notice(location: str, units: int) -> str:
    """The page to go back to, with `cart_added` telling its header what was just added."""
    path, _sep, query = location.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "cart_added"]
    return f"{path}?{urlencode([*kept, ('cart_added', str(units))])}"


@router.post("/cart/update")
async def update_cart(
    request: Request,
    session: DbSession,
    owner: PageCartOwner,
    csrf: CsrfChecked,
    sku_id: FormText = "",
    quantity: FormText = "",
    county_code: FormText = "",
) -> Response:
    """Change a line's quantity; a refusal re-renders the cart with the entered value."""
    sku = _form_int(sku_id)
    units = _form_int(quantity)
    county = _code(county_code)
    if sku is None or sku < 1:
        return await _not_in_cart(request, session, owner, county)
    problem: DomainError | None = None
    if units is None:
        problem = InvalidQuantity({"quantity": "not a whole number"})
    else:
        try:
            outcome = await service.update_item(
                session,
                owner=owner,
                sku_id=sku,
                quantity=units,
                media=request_media(request),
            )
        except (SkuUnavailable, BelowMinQuantity, InvalidQuantity, InsufficientStock) as exc:
            problem = exc
    if problem is not None:
        return await _cart_page(
            request,
            session,
            owner,
            county_code=county,
            line_errors={sku: _problem_message(problem)},
            entered={sku: quantity},
            status_code=problem.status_code,
        )
    return _redirect(_cart_url(county), request, outcome)


@router.post("/cart/remove")
async def remove_from_cart(
    request: Request,
    session: DbSession,
    owner: PageCartOwner,
    csrf: CsrfChecked,
    sku_id: FormText = "",
    county_code: FormText = "",
) -> Response:
    """Remove a line and show the cart again."""
    sku = _form_int(sku_id)
    county = _code(county_code)
    if sku is None or sku < 1:
        return await _not_in_cart(request, session, owner, county)
    outcome = await service.remove_item(
        session, owner=owner, sku_id=sku, media=request_media(request)
    )
    return _redirect(_cart_url(county), request, outcome)
