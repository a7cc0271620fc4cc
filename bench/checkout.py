"""Benchmark: concurrent checkouts against the real app (uvicorn) on SQLite and PostgreSQL.

For each backend: a scratch database (a temporary SQLite file, or a PostgreSQL database on
127.0.0.1 that is dropped afterwards) is migrated and seeded with suppliers, SKUs of limited
stock and buyers; the app is started with uvicorn in a subprocess on 127.0.0.1; N buyers place
orders concurrently over keep-alive connections (bench/lean_http.py; bank transfer, so no
Stripe server is needed), each with its own Idempotency-Key, asking for more units than
exist. Printed per backend: orders per second (over the whole run, and while stock lasted:
up to the last order placed), p50/p99 latency of placed orders and of 409s, how many
answered 409 insufficient_stock, the server's CPU milliseconds per placed order and per
request (utime + stime of the uvicorn process and its children from /proc, so the load
generator's share does not count), the load average, and the OVERSOLD units (units on orders
minus the initial stock; anything but 0 is a bug). Bounded in orders and seconds; loopback
only; it stops by itself.

Before the measured load, each of the --concurrency connections places --warm-up orders of
one unit of a SKU of its own supplier (not counted): every worker has opened its database
connections and compiled its statements, as a server that has been up for a minute has. The
load generator's own CPU (this process) is printed too: on a machine of few cores it competes
with the server, and when it nears a core the figures measure the client.

    uv run python bench/checkout.py [--orders 600] [--concurrency 32] [--backends sqlite,postgresql]
                                    [--workers 1] [--warm-up 2]
                                    [--py-spy PATH/TO/py-spy --profile-dir DIR]

With --py-spy, the server is sampled during the load (`py-spy record`, raw collapsed stacks per
backend into --profile-dir): where its CPU goes. bench/checkout_profile.py profiles one
request at a time in-process, without the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi import FastAPI
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.account.models import Role, RoleAssignment, User  # noqa: E402
from app.account.sessions import issue_api_token  # noqa: E402
from app.catalog.models import Product, ProductStatus, Sku  # noqa: E402
from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus  # noqa: E402
from app.core.clock import utcnow  # noqa: E402
from app.core.db import Database, unit_of_work  # noqa: E402
from app.order.models import Order, OrderLine, OrderStatus  # noqa: E402
from bench import lean_http, serving  # noqa: E402
from bench.cpu_window import TICKS_PER_SECOND, process_ticks, stat_fields  # noqa: E402
from bench.percentiles import percentile  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "FENGSHOU_BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (a scratch key)
SUPPLIER_COUNTY = "522732"
BUYER_COUNTIES = ("110105", "310104", "440106", "510107", "330106")


def create_bench_app() -> FastAPI:
    """The app uvicorn serves (`--factory`). Until app/main.py includes the order and
    checkout routers (the integrator adds them), they are added here; then this adds nothing."""
    from app.checkout import api as checkout_api
    from app.main import create_app
    from app.order import api as order_api

    application = create_app()
    included = {id(getattr(route, "original_router", None)) for route in application.router.routes}
    for router in (checkout_api.router, order_api.router):
        if id(router) not in included:
            application.include_router(router)
    return application


@dataclass(frozen=True)
class Seeded:
    sku_ids: list[int]
    tokens: list[str]
    initial_stock: int


async def seed(
    url: str, *, suppliers: int, skus_per_supplier: int, stock: int, buyers: int
) -> Seeded:
    from app.regions.service import load_reference_data

    database = Database(url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        sku_ids: list[int] = []
        async with unit_of_work(database.writer) as session:
            for s in range(suppliers):
                cooperative = Cooperative(
                    name=f"基准测试合作社{s + 1}",
                    kind=SupplierKind.COOPERATIVE,
                    credit_code=("93" + uuid.uuid4().hex.upper())[:18],
                    county_code=SUPPLIER_COUNTY,
                    contact_name="王芳",
                    contact_phone="13800000000",
                    households_supported=10,
                    status=SupplierStatus.VERIFIED,
                )
                session.add(cooperative)
                await session.flush()
                product = Product(
                    cooperative_id=cooperative.id,
                    slug=f"bench-{uuid.uuid4().hex[:12]}",
                    title=f"基准测试商品{s + 1}",
                    category_code="fruit",
                    unit="500g/盒",
                    status=ProductStatus.ACTIVE,
                    min_price_fen=1000,
                    in_stock=True,
                    published_at=utcnow(),
                )
                session.add(product)
                await session.flush()
                for k in range(skus_per_supplier):
                    sku = Sku(
                        product_id=product.id,
                        code=f"BENCH-{s}-{k}-{uuid.uuid4().hex[:6]}",
                        name=f"规格{k + 1}",
                        price_fen=1000 + 100 * k,
                        stock=stock,
                        weight_grams=500,
                        min_qty=1,
                    )
                    session.add(sku)
                    await session.flush()
                    sku_ids.append(sku.id)
        tokens: list[str] = []
        async with unit_of_work(database.writer) as session:
            users = [
                User(
                    email=f"bench-{i}-{uuid.uuid4().hex[:6]}@example.com",
                    password_hash="bench-no-password",  # noqa: S106  (tokens are issued directly)
                    display_name=f"买家{i}",
                    is_active=True,
                )
                for i in range(buyers)
            ]
            session.add_all(users)
            await session.flush()
            session.add_all(RoleAssignment(user_id=u.id, role=Role.CONSUMER) for u in users)
            tokens = [
                (await issue_api_token(session, u, ttl_seconds=3600, name="bench")).secret
                for u in users
            ]
        return Seeded(sku_ids, tokens, stock * len(sku_ids))
    finally:
        await database.dispose()


@dataclass(frozen=True)
class Audit:
    orders: int
    units_on_orders: int
    stock_left: int


async def audit(url: str) -> Audit:
    database = Database(url)
    try:
        async with unit_of_work(database.reader) as session:
            orders = await session.scalar(
                select(func.count()).select_from(Order).where(Order.status != OrderStatus.CANCELLED)
            )
            units = await session.scalar(
                select(func.coalesce(func.sum(OrderLine.quantity), 0))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status != OrderStatus.CANCELLED)
            )
            left = await session.scalar(select(func.coalesce(func.sum(Sku.stock), 0)))
        return Audit(int(orders or 0), int(units or 0), int(left or 0))
    finally:
        await database.dispose()


@contextlib.contextmanager
def scratch_database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh database URL; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        return
    name = f"fengshou_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_tree(pid: int) -> list[int]:
    """`pid` and every process descended from it (uvicorn's workers, if any)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat_fields(int(stat.parent.name))[1])
    tree, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (utime, stime of /proc/<pid>/stat);
    a process that is gone counts 0."""
    return sum(process_ticks(pid) or 0 for pid in pids) / TICKS_PER_SECOND


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextlib.asynccontextmanager
async def serve(url: str, workdir: Path, workers: int = 1) -> AsyncIterator[Server]:
    """The real app served by uvicorn on 127.0.0.1 (bench/serving.py), on this database."""
    env = {
        "FENGSHOU_DATABASE_URL": url,
        "FENGSHOU_SECRET_KEY": SECRET,
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_VAR_DIR": str(workdir / "var"),
    }
    base, process = await asyncio.to_thread(
        functools.partial(
            serving.start,
            "bench.checkout:create_bench_app",
            env,
            start_within_seconds=120,
            workers=workers,
        )
    )
    if workers > 1:
        await asyncio.sleep(3)  # every worker up (they answer /healthz one by one)
    try:
        yield Server(base, process.pid)
    finally:
        await asyncio.to_thread(serving.stop, process)


@dataclass
class Result:
    statuses: Counter[int]
    codes: Counter[str]
    latencies: list[float]
    elapsed: float
    # Latencies by status, and when (seconds from the start) the last order was placed.
    by_status: dict[int, list[float]]
    last_placed_at: float


async def load(
    base: str, seeded: Seeded, *, orders: int, concurrency: int, deadline_s: float, seed_value: int
) -> Result:
    """`orders` checkouts, `concurrency` at a time, each by its own buyer: one or two SKUs
    (often of two suppliers), one to three units each."""
    rng = random.Random(seed_value)
    plans: list[dict[str, Any]] = []
    for i in range(orders):
        chosen = rng.sample(seeded.sku_ids, k=rng.choice((1, 2)))
        plans.append(
            {
                "token": seeded.tokens[i % len(seeded.tokens)],
                "body": {
                    "shipping_address": {
                        "name": "张三",
                        "phone": "13812345678",
                        "county_code": rng.choice(BUYER_COUNTIES),
                        "detail": "基准测试路 1 号 2 单元 301",
                    },
                    "payment_method": "bank_transfer",
                    "lines": [{"sku_id": s, "quantity": rng.randint(1, 3)} for s in chosen],
                },
            }
        )
    statuses: Counter[int] = Counter()
    codes: Counter[str] = Counter()
    latencies: list[float] = []
    by_status: dict[int, list[float]] = {}
    last_placed = 0.0
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for plan in plans:
        queue.put_nowait(plan)
    started = time.perf_counter()
    stop_at = started + deadline_s

    async def worker() -> None:
        nonlocal last_placed
        connection = lean_http.Connection(base)
        try:
            while time.perf_counter() < stop_at:
                try:
                    plan = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                headers = {
                    "Authorization": f"Bearer {plan['token']}",
                    "Idempotency-Key": uuid.uuid4().hex,
                }
                t0 = time.perf_counter()
                try:
                    response = await connection.request(
                        "POST", "/api/v1/orders", json_body=plan["body"], headers=headers
                    )
                except (lean_http.HTTPFailure, TimeoutError) as exc:
                    codes[type(exc).__name__] += 1
                    statuses[0] += 1
                    continue
                done = time.perf_counter()
                latencies.append(done - t0)
                by_status.setdefault(response.status, []).append(done - t0)
                if response.status == 201:
                    last_placed = max(last_placed, done - started)
                statuses[response.status] += 1
                if response.status != 201:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        codes[response.json()["error"]["code"]] += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(statuses, codes, latencies, time.perf_counter() - started, by_status, last_placed)


async def warm_up(
    base: str, sku_id: int, tokens: list[str], *, connections: int, rounds: int
) -> int:
    """`rounds` one-unit orders of `sku_id` on each of `connections` connections (not measured);
    how many were placed."""
    placed = 0
    body = {
        "shipping_address": {
            "name": "张三",
            "phone": "13812345678",
            "county_code": BUYER_COUNTIES[0],
            "detail": "基准测试路 1 号 2 单元 301",
        },
        "payment_method": "bank_transfer",
        "lines": [{"sku_id": sku_id, "quantity": 1}],
    }

    async def lane(index: int) -> None:
        nonlocal placed
        connection = lean_http.Connection(base)
        try:
            for _ in range(rounds):
                headers = {
                    "Authorization": f"Bearer {tokens[index % len(tokens)]}",
                    "Idempotency-Key": uuid.uuid4().hex,
                }
                response = await connection.request(
                    "POST", "/api/v1/orders", json_body=body, headers=headers
                )
                if response.status != 201:
                    raise SystemExit(f"warm-up order answered {response.status}: {response.body!r}")
                placed += 1
        finally:
            await connection.close()

    await asyncio.gather(*(lane(i) for i in range(connections)))
    return placed


def start_profiler(
    args: argparse.Namespace, backend: str, pid: int
) -> subprocess.Popen[bytes] | None:
    """`py-spy record` of the server while the load runs, when asked for (--py-spy)."""
    if not args.py_spy:
        return None
    out = Path(args.profile_dir)
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603  (a profiler the caller named)
        [args.py_spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "200",
         "--format", "raw", "--output", str(out / f"checkout-{backend}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
    try:
        profiler.wait(timeout=30)
    except subprocess.TimeoutExpired:
        profiler.kill()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fengshou-bench-") as tmp:
        workdir = Path(tmp)
        with scratch_database(backend, workdir) as url:
            settings = Settings(
                environment="test",
                database_url=url,
                secret_key=SECRET,
                var_dir=workdir / "var",
            )
            await asyncio.to_thread(upgrade_database, settings)
            seeded = await seed(
                url,
                suppliers=args.suppliers,
                skus_per_supplier=args.skus,
                stock=args.stock,
                buyers=args.orders,
            )
            # The warm-up's SKU, of a supplier of its own, with a unit for each warm-up order.
            warm = await seed(
                url,
                suppliers=1,
                skus_per_supplier=1,
                stock=args.concurrency * args.warm_up,
                buyers=1,
            )
            warmed = 0
            async with serve(url, workdir, args.workers) as server:
                if args.warm_up:
                    warmed = await warm_up(
                        server.base,
                        warm.sku_ids[0],
                        seeded.tokens,
                        connections=args.concurrency,
                        rounds=args.warm_up,
                    )
                pids = process_tree(server.pid)
                cpu_before = cpu_seconds(pids)
                client_cpu_before = time.process_time()
                profiler = start_profiler(args, backend, server.pid)
                result = await load(
                    server.base,
                    seeded,
                    orders=args.orders,
                    concurrency=args.concurrency,
                    deadline_s=args.seconds,
                    seed_value=args.seed,
                )
                # The server's CPU only: this process (the load generator) is not counted.
                server_cpu = cpu_seconds(pids) - cpu_before
                client_cpu = time.process_time() - client_cpu_before
                stop_profiler(profiler)
            checked = await audit(url)
    created = result.statuses.get(201, 0)
    return {
        "backend": backend,
        "requests": sum(result.statuses.values()),
        "orders_201": created,
        "orders_in_db": checked.orders - warmed,  # the warm-up's left out
        "conflicts_409": result.statuses.get(409, 0),
        "other": {k: v for k, v in result.statuses.items() if k not in (201, 409)},
        "codes": dict(result.codes),
        "seconds": result.elapsed,
        "orders_per_s": created / result.elapsed if result.elapsed else 0.0,
        "requests_per_s": sum(result.statuses.values()) / result.elapsed,
        "orders_per_s_while_stock": (
            created / result.last_placed_at if result.last_placed_at else 0.0
        ),
        "placed_p50_ms": percentile(result.by_status.get(201, []), 50) * 1000,
        "placed_p99_ms": percentile(result.by_status.get(201, []), 99) * 1000,
        "conflict_p50_ms": percentile(result.by_status.get(409, []), 50) * 1000,
        "conflict_p99_ms": percentile(result.by_status.get(409, []), 99) * 1000,
        "p50_ms": percentile(result.latencies, 50) * 1000,
        "p99_ms": percentile(result.latencies, 99) * 1000,
        "mean_ms": statistics.fmean(result.latencies) * 1000 if result.latencies else 0.0,
        "server_cpu_s": server_cpu,
        "cpu_ms_per_order": server_cpu * 1000 / created if created else 0.0,
        "cpu_ms_per_request": server_cpu * 1000 / max(1, sum(result.statuses.values())),
        "client_cpu_s": client_cpu,
        "client_cpu_ms_per_request": client_cpu * 1000 / max(1, sum(result.statuses.values())),
        "load_average": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        # Every SKU's, the warm-up's too: its orders are on the books like the others.
        "initial_stock": seeded.initial_stock + warm.initial_stock,
        "units_on_orders": checked.units_on_orders,
        "stock_left": checked.stock_left,
        # Units sold beyond what existed; and stock that went missing or appeared.
        "oversold": max(0, checked.units_on_orders - seeded.initial_stock - warm.initial_stock),
        "stock_drift": (
            seeded.initial_stock + warm.initial_stock - checked.units_on_orders - checked.stock_left
        ),
    }


def report(row: dict[str, Any]) -> str:
    return (
        f"{row['backend']:<10} requests {row['requests']:>5}  201 {row['orders_201']:>5} "
        f"(in db {row['orders_in_db']})  409 {row['conflicts_409']:>5}  other {row['other']}\n"
        f"{'':<10} {row['orders_per_s']:.1f} orders/s, {row['requests_per_s']:.1f} requests/s "
        f"over {row['seconds']:.1f} s; latency p50 {row['p50_ms']:.0f} ms, "
        f"p99 {row['p99_ms']:.0f} ms, mean {row['mean_ms']:.0f} ms\n"
        f"{'':<10} while stock lasted {row['orders_per_s_while_stock']:.1f} orders/s; placed p50 "
        f"{row['placed_p50_ms']:.0f} ms, p99 {row['placed_p99_ms']:.0f} ms; 409 p50 "
        f"{row['conflict_p50_ms']:.0f} ms, p99 {row['conflict_p99_ms']:.0f} ms\n"
        f"{'':<10} server CPU {row['server_cpu_s']:.1f} s: {row['cpu_ms_per_order']:.1f} ms "
        f"per placed order, {row['cpu_ms_per_request']:.1f} ms per request; "
        f"load average {row['load_average']}\n"
        f"{'':<10} load generator CPU {row['client_cpu_s']:.1f} s: "
        f"{row['client_cpu_ms_per_request']:.1f} ms per request\n"
        f"{'':<10} stock {row['initial_stock']} → units on orders {row['units_on_orders']}, "
        f"left {row['stock_left']}; OVERSOLD {row['oversold']}, drift {row['stock_drift']}\n"
        f"{'':<10} error codes {row['codes']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--orders", type=int, default=600, help="checkouts to attempt (≤ 5000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (≤ 200)")
    parser.add_argument("--suppliers", type=int, default=3)
    parser.add_argument("--skus", type=int, default=2, help="SKUs per supplier")
    parser.add_argument("--stock", type=int, default=100, help="initial stock of each SKU")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop sending after this")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--warm-up", type=int, default=2, help="unmeasured orders per connection first (0: none)"
    )
    parser.add_argument("--py-spy", default="", help="sample the server with this py-spy")
    parser.add_argument("--profile-dir", default="bench-profiles")
    args = parser.parse_args()
    args.orders = max(1, min(args.orders, 5000))
    args.concurrency = max(1, min(args.concurrency, 200))
    args.seconds = max(1.0, min(args.seconds, 600.0))
    args.warm_up = max(0, min(args.warm_up, 20))
    failed = False
    for backend in args.backends.split(","):
        row = asyncio.run(run_backend(backend.strip(), args))
        print(report(row), flush=True)
        failed = failed or row["oversold"] != 0 or row["stock_drift"] != 0
        failed = failed or row["orders_201"] != row["orders_in_db"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
