"""Queries of the certification domain, and the label rule as a SQL condition."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
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
    """What a new claim of the number collides with: the cooperative's own certificate of it
    (any status: a rejected one is resubmitted with a new scan instead), or, for the kinds
    issued to one holder, another supplier's pending claim. A rejected or revoked claim of
    another supplier frees the number, and a verified holder's does not block the claim
    either: it waits beside it, and the operator's queue shows the two."""
    blocking: ColumnElement[bool] = Certificate.cooperative_id == cooperative_id
    if kind is not CertificateKind.GI:
        blocking = or_(blocking, Certificate.status == CertificateStatus.PENDING)
    statement = select(Certificate).where(
        Certificate.kind == kind, Certificate.number == number, blocking
    )
    result = await session.scalars(statement.limit(1))
    return result.first()


async def other_holder(
    session: AsyncSession, certificate: Certificate, status: CertificateStatus
) -> Certificate | None:
    """Another certificate of the same green-food or organic number in `status` (None for a
    GI, whose number the producers of a region share)."""
    if certificate.kind is CertificateKind.GI:
        return None
    result = await session.scalars(
        select(Certificate)
        .where(
            Certificate.kind == certificate.kind,
            Certificate.number == certificate.number,
            Certificate.status == status,
            Certificate.id != certificate.id,
        )
        .limit(1)
    )
    return result.first()


async def rival_claims(
    session: AsyncSession, certificates: Collection[Certificate]
) -> list[tuple[Certificate, int, str]]:
    """(certificate, supplier id, supplier name) of every pending or verified certificate that
    shares a green-food or organic number with one of `certificates` (themselves included)."""
    numbers = {(c.kind, c.number) for c in certificates if c.kind is not CertificateKind.GI}
    if not numbers:
        return []
    result = await session.execute(
        select(Certificate, Cooperative.id, Cooperative.name)
        .join(Cooperative, Cooperative.id == Certificate.cooperative_id)
        .where(
            tuple_(Certificate.kind, Certificate.number).in_(sorted(numbers)),
            Certificate.status.in_([CertificateStatus.PENDING, CertificateStatus.VERIFIED]),
        )
        .order_by(Certificate.id)
    )
    return [(row[0], row[1], row[2]) for row in result]


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
