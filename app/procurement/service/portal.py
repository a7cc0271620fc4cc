"""What the organisation portal's pages read beside the bulk orders themselves: the approval
queue's count, members' names, the organisation's orders, the submit form's starting values."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.order import service as order_service
from app.order.models import Order
from app.order.schemas import ShippingAddressIn
from app.order.service import MAX_PAGE
from app.organization.access import member_organization
from app.organization.errors import OrganizationNotFound
from app.organization.models import Organization
from app.procurement import repository
from app.procurement.service.drafts import DECIDING_ROLES
from app.regions.listing import RegionChoices, region_choices

ORDERS_PER_PAGE = 20


async def awaiting_decision(session: AsyncSession, organization: Organization, user: User) -> int:
    """How many submitted bulk orders wait for this user's decision (none for those who do not
    decide); the portal menu shows it beside 采购审批."""
    try:
        await member_organization(
            session,
            user=user,
            organization_id=organization.id,
            roles=DECIDING_ROLES,
            allow_operator=False,
        )
    except OrganizationNotFound:
        return 0
    return await repository.count_awaiting(session, organization.id, not_by=user.id)


async def names(session: AsyncSession, user_ids: Collection[int | None]) -> dict[int, str]:
    """Display names of the members a page mentions (submitters, approvers)."""
    return await repository.display_names(session, {i for i in user_ids if i is not None})


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    total: int
    page: int
    pages: int


async def organization_orders(
    session: AsyncSession, *, user: User, organization_id: int, page: int = 1
) -> OrderPage:
    """The organisation's orders, newest first; members and operators (404 for others)."""
    await member_organization(session, user=user, organization_id=organization_id)
    page = min(max(page, 1), MAX_PAGE)
    orders, total = await repository.organization_orders(
        session,
        organization_id,
        offset=(page - 1) * ORDERS_PER_PAGE,
        limit=ORDERS_PER_PAGE,
    )
    return OrderPage(list(orders), total, page, max(1, -(-total // ORDERS_PER_PAGE)))


@dataclass(frozen=True)
class AddressChoices:
    """The submit form's address: the user's default saved address (else where their last
    order went), and the province → city → county selects."""

    address: ShippingAddressIn | None
    regions: RegionChoices


async def address_choices(
    session: AsyncSession,
    *,
    user: User,
    province_code: str | None = None,
    prefecture_code: str | None = None,
    county_code: str | None = None,
) -> AddressChoices:
    """The selects for what the form chose so far (none: the starting address's county)."""
    saved = await order_service.default_address(session, user_id=user.id)
    address = (
        ShippingAddressIn(
            name=saved.name, phone=saved.phone, county_code=saved.county_code, detail=saved.detail
        )
        if saved is not None
        else await order_service.last_shipping_address(session, user.id)
    )
    if address is not None and not (province_code or prefecture_code or county_code):
        county_code = address.county_code
    regions = await region_choices(
        session,
        province_code=province_code,
        prefecture_code=prefecture_code,
        county_code=county_code,
    )
    return AddressChoices(address, regions)
