"""Suppliers hear of their paid fulfilments: e-mail to their admins, and a signed webhook
to their own URL (a real HTTP server on 127.0.0.1 receives it here)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from app.account.models import Role
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.jobs.models import JobStatus
from app.jobs.runner import JobRunner
from app.order import service
from tests.account.factories import create_api_user, grant
from tests.catalog.factories import create_seller
from tests.order.factories import jobs_named, make_due, mark_paid, placed_order

SECRET = "whsec_supplier_test_secret"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver listens on 127.0.0.1, which suppliers' webhooks may reach only so allowed."""
    settings.supplier_webhook_allow_private = True
    return settings


@dataclass
class Receiver:
    """A supplier's webhook endpoint: records every request; answers with `statuses` in turn."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"received": True}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    application = web.Application()
    application.router.add_post("/fengshou", found.handle)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}/fengshou"
    try:
        yield found
    finally:
        await runner.cleanup()


def verify(headers: dict[str, str], body: bytes, secret: str, tolerance: int = 300) -> bool:
    """What a supplier's server does with Fengshou-Signature (the documented scheme)."""
    parts = dict(item.split("=", 1) for item in headers["Fengshou-Signature"].split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(
        expected.hexdigest(), parts["v1"]
    )


def _mails(mail_dir: Path) -> list[EmailMessage]:
    """The mail to suppliers (the buyer's own mail is tests/order/test_buyer_mail.py's)."""
    if not mail_dir.exists():
        return []
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if str(message["Subject"]).startswith("新订单待发货"):
            found.append(message)
    return found


async def _paid_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database, *suppliers: Any
) -> dict[str, Any]:
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(s.sku_ids[0], 1) for s in suppliers])
    await mark_paid(database, order["id"])
    return order


async def test_paying_tells_each_supplier_by_mail(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
) -> None:
    a = await create_seller(database, name="三都水族自治县蓝莓专业合作社")
    b = await create_seller(database, name="三都水族自治县茶叶专业合作社")
    admins = []
    for cooperative_id, name in ((a.id, "a"), (b.id, "b")):
        admin = await create_api_user(database, email=f"admin-{name}@example.com")
        await grant(database, admin.id, Role.SUPPLIER_ADMIN, cooperative_id)
        admins.append(admin)
    member = await create_api_user(database, email="member-a@example.com")
    await grant(database, member.id, Role.SUPPLIER_MEMBER, a.id)
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])
    assert await jobs_named(database, service.NOTIFY_SUPPLIER_JOB) == []  # not before payment

    await mark_paid(database, order["id"])
    await mark_paid(database, order["id"])  # reported twice: still one notice per supplier

    jobs = await jobs_named(database, service.NOTIFY_SUPPLIER_JOB)
    assert sorted(job.payload["fulfillment_id"] for job in jobs) == sorted(
        f["id"] for f in order["fulfillments"]
    )
    assert _mails(settings.mail_dir) == []
    await runner.run_until_idle()

    mails = _mails(settings.mail_dir)
    assert sorted(str(m["To"]) for m in mails) == ["admin-a@example.com", "admin-b@example.com"]
    for mail in mails:
        assert order["number"] in str(mail["Subject"])
        text = mail.get_content()
        assert "张三" in text and "收货地址：北京市朝阳区朝阳路" in text
    [to_a] = [m for m in mails if str(m["To"]) == "admin-a@example.com"]
    assert "蓝莓专业合作社" in to_a.get_content()
    assert f"/coop/{a.id}/fulfillments" in to_a.get_content()
    # A's mail lists A's goods only.
    a_codes = {
        line["sku_code"]
        for f in order["fulfillments"]
        if f["cooperative_id"] == a.id
        for line in f["lines"]
    }
    b_codes = {
        line["sku_code"]
        for f in order["fulfillments"]
        if f["cooperative_id"] == b.id
        for line in f["lines"]
    }
    assert all(code in to_a.get_content() for code in a_codes)
    assert not any(code in to_a.get_content() for code in b_codes)
    # No webhook URL: no webhook job.
    assert await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB) == []


async def test_the_webhook_is_signed_and_carries_the_suppliers_part(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    receiver: Receiver,
) -> None:
    a = await create_seller(database, webhook_url=receiver.url, webhook_secret=SECRET)
    b = await create_seller(database)
    order = await _paid_order(app, client, database, a, b)

    await runner.run_until_idle()

    [(headers, body)] = receiver.requests
    assert headers["Content-Type"].startswith("application/json")
    assert verify(headers, body, SECRET)
    assert not verify(headers, body, "another-secret")
    assert not verify(headers, body.replace(b"pending", b"shipped"), SECRET)
    event = json.loads(body)
    [fa] = [f for f in order["fulfillments"] if f["cooperative_id"] == a.id]
    assert event["type"] == "fulfillment.created"
    assert event["id"] == f"evt_fulfillment_{fa['id']}_created"
    assert event["data"]["id"] == fa["id"]
    assert event["data"]["order_number"] == order["number"]
    assert [line["sku_id"] for line in event["data"]["lines"]] == a.sku_ids
    assert event["data"]["ship_to"]["phone"] == "13812345678"
    jobs = await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB)
    assert [job.status for job in jobs] == [JobStatus.DONE]


async def test_a_failing_webhook_is_retried_without_mailing_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    receiver: Receiver,
    settings: Settings,
) -> None:
    a = await create_seller(database, webhook_url=receiver.url, webhook_secret=SECRET)
    admin = await create_api_user(database, email="admin@example.com")
    await grant(database, admin.id, Role.SUPPLIER_ADMIN, a.id)
    receiver.statuses = [500, 404]
    await _paid_order(app, client, database, a)

    await runner.run_until_idle()
    [job] = await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB)
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
    assert job.last_error is not None and "500" in job.last_error
    await make_due(database, service.SUPPLIER_WEBHOOK_JOB)
    await runner.run_until_idle()
    await make_due(database, service.SUPPLIER_WEBHOOK_JOB)
    await runner.run_until_idle()

    [job] = await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB)
    assert (job.status, job.attempts) == (JobStatus.DONE, 3)
    assert len(receiver.requests) == 3
    # Each delivery is signed afresh, and each verifies; the event id stays the same.
    assert all(verify(headers, body, SECRET) for headers, body in receiver.requests)
    assert len({json.loads(body)["id"] for _, body in receiver.requests}) == 1
    assert len(_mails(settings.mail_dir)) == 1


async def test_an_unreachable_webhook_fails_the_job(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    # A port nothing listens on: connection refused.
    a = await create_seller(
        database, webhook_url="http://127.0.0.1:9/fengshou", webhook_secret=SECRET
    )
    await _paid_order(app, client, database, a)

    await runner.run_until_idle()

    [job] = await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB)
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)


async def test_no_secret_no_webhook(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    receiver: Receiver,
) -> None:
    a = await create_seller(database, webhook_url=receiver.url, webhook_secret=None)
    await _paid_order(app, client, database, a)

    await runner.run_until_idle()

    assert receiver.requests == []


async def test_a_cancelled_fulfilment_is_not_announced(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    receiver: Receiver,
    settings: Settings,
) -> None:
    a = await create_seller(database, webhook_url=receiver.url, webhook_secret=SECRET)
    admin = await create_api_user(database, email="admin@example.com")
    await grant(database, admin.id, Role.SUPPLIER_ADMIN, a.id)
    order = await _paid_order(app, client, database, a)
    async with unit_of_work(database.writer) as session:
        loaded = await service.get_order(session, order["id"])
        await service.cancel_order(session, loaded, reason="test")

    await runner.run_until_idle()

    assert receiver.requests == []
    assert _mails(settings.mail_dir) == []


def test_the_signature_scheme_is_stable() -> None:
    """t=<unix>,v1=HMAC-SHA256(secret, f"{t}.{body}") in hex: a fixed example."""
    header = service.sign_webhook("secret", 1_700_000_000, b'{"a":1}')
    digest = hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={digest}"
