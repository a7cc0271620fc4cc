"""A process killed between placing an order and the payment webhook loses nothing.

The real application runs in uvicorn subprocesses on the test database (a SQLite file, or
PostgreSQL) and is killed with SIGKILL at the worst moments; a new process picks up where the
dead one stopped, from what was committed: the outbox, and Stripe's idempotency keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.core.db import Database, unit_of_work
from app.jobs.models import JobStatus
from app.payment.models import Payment, PaymentStatus, StripeEvent
from bench.serving import served
from tests.account.factories import ApiUser, create_api_user
from tests.catalog.factories import create_seller
from tests.conftest import TEST_SECRET
from tests.order.factories import order_body
from tests.payment.factories import (
    WEBHOOK_PATH,
    confirm_intent,
    count_rows,
    deliver,
    events_of,
    jobs,
)
from tests.stripe_fixtures import LocalStripe

pytestmark = pytest.mark.slow

WAIT_SECONDS = 30.0


@contextmanager
def _server(settings: Settings, log: Path, *, worker: bool) -> Iterator[tuple[str, Any]]:
    """The application in its own process: (base URL, process). Stopped at the end if alive."""
    env = {
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_SECRET_KEY": TEST_SECRET,
        "FENGSHOU_DATABASE_URL": settings.database_url,
        "FENGSHOU_VAR_DIR": str(settings.var_dir),
        "FENGSHOU_STRIPE_SECRET_KEY": settings.stripe_secret_key or "",
        "FENGSHOU_STRIPE_PUBLISHABLE_KEY": settings.stripe_publishable_key or "",
        "FENGSHOU_STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret or "",
        "FENGSHOU_STRIPE_API_BASE": settings.stripe_api_base or "",
        "FENGSHOU_WORKER_IN_PROCESS": "true" if worker else "false",
        "FENGSHOU_WORKER_POLL_SECONDS": "0.2",
    }
    with served("app.main:create_app", env, output=log) as (base_url, process):
        yield base_url, process


def _wait_for(condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(message)


def _kill_9(process: Any) -> None:
    process.kill()  # SIGKILL: no shutdown, no lifespan, nothing flushed
    process.wait(timeout=10)


def _order(base_url: str, buyer: ApiUser, order_id: int) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/api/v1/orders/{order_id}", headers=buyer.headers, timeout=5)
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()
    return order


def _place(base_url: str, buyer: ApiUser, sku_id: int) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/v1/orders",
        json=order_body([(sku_id, 2)], method="stripe"),
        headers={**buyer.headers, "Idempotency-Key": f"crash-{sku_id}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def _paid_once(database: Database, localstripe: LocalStripe, order: dict[str, Any]) -> None:
    """The order is paid, by one payment through one intent, and its suppliers told once."""
    async with unit_of_work(database.reader) as session:
        payments = list(
            await session.scalars(select(Payment).where(Payment.order_id == order["id"]))
        )
    assert [(p.status, p.received_fen) for p in payments] == [
        (PaymentStatus.SUCCEEDED, order["total_fen"])
    ]
    intents = [
        intent
        for intent in localstripe.get("/v1/payment_intents", limit=100)["data"]
        if intent["metadata"].get("order_id") == str(order["id"])
    ]
    assert [i["id"] for i in intents] == [payments[0].stripe_payment_intent_id]
    assert len(await jobs(database, "order.notify_supplier")) == len(order["fulfillments"])
    [intent_job] = await jobs(database, "payment.create_payment_intent")
    assert intent_job.status == JobStatus.DONE


async def test_killed_before_the_intent_job_ran_the_next_process_takes_the_payment(
    app: FastAPI,
    database: Database,
    settings: Settings,
    localstripe: LocalStripe,
    tmp_path: Path,
) -> None:
    supplier = await create_seller(database, price_fen=3300, stock=10)
    buyer = await create_api_user(database)
    log = tmp_path / "servers.log"

    with _server(settings, log, worker=False) as (first_url, first):
        placed = _place(first_url, buyer, supplier.sku_ids[0])
        _kill_9(first)

    [pending] = await jobs(database, "payment.create_payment_intent")
    assert (pending.status, pending.attempts) == (JobStatus.PENDING, 0)
    assert localstripe.get("/v1/payment_intents")["data"] == []

    port_log = tmp_path / "second.log"
    with _server(settings, port_log, worker=True) as (second_url, _):
        # Stripe delivers its events to the running process.
        localstripe.register_webhook(f"{second_url}{WEBHOOK_PATH}")
        _wait_for(
            lambda: bool(
                _order(second_url, buyer, placed["id"])["payment"]["stripe_client_secret"]
            ),
            "the new process's worker did not create the PaymentIntent",
        )
        intent_id = _order(second_url, buyer, placed["id"])["payment"]["stripe_payment_intent_id"]
        assert await confirm_intent(localstripe, intent_id) == "succeeded"
        _wait_for(
            lambda: _order(second_url, buyer, placed["id"])["status"] == "paid",
            "the webhook from localstripe did not mark the order paid",
        )

    await _paid_once(database, localstripe, placed)
    assert await count_rows(database, StripeEvent) == 1


async def test_killed_before_the_webhook_arrived_stripes_retry_pays_the_order_once(
    app: FastAPI,
    database: Database,
    settings: Settings,
    localstripe: LocalStripe,
    tmp_path: Path,
) -> None:
    supplier = await create_seller(database, price_fen=2100, stock=10)
    buyer = await create_api_user(database)

    with _server(settings, tmp_path / "first.log", worker=True) as (first_url, first):
        localstripe.register_webhook(f"{first_url}{WEBHOOK_PATH}")
        placed = _place(first_url, buyer, supplier.sku_ids[0])
        _wait_for(
            lambda: bool(_order(first_url, buyer, placed["id"])["payment"]["stripe_client_secret"]),
            "the worker did not create the PaymentIntent",
        )
        intent_id = _order(first_url, buyer, placed["id"])["payment"]["stripe_payment_intent_id"]
        assert await confirm_intent(localstripe, intent_id) == "succeeded"
        # localstripe waits a second before it sends the event: the process dies first.
        _kill_9(first)

    with _server(settings, tmp_path / "second.log", worker=True) as (second_url, _):
        # Stripe retries an undelivered event (localstripe does not; the test does it for it),
        # and may well deliver it twice.
        [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
        async with httpx.AsyncClient(base_url=second_url, timeout=10) as client:
            first_try = await deliver(client, event)
            second_try = await deliver(client, event)
        assert first_try.status_code == second_try.status_code == 200
        assert first_try.json()["duplicate"] or second_try.json()["duplicate"]
        assert _order(second_url, buyer, placed["id"])["status"] == "paid"

    await _paid_once(database, localstripe, placed)
