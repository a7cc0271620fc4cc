"""A new order written with plain statements (checkout's path): the order with its number,
its fulfilments and lines, one INSERT per table and no ORM objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    ScalarSelect,
    Text,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.commit_with import DeferredWrites
from app.core.db import table_of
from app.order.models import (
    Fulfillment,
    Order,
    OrderLine,
)

# The tables (no ORM work when the statements run).
_ORDERS = table_of(Order)
_FULFILLMENTS = table_of(Fulfillment)
_LINES = table_of(OrderLine)


# What the statement fills in itself: the id, and the number made of it.
_ORDER_GENERATED = ("id", "number")
ORDER_NUMBER_PREFIX = "number_prefix"


def _next_order_id(dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.nextval(func.pg_get_serial_sequence("orders", "id"))
    # SQLite: the writing transaction holds the database's lock (BEGIN IMMEDIATE), and an
    # INTEGER PRIMARY KEY takes max + 1 anyway.
    return select(func.coalesce(func.max(_ORDERS.c.id), 0) + 1).scalar_subquery()


def _six_digits(order_id: ColumnElement[int], dialect: str) -> ColumnElement[str]:
    """The id as f"{id:06d}" writes it: zero-padded to six digits, never cut."""
    if dialect == "postgresql":
        digits = cast(order_id, Text)
        return case((order_id < 1_000_000, func.lpad(digits, 6, "0")), else_=digits)
    return func.printf("%06d", order_id)


@cache
def _order_insert(dialect: str) -> Insert:
    """INSERT … SELECT giving the order its id and its number (prefix + the id's digits) in
    one statement; nothing when the buyer's Idempotency-Key is taken (a concurrent request
    placed that order: PostgreSQL waits on the unique index until it commits). Built once
    per database, so its compiled form is cached."""
    columns = [c for c in _ORDERS.columns if c.name not in _ORDER_GENERATED]
    new_id = select(_next_order_id(dialect).label("id")).subquery("new_id")
    prefix = bindparam(ORDER_NUMBER_PREFIX, type_=Text)

    def value(column: Any) -> ColumnElement[Any]:
        param = bindparam(column.key, type_=column.type)
        # PostgreSQL types a SELECT's parameters before it sees the target columns.
        return cast(param, column.type) if dialect == "postgresql" else param

    values = select(
        new_id.c.id,
        prefix.concat(_six_digits(new_id.c.id, dialect)),
        *(value(column) for column in columns),
    ).where(true())  # SQLite: the WHERE tells the SELECT's end from ON CONFLICT
    dml = postgresql.insert(_ORDERS) if dialect == "postgresql" else sqlite.insert(_ORDERS)
    return (
        dml.from_select(["id", "number", *(c.name for c in columns)], values)
        .on_conflict_do_nothing(index_elements=["buyer_user_id", "idempotency_key"])
        .returning(_ORDERS.c.id, _ORDERS.c.number)
    )


async def insert_order(
    session: AsyncSession, values: Mapping[str, Any], number_prefix: str
) -> tuple[int, str] | None:
    """Write an order of these column values (every column but id and number): its (id,
    number), the number being `number_prefix` and the id's digits; None when the buyer's
    Idempotency-Key is taken."""
    row = (
        await session.execute(
            _order_insert(session.get_bind().dialect.name),
            {**values, ORDER_NUMBER_PREFIX: number_prefix},
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


# PostgreSQL: the ids of an order's fulfilments and lines, taken from their sequences by the
# order's own INSERT, so that their rows can be written without waiting for ids to come back
# (sent with the order's last round trip: DeferredWrites).
_PARCEL_COUNT = "parcel_count"
_LINE_COUNT = "line_count"


def _new_ids(table: str, count: str) -> ScalarSelect[Any]:
    """`count` new ids of a serial `id` column, as an array (NULL for none)."""
    return (
        select(func.array_agg(func.nextval(func.pg_get_serial_sequence(table, "id"))))
        .select_from(func.generate_series(1, bindparam(count, type_=Integer)))
        .scalar_subquery()
    )


@cache
def _order_insert_with_ids() -> Insert:
    return _order_insert("postgresql").returning(
        _new_ids(_FULFILLMENTS.name, _PARCEL_COUNT), _new_ids(_LINES.name, _LINE_COUNT)
    )


async def insert_order_with_ids(
    session: AsyncSession,
    values: Mapping[str, Any],
    number_prefix: str,
    *,
    parcels: int,
    lines: int,
) -> tuple[int, str, list[int], list[int]] | None:
    """PostgreSQL: insert_order, and the ids of the order's `parcels` fulfilments and `lines`
    lines in the same round trip: (id, number, fulfilment ids, line ids); None when the
    buyer's Idempotency-Key is taken."""
    row = (
        await session.execute(
            _order_insert_with_ids(),
            {
                **values,
                ORDER_NUMBER_PREFIX: number_prefix,
                _PARCEL_COUNT: parcels,
                _LINE_COUNT: lines,
            },
        )
    ).first()
    if row is None:
        return None
    return row[0], row[1], list(row[2] or ()), list(row[3] or ())


# inline: the ids are given; nothing comes back.
_FULFILLMENT_ROWS = insert(_FULFILLMENTS).inline()
_LINE_ROWS = insert(_LINES).inline()


def write_fulfillments_and_lines(
    fulfillments: Sequence[Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    deferred: DeferredWrites,
) -> None:
    """An order's fulfilments and lines with their ids given, held in `deferred`."""
    deferred.add(_FULFILLMENT_ROWS, [dict(row) for row in fulfillments])
    deferred.add(_LINE_ROWS, [dict(row) for row in lines])


# Several rows in one statement each; the ids come back in no promised order, each with what
# tells its row apart within one order (a supplier's parcel; a SKU's line).
_FULFILLMENT_INSERT = insert(_FULFILLMENTS).returning(
    _FULFILLMENTS.c.id, _FULFILLMENTS.c.cooperative_id
)
_LINE_INSERT = insert(_LINES).returning(_LINES.c.id, _LINES.c.sku_id)


async def insert_fulfillments(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[int, int]:
    """One order's fulfilments (a parcel per supplier) in one statement; their ids by
    supplier."""
    result = await session.execute(_FULFILLMENT_INSERT, list(rows))
    return {cooperative_id: row_id for row_id, cooperative_id in result}


async def insert_lines(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """One order's lines (a SKU once) in one statement; their ids by SKU."""
    result = await session.execute(_LINE_INSERT, list(rows))
    return {sku_id: row_id for row_id, sku_id in result}
