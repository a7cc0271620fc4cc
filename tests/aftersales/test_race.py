"""Concurrent after-sales steps on one line: whatever the interleaving, the units refunded
never pass the units bought, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from app.core.db import Database
from tests.aftersales.factories import ask, asked, bought_by_transfer, ledger_total, step
from tests.payment.factories import lines_of, refunds_of


async def test_concurrent_requests_for_one_line_open_exactly_one(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    bought = await bought_by_transfer(client, database, quantity=3)

    answers = await asyncio.gather(*(ask(client, bought, 2) for _ in range(6)))

    assert sorted(r.status_code for r in answers) == [201] + [409] * 5


async def test_concurrent_acceptances_and_payouts_refund_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    bought = await bought_by_transfer(client, database, quantity=3, price_fen=1000)
    created = await asked(client, bought, 3)

    accepted = await asyncio.gather(
        *(step(client, bought.supplier, created["id"], "accept") for _ in range(4))
    )
    assert sorted(r.status_code for r in accepted) == [200, 409, 409, 409]
    payouts = await asyncio.gather(
        *(
            step(
                client,
                bought.operator,
                created["id"],
                "payout",
                {"bank_reference": f"HX-RACE-{i}"},
                admin=True,
            )
            for i in range(4)
        )
    )

    assert sorted(r.status_code for r in payouts) == [200, 409, 409, 409]
    [refund] = await refunds_of(database, bought.order["id"])
    assert refund.amount_fen == bought.order["total_fen"]
    assert [line.refunded_quantity for line in await lines_of(database, bought.order["id"])] == [3]
    assert await ledger_total(database, bought.order["id"]) == 0


async def test_a_payout_racing_the_operators_own_refund_never_refunds_too_much(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    bought = await bought_by_transfer(client, database, quantity=3, price_fen=1000)
    created = await asked(client, bought, 2)
    await step(client, bought.supplier, created["id"], "accept")
    direct = {"lines": [{"order_line_id": bought.line["id"], "quantity": 2}], "reason": "破损"}

    payout, refund = await asyncio.gather(
        step(
            client,
            bought.operator,
            created["id"],
            "payout",
            {"bank_reference": "HX-RACE-9"},
            admin=True,
        ),
        client.post(
            f"/api/v1/admin/orders/{bought.order['id']}/refunds",
            json=direct,
            headers=bought.operator.headers,
        ),
    )

    # 2 + 2 > 3: exactly one of them refunds; the other is refused and changes nothing.
    assert sorted((payout.status_code, refund.status_code)) == [200, 409] or sorted(
        (payout.status_code, refund.status_code)
    ) == [201, 409], (payout.text, refund.text)
    [line] = await lines_of(database, bought.order["id"])
    assert line.refunded_quantity == 2
    assert len(await refunds_of(database, bought.order["id"])) == 1
    assert await ledger_total(database, bought.order["id"]) == 1000
