"""The festival spike's buyers (bench/spike.py): the hot SKUs and the buyers seeded, orders
placed `--in-flight` at a time until the stock is gone (every tenth sent twice at once with
one Idempotency-Key), the warm-up before, and the operator confirming the transfers after.
Over keep-alive connections of bench/lean_http.py, so that the client's CPU stays small."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from app.account.models import Role, RoleAssignment, User
from app.account.sessions import issue_api_token
from app.catalog import indexing
from app.catalog.models import Product, Sku
from app.core.db import Database, unit_of_work
from bench import checkout, lean_http
from bench.spike_timeline import Answer


@dataclass
class Hot:
    sku_ids: list[int]
    stock: dict[int, int]
    product_slug: str
    tokens: list[str]
    operator_token: str
    warm_up_sku_id: int


async def seed_hot(url: str, args: argparse.Namespace) -> Hot:
    """The hot SKUs and the buyers (bench/checkout.py's seeding), an operator, and for the
    warm-up a SKU of its own supplier with as many units as a hot SKU (warm-up orders past
    them are refused, which warms that path too)."""
    per_sku = args.units // args.skus
    seeded = await checkout.seed(
        url,
        suppliers=args.skus + 1,
        skus_per_supplier=1,
        stock=per_sku,
        buyers=args.buyers,
    )
    warm_up_sku_id = seeded.sku_ids.pop()
    database = Database(url)
    try:
        async with unit_of_work(database.writer) as session:
            operator = User(
                email=f"spike-operator-{uuid.uuid4().hex[:6]}@example.com",
                password_hash="bench-no-password",  # noqa: S106  (a token is issued directly)
                display_name="运营",
                is_active=True,
            )
            session.add(operator)
            await session.flush()
            session.add(RoleAssignment(user_id=operator.id, role=Role.OPERATOR))
            token = (
                await issue_api_token(session, operator, ttl_seconds=7200, name="spike")
            ).secret
            slug = await session.scalar(
                select(Product.slug)
                .join(Sku, Sku.product_id == Product.id)
                .where(Sku.id == seeded.sku_ids[0])
            )
            # In the search index, as a product is once published: its sell-out is then a
            # stock change for the index (the workers keep the tokens of its texts).
            await indexing.reindex_products(
                session,
                indexing.backend_for(session, None),
                product_ids=list(
                    await session.scalars(
                        select(Sku.product_id).where(Sku.id.in_([*seeded.sku_ids, warm_up_sku_id]))
                    )
                ),
                texts_as_indexed=False,
            )
    finally:
        await database.dispose()
    return Hot(
        seeded.sku_ids,
        dict.fromkeys(seeded.sku_ids, per_sku),
        str(slug),
        seeded.tokens,
        token,
        warm_up_sku_id,
    )


@dataclass
class Outcomes:
    started: float = 0.0
    last_created: float = 0.0
    conflicts: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    double_submits: int = 0
    duplicates: int = 0
    answers: list[Answer] = field(default_factory=list)

    @property
    def created(self) -> list[float]:
        """How long each order placed (201) took."""
        return [answer.took for answer in self.answers if answer.status == 201]


def order_body(county_code: str, quantities: dict[int, int]) -> dict[str, Any]:
    """A bank-transfer order of `quantities` (SKU id: units) shipped to `county_code`."""
    return {
        "shipping_address": {
            "name": "张三",
            "phone": "13812345678",
            "county_code": county_code,
            "detail": "节日大促路 1 号 2 单元 301",
        },
        "payment_method": "bank_transfer",
        "lines": [{"sku_id": sku, "quantity": units} for sku, units in quantities.items()],
    }


async def place_orders(base: str, hot: Hot, args: argparse.Namespace) -> Outcomes:
    """The buyers, `--in-flight` at a time, until every hot SKU is sold out or time is up."""
    rng = random.Random(args.seed)
    out = Outcomes(started=time.perf_counter())
    stop_at = out.started + args.seconds
    sold_out: set[int] = set()
    sent = 0

    async def post(
        connection: lean_http.Connection, token: str, key: str, body: dict[str, Any]
    ) -> Any:
        skus = [line["sku_id"] for line in body["lines"]]
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        began = time.perf_counter()
        try:
            response = await connection.request(
                "POST", "/api/v1/orders", json_body=body, headers=headers
            )
        except (lean_http.HTTPFailure, TimeoutError) as exc:
            out.statuses[0] += 1
            out.codes[type(exc).__name__] += 1
            return None
        took = time.perf_counter() - began
        out.statuses[response.status] += 1
        out.answers.append(Answer(began - out.started, took, response.status))
        if response.status == 201:
            out.last_created = time.perf_counter()
            return response.json()
        with contextlib.suppress(ValueError, KeyError, TypeError):
            error = response.json()["error"]
            out.codes[error["code"]] += 1
            if error["code"] == "insufficient_stock":
                out.conflicts.append(took)
                # Pricing names the order's lines (lines.{i}.quantity), the reservation its SKUs.
                for name, message in (error.get("fields") or {}).items():
                    if message != "only 0 left":
                        continue
                    kind, index = name.split(".")[:2]
                    if kind == "skus":
                        sold_out.add(int(index))
                    elif kind == "lines" and index.isdigit() and int(index) < len(skus):
                        sold_out.add(skus[int(index)])
        return None

    async def buyer(lane: int) -> None:
        # Two connections: a double submit sends its two requests at once.
        first_line, second_line = lean_http.Connection(base), lean_http.Connection(base)
        try:
            await buy(lane, first_line, second_line)
        finally:
            await first_line.close()
            await second_line.close()

    async def buy(
        lane: int, first_line: lean_http.Connection, second_line: lean_http.Connection
    ) -> None:
        nonlocal sent
        while time.perf_counter() < stop_at and len(sold_out) < len(hot.sku_ids):
            left = [sku for sku in hot.sku_ids if sku not in sold_out]
            chosen = rng.sample(left, k=min(len(left), rng.choice((1, 2))))
            body = order_body(
                rng.choice(checkout.BUYER_COUNTIES), {s: rng.randint(1, 3) for s in chosen}
            )
            token, key = hot.tokens[(lane + sent) % len(hot.tokens)], uuid.uuid4().hex
            sent += 1
            if sent % 10 == 0:  # a double submit: one key, two requests at once
                out.double_submits += 1
                first, second = await asyncio.gather(
                    post(first_line, token, key, body), post(second_line, token, key, body)
                )
                answers = {answer["id"] for answer in (first, second) if answer}
                out.duplicates += max(0, len(answers) - 1)
                for answer in (first, second):
                    if answer:
                        out.orders[answer["id"]] = answer
            else:
                answer = await post(first_line, token, key, body)
                if answer:
                    out.orders[answer["id"]] = answer

    await asyncio.gather(*(buyer(lane) for lane in range(args.in_flight)))
    return out


async def warm_up(base: str, hot: Hot, args: argparse.Namespace) -> Counter[int]:
    """Each buyer in flight places `--warm-up` orders of one unit of the warm-up SKU, one
    after the other, all buyers at once; their statuses (not counted in the spike's)."""
    statuses: Counter[int] = Counter()

    async def buyer(lane: int) -> None:
        connection = lean_http.Connection(base)
        try:
            for _ in range(args.warm_up):
                response = await connection.request(
                    "POST",
                    "/api/v1/orders",
                    json_body=order_body(checkout.BUYER_COUNTIES[0], {hot.warm_up_sku_id: 1}),
                    headers={
                        "Authorization": f"Bearer {hot.tokens[lane % len(hot.tokens)]}",
                        "Idempotency-Key": uuid.uuid4().hex,
                    },
                )
                statuses[response.status] += 1
        finally:
            await connection.close()

    await asyncio.gather(*(buyer(lane) for lane in range(args.in_flight)))
    return statuses


async def confirm_transfers(base: str, hot: Hot, orders: dict[int, dict[str, Any]]) -> Counter[int]:
    """The operator confirms each order's remittance, eight at a time."""
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(8)
    headers = {"Authorization": f"Bearer {hot.operator_token}"}

    async def confirm(client: httpx.AsyncClient, order: dict[str, Any]) -> None:
        digits = "".join(ch for ch in order["number"] if ch.isdigit())
        body = {"bank_reference": f"FS{digits}", "amount_fen": order["total_fen"]}
        async with gate:
            response = await client.post(
                f"/api/v1/admin/orders/{order['id']}/confirm-payment", json=body, headers=headers
            )
        statuses[response.status_code] += 1

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await asyncio.gather(*(confirm(client, order) for order in orders.values()))
    return statuses
