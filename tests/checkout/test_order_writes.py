"""What checkout writes with plain statements: the answer is the order as read back, the
number comes from the id in the same statement (past six digits too), and the payment and jobs
rows are those the ORM would have written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.checkout import service as checkout_service
from app.checkout.service import EXPIRE_ORDER_JOB
from app.config import Settings
from app.core.db import Database, table_of, unit_of_work
from app.jobs.models import Job, JobStatus
from app.order.models import Fulfillment, Order
from app.order.schemas import PlaceOrderRequest
from app.order.service import BUYER_NOTICE_JOB, PaymentTimeouts, order_number
from app.payment.models import Payment, PaymentStatus
from app.payment.service import CREATE_INTENT_JOB
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.conftest import Backend, make_settings
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import counts, order_body, place, placed_order
from tests.sql_statements import listening
from tests.stripe_fixtures import CARD_PAYMENTS_UNREACHABLE


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path) -> Settings:
    """Card payments offered (Stripe unreachable: no job runs here)."""
    return make_settings(db_backend.url, tmp_path / "var", **CARD_PAYMENTS_UNREACHABLE)


async def test_the_answer_is_the_order_as_read_back(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    a = await create_seller(database, price_fen=1000, stock=10, skus=2)
    b = await create_seller(database, price_fen=2500, stock=5)
    buyer = await create_api_user(database)

    placed = await placed_order(client, buyer, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])
    shown = await client.get(f"/api/v1/orders/{placed['id']}", headers=buyer.headers)

    assert shown.status_code == 200
    assert placed == shown.json()
    assert len(placed["fulfillments"]) == 2
    line_ids = [line["id"] for f in placed["fulfillments"] for line in f["lines"]]
    assert len(set(line_ids)) == 2


async def test_on_postgresql_the_orders_rows_leave_with_its_commit(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    """Its parcels, lines, payment and jobs are sent in the pipeline of its reservation and
    COMMIT, with the ids its INSERT took; each row where the answer says."""
    a = await create_seller(database, price_fen=1000, stock=10, skus=2)
    b = await create_seller(database, price_fen=2500, stock=5)
    buyer = await create_api_user(database)
    sent: list[tuple[str, bool]] = []

    def record(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        pgconn = getattr(connection.connection.driver_connection, "pgconn", None)
        piped = pgconn is not None and pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF
        sent.append((" ".join(statement.split()[:3]).upper(), piped))

    with listening(database, "before_cursor_execute", record):
        placed = await placed_order(
            client, buyer, [(a.sku_ids[0], 2), (b.sku_ids[0], 1), (a.sku_ids[1], 3)]
        )
    shown = await client.get(f"/api/v1/orders/{placed['id']}", headers=buyer.headers)

    assert placed == shown.json()
    lines = {
        line["sku_id"]: (f["cooperative_id"], line["quantity"])
        for f in placed["fulfillments"]
        for line in f["lines"]
    }
    assert lines == {
        a.sku_ids[0]: (a.cooperative_id, 2),
        a.sku_ids[1]: (a.cooperative_id, 3),
        b.sku_ids[0]: (b.cooperative_id, 1),
    }
    piped = {statement for statement, inside in sent if inside}
    held = {
        "INSERT INTO FULFILLMENTS",
        "INSERT INTO ORDER_LINES",
        "INSERT INTO PAYMENTS",
        "INSERT INTO JOBS",
    }
    if database.dialect == "postgresql":
        assert piped == held
        assert "INSERT INTO ORDERS" in {statement for statement, _ in sent}
    else:
        assert piped == set()
        assert held <= {statement for statement, _ in sent}


async def test_the_number_and_the_rows_beside_the_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)

    placed = await placed_order(client, buyer, [(supplier.sku_ids[0], 1)], method="stripe")

    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, placed["id"])
        assert order is not None
        payment = await session.scalar(select(Payment).where(Payment.order_id == order.id))
        jobs = (await session.scalars(select(Job).order_by(Job.id))).all()
        parcels = (
            await session.execute(
                select(Fulfillment.created_at, Fulfillment.updated_at).where(
                    Fulfillment.order_id == order.id
                )
            )
        ).all()
    # The number the INSERT made is the one order_number makes of the stored id and time.
    assert order.number == order_number(order.id, order.created_at) == placed["number"]
    assert order.updated_at == order.created_at
    # The parcel is written at the time the order was placed, not when its INSERT ran.
    assert parcels == [(order.created_at, order.created_at)]
    assert payment is not None
    assert (payment.status, payment.amount_fen, payment.currency) == (
        PaymentStatus.PENDING,
        order.total_fen,
        "cny",
    )
    assert (payment.received_fen, payment.refunded_fen, payment.bank_reference) == (0, 0, None)
    assert payment.created_at == order.created_at
    # The card payment's intent first, then the expiry at the deadline, then the buyer's mail.
    assert [(job.name, job.payload) for job in jobs] == [
        (CREATE_INTENT_JOB, {"order_id": order.id}),
        (EXPIRE_ORDER_JOB, {"order_id": order.id}),
        (BUYER_NOTICE_JOB, {"order_id": order.id, "event": "placed"}),
    ]
    assert all(job.status == JobStatus.PENDING and job.attempts == 0 for job in jobs)
    assert jobs[1].run_after == order.expires_at
    assert jobs[2].mailed is None


async def _order_id_sequence(session: AsyncSession) -> str:
    return str(await session.scalar(text("SELECT pg_get_serial_sequence('orders', 'id')")))


async def _next_order_id_from(database: Database, next_id: int) -> int | None:
    """Make the next order's id `next_id`; returns PostgreSQL's sequence position to put
    back afterwards (SQLite takes the largest id + 1: the row made for it goes with the
    test's data)."""
    async with unit_of_work(database.writer) as session:
        if database.dialect == "postgresql":
            sequence = await _order_id_sequence(session)
            before = int(await session.scalar(text(f"SELECT last_value FROM {sequence}")) or 1)  # noqa: S608
            await session.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": next_id - 1})
            return before
        orders = table_of(Order)
        row: dict[str, Any] = dict(
            (await session.execute(select(orders).limit(1))).mappings().one()
        )
        row.update(id=next_id - 1, number="FS-PLACEHOLDER", idempotency_key="placeholder")
        await session.execute(insert(orders), row)
        return None


async def test_a_seventh_digit_is_kept_in_the_number(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])
    before = await _next_order_id_from(database, 1_234_567)
    try:
        placed = await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])
    finally:
        if before is not None:  # later tests' numbers have six digits again
            async with unit_of_work(database.writer) as session:
                sequence = await _order_id_sequence(session)
                await session.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": before})

    assert placed["id"] == 1_234_567
    assert placed["number"].endswith("-1234567")
    async with unit_of_work(database.reader) as session:
        stored = await session.scalar(select(Order.number).where(Order.id == 1_234_567))
        assert stored == placed["number"]


@contextmanager
def stock_taken_meanwhile(database: Database, sku_id: int, left: int) -> Iterator[None]:
    """Between the order's writing and its reservation, the SKU's stock drops to `left` (as
    if a concurrent buyer got there first): set in the order's own transaction, right after
    its payment's INSERT, so that it is undone with whatever undoes the order."""

    def drop(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PAYMENTS"):
            conn.exec_driver_sql(f"UPDATE skus SET stock = {left} WHERE id = {sku_id}")  # noqa: S608

    with listening(database, "after_cursor_execute", drop):
        yield


async def test_a_reservation_refused_after_the_order_was_written_leaves_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=5)
    other = await create_seller(database, stock=5)
    buyer = await create_api_user(database)
    before = await counts(database)

    # The API route has no savepoint: its request's transaction rolls back on the 409.
    with stock_taken_meanwhile(database, supplier.sku_ids[0], 1):
        response = await place(
            client, buyer, order_body([(other.sku_ids[0], 1), (supplier.sku_ids[0], 2)])
        )

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "insufficient_stock"
    assert await counts(database) == before
    # Neither the other SKU's reservation nor the stock dropped meanwhile stayed.
    assert await stock_of(database, other.sku_ids[0]) == 5
    assert await stock_of(database, supplier.sku_ids[0]) == 5


async def test_a_refused_order_writes_nothing_and_takes_no_number(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=1)
    buyer = await create_api_user(database)

    refused = await place(client, buyer, order_body([(supplier.sku_ids[0], 2)]))
    placed = await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])

    assert refused.status_code == 409
    written = await counts(database)
    assert (written.orders, written.payments, written.lines) == (1, 1, 1)
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    assert placed["number"].endswith(f"-{placed['id']:06d}")


async def test_a_retry_after_the_stock_sold_out_answers_the_order_it_placed(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=2)
    buyer = await create_api_user(database)
    body = order_body([(supplier.sku_ids[0], 2)])
    first = await place(client, buyer, body, key="retry-me")
    assert first.status_code == 201

    # The stock is gone, so the body would be refused now; the key placed it already.
    again = await place(client, buyer, body, key="retry-me")
    changed = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]), key="retry-me")

    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_error(changed, 409, "idempotency_key_reused")
    assert (await counts(database)).orders == 1


async def test_only_a_caller_without_a_savepoint_may_let_checkout_commit(
    database: Database,
) -> None:
    """A caller that goes on after a refusal (a savepoint) cannot have checkout commit its
    transaction: refused before anything is read or written."""
    supplier = await create_seller(database, stock=5)
    buyer = await create_api_user(database)
    before = await counts(database)
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, buyer.id)
        assert user is not None
        with pytest.raises(ValueError, match="savepoint=False"):
            await checkout_service.place_order(
                session,
                buyer=user,
                idempotency_key="guard",
                request=PlaceOrderRequest.model_validate(order_body([(supplier.sku_ids[0], 1)])),
                timeouts=PaymentTimeouts(),
                commit=True,
            )
    assert await counts(database) == before
