"""Reading orders: by id, the buyer's list, and what the checkout form starts from."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.order import repository
from app.order.errors import InvalidOrderFields, OrderNotFound
from app.order.models import Order
from app.order.schemas import ShippingAddressIn
from app.order.service.checks import Problems, check_id, check_paging
from app.organization.models import OrganizationStatus


async def get_order(session: AsyncSession, order_id: int, *, for_update: bool = False) -> Order:
    """Any order with its fulfilments and lines (for jobs and other domains); 404 if none."""
    order = (
        await repository.get_order(session, order_id, for_update=for_update)
        if check_id(order_id)
        else None
    )
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def get_buyer_order(
    session: AsyncSession, *, buyer_id: int, order_id: int, for_update: bool = False
) -> Order:
    """The buyer's own order; anyone else's answers 404 (its existence is not revealed)."""
    order = (
        await repository.get_order(session, order_id, for_update=for_update)
        if check_id(order_id)
        else None
    )
    if order is None or order.buyer_user_id != buyer_id:
        raise OrderNotFound(order_id)
    return order


async def list_buyer_orders(
    session: AsyncSession, *, buyer_id: int, page: int, per_page: int
) -> tuple[list[Order], int]:
    """A page of the buyer's orders, newest first, and how many there are in all."""
    problems: Problems = {}
    check_paging(page, per_page, problems)
    if problems:
        raise InvalidOrderFields(problems)
    total = await repository.count_buyer_orders(session, buyer_id)
    orders = await repository.list_buyer_orders(
        session, buyer_id, offset=(page - 1) * per_page, limit=per_page
    )
    return list(orders), total


async def buyer_organizations(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    """(id, name) of the verified organisations the user may buy for (the checkout form)."""
    organizations = await repository.buyer_organizations(session, user_id)
    return [(o.id, o.name) for o in organizations if o.status == OrganizationStatus.VERIFIED]


async def last_shipping_address(session: AsyncSession, buyer_id: int) -> ShippingAddressIn | None:
    """Where the buyer's latest order went: the checkout form starts from it."""
    order = await repository.latest_buyer_order(session, buyer_id)
    if order is None:
        return None
    return ShippingAddressIn(
        name=order.ship_to_name,
        phone=order.ship_to_phone,
        county_code=order.ship_to_county_code,
        detail=order.ship_to_detail,
    )
