"""Reading carts back from the database, to assert what a request changed (or did not)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.cart.models import Cart, CartItem
from app.core.db import Database, unit_of_work

CartRows = list[tuple[int | None, bool, int, int]]


async def cart_rows(database: Database) -> CartRows:
    """(user_id, anonymous?, sku_id, quantity) of every cart line, plus (…, 0, 0) for a cart
    without lines, so that an empty cart left behind is also seen."""
    async with unit_of_work(database.writer) as session:
        carts = list(await session.scalars(select(Cart).order_by(Cart.id)))
        items = list(await session.scalars(select(CartItem).order_by(CartItem.id)))
    rows: CartRows = []
    for cart in carts:
        lines = [item for item in items if item.cart_id == cart.id]
        if not lines:
            rows.append((cart.user_id, cart.token is not None, 0, 0))
        rows.extend((cart.user_id, cart.token is not None, i.sku_id, i.quantity) for i in lines)
    return rows


async def stored_tokens(database: Database) -> list[str]:
    async with unit_of_work(database.writer) as session:
        return [t for t in await session.scalars(select(Cart.token)) if t is not None]


def set_cookie_headers(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cart_cookie_set(response: httpx.Response) -> str | None:
    """The value the response sets the `cart` cookie to (None if it does not set it)."""
    for header in set_cookie_headers(response):
        name, _, rest = header.partition("=")
        if name.strip() == "cart":
            value = rest.split(";", 1)[0].strip().strip('"')
            return value
    return None
