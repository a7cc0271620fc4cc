"""Queries of the certification domain, and the label rule as a SQL condition."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative


def valid_certificate_clause(on: date) -> ColumnElement[bool]:
    """Certificate backs a label on `on`: verified and valid_from <= on <= valid_until.

    The same rule as service.badge_is_valid, for filters and facets in SQL. Dates are ISO
    strings on SQLite, so the comparisons hold there as they do on PostgreSQL.
    """
    return and_(
        Certificate.status == CertificateStatus.VERIFIED,
        Certificate.valid_from <= on,
        Certificate.valid_until >= on,
    )


async def get_certificate(
    session: AsyncSession, certificate_id: int, *, for_update: bool = False
) -> Certificate | None:
    query = select(Certificate).where(Certificate.id == certificate_id)
    if for_update:
        # Two operators acting at once: the second sees the first one's status.
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def find_conflicting(
    session: AsyncSession, kind: CertificateKind, number: str, cooperative_id: int
) -> Certificate | None:
    """A registered certificate the new one would duplicate: the same GI number held by the
    same cooperative (a GI is shared by the producers of its region), any other kind's
    number held by anyone."""
    statement = select(Certificate).where(Certificate.kind == kind, Certificate.number == number)
    if kind is CertificateKind.GI:
        statement = statement.where(Certificate.cooperative_id == cooperative_id)
    result = await session.scalars(statement.limit(1))
    return result.first()


async def list_for_cooperative(session: AsyncSession, cooperative_id: int) -> list[Certificate]:
    result = await session.scalars(
        select(Certificate)
        .where(Certificate.cooperative_id == cooperative_id)
        .order_by(Certificate.id)
    )
    return list(result)


async def list_owned(
    session: AsyncSession, cooperative_id: int, certificate_ids: Collection[int]
) -> list[Certificate]:
    """The certificates among `certificate_ids` that belong to the cooperative."""
    if not certificate_ids:
        return []
    result = await session.scalars(
        select(Certificate)
        .where(
            Certificate.cooperative_id == cooperative_id,
            Certificate.id.in_(list(certificate_ids)),
        )
        .order_by(Certificate.id)
    )
    return list(result)


async def count_queue(session: AsyncSession, status: CertificateStatus | None) -> int:
    query = select(func.count()).select_from(Certificate)
    if status is not None:
        query = query.where(Certificate.status == status)
    return int(await session.scalar(query) or 0)


async def list_queue(
    session: AsyncSession,
    status: CertificateStatus | None,
    *,
    offset: int,
    limit: int,
) -> Sequence[tuple[Certificate, int, str]]:
    """(certificate, supplier id, supplier name): pending first, oldest first, then newest."""
    pending = Certificate.status == CertificateStatus.PENDING
    query = (
        select(Certificate, Cooperative.id, Cooperative.name)
        .join(Cooperative, Cooperative.id == Certificate.cooperative_id)
        .order_by(
            case((pending, 0), else_=1),
            case((pending, Certificate.id), else_=-Certificate.id),
        )
        .offset(offset)
        .limit(limit)
    )
    if status is not None:
        query = query.where(Certificate.status == status)
    result = await session.execute(query)
    return [(row[0], row[1], row[2]) for row in result]
