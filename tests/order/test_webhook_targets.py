"""Suppliers' webhook URLs never reach into the platform's own network: refused when saved
(a field error) and checked again, resolved and pinned, when the notification is sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.cooperative.models import Cooperative
from app.core.db import Database, unit_of_work
from app.jobs.models import JobStatus
from app.main import build_runner
from app.order import service
from app.order.errors import WebhookUrlRefused
from app.order.service import supplier_webhooks
from tests.account.factories import create_api_user, create_user, csrf_token_in, grant, sign_in_page
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.order.factories import jobs_named, mark_paid, placed_order

SECRET = "whsec_supplier_test_secret"
PUBLIC_IP = "93.184.216.34"
REFUSED_URLS = [
    "http://127.0.0.1:8000/hook",
    "http://localhost/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",  # carrier-grade NAT (shared address space)
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
    # IPv6 addresses that stand for a private IPv4 address: judged as that address.
    "http://[::ffff:10.0.0.5]/hook",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/hook",  # IPv4-mapped 169.254.169.254, written in hex
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 well-known prefix: 127.0.0.1
    "http://[64:ff9b::10.0.0.5]/hook",  # NAT64: 10.0.0.5
    "http://[64:ff9b::169.254.169.254]/latest/meta-data/",  # NAT64: the metadata service
    "http://[64:ff9b:1::a00:5]/hook",  # NAT64 for local use: never the public internet
    "http://[64:ff9b:1:abcd::5db8:d822]/hook",  # ... even when it would embed a public one
    "http://[::7f00:1]/hook",  # IPv4-compatible: 127.0.0.1
    "http://[::192.168.1.10]/hook",  # IPv4-compatible: 192.168.1.10
    "http://[::ffff:0:a00:5]/hook",  # IPv4-translated (SIIT): 10.0.0.5
    "http://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "http://[2002:c0a8:10a::1]/hook",  # 6to4 of 192.168.1.10
    "http://[2002:a9fe:a9fe::]/hook",  # 6to4 of 169.254.169.254
]
# The same forms standing for a public IPv4 address (93.184.216.34) are public.
PUBLIC_EMBEDDING_URLS = [
    "http://[::ffff:93.184.216.34]/hook",
    "http://[64:ff9b::5db8:d822]/hook",
    "http://[::ffff:0:5db8:d822]/hook",
    "http://[2002:5db8:d822::1]/hook",
]
MALFORMED_URLS = [
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "/relative/hook",
    "http://user:pw@example.com/hook",
    "http://example.com:99999/hook",
    "http://exa mple.com/hook",
    "http://例子.测试/hook",
    "http://example.com/" + "x" * 500,
]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_addresses_of_our_own_network_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        await service.check_webhook_url(url, allow_private=False)

    assert refused.value.fields == {"url": supplier_webhooks._PRIVATE_ADDRESS}


@pytest.mark.parametrize("url", PUBLIC_EMBEDDING_URLS)
async def test_ipv6_forms_of_a_public_ipv4_address_are_accepted_and_pinned(url: str) -> None:
    target = await service.check_webhook_url(url, allow_private=False)

    host = url.split("[", 1)[1].split("]", 1)[0]
    assert target.host == host
    assert target.url.startswith("http://[") and target.url.endswith(":80/hook")


@pytest.mark.parametrize("url", MALFORMED_URLS)
async def test_urls_that_are_not_plain_http_are_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        await service.check_webhook_url(url, allow_private=True)

    assert set(refused.value.fields) == {"url"}


async def test_a_host_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return [PUBLIC_IP, "10.1.2.3"] if host == "mixed.example.com" else [PUBLIC_IP]

    monkeypatch.setattr(supplier_webhooks, "_resolve", resolve)

    with pytest.raises(WebhookUrlRefused):
        await service.check_webhook_url("https://mixed.example.com/h", allow_private=False)
    target = await service.check_webhook_url(
        "https://erp.example.com/fengshou?x=1", allow_private=False
    )

    # Posted to the address that was checked, naming the host for HTTP and TLS.
    assert target == service.WebhookTarget(
        url=f"https://{PUBLIC_IP}:443/fengshou?x=1", host="erp.example.com", tls=True
    )


async def test_allowed_private_targets_are_posted_to_as_they_are() -> None:
    target = await service.check_webhook_url("http://127.0.0.1:8123/h", allow_private=True)

    assert target == service.WebhookTarget(
        url="http://127.0.0.1:8123/h", host="127.0.0.1", tls=False
    )


async def _admin(app: FastAPI, database: Database, cooperative_id: int) -> dict[str, str]:
    admin = await create_api_user(database)
    await grant(database, admin.id, Role.SUPPLIER_ADMIN, cooperative_id)
    return admin.headers


async def _stored(database: Database, cooperative_id: int) -> tuple[str | None, str | None]:
    async with unit_of_work(database.reader) as session:
        row = (
            await session.execute(
                select(Cooperative.webhook_url, Cooperative.webhook_secret).where(
                    Cooperative.id == cooperative_id
                )
            )
        ).one()
        return row[0], row[1]


async def test_saving_a_private_url_is_a_field_error_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    headers = await _admin(app, database, supplier.id)
    path = f"/api/v1/cooperatives/{supplier.id}/webhook"

    for url in REFUSED_URLS[:6] + MALFORMED_URLS[:4]:
        response = await client.put(path, json={"url": url, "secret": SECRET}, headers=headers)
        error = assert_error(response, 422, "webhook_url_refused")
        assert set(error["fields"]) == {"url"}, url

    assert await _stored(database, supplier.id) == (None, None)


async def test_an_admin_saves_a_public_url_and_removes_it(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    other = await create_seller(database)
    headers = await _admin(app, database, supplier.id)
    member = await create_api_user(database)
    await grant(database, member.id, Role.SUPPLIER_MEMBER, supplier.id)
    path = f"/api/v1/cooperatives/{supplier.id}/webhook"
    url = f"https://{PUBLIC_IP}/fengshou"

    no_secret = await client.put(path, json={"url": url}, headers=headers)
    short_secret = await client.put(path, json={"url": url, "secret": "short"}, headers=headers)
    by_member = await client.put(path, json={"url": url, "secret": SECRET}, headers=member.headers)
    elsewhere = await client.put(
        f"/api/v1/cooperatives/{other.id}/webhook",
        json={"url": url, "secret": SECRET},
        headers=headers,
    )
    assert set(assert_error(no_secret, 422, "webhook_url_refused")["fields"]) == {"secret"}
    assert set(assert_error(short_secret, 422, "webhook_url_refused")["fields"]) == {"secret"}
    assert by_member.status_code == 404 and elsewhere.status_code == 404
    assert await _stored(database, supplier.id) == (None, None)
    assert await _stored(database, other.id) == (None, None)

    saved = await client.put(path, json={"url": url, "secret": SECRET}, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"url": url, "has_secret": True}
    assert await _stored(database, supplier.id) == (url, SECRET)

    removed = await client.put(path, json={"url": None}, headers=headers)
    assert removed.json() == {"url": None, "has_secret": True}
    assert await _stored(database, supplier.id) == (None, SECRET)


async def _paid_fulfillment(
    app: FastAPI, client: httpx.AsyncClient, database: Database, webhook_url: str
) -> dict[str, Any]:
    supplier = await create_seller(database, webhook_url=webhook_url, webhook_secret=SECRET)
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await mark_paid(database, order["id"])
    return order


async def test_a_stored_private_url_is_not_posted_to(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    received: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({})

    application = web.Application()
    application.router.add_post("/fengshou", handle)
    server = web.AppRunner(application)
    await server.setup()
    site = web.TCPSite(server, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        # Saved before the rule existed, or while private targets were allowed.
        await _paid_fulfillment(app, client, database, f"http://127.0.0.1:{port}/fengshou")
        assert app.state.settings.supplier_webhook_allow_private is False

        await build_runner(app, worker_id="ssrf-test").run_until_idle()
    finally:
        await server.cleanup()

    assert received == []
    [job] = await jobs_named(database, service.SUPPLIER_WEBHOOK_JOB)
    # Refused for good: not retried against our own network.
    assert job.status == JobStatus.DONE


async def test_a_public_url_is_posted_to_the_address_that_was_checked(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    async def resolve(host: str, port: int) -> list[str]:
        return [PUBLIC_IP]

    monkeypatch.setattr(supplier_webhooks, "_resolve", resolve)
    await _paid_fulfillment(app, client, database, "https://erp.example.com/fengshou")
    original = app.state.http
    app.state.http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    try:
        await build_runner(app, worker_id="ssrf-test").run_until_idle()
    finally:
        await app.state.http.aclose()
        app.state.http = original

    [request] = sent
    assert str(request.url) == f"https://{PUBLIC_IP}/fengshou"
    assert request.headers["Host"] == "erp.example.com"
    assert request.extensions["sni_hostname"] == "erp.example.com"
    assert service.SIGNATURE_HEADER in request.headers


async def test_the_portal_page_saves_the_url_or_names_the_refused_field(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    email = f"admin-{supplier.id}@example.com"
    admin = await create_user(database, email=email)
    await grant(database, admin, Role.SUPPLIER_ADMIN, supplier.id)
    assert (await sign_in_page(client, email)).status_code == 303
    path = f"/coop/{supplier.id}/webhook"
    page = await client.get(path)
    csrf = csrf_token_in(page.text)

    private = await client.post(
        path, data={"url": "http://10.0.0.5/hook", "secret": SECRET, "csrf_token": csrf}
    )
    no_secret = await client.post(
        path, data={"url": f"https://{PUBLIC_IP}/h", "secret": "", "csrf_token": csrf}
    )
    unchanged = await _stored(database, supplier.id)
    saved = await client.post(
        path, data={"url": f"https://{PUBLIC_IP}/h", "secret": SECRET, "csrf_token": csrf}
    )
    queue = await client.get(f"/coop/{supplier.id}/fulfillments")

    assert page.status_code == 200 and 'id="webhook-form"' in page.text
    assert private.status_code == 422
    assert "不能指向本机、内网或保留地址" in private.text
    assert 'value="http://10.0.0.5/hook"' in private.text  # what was typed stays
    assert no_secret.status_code == 422 and "签名密钥" in no_secret.text
    assert unchanged == (None, None)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{path}?saved=1"
    assert await _stored(database, supplier.id) == (f"https://{PUBLIC_IP}/h", SECRET)
    assert f'href="{path}"' in queue.text
