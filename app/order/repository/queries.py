"""The order domain's queries: orders and fulfilments read, memberships and the other
domains' facts they need, the suppliers' queues, the buyer's address book."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import (
    Select,
    bindparam,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.account.models import Role, RoleAssignment, User
from app.cooperative.models import Cooperative
from app.core.db import table_of
from app.order.models import (
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderStatus,
    SavedAddress,
)
from app.organization.models import Organization

ORGANIZATION_BUYER_ROLES = (Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN)
# The table, for the plain statement every order placed runs (no ORM work when it runs).
_ORDERS = table_of(Order)


def _order_query() -> Select[Order]:
    return select(Order).options(
        selectinload(Order.fulfillments).selectinload(Fulfillment.lines),
        selectinload(Order.lines),
    )


async def find_order_by_key(
    session: AsyncSession, buyer_user_id: int, idempotency_key: str
) -> Order | None:
    result = await session.scalars(
        _order_query().where(
            Order.buyer_user_id == buyer_user_id, Order.idempotency_key == idempotency_key
        )
    )
    return result.first()


# Asked at every order placed: a plain statement, built once.
_KEY_MATCH = select(_ORDERS.c.id, _ORDERS.c.request_fingerprint).where(
    _ORDERS.c.buyer_user_id == bindparam("buyer_user_id"),
    _ORDERS.c.idempotency_key == bindparam("idempotency_key"),
)


async def order_key_match(
    session: AsyncSession, buyer_user_id: int, idempotency_key: str
) -> tuple[int, str] | None:
    """(id, request fingerprint) of the buyer's order with this key: two columns, not the
    order, since nearly every order placed finds none."""
    row = (
        await session.execute(
            _KEY_MATCH, {"buyer_user_id": buyer_user_id, "idempotency_key": idempotency_key}
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def get_order(
    session: AsyncSession, order_id: int, *, for_update: bool = False
) -> Order | None:
    """The order with its fulfilments and lines; `for_update` locks its row (PostgreSQL)."""
    query = _order_query().where(Order.id == order_id)
    if for_update:
        # populate_existing: re-read a row this session already holds, now under the lock.
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    result = await session.scalars(query)
    return result.first()


async def list_buyer_orders(
    session: AsyncSession, buyer_user_id: int, *, offset: int, limit: int
) -> Sequence[Order]:
    result = await session.scalars(
        _order_query()
        .where(Order.buyer_user_id == buyer_user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return result.all()


async def count_buyer_orders(session: AsyncSession, buyer_user_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Order).where(Order.buyer_user_id == buyer_user_id)
    )
    return int(count or 0)


async def latest_buyer_order(session: AsyncSession, buyer_user_id: int) -> Order | None:
    result = await session.scalars(
        select(Order)
        .where(Order.buyer_user_id == buyer_user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    return result.first()


async def cooperative_names(session: AsyncSession, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Cooperative.id, Cooperative.name).where(Cooperative.id.in_(set(ids)))
    )
    return dict(rows.all())


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative | None:
    return await session.get(Cooperative, cooperative_id)


async def get_organization(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def buys_for_organization(session: AsyncSession, user_id: int, organization_id: int) -> bool:
    """Whether the user holds a buying role (buyer, approver, admin) for the organisation."""
    found = await session.scalar(
        select(RoleAssignment.id)
        .where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.role.in_(ORGANIZATION_BUYER_ROLES),
            RoleAssignment.scope_id == organization_id,
        )
        .limit(1)
    )
    return found is not None


async def buyer_organizations(session: AsyncSession, user_id: int) -> Sequence[Organization]:
    """The organisations the user may buy for, whatever their status."""
    result = await session.scalars(
        select(Organization)
        .where(
            Organization.id.in_(
                select(RoleAssignment.scope_id).where(
                    RoleAssignment.user_id == user_id,
                    RoleAssignment.role.in_(ORGANIZATION_BUYER_ROLES),
                )
            )
        )
        .order_by(Organization.name, Organization.id)
    )
    return result.all()


async def is_cooperative_member(session: AsyncSession, user_id: int, cooperative_id: int) -> bool:
    found = await session.scalar(
        select(RoleAssignment.id)
        .where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.role.in_((Role.SUPPLIER_ADMIN, Role.SUPPLIER_MEMBER)),
            RoleAssignment.scope_id == cooperative_id,
        )
        .limit(1)
    )
    return found is not None


async def is_cooperative_admin(session: AsyncSession, user_id: int, cooperative_id: int) -> bool:
    found = await session.scalar(
        select(RoleAssignment.id)
        .where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.role == Role.SUPPLIER_ADMIN,
            RoleAssignment.scope_id == cooperative_id,
        )
        .limit(1)
    )
    return found is not None


async def supplier_admin_emails(session: AsyncSession, cooperative_id: int) -> list[str]:
    result = await session.scalars(
        select(User.email)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == Role.SUPPLIER_ADMIN,
            RoleAssignment.scope_id == cooperative_id,
            User.is_active.is_(True),
        )
        .order_by(User.id)
    )
    return list(dict.fromkeys(result.all()))


async def get_fulfillment(
    session: AsyncSession, fulfillment_id: int, *, for_update: bool = False
) -> Fulfillment | None:
    """The fulfilment with its order and lines; `for_update` locks the fulfilment's row."""
    query = (
        select(Fulfillment)
        .options(joinedload(Fulfillment.order), selectinload(Fulfillment.lines))
        .where(Fulfillment.id == fulfillment_id)
    )
    if for_update:
        query = query.with_for_update(of=Fulfillment).execution_options(populate_existing=True)
    result = await session.scalars(query)
    return result.first()


def _supplier_queue(cooperative_id: int, status: FulfillmentStatus | None) -> Select[int]:
    # Suppliers see a fulfilment once its order has been paid: an unpaid order may never be.
    query = (
        select(Fulfillment.id)
        .join(Order, Order.id == Fulfillment.order_id)
        .where(Fulfillment.cooperative_id == cooperative_id, Order.paid_at.is_not(None))
    )
    if status is not None:
        query = query.where(Fulfillment.status == status)
    return query


async def list_cooperative_fulfillments(
    session: AsyncSession,
    cooperative_id: int,
    *,
    status: FulfillmentStatus | None,
    offset: int,
    limit: int,
) -> Sequence[Fulfillment]:
    ids = _supplier_queue(cooperative_id, status).subquery()
    result = await session.scalars(
        select(Fulfillment)
        .options(joinedload(Fulfillment.order), selectinload(Fulfillment.lines))
        .where(Fulfillment.id.in_(select(ids.c.id)))
        .order_by(Fulfillment.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return result.unique().all()


async def count_cooperative_fulfillments(
    session: AsyncSession, cooperative_id: int, *, status: FulfillmentStatus | None
) -> int:
    count = await session.scalar(
        select(func.count()).select_from(_supplier_queue(cooperative_id, status).subquery())
    )
    return int(count or 0)


async def fulfillments_to_ship(
    session: AsyncSession, cooperative_id: int, *, limit: int
) -> Sequence[Fulfillment]:
    """The supplier's parcels of paid orders waiting to ship (pending or accepted), oldest
    first, with order and lines."""
    result = await session.scalars(
        select(Fulfillment)
        .join(Order, Order.id == Fulfillment.order_id)
        .options(joinedload(Fulfillment.order), selectinload(Fulfillment.lines))
        .where(
            Fulfillment.cooperative_id == cooperative_id,
            Fulfillment.status.in_([FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED]),
            Order.status == OrderStatus.PAID,
        )
        .order_by(Fulfillment.id)
        .limit(limit)
    )
    return result.unique().all()


async def lock_fulfillments(
    session: AsyncSession, cooperative_id: int, fulfillment_ids: Collection[int]
) -> dict[int, Fulfillment]:
    """The supplier's fulfilments among these ids, locked, with order and lines, by id."""
    if not fulfillment_ids:
        return {}
    result = await session.scalars(
        select(Fulfillment)
        .options(joinedload(Fulfillment.order), selectinload(Fulfillment.lines))
        .where(
            Fulfillment.cooperative_id == cooperative_id,
            Fulfillment.id.in_(sorted(set(fulfillment_ids))),
        )
        .order_by(Fulfillment.id)
        .with_for_update(of=Fulfillment)
        .execution_options(populate_existing=True)
    )
    return {fulfillment.id: fulfillment for fulfillment in result.unique()}


async def count_to_ship(session: AsyncSession, cooperative_id: int) -> int:
    """The supplier's parcels of paid orders waiting to be accepted or shipped."""
    count = await session.scalar(
        select(func.count())
        .select_from(Fulfillment)
        .join(Order, Order.id == Fulfillment.order_id)
        .where(
            Fulfillment.cooperative_id == cooperative_id,
            Fulfillment.status.in_([FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED]),
            Order.status == OrderStatus.PAID,
        )
    )
    return int(count or 0)


# ---------------------------------------------------------------------------------------------
# The address book


async def saved_addresses(
    session: AsyncSession, user_id: int, *, for_update: bool = False
) -> Sequence[SavedAddress]:
    """The user's addresses, the default first, then the most recently changed.

    for_update: the user's row is locked first, which serialises every change of one book
    (its default, its count), even while it is empty (a double-clicked first address)."""
    if for_update:
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    stmt = (
        select(SavedAddress)
        .where(SavedAddress.user_id == user_id)
        .order_by(
            SavedAddress.is_default.desc(), SavedAddress.updated_at.desc(), SavedAddress.id.desc()
        )
    )
    return (await session.scalars(stmt)).all()
