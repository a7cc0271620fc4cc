"""The world the authorisation matrix runs in: two suppliers and two organisations with their
members, a consumer, a regional official and an operator, and one of each thing a route can be
about (product, SKU, photo, certificate, orders, fulfilment, bulk order, invitations), made once
per test through the factories and the API; and each role's client, signed in (bearer token
for the API, session cookie for the pages, from an address of its own so that the login limit
never counts them together)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.aftersales.models import AfterSalesLine, AfterSalesRequest, RequestKind
from app.core.clock import china_year, utcnow
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, create_user, csrf_token_in, issue_token, sign_in_page
from tests.catalog.factories import Seller, create_seller, png_bytes
from tests.certification.factories import create_certificate
from tests.impact.factories import Line, paid_order
from tests.order.factories import address, order_body
from tests.organization.factories import create_organization
from tests.procurement.factories import RECIPIENTS, RECIPIENTS_HEADER, csv_bytes
from tests.review.factories import create_batch, create_review

# The columns of the matrix, in the order a row lists them.
ROLES = (
    "anonymous",
    "consumer",
    "coop_a",  # an admin of cooperative A (whose data the requests are about)
    "coop_b",  # an admin of cooperative B
    "buyer_a",  # organisation A's buyer, approver and admin
    "approver_a",
    "admin_a",
    "member_b",  # an admin of organisation B
    "official",  # a regional official of cooperative A's province
    "operator",
)
COUNTY_A = "522732"  # 三都水族自治县, 贵州: cooperative A's county, one of the 832
PROVINCE_A = "520000"
ORG_COUNTY = "440106"  # 天河区, 广东: both organisations'
ORG_PROVINCE = "440000"


@dataclass(frozen=True)
class World:
    """Ids of what the routes are about, by the name a path parameter or a table entry uses."""

    users: dict[str, int]
    emails: dict[str, str]
    ids: dict[str, Any]
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


def email_of(role: str) -> str:
    """The role's user's e-mail address (their password is tests.account.factories.PASSWORD)."""
    return f"{role.replace('_', '-')}@matrix.example.com"


async def _people(database: Database, coop_a: int, coop_b: int) -> tuple[dict[str, int], int, int]:
    """Every role's user (with a password, to sign in); returns them and the two organisations."""
    scoped: dict[str, tuple[Role, int | None, str | None]] = {
        "consumer": (Role.CONSUMER, None, None),
        "coop_a": (Role.SUPPLIER_ADMIN, coop_a, None),
        "coop_b": (Role.SUPPLIER_ADMIN, coop_b, None),
        "official": (Role.REGIONAL_OFFICIAL, None, PROVINCE_A),
        "operator": (Role.OPERATOR, None, None),
    }
    users = {
        role: await create_user(database, email=email_of(role), password=PASSWORD, roles=[held])
        for role, held in scoped.items()
    }
    for role in ("buyer_a", "approver_a", "admin_a", "member_b"):
        users[role] = await create_user(database, email=email_of(role), password=PASSWORD)
    org_a = await create_organization(
        database,
        region_code=ORG_COUNTY,
        members={
            users["buyer_a"]: Role.ORG_BUYER,
            users["approver_a"]: Role.ORG_APPROVER,
            users["admin_a"]: Role.ORG_ADMIN,
        },
    )
    org_b = await create_organization(
        database, region_code=ORG_COUNTY, members={users["member_b"]: Role.ORG_ADMIN}
    )
    return users, org_a, org_b


async def _after_sales_request(database: Database, order: Mapping[str, Any], buyer: int) -> int:
    """A refund request about the order's first line, waiting for its supplier (written
    directly: the order is not paid, and the routes only need a request to act on)."""
    parcel = order["fulfillments"][0]
    async with unit_of_work(database.writer) as session:
        request = AfterSalesRequest(
            order_id=order["id"],
            fulfillment_id=parcel["id"],
            cooperative_id=parcel["cooperative_id"],
            buyer_user_id=buyer,
            kind=RequestKind.REFUND_ONLY,
            reason="包装破损",
            deadline_at=utcnow(),
        )
        session.add(request)
        await session.flush()
        session.add(
            AfterSalesLine(
                request_id=request.id, order_line_id=parcel["lines"][0]["id"], quantity=1
            )
        )
        return request.id


def _client(app: FastAPI, number: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"127.0.0.{number}", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _sign_in(client: httpx.AsyncClient, email: str) -> str:
    """Bearer token for the API, session cookie for the pages; returns the session's CSRF token."""
    client.headers["Authorization"] = f"Bearer {await issue_token(client, email)}"
    signed_in = await sign_in_page(client, email)
    assert signed_in.status_code == 303, signed_in.text
    return csrf_token_in((await client.get("/account")).text)


async def _api(
    client: httpx.AsyncClient, method: str, path: str, status: int, **kwargs: Any
) -> dict[str, Any]:
    response = await client.request(method, path, **kwargs)
    assert response.status_code == status, (path, response.text)
    body: dict[str, Any] = response.json()
    return body


@contextlib.asynccontextmanager
async def build_world(app: FastAPI, database: Database) -> AsyncIterator[World]:
    """The world, with each role's client; the clients are closed when the block ends."""
    seller_a: Seller = await create_seller(database, county_code=COUNTY_A, stock=50)
    seller_b: Seller = await create_seller(database, county_code=COUNTY_A, stock=50)
    users, org_a, org_b = await _people(database, seller_a.id, seller_b.id)
    emails = {role: email_of(role) for role in users}
    certificate = await create_certificate(database, seller_a.id)
    certificate_b = await create_certificate(database, seller_b.id)
    # A plain member of cooperative A, whom its member routes act on.
    coop_member = await create_user(
        database, password=None, roles=[(Role.SUPPLIER_MEMBER, seller_a.id, None)]
    )
    org_order = await paid_order(
        database,
        buyer_user_id=users["buyer_a"],
        lines=[Line(seller_a, 3, 1000)],
        buyer_province_code=ORG_PROVINCE,
        organization_id=org_a,
        paid_at=datetime.now(UTC),
    )
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        csrf: dict[str, str] = {}
        for number, role in enumerate(ROLES, start=2):
            clients[role] = await stack.enter_async_context(_client(app, number))
            if role == "anonymous":
                csrf[role] = csrf_token_in((await clients[role].get("/login")).text)
            else:
                csrf[role] = await _sign_in(clients[role], emails[role])
        photo, photo_b = [
            await _api(
                clients[member],
                "POST",
                f"/api/v1/products/{seller.product_id}/photos",
                201,
                files={"file": ("photo.png", png_bytes(), "image/png")},
            )
            for member, seller in (("coop_a", seller_a), ("coop_b", seller_b))
        ]
        sku_code = (
            await _api(clients["coop_a"], "GET", f"/api/v1/products/{seller_a.product_id}", 200)
        )["skus"][0]["code"]
        bulk_order, bulk_order_b = [
            await _api(
                clients[member],
                "POST",
                f"/api/v1/organizations/{org}/bulk-orders",
                201,
                files={"file": ("list.csv", csv_bytes([("sku_code", "quantity"), (sku_code, 2)]))},
            )
            for member, org in (("buyer_a", org_a), ("member_b", org_b))
        ]
        gift_order = await _api(
            clients["buyer_a"],
            "POST",
            f"/api/v1/organizations/{org_a}/gift-orders",
            201,
            data={"sku_id": str(seller_a.sku_id), "quantity_each": "1"},
            files={"recipients": ("名单.csv", csv_bytes([RECIPIENTS_HEADER, *RECIPIENTS]))},
        )
        saved_address = await _api(
            clients["consumer"], "POST", "/api/v1/me/addresses", 201, json=address()
        )
        # One of the consumer's API tokens (the one signed in with comes first: newest).
        consumer_token = (await clients["consumer"].get("/api/v1/me/tokens")).json()[-1]
        consumer_order, order_b = [
            await _api(
                clients[buyer],
                "POST",
                "/api/v1/orders",
                201,
                json=order_body([(seller.sku_id, 2)]),
                headers={"Idempotency-Key": f"matrix-{buyer}"},
            )
            for buyer, seller in (("consumer", seller_a), ("member_b", seller_b))
        ]
        # The consumer says the transfer is sent, with a slip: the slip's routes have one to show.
        await _api(
            clients["consumer"],
            "POST",
            f"/api/v1/orders/{consumer_order['id']}/remittance",
            200,
            files={"slip": ("slip.png", png_bytes(), "image/png")},
        )
        request_id = await _after_sales_request(database, consumer_order, users["consumer"])
        request_b = await _after_sales_request(database, order_b, users["member_b"])
        org_invitation = await _api(
            clients["admin_a"],
            "POST",
            f"/api/v1/organizations/{org_a}/members",
            202,
            json={"email": emails["consumer"], "role": "buyer"},
        )
        coop_invitation = await _api(
            clients["coop_a"],
            "POST",
            f"/api/v1/cooperatives/{seller_a.id}/members",
            202,
            json={"email": emails["consumer"]},
        )
        product = await _api(
            clients["anonymous"], "GET", f"/api/v1/products/{seller_a.product_id}", 200
        )
        brand = await _api(
            clients["operator"],
            "POST",
            "/api/v1/admin/brands",
            201,
            json={
                "name": "三都水族品牌",
                "slug": "sandu-brand",
                "county_codes": [COUNTY_A],
                "owner": "三都县农业协会",
            },
        )
        for client in clients.values():  # each caller's cart holds SKU A
            await _api(
                client,
                "POST",
                "/api/v1/cart/items",
                200,
                json={"sku_id": seller_a.sku_id, "quantity": 1},
            )
        review = await create_review(database, org_order.line_ids[0], rating=4, text="好")
        review_b = await create_review(database, order_b["fulfillments"][0]["lines"][0]["id"])
        batch_code = await create_batch(database, seller_a.id, seller_a.product_id)
        ids: dict[str, Any] = {
            "cooperative_id": seller_a.id,
            "product_id": seller_a.product_id,
            "sku_id": seller_a.sku_id,
            "slug": product["slug"],
            "brand_id": brand["id"],
            "brand_slug": brand["slug"],
            "photo_id": photo["id"],
            "certificate_id": certificate,
            "organization_id": org_a,
            "order_id": consumer_order["id"],
            "org_order_id": org_order.id,
            "fulfillment_id": consumer_order["fulfillments"][0]["id"],
            "bulk_order_id": bulk_order["id"],
            "gift_order_id": gift_order["id"],
            "token_id": consumer_token["id"],
            "address_id": saved_address["id"],
            "invitation_id": org_invitation["invitation_id"],
            "coop_invitation_id": coop_invitation["invitation_id"],
            "user_id": users["buyer_a"],
            "member_id": users["buyer_a"],
            "coop_member_id": coop_member,
            "request_id": request_id,
            "review_id": review,
            "batch_code": batch_code,
            "code": COUNTY_A,
            "year": china_year(utcnow()),
            "kind": "csv",
            "action": "verify",
            # Someone else's: cooperative B's, organisation B's, member B's.
            "product_b": seller_b.product_id,
            "sku_b": seller_b.sku_id,
            "photo_b": photo_b["id"],
            "certificate_b": certificate_b,
            "order_b": order_b["id"],
            "fulfillment_b": order_b["fulfillments"][0]["id"],
            "request_b": request_b,
            "bulk_order_b": bulk_order_b["id"],
            "coop_b_member": users["coop_b"],
            "review_b": review_b,
            "org_b_member": users["member_b"],
        }
        yield World(users, emails, ids, clients, csrf)


def fill(path: str, values: Mapping[str, Any]) -> str:
    """The path with each {name} replaced by its value."""
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path
