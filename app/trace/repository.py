"""Queries of traceability."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.certification.models import Certificate
from app.cooperative.models import Cooperative
from app.regions.models import County, Prefecture, Province
from app.trace.models import Batch, BatchCertificate


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(Batch.id).where(Batch.code == code))) is not None


async def get_batch_by_code(session: AsyncSession, code: str) -> Batch | None:
    return await session.scalar(select(Batch).where(Batch.code == code))


async def list_cooperative_batches(
    session: AsyncSession, cooperative_id: int, *, product_ids: Collection[int] | None = None
) -> list[tuple[Batch, str]]:
    """A supplier's batches with their products' titles, newest harvest first."""
    query = (
        select(Batch, Product.title)
        .join(Product, Product.id == Batch.product_id)
        .where(Batch.cooperative_id == cooperative_id)
        .order_by(Batch.harvested_on.desc(), Batch.id.desc())
    )
    if product_ids is not None:
        query = query.where(Batch.product_id.in_(list(product_ids)))
    return [(batch, title) for batch, title in (await session.execute(query)).all()]


async def batch_certificate_ids(
    session: AsyncSession, batch_ids: Sequence[int]
) -> dict[int, list[int]]:
    if not batch_ids:
        return {}
    rows = await session.execute(
        select(BatchCertificate.batch_id, BatchCertificate.certificate_id)
        .where(BatchCertificate.batch_id.in_(list(batch_ids)))
        .order_by(BatchCertificate.certificate_id)
    )
    found: dict[int, list[int]] = {}
    for batch_id, certificate_id in rows:
        found.setdefault(batch_id, []).append(certificate_id)
    return found


async def batch_certificates(session: AsyncSession, batch_id: int) -> list[Certificate]:
    result = await session.scalars(
        select(Certificate)
        .join(BatchCertificate, BatchCertificate.certificate_id == Certificate.id)
        .where(BatchCertificate.batch_id == batch_id)
        .order_by(Certificate.kind, Certificate.id)
    )
    return list(result)


async def owned_certificate_ids(
    session: AsyncSession, cooperative_id: int, certificate_ids: Collection[int]
) -> set[int]:
    if not certificate_ids:
        return set()
    result = await session.scalars(
        select(Certificate.id).where(
            Certificate.id.in_(list(certificate_ids)),
            Certificate.cooperative_id == cooperative_id,
        )
    )
    return set(result)


async def trace_rows(session: AsyncSession, batch: Batch) -> Any:
    """(product, cooperative, county, prefecture name, province name) of a batch."""
    row = (
        await session.execute(
            select(Product, Cooperative, County, Prefecture.name, Province.name)
            .select_from(Batch)
            .join(Cooperative, Cooperative.id == Batch.cooperative_id)
            .join(Product, Product.id == Batch.product_id)
            .join(County, County.code == Cooperative.county_code)
            .join(Prefecture, Prefecture.code == County.prefecture_code)
            .join(Province, Province.code == County.province_code)
            .where(Batch.id == batch.id)
        )
    ).one()
    return row


async def get_batches(session: AsyncSession, batch_ids: Collection[int]) -> dict[int, Batch]:
    if not batch_ids:
        return {}
    result = await session.scalars(select(Batch).where(Batch.id.in_(list(batch_ids))))
    return {batch.id: batch for batch in result}
