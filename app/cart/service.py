"""Use cases of the cart domain: anonymous and signed-in carts, merged at login.

An anonymous cart is named by a random token kept in the shopper's cookie; the table holds
only its SHA-256, so that a copy of the database opens nobody's cart. When a request brings
both a signed-in user and an anonymous cart, the anonymous cart is merged into the user's on
that first access (quantities added, capped at stock) and deleted; the route then clears the
cookie. Every change re-checks the line (cart.pricing), so a request that fails changes
nothing: its transaction is rolled back.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cart import repository
from app.cart.errors import (
    BelowMinQuantity,
    CartItemNotFound,
    InvalidQuantity,
    SkuUnavailable,
    UnknownCounty,
)
from app.cart.models import Cart, CartItem
from app.cart.pricing import (
    LineProblem,
    PricedLine,
    check_quantity,
    destination_province,
    group_lines,
    is_quantity,
    price_lines,
)
from app.cart.schemas import (
    MAX_LINE_QUANTITY,
    CartGroupOut,
    CartItemOut,
    CartOut,
    CartPage,
    CooperativeRef,
    Option,
)
from app.core.storage import MediaStorage
from app.inventory.errors import InsufficientStock

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class CartOwner:
    """Who the cart belongs to: a signed-in user, and/or the anonymous cart cookie's token."""

    user_id: int | None
    token: str | None


@dataclass(frozen=True)
class CartOutcome:
    """The cart after the call, and what the cookie must become."""

    cart: CartOut
    new_token: str | None = None  # set the cookie to this
    clear_token: bool = False  # delete the cookie


@dataclass
class _Resolved:
    cart: Cart | None
    new_token: str | None = None
    clear_token: bool = False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usable_token(raw: str | None) -> str | None:
    """A cookie value worth looking up (a token we could have issued), else None."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.isascii():
        return None
    if not all(c.isalnum() or c in "-_" for c in raw):
        return None
    return raw


# ---------------------------------------------------------------------------------------------
# Finding, creating and merging carts


async def _user_cart_or_new(session: AsyncSession, user_id: int) -> Cart:
    """The user's cart (row-locked), created if they have none yet."""
    cart = await repository.user_cart(session, user_id, lock=True)
    if cart is not None:
        return cart
    try:
        # Two first requests of a new user may both create it; the loser reads the winner's.
        async with session.begin_nested():
            cart = Cart(user_id=user_id)
            session.add(cart)
    except IntegrityError:
        cart = await repository.user_cart(session, user_id, lock=True)
        if cart is None:
            raise
    return cart


def _merged_quantity(have: int, adding: int, stock: int) -> int:
    """Quantities add up, capped at the stock left — but a merge never lowers what the user's
    own cart already held (that is the user's choice; the cart page flags it if short)."""
    return max(have, min(have + adding, stock, MAX_LINE_QUANTITY))


async def _merge_anonymous(session: AsyncSession, user_id: int, token: str) -> bool:
    anonymous = await repository.token_cart(session, token_digest(token), lock=True)
    if anonymous is None:
        return False  # merged by a concurrent request, or a stale cookie
    incoming = [
        (item.sku_id, item.quantity) for item in await repository.cart_items(session, anonymous.id)
    ]
    # The lock taken above makes a concurrent merge of the same cart wait, then find nothing.
    await repository.delete_cart(session, anonymous.id)
    if not incoming:
        return True
    cart = await _user_cart_or_new(session, user_id)
    own = {item.sku_id: item for item in await repository.cart_items(session, cart.id)}
    stock = await repository.stock_levels(session, [sku_id for sku_id, _ in incoming])
    for sku_id, adding in incoming:
        current = own.get(sku_id)
        have = current.quantity if current is not None else 0
        quantity = _merged_quantity(have, adding, stock.get(sku_id, 0))
        if current is not None:
            current.quantity = quantity
        elif quantity > 0:
            session.add(CartItem(cart_id=cart.id, sku_id=sku_id, quantity=quantity))
    await session.flush()
    return True


async def merge_anonymous_cart(session: AsyncSession, *, user_id: int, token: str | None) -> bool:
    """Merge the anonymous cart of a cookie into the user's now (True if there was one).

    For pages that read the cart without going through it, such as checkout right after
    signing in; the stale cookie is cleared at the next cart access."""
    usable = usable_token(token)
    return usable is not None and await _merge_anonymous(session, user_id, usable)


async def _resolve(session: AsyncSession, owner: CartOwner, *, lock: bool = True) -> _Resolved:
    """The owner's cart if it has one, after merging an anonymous cart into a signed-in user's;
    row-locked when `lock`, so that concurrent changes to one cart queue up on PostgreSQL
    (SQLite's writing transactions are serialised already). Creates nothing else."""
    token = usable_token(owner.token)
    if owner.user_id is not None:
        if token is not None:
            await _merge_anonymous(session, owner.user_id, token)
        cart = await repository.user_cart(session, owner.user_id, lock=lock)
        return _Resolved(cart, clear_token=owner.token is not None)
    if token is not None:
        cart = await repository.token_cart(session, token_digest(token), lock=lock)
        if cart is not None:
            return _Resolved(cart)
    # No cart behind the cookie (merged at login, or forged): drop the cookie.
    return _Resolved(None, clear_token=owner.token is not None)


async def _ensure_cart(session: AsyncSession, owner: CartOwner, resolved: _Resolved) -> Cart:
    """The resolved cart, or a new one: the user's, or an anonymous one with a fresh token
    (never the token a request brought: a cookie names only carts this server made)."""
    if resolved.cart is not None:
        return resolved.cart
    if owner.user_id is not None:
        cart = await _user_cart_or_new(session, owner.user_id)
    else:
        resolved.new_token = secrets.token_urlsafe(TOKEN_BYTES)
        cart = Cart(token=token_digest(resolved.new_token))
        session.add(cart)
        await session.flush()
    resolved.cart = cart
    return cart


# ---------------------------------------------------------------------------------------------
# The cart as shown


def _item_view(line: PricedLine, thumbs: dict[int, str], media: MediaStorage | None) -> CartItemOut:
    key = thumbs.get(line.product_id)
    return CartItemOut(
        sku_id=line.sku_id,
        sku_code=line.sku_code,
        product_id=line.product_id,
        product_slug=line.product_slug,
        title=line.title,
        sku_name=line.sku_name,
        image_url=(media.url(key) if media is not None else f"/media/{key}") if key else None,
        quantity=line.quantity,
        min_qty=line.min_qty,
        stock_available=line.stock_available,
        unit_price_fen=line.unit_price_fen,
        line_total_fen=line.line_total_fen,
        problem=line.problem.value if line.problem is not None else None,
        cooperative_id=line.cooperative_id,
    )


async def _view(
    session: AsyncSession,
    cart: Cart | None,
    *,
    county_code: str | None,
    media: MediaStorage | None,
) -> CartOut:
    province = await destination_province(session, county_code) if county_code is not None else None
    items = await repository.cart_items(session, cart.id) if cart is not None else []
    priced = await price_lines(session, [(item.sku_id, item.quantity) for item in items])
    # A line's SKU cannot vanish (cart lines are deleted with it); skip it if it ever does.
    lines = [line for line in priced if line is not None]
    orderable = [line for line in lines if line.problem is None]
    groups = await group_lines(session, orderable, destination_province_code=province, strict=False)
    thumbs = await repository.first_thumbs(session, {line.product_id for line in lines})
    goods = sum(group.goods_fen for group in groups)
    shipping = sum(group.shipping_fen or 0 for group in groups) if province is not None else None
    return CartOut(
        items=[_item_view(line, thumbs, media) for line in lines],
        groups=[
            CartGroupOut(
                cooperative=CooperativeRef(id=group.cooperative_id, name=group.cooperative_name),
                goods_fen=group.goods_fen,
                shipping_fen=group.shipping_fen,
                sku_ids=group.sku_ids,
                weight_grams=group.weight_grams,
                cold_chain=group.cold_chain,
                problem=None if group.region_served else "region_not_served",
            )
            for group in groups
        ],
        goods_fen=goods,
        shipping_fen=shipping,
        total_fen=goods + (shipping or 0),
        county_code=county_code,
        checkout_ready=bool(lines)
        and len(orderable) == len(lines)
        and all(group.region_served for group in groups),
    )


async def _outcome(
    session: AsyncSession,
    resolved: _Resolved,
    *,
    county_code: str | None,
    media: MediaStorage | None,
) -> CartOutcome:
    view = await _view(session, resolved.cart, county_code=county_code, media=media)
    return CartOutcome(view, new_token=resolved.new_token, clear_token=resolved.clear_token)


async def view_cart(
    session: AsyncSession,
    *,
    owner: CartOwner,
    county_code: str | None = None,
    media: MediaStorage | None = None,
) -> CartOutcome:
    """The cart with each line's problem and, given a delivery county, shipping per supplier.
    Creates nothing; merges an anonymous cart into the signed-in user's."""
    resolved = await _resolve(session, owner, lock=False)
    return await _outcome(session, resolved, county_code=county_code, media=media)


async def cart_page(
    session: AsyncSession,
    *,
    owner: CartOwner,
    province_code: str | None,
    county_code: str | None,
    media: MediaStorage | None = None,
) -> tuple[CartPage, CartOutcome]:
    """The cart page: the cart, and the province and county choosers of the delivery region.
    An unknown county is reported on the page (county_error) instead of failing it."""
    resolved = await _resolve(session, owner, lock=False)
    county_error = False
    try:
        outcome = await _outcome(session, resolved, county_code=county_code, media=media)
        if county_code is not None:
            province_code = await destination_province(session, county_code)
    except UnknownCounty:
        county_error = True
        outcome = await _outcome(session, resolved, county_code=None, media=media)
    provinces = await repository.provinces(session)
    if province_code not in {p.code for p in provinces}:
        province_code = None
    counties = await repository.counties_of(session, province_code) if province_code else []
    page = CartPage(
        cart=outcome.cart,
        provinces=[Option(code=p.code, name=p.name) for p in provinces],
        counties=[Option(code=c.code, name=c.name) for c in counties],
        province_code=province_code,
        county_code=None if county_error else county_code,
        county_error=county_error,
    )
    return page, outcome


# ---------------------------------------------------------------------------------------------
# Changing lines


async def _check_line(
    session: AsyncSession, sku_id: int, quantity: int, *, sku_field: str = "sku_id"
) -> None:
    """Refuse a line the cart must not hold: 422 sku_unavailable / below_min_qty /
    invalid_quantity, 409 insufficient_stock."""
    check_quantity(quantity)
    (line,) = await price_lines(session, [(sku_id, quantity)])
    if line is None or line.problem is LineProblem.UNAVAILABLE:
        raise SkuUnavailable({sku_field: "not available"})
    if line.problem is LineProblem.BELOW_MIN_QTY:
        raise BelowMinQuantity({"quantity": f"at least {line.min_qty}"})
    if line.problem is LineProblem.INSUFFICIENT_STOCK:
        raise InsufficientStock(
            sku_id=sku_id,
            requested=quantity,
            available=line.stock_available,
            field="quantity",
        )


def _find(items: Sequence[CartItem], sku_id: int) -> CartItem | None:
    return next((item for item in items if item.sku_id == sku_id), None)


async def _held_line(
    session: AsyncSession, owner: CartOwner, sku_id: int
) -> tuple[_Resolved, CartItem]:
    """The owner's cart and its line of the SKU (404 cart_item_not_found without one)."""
    resolved = await _resolve(session, owner)
    current = (
        _find(await repository.cart_items(session, resolved.cart.id), sku_id)
        if resolved.cart is not None
        else None
    )
    if current is None:
        raise CartItemNotFound(sku_id)
    return resolved, current


async def add_item(
    session: AsyncSession,
    *,
    owner: CartOwner,
    sku_id: int,
    quantity: int,
    county_code: str | None = None,
    media: MediaStorage | None = None,
) -> CartOutcome:
    """Add units of a SKU (to its line, if the cart has one); creates the cart on first use.
    The resulting line must be orderable: available, ≥ min quantity, ≤ stock, ≤ 100000."""
    check_quantity(quantity)
    resolved = await _resolve(session, owner)
    items = await repository.cart_items(session, resolved.cart.id) if resolved.cart else []
    current = _find(items, sku_id)
    total = quantity + (current.quantity if current is not None else 0)
    if not is_quantity(total):
        raise InvalidQuantity(
            {"quantity": f"the line would hold {total}; at most {MAX_LINE_QUANTITY}"}
        )
    # Checked before anything is written: a refused line must not leave an empty cart behind
    # even when a page catches the refusal and its transaction commits.
    await _check_line(session, sku_id, total)
    if current is not None:
        current.quantity = total
    else:
        cart = await _ensure_cart(session, owner, resolved)
        session.add(CartItem(cart_id=cart.id, sku_id=sku_id, quantity=total))
    await session.flush()
    return await _outcome(session, resolved, county_code=county_code, media=media)


async def update_item(
    session: AsyncSession,
    *,
    sku_id: int,
    quantity: int,
    owner: CartOwner,
    county_code: str | None = None,
    media: MediaStorage | None = None,
) -> CartOutcome:
    """Set the quantity of a line the cart holds (404 cart_item_not_found otherwise)."""
    check_quantity(quantity)
    resolved, current = await _held_line(session, owner, sku_id)
    await _check_line(session, sku_id, quantity)
    current.quantity = quantity
    await session.flush()
    return await _outcome(session, resolved, county_code=county_code, media=media)


async def remove_item(
    session: AsyncSession,
    *,
    owner: CartOwner,
    sku_id: int,
    county_code: str | None = None,
    media: MediaStorage | None = None,
) -> CartOutcome:
    """Remove a line (404 cart_item_not_found when the cart does not hold it)."""
    resolved, current = await _held_line(session, owner, sku_id)
    await session.delete(current)
    await session.flush()
    return await _outcome(session, resolved, county_code=county_code, media=media)


# ---------------------------------------------------------------------------------------------
# For checkout


async def cart_items_for_checkout(session: AsyncSession, *, user_id: int) -> list[tuple[int, int]]:
    """The signed-in user's cart as (sku_id, quantity) lines, in the order they were added."""
    cart = await repository.user_cart(session, user_id)
    if cart is None:
        return []
    return [(item.sku_id, item.quantity) for item in await repository.cart_items(session, cart.id)]


async def clear_cart(session: AsyncSession, *, user_id: int) -> None:
    """Empty the user's cart (after an order is placed from it, in the same transaction)."""
    cart = await repository.user_cart(session, user_id, lock=True)
    if cart is not None:
        await repository.delete_items(session, cart.id)


async def header_line_count(
    session: AsyncSession, *, user_id: int | None, token: str | None
) -> int:
    """The lines of the visitor's cart, for the page header: the signed-in user's cart, else
    the anonymous cart the cookie names; no query for a visitor with neither."""
    usable = usable_token(token)
    if user_id is None and usable is None:
        return 0
    return await repository.line_count(
        session,
        user_id=user_id,
        token_digest=token_digest(usable) if user_id is None and usable is not None else None,
    )
