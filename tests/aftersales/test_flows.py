"""After-sales through the API, the good paths: refunds by card (against localstripe) and by
bank transfer, returns, rejections taken to an operator, the deadline's acceptance; each step
refunds through the payment, lowers the ledger by the goods, is mailed and audit-logged."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.core.db import Database
from app.jobs.models import JobStatus
from app.jobs.runner import JobRunner
from app.payment.models import RefundStatus
from tests.aftersales.factories import (
    asked,
    audit_of,
    bought_by_card,
    bought_by_transfer,
    delivered,
    ledger_total,
    mails_to,
    pass_answer_deadline,
    request_row,
    step,
)
from tests.inventory.factories import stock_of
from tests.payment.factories import jobs, lines_of, payment_of, refunds_of, run_outbox
from tests.stripe_fixtures import LocalStripe


def mails(app: FastAPI) -> list[tuple[str, str]]:
    """(to, text) of each mail written to the mail folder."""
    folder: Path = app.state.settings.mail_dir
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        assert isinstance(body, EmailMessage)
        found.append((str(message["To"]), body.get_content()))
    return found


async def test_refund_before_shipping_by_card_goes_through_stripe_and_the_ledger(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    bought = await bought_by_card(client, database, runner, localstripe, quantity=3)
    assert await ledger_total(database, bought.order["id"]) == 4500
    assert await stock_of(database, bought.seller.sku_id) == 17

    created = await asked(client, bought, 2)

    assert created["status"] == "requested"
    assert created["deadline"] and created["amount_fen"] == 3000
    accepted = await step(client, bought.supplier, created["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "refunded"
    await run_outbox(runner)  # Stripe is asked; its answer settles the refund
    [refund] = await refunds_of(database, bought.order["id"])
    assert (refund.amount_fen, refund.status) == (3000, RefundStatus.SUCCEEDED)
    assert refund.stripe_refund_id
    assert (await request_row(database, created["id"])).refund_id == refund.id
    assert await ledger_total(database, bought.order["id"]) == 1500
    assert (await payment_of(database, bought.order["id"])).refunded_fen == 3000
    assert [line.refunded_quantity for line in await lines_of(database, bought.order["id"])] == [2]
    assert await stock_of(database, bought.seller.sku_id) == 19  # never shipped: back on sale
    assert await audit_of(database, created["id"]) == ["aftersales.request", "aftersales.accept"]
    assert await mails_to(database, created["id"]) == [
        ("requested", "supplier"),
        ("refunded", "supplier"),
        ("accepted", "buyer"),
    ]
    # The mails went out: one to the supplier's admin per step for it, one to the buyer.
    notify_jobs = await jobs(database, "aftersales.notify")
    assert {job.status for job in notify_jobs} == {JobStatus.DONE}
    sent = [text for _to, text in mails(app)]
    assert sum("买家提交了售后申请" in text for text in sent) == 1
    assert sum("供应商已同意您的售后申请" in text for text in sent) == 1


async def test_a_return_waits_for_the_parcel_and_its_receipt_then_refunds(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    bought = await bought_by_card(client, database, runner, localstripe, quantity=3)
    await delivered(database, bought.fulfillment_id, days_ago=14)
    created = await asked(client, bought, 3, kind="return_and_refund")

    accepted = (await step(client, bought.supplier, created["id"], "accept")).json()
    assert accepted["status"] == "awaiting_return"
    early = await step(client, bought.supplier, created["id"], "received")
    assert early.status_code == 409, early.text
    sent = await step(
        client,
        bought.buyer,
        created["id"],
        "return",
        {"carrier": "顺丰", "tracking_number": "SF2000000002"},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["return_carrier"] == "顺丰速运"
    assert "kuaidi100" in sent.json()["return_tracking_url"]
    received = await step(client, bought.supplier, created["id"], "received")
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "refunded"
    await run_outbox(runner)

    [refund] = await refunds_of(database, bought.order["id"])
    # The whole order back: its shipping too, as every refund of the last unit does.
    assert refund.amount_fen == bought.order["total_fen"]
    assert refund.status == RefundStatus.SUCCEEDED
    assert await ledger_total(database, bought.order["id"]) == 0
    assert await stock_of(database, bought.seller.sku_id) == 17  # shipped goods: not restocked
    assert await audit_of(database, created["id"]) == [
        "aftersales.request",
        "aftersales.accept",
        "aftersales.return",
        "aftersales.received",
    ]


async def test_a_bank_transfer_refund_waits_for_the_operators_payout_and_reference(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    bought = await bought_by_transfer(client, database, quantity=2, price_fen=2000)
    await delivered(database, bought.fulfillment_id)
    created = await asked(client, bought, 1)

    accepted = (await step(client, bought.supplier, created["id"], "accept")).json()

    assert accepted["status"] == "accepted"
    assert await refunds_of(database, bought.order["id"]) == []
    assert await ledger_total(database, bought.order["id"]) == 4000
    queue = await client.get(
        "/api/v1/admin/after-sales", params={"status": "accepted"}, headers=bought.operator.headers
    )
    assert [item["id"] for item in queue.json()["items"]] == [created["id"]]
    paid = await step(
        client, bought.operator, created["id"], "payout", {"bank_reference": "HX-20261206-01"},
        admin=True,
    )  # fmt: skip
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "refunded"
    assert paid.json()["refund_bank_reference"] == "HX-20261206-01"
    [refund] = await refunds_of(database, bought.order["id"])
    assert (refund.amount_fen, refund.status) == (2000, RefundStatus.SUCCEEDED)
    assert await ledger_total(database, bought.order["id"]) == 2000
    again = await step(
        client, bought.operator, created["id"], "payout", {"bank_reference": "HX-20261206-02"},
        admin=True,
    )  # fmt: skip
    assert again.status_code == 409
    assert ("payout_due", "operators") in await mails_to(database, created["id"])
    assert await audit_of(database, created["id"]) == [
        "aftersales.request",
        "aftersales.accept",
        "aftersales.payout",
    ]


async def test_a_rejection_escalated_is_refunded_by_the_operators_final_decision(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    bought = await bought_by_card(client, database, runner, localstripe, quantity=2)
    await delivered(database, bought.fulfillment_id)
    created = await asked(client, bought, 1)

    rejected = await step(
        client, bought.supplier, created["id"], "reject", {"reason": "照片看不出问题"}
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["supplier_reason"] == "照片看不出问题"
    escalated = await step(client, bought.buyer, created["id"], "escalate", {"reason": "确有腐烂"})
    assert escalated.json()["status"] == "escalated"
    decided = await step(
        client, bought.operator, created["id"], "decide",
        {"outcome": "refund", "reason": "照片显示腐烂"}, admin=True,
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "refunded"
    await run_outbox(runner)

    [refund] = await refunds_of(database, bought.order["id"])
    assert (refund.amount_fen, refund.status) == (1500, RefundStatus.SUCCEEDED)
    assert await ledger_total(database, bought.order["id"]) == 1500
    final = await step(
        client, bought.operator, created["id"], "decide",
        {"outcome": "reject", "reason": "改判"}, admin=True,
    )  # fmt: skip
    assert final.status_code == 409
    assert await mails_to(database, created["id"]) == [
        ("requested", "supplier"),
        ("rejected", "buyer"),
        ("escalated", "operators"),
        ("escalated", "supplier"),
        ("refunded", "supplier"),
        ("decided_refund", "buyer"),
        ("decided_refund", "supplier"),
    ]


async def test_an_operator_who_rejects_closes_the_request_and_refunds_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    bought = await bought_by_card(client, database, runner, localstripe, quantity=2)
    created = await asked(client, bought, 1)
    await step(client, bought.supplier, created["id"], "reject", {"reason": "已经在打包"})
    await step(client, bought.buyer, created["id"], "escalate")

    decided = await step(
        client, bought.operator, created["id"], "decide",
        {"outcome": "reject", "reason": "商品已发出"}, admin=True,
    )  # fmt: skip

    assert decided.json()["status"] == "closed"
    assert await refunds_of(database, bought.order["id"]) == []
    assert await ledger_total(database, bought.order["id"]) == 3000
    # Closed frees the line: the buyer may ask again.
    assert (await asked(client, bought, 1))["status"] == "requested"


async def test_silence_past_the_deadline_counts_as_acceptance(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    bought = await bought_by_card(client, database, runner, localstripe, quantity=2)
    created = await asked(client, bought, 1)

    await run_outbox(runner)  # nothing is due yet
    assert (await request_row(database, created["id"])).status.value == "requested"
    await pass_answer_deadline(database, created["id"])
    late = await step(client, bought.supplier, created["id"], "reject", {"reason": "太晚了"})
    assert late.status_code == 409
    await run_outbox(runner)

    row = await request_row(database, created["id"])
    assert (row.status.value, row.auto_accepted) == ("refunded", True)
    [refund] = await refunds_of(database, bought.order["id"])
    assert (refund.amount_fen, refund.status) == (1500, RefundStatus.SUCCEEDED)
    assert refund.created_by_user_id is None
    assert await ledger_total(database, bought.order["id"]) == 1500
    assert await audit_of(database, created["id"]) == [
        "aftersales.request",
        "aftersales.auto_accept",
    ]
    assert ("auto_accepted", "supplier") in await mails_to(database, created["id"])


async def test_an_answered_request_is_left_alone_by_the_deadline(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    bought = await bought_by_transfer(client, database, quantity=2)
    created = await asked(client, bought, 1)
    await step(client, bought.supplier, created["id"], "reject", {"reason": "已发货"})

    await pass_answer_deadline(database, created["id"])
    await run_outbox(runner)

    assert (await request_row(database, created["id"])).status.value == "rejected"
    assert await refunds_of(database, bought.order["id"]) == []


async def test_a_request_whose_units_were_refunded_meanwhile_is_closed_at_its_deadline(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    bought = await bought_by_transfer(client, database, quantity=2)
    created = await asked(client, bought, 1)
    cancelled = await client.post(
        f"/api/v1/orders/{bought.order['id']}/cancel", headers=bought.buyer.headers
    )
    assert cancelled.status_code == 200, cancelled.text

    await pass_answer_deadline(database, created["id"])
    await run_outbox(runner)

    assert (await request_row(database, created["id"])).status.value == "closed"
    assert [r.amount_fen for r in await refunds_of(database, bought.order["id"])] == [
        bought.order["total_fen"]
    ]
    assert await ledger_total(database, bought.order["id"]) == 0
    assert await audit_of(database, created["id"]) == [
        "aftersales.request",
        "aftersales.auto_close",
    ]
