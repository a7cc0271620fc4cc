"""Random histories of after-sales steps (requests, answers, escalations, decisions, payouts)
mixed with the operator's own refunds: no step answers 500, no line is refunded beyond what
was bought, the ledger holds exactly the goods kept, and reconcile finds no difference."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.admin.reconcile import reconcile
from app.core.db import Database, unit_of_work
from tests.aftersales.factories import Bought, ask, bought_by_transfer, ledger_total, step
from tests.payment.factories import lines_of, payment_of, refunds_of


async def _random_step(
    client: httpx.AsyncClient, rng: random.Random, bought: Bought, requests: list[int]
) -> httpx.Response:
    """One step, chosen at random, whatever the state: refusals are part of the history."""
    action = rng.choice(
        [
            "ask",
            "ask",
            "accept",
            "accept",
            "reject",
            "escalate",
            "decide",
            "payout",
            "payout",
            "operator_refund",
        ]
    )
    if action == "ask" or not requests:
        response = await ask(client, bought, rng.randint(1, 3))
        if response.status_code == 201:
            requests.append(response.json()["id"])
        return response
    rid = rng.choice(requests)
    if action == "accept":
        return await step(client, bought.supplier, rid, "accept")
    if action == "reject":
        return await step(client, bought.supplier, rid, "reject", {"reason": "不同意"})
    if action == "escalate":
        return await step(client, bought.buyer, rid, "escalate")
    if action == "decide":
        outcome = rng.choice(["refund", "reject"])
        body: dict[str, Any] = {"outcome": outcome, "reason": "平台裁定"}
        return await step(client, bought.operator, rid, "decide", body, admin=True)
    if action == "payout":
        body = {"bank_reference": f"HX-{rng.randrange(10**8):08d}"}
        return await step(client, bought.operator, rid, "payout", body, admin=True)
    return await client.post(
        f"/api/v1/admin/orders/{bought.order['id']}/refunds",
        json={
            "lines": [{"order_line_id": bought.line["id"], "quantity": rng.randint(1, 2)}],
            "reason": "运营退款",
        },
        headers=bought.operator.headers,
    )


async def step_status(client: httpx.AsyncClient, bought: Bought, rid: int) -> str:
    listed = await client.get(
        f"/api/v1/orders/{bought.order['id']}/after-sales", headers=bought.buyer.headers
    )
    return next(str(item["status"]) for item in listed.json()["items"] if item["id"] == rid)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_after_sales_histories_keep_the_ledger_exact(
    app: FastAPI, client: httpx.AsyncClient, database: Database, seed: int
) -> None:
    rng = random.Random(seed)
    orders = [
        await bought_by_transfer(client, database, quantity=5, price_fen=rng.randint(100, 5000))
        for _ in range(2)
    ]
    requests: dict[int, list[int]] = {b.order["id"]: [] for b in orders}

    for _ in range(40):
        bought = rng.choice(orders)
        response = await _random_step(client, rng, bought, requests[bought.order["id"]])
        assert response.status_code < 500, response.text

    refunded_by_after_sales = 0
    for bought in orders:
        for rid in requests[bought.order["id"]]:
            refunded_by_after_sales += await step_status(client, bought, rid) == "refunded"
        [line] = await lines_of(database, bought.order["id"])
        assert 0 <= line.refunded_quantity <= line.quantity
        refunds = await refunds_of(database, bought.order["id"])
        refunded_goods = sum(row["amount_fen"] for refund in refunds for row in refund.lines)
        assert refunded_goods == line.refunded_quantity * line.unit_price_fen
        payment = await payment_of(database, bought.order["id"])
        assert payment.refunded_fen == sum(refund.amount_fen for refund in refunds)
        assert (
            await ledger_total(database, bought.order["id"])
            == (line.quantity - line.refunded_quantity) * line.unit_price_fen
        )
    assert refunded_by_after_sales > 0  # the history did refund through after-sales
    async with unit_of_work(database.reader) as session:
        report = await reconcile(session, year=None)
    assert report.ok, report.differences
