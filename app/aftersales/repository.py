"""Queries of after-sales: requests with their lines and photos, queues and counts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.account.models import Role, RoleAssignment, User
from app.aftersales.models import (
    OPEN_STATUSES,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesRequest,
    RequestStatus,
)

QUEUE_LIMIT = 200


def _query() -> Select[AfterSalesRequest]:
    return select(AfterSalesRequest).options(
        selectinload(AfterSalesRequest.lines), selectinload(AfterSalesRequest.photos)
    )


async def get_request(
    session: AsyncSession, request_id: int, *, for_update: bool = False, reload: bool = False
) -> AfterSalesRequest | None:
    """The request with its lines and photos; `for_update` locks its row (PostgreSQL);
    `reload` reads again a request this session holds (its lines and photos too)."""
    query = _query().where(AfterSalesRequest.id == request_id)
    if for_update:
        query = query.with_for_update(of=AfterSalesRequest)
    if for_update or reload:
        query = query.execution_options(populate_existing=True)
    return (await session.scalars(query)).first()


async def order_id_of(session: AsyncSession, request_id: int) -> int | None:
    found = await session.scalar(
        select(AfterSalesRequest.order_id).where(AfterSalesRequest.id == request_id)
    )
    return int(found) if found is not None else None


async def requests_for_order(session: AsyncSession, order_id: int) -> Sequence[AfterSalesRequest]:
    result = await session.scalars(
        _query().where(AfterSalesRequest.order_id == order_id).order_by(AfterSalesRequest.id)
    )
    return result.all()


async def requests_for_cooperative(
    session: AsyncSession, cooperative_id: int, statuses: Collection[RequestStatus] | None
) -> Sequence[AfterSalesRequest]:
    query = _query().where(AfterSalesRequest.cooperative_id == cooperative_id)
    if statuses is not None:
        query = query.where(AfterSalesRequest.status.in_(statuses))
    result = await session.scalars(query.order_by(AfterSalesRequest.id.desc()).limit(QUEUE_LIMIT))
    return result.all()


async def requests_with_status(
    session: AsyncSession, statuses: Collection[RequestStatus] | None
) -> Sequence[AfterSalesRequest]:
    query = _query()
    if statuses is not None:
        query = query.where(AfterSalesRequest.status.in_(statuses))
    result = await session.scalars(query.order_by(AfterSalesRequest.id).limit(QUEUE_LIMIT))
    return result.all()


async def open_lines(session: AsyncSession, order_line_ids: Collection[int]) -> set[int]:
    """Those of the order lines that an open request holds."""
    result = await session.scalars(
        select(AfterSalesLine.order_line_id)
        .join(AfterSalesRequest, AfterSalesRequest.id == AfterSalesLine.request_id)
        .where(
            AfterSalesLine.order_line_id.in_(order_line_ids),
            AfterSalesRequest.status.in_(OPEN_STATUSES),
        )
    )
    return set(result.all())


async def count_for_cooperative(
    session: AsyncSession, cooperative_id: int, statuses: Collection[RequestStatus]
) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(AfterSalesRequest)
        .where(
            AfterSalesRequest.cooperative_id == cooperative_id,
            AfterSalesRequest.status.in_(statuses),
        )
    )
    return int(found or 0)


async def count_with_status(session: AsyncSession, statuses: Collection[RequestStatus]) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(AfterSalesRequest)
        .where(AfterSalesRequest.status.in_(statuses))
    )
    return int(found or 0)


async def unattached_photos(
    session: AsyncSession, user_id: int, photo_ids: Collection[int]
) -> Sequence[AfterSalesPhoto]:
    """The user's photos no request uses yet, locked: a stray-photo discard waits (and then
    deletes nothing) or has already deleted them (and they are not found)."""
    result = await session.scalars(
        select(AfterSalesPhoto)
        .where(
            AfterSalesPhoto.id.in_(photo_ids),
            AfterSalesPhoto.uploaded_by_user_id == user_id,
            AfterSalesPhoto.request_id.is_(None),
        )
        .with_for_update()
    )
    return result.all()


async def delete_unattached_photo(session: AsyncSession, photo_id: int) -> list[str] | None:
    """Delete the photo if no request uses it (one statement: a request taking it at the same
    moment either commits first, and nothing is deleted, or finds it gone); its file keys, or
    None when nothing was deleted."""
    deleted = await session.execute(
        delete(AfterSalesPhoto)
        .where(AfterSalesPhoto.id == photo_id, AfterSalesPhoto.request_id.is_(None))
        .returning(AfterSalesPhoto.image_key, AfterSalesPhoto.thumb_key)
    )
    row = deleted.first()
    return None if row is None else [row[0], row[1]]


async def overdue_request_ids(session: AsyncSession, now: datetime) -> list[int]:
    result = await session.scalars(
        select(AfterSalesRequest.id).where(
            AfterSalesRequest.status == RequestStatus.REQUESTED,
            AfterSalesRequest.deadline_at <= now,
        )
    )
    return list(result.all())


async def user_email(session: AsyncSession, user_id: int) -> tuple[str, str] | None:
    """(email, display name) of an active user."""
    row = (
        await session.execute(
            select(User.email, User.display_name).where(User.id == user_id, User.is_active)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def operator_emails(session: AsyncSession) -> list[str]:
    result = await session.scalars(
        select(User.email)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.OPERATOR, User.is_active)
        .order_by(User.id)
    )
    return list(result.all())
