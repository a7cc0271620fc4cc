"""Queries of the ledger writer: the lines already recorded, the counties and pairings an entry
is built from (reconcile reads these too), and the inserts of entries, attributions and rollup
rows."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.core.db import Base
from app.impact.models import EntryPairing, LedgerEntry
from app.impact.rollups import RollupSpec
from app.regions.models import County, Pairing


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite 3.24+ and PostgreSQL alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def recorded_sale_lines(session: AsyncSession, order_id: int) -> set[int]:
    result = await session.scalars(
        select(LedgerEntry.order_line_id).where(
            LedgerEntry.order_id == order_id, LedgerEntry.refund_id.is_(None)
        )
    )
    return set(result)


async def recorded_refund_lines(session: AsyncSession, refund_id: int) -> set[int]:
    result = await session.scalars(
        select(LedgerEntry.order_line_id).where(LedgerEntry.refund_id == refund_id)
    )
    return set(result)


async def sale_pairings(
    session: AsyncSession, order_line_ids: Collection[int]
) -> dict[int, tuple[int, ...]]:
    """order line → the pairings its sale entry counts for (lines with a sale entry only)."""
    if not order_line_ids:
        return {}
    result = await session.execute(
        select(LedgerEntry.order_line_id, EntryPairing.pairing_id)
        .outerjoin(EntryPairing, EntryPairing.entry_id == LedgerEntry.id)
        .where(LedgerEntry.order_line_id.in_(order_line_ids), LedgerEntry.refund_id.is_(None))
    )
    pairings: dict[int, list[int]] = {}
    for line_id, pairing_id in result:
        ids = pairings.setdefault(line_id, [])
        if pairing_id is not None:
            ids.append(pairing_id)
    return {line_id: tuple(sorted(ids)) for line_id, ids in pairings.items()}


async def counties(session: AsyncSession, codes: Collection[str]) -> dict[str, County]:
    if not codes:
        return {}
    result = await session.scalars(select(County).where(County.code.in_(codes)))
    return {county.code: county for county in result}


async def pairings_helping_provinces(
    session: AsyncSession, province_codes: Collection[str] | None = None
) -> list[Pairing]:
    """Pairings (areas loaded) whose helped province is one of these (None: every pairing)."""
    query = select(Pairing).options(selectinload(Pairing.areas)).order_by(Pairing.id)
    if province_codes is not None:
        if not province_codes:
            return []
        query = query.where(Pairing.helped_province_code.in_(province_codes))
    return list((await session.scalars(query)).all())


async def insert_entries(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[tuple[int, int], int]:
    """Insert ledger rows, skipping keys already present; answers (line, refund or 0) → id of
    each row inserted now."""
    statement = (
        _insert(session, LedgerEntry)
        .values(list(rows))
        .on_conflict_do_nothing()
        .returning(LedgerEntry.id, LedgerEntry.order_line_id, LedgerEntry.refund_id)
    )
    result = await session.execute(statement)
    return {(line_id, refund_id or 0): entry_id for entry_id, line_id, refund_id in result}


async def insert_attributions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(_insert(session, EntryPairing).values(list(rows)))


async def add_to_rollup(
    session: AsyncSession, spec: RollupSpec, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Add amounts and order counts to a rollup's rows, creating missing ones, in one
    statement that is safe under concurrent writers (INSERT … ON CONFLICT DO UPDATE adds to
    the row as it is at commit order, never to a stale read)."""
    if not rows:
        return
    model: Any = spec.model
    statement = _insert(session, spec.model).values(list(rows))
    statement = statement.on_conflict_do_update(
        index_elements=list(spec.columns),
        set_={
            "amount_fen": model.amount_fen + statement.excluded.amount_fen,
            "order_count": model.order_count + statement.excluded.order_count,
        },
    )
    await session.execute(statement)
