"""The Stripe gateway against localstripe: what it sends, and how Stripe's failures come back."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.config import Settings
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from app.payment.errors import PaymentProviderRefused, PaymentProviderUnavailable
from app.payment.stripe_gateway import StripeGateway
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.payment.factories import jobs, payment_of, place_order, run_outbox
from tests.stripe_fixtures import STRIPE_SECRET_KEY, LocalStripe

# Nothing listens on the discard port: connections are refused at once.
UNREACHABLE = "http://127.0.0.1:9"


async def test_intents_are_created_once_per_order_and_can_be_read_and_cancelled(
    localstripe: LocalStripe,
) -> None:
    async with StripeGateway(STRIPE_SECRET_KEY, api_base=localstripe.url) as gateway:
        first = await gateway.create_payment_intent(
            amount_fen=9900, currency="cny", order_id=41, order_number="FS261128-000041"
        )
        again = await gateway.create_payment_intent(
            amount_fen=9900, currency="cny", order_id=41, order_number="FS261128-000041"
        )
        other = await gateway.create_payment_intent(
            amount_fen=500, currency="cny", order_id=42, order_number="FS261128-000042"
        )
        read = await gateway.retrieve_payment_intent(first.id)
        cancelled = await gateway.cancel_payment_intent(other.id)

    assert first.id == again.id != other.id  # the idempotency key order-{id}
    assert first.client_secret and first.client_secret.startswith(first.id)
    assert (read.amount, read.currency, read.status) == (9900, "cny", "requires_payment_method")
    assert read.metadata == {"order_id": "41", "order_number": "FS261128-000041"}
    assert read.order_id == 41
    assert cancelled.status == "canceled"
    assert len(localstripe.get("/v1/payment_intents")["data"]) == 2


async def test_wallets_are_asked_for_only_when_enabled(localstripe: LocalStripe) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        StripeGateway(STRIPE_SECRET_KEY, wallets=["bitcoin"])
    async with StripeGateway(
        STRIPE_SECRET_KEY, api_base=localstripe.url, wallets=["alipay", "wechat_pay"]
    ) as gateway:
        assert gateway.payment_method_types == ["card", "alipay", "wechat_pay"]
        intent = await gateway.create_payment_intent(
            amount_fen=100, currency="cny", order_id=1, order_number="FS1"
        )
    assert intent.status == "requires_payment_method"
    async with StripeGateway(STRIPE_SECRET_KEY) as card_only:
        assert card_only.payment_method_types == ["card"]


async def test_stripe_refusals_are_409_and_outages_503(localstripe: LocalStripe) -> None:
    async with StripeGateway(STRIPE_SECRET_KEY, api_base=localstripe.url) as gateway:
        with pytest.raises(PaymentProviderRefused) as refused:
            await gateway.retrieve_payment_intent("pi_does_not_exist")
        with pytest.raises(PaymentProviderRefused):
            await gateway.create_refund(
                payment_intent_id="pi_does_not_exist", amount_fen=100, refund_id=1, order_id=1
            )
    async with StripeGateway(STRIPE_SECRET_KEY, api_base=UNREACHABLE) as down:
        with pytest.raises(PaymentProviderUnavailable) as unavailable:
            await down.create_payment_intent(
                amount_fen=100, currency="cny", order_id=1, order_number="FS1"
            )
    async with StripeGateway("rk_not_a_secret_key", api_base=localstripe.url) as wrong_key:
        with pytest.raises(PaymentProviderUnavailable):
            await wrong_key.retrieve_payment_intent("pi_x")

    assert refused.value.status_code == 409
    assert refused.value.code == "payment_provider_refused"
    assert unavailable.value.status_code == 503
    assert unavailable.value.code == "payment_provider_unavailable"
    assert unavailable.value.headers == {"Retry-After": "30"}


def test_without_a_secret_key_card_payments_are_unavailable() -> None:
    settings = Settings(stripe_secret_key=None)
    with pytest.raises(PaymentProviderUnavailable):
        StripeGateway.from_settings(settings)


async def test_an_intent_job_that_cannot_reach_stripe_is_retried_and_loses_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    state = app.state
    outage = JobRunner(
        state.database.writer,
        settings=state.settings.model_copy(update={"stripe_api_base": UNREACHABLE}),
        mailer=state.mailer,
        http=state.http,
        worker_id="runner-during-outage",
    )

    await outage.run_until_idle()

    [job] = await jobs(database, "payment.create_payment_intent")
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
    assert job.last_error is not None and "PaymentProviderUnavailable" in job.last_error
    assert (await payment_of(database, order["id"])).stripe_payment_intent_id is None

    async with unit_of_work(database.writer) as session:  # the retry is due
        await session.execute(
            update(Job).where(Job.id == job.id).values(run_after=utcnow() - timedelta(seconds=1))
        )
    await run_outbox(runner)

    [job] = await jobs(database, "payment.create_payment_intent")
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    intent_id = (await payment_of(database, order["id"])).stripe_payment_intent_id
    assert intent_id is not None
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["amount"] == order["total_fen"]
