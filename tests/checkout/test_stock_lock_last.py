"""A hot SKU's row is locked as briefly as possible: placing an order reserves its stock last,
after the order, its parcels, its payment, its jobs, the emptied cart and the kept address are
written and the answer is read, so the lock lasts from the reservation to the commit."""

from __future__ import annotations

import re

import httpx

from app.core.db import Database
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.inventory.factories import stock_of
from tests.order.factories import fill_cart, order_body, place
from tests.sql_statements import recorded_statements

# What may run while the SKU rows are locked: the reservation's own statements (the
# conditional UPDATEs, the movements, the in-stock flag, a reindex job) and transaction control.
_WHILE_LOCKED = re.compile(
    r"^\s*(UPDATE skus|INSERT INTO stock_movements|UPDATE products|SELECT .* FROM skus"
    r"|INSERT INTO jobs|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|COMMIT)",
    re.IGNORECASE | re.DOTALL,
)


async def test_the_stock_is_reserved_after_everything_else_of_the_order(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=5)
    buyer = await create_api_user(database)
    await fill_cart(database, buyer.id, [(supplier.sku_ids[0], 5)])

    with recorded_statements(database) as seen:
        response = await place(client, buyer, order_body(None))

    assert response.status_code == 201, response.text
    assert await stock_of(database, supplier.sku_ids[0]) == 0
    first_lock = next(i for i, sql in enumerate(seen) if sql.upper().startswith("UPDATE SKUS"))
    after = seen[first_lock:]
    assert [sql for sql in after if not _WHILE_LOCKED.match(sql)] == []
    # Everything else of the order was written before the lock was taken.
    before = " ".join(seen[:first_lock]).upper()
    for table in ("ORDERS", "FULFILLMENTS", "ORDER_LINES", "PAYMENTS", "JOBS", "CART_ITEMS"):
        assert f"INTO {table}" in before or f"FROM {table}" in before, table


async def test_a_short_reservation_still_writes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=3)
    buyer = await create_api_user(database)

    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 2)]))
    assert response.status_code == 201
    late = await place(client, buyer, order_body([(supplier.sku_ids[0], 2)]), key="second")

    assert late.status_code == 409
    assert late.json()["error"]["code"] == "insufficient_stock"
    assert await stock_of(database, supplier.sku_ids[0]) == 1
