"""The stored ledger and rollups read back whole, for reconcile to compare with what the orders
and refunds call for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.impact.models import EntryKind, EntryPairing, LedgerEntry
from app.impact.rollups import GroupKey, RollupSpec


async def ledger_entries(
    session: AsyncSession, year: int | None
) -> list[tuple[LedgerEntry, tuple[tuple[int, int], ...]]]:
    """Ledger entries (of a reporting year) with their (pairing, amount) attributions."""
    query = select(LedgerEntry).order_by(LedgerEntry.id)
    if year is not None:
        query = query.where(LedgerEntry.period_year == year)
    entries = list((await session.scalars(query)).all())
    attributions: dict[int, list[tuple[int, int]]] = {}
    attribution_query = select(
        EntryPairing.entry_id, EntryPairing.pairing_id, EntryPairing.amount_fen
    )
    if year is not None:
        attribution_query = attribution_query.join(
            LedgerEntry, LedgerEntry.id == EntryPairing.entry_id
        ).where(LedgerEntry.period_year == year)
    for entry_id, pairing_id, amount in await session.execute(attribution_query):
        attributions.setdefault(entry_id, []).append((pairing_id, amount))
    return [(e, tuple(sorted(attributions.get(e.id, ())))) for e in entries]


async def rollup_rows(
    session: AsyncSession, spec: RollupSpec, year: int | None
) -> dict[GroupKey, tuple[int, int]]:
    """A rollup's rows (of a year) as group key → (amount_fen, order_count)."""
    model: Any = spec.model
    columns = [getattr(model, name) for name in spec.columns]
    query = select(*columns, model.amount_fen, model.order_count)
    if year is not None:
        query = query.where(model.year == year)
    result = await session.execute(query)
    width = len(columns)
    return {tuple(row[:width]): (int(row[width]), int(row[width + 1])) for row in result}


async def products_total(session: AsyncSession, product_ids: Sequence[int]) -> tuple[int, int]:
    """(net amount, distinct orders with a sale) of these products over the whole ledger: a
    regional brand's benefit to date (a brand has few products; no rollup per product)."""
    if not product_ids:
        return 0, 0
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(LedgerEntry.amount_fen), 0),
                func.count(
                    func.distinct(case((LedgerEntry.kind == EntryKind.SALE, LedgerEntry.order_id)))
                ),
            ).where(LedgerEntry.product_id.in_(sorted(set(product_ids))))
        )
    ).one()
    return int(row[0]), int(row[1])
