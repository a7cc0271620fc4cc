"""Where one order's CPU goes: POST /api/v1/orders in this process (no server, no network),
one request at a time, on a scratch database (SQLite or PostgreSQL, as bench/checkout.py
makes them). Printed: CPU milliseconds per placed order and per 409, the SQL statements
each sends (by kind), and with --cprofile the functions that take the most CPU.

One request at a time and in-process, so the figures do not depend on how loaded the
machine is; bench/checkout.py measures the served app under concurrency.

    uv run python bench/checkout_profile.py [--backend postgresql] [--orders 200] [--cprofile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from bench.checkout import BUYER_COUNTIES, SECRET, scratch_database, seed  # noqa: E402


def order_body(rng: random.Random, sku_ids: list[int]) -> dict[str, Any]:
    chosen = rng.sample(sku_ids, k=rng.choice((1, 2)))
    return {
        "shipping_address": {
            "name": "张三",
            "phone": "13812345678",
            "county_code": rng.choice(BUYER_COUNTIES),
            "detail": "基准测试路 1 号 2 单元 301",
        },
        "payment_method": "bank_transfer",
        "lines": [{"sku_id": s, "quantity": rng.randint(1, 3)} for s in chosen],
    }


async def run(args: argparse.Namespace) -> None:
    from bench.checkout import create_bench_app

    with (
        tempfile.TemporaryDirectory(prefix="fengshou-bench-") as tmp,
        scratch_database(args.backend, Path(tmp)) as url,
    ):
        settings = Settings(
            environment="test", database_url=url, secret_key=SECRET, var_dir=Path(tmp) / "var"
        )
        await asyncio.to_thread(upgrade_database, settings)
        # Enough stock for every order; a second, sold-out SKU for the 409s.
        seeded = await seed(url, suppliers=3, skus_per_supplier=2, stock=100_000, buyers=32)
        sold_out = await seed(url, suppliers=1, skus_per_supplier=1, stock=0, buyers=1)
        import os

        os.environ.update(
            FENGSHOU_DATABASE_URL=url,
            FENGSHOU_SECRET_KEY=SECRET,
            FENGSHOU_ENVIRONMENT="test",
            FENGSHOU_VAR_DIR=str(Path(tmp) / "var"),
        )
        app = create_bench_app()
        statements: Counter[str] = Counter()

        def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            words = statement.split()
            kind = words[0].upper() if words else "?"
            table = ""
            if kind == "SELECT" and "FROM" in words:
                table = words[words.index("FROM") + 1]
            elif kind in ("INSERT", "UPDATE", "DELETE") and len(words) > 2:
                table = words[2] if kind != "UPDATE" else words[1]
            # Sent in the pipeline of the COMMIT (app.core.commit_with): no round trip its own.
            driver = getattr(conn.connection, "driver_connection", None)
            pgconn = getattr(driver, "pgconn", None)
            piped = pgconn is not None and pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF
            statements[f"{kind} {table}{' (with the COMMIT)' if piped else ''}".strip()] += 1

        for engine in app.state.database.engines:  # on PostgreSQL the reads have their own
            event.listen(engine.sync_engine, "before_cursor_execute", count)

        rng = random.Random(20261206)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def post(body: dict[str, Any], token: str) -> int:
                response = await client.post(
                    "/api/v1/orders",
                    json=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": uuid.uuid4().hex,
                    },
                )
                return response.status_code

            for i in range(10):  # warm caches and compiled statements
                await post(order_body(rng, seeded.sku_ids), seeded.tokens[i % 32])
            # The floors: what any request costs (the middleware stack), and a refused one.
            floors: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
                ("GET /healthz", lambda: client.get("/healthz")),
                (
                    "POST /api/v1/orders unauthenticated",
                    lambda: client.post("/api/v1/orders", json=order_body(rng, seeded.sku_ids)),
                ),
            ]
            for label, send in floors:
                cpu0 = time.process_time()
                for _ in range(args.orders):
                    await send()
                cpu = time.process_time() - cpu0
                print(f"{args.backend} {label}: {cpu * 1000 / args.orders:.2f} ms CPU each")
            profiler = cProfile.Profile(time.process_time) if args.cprofile else None
            for kind, sku_ids, expected in (
                ("placed order", seeded.sku_ids, 201),
                ("409 insufficient_stock", sold_out.sku_ids + seeded.sku_ids[:1], 409),
            ):
                statements.clear()
                n = args.orders
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                for i in range(n):
                    body = order_body(rng, sku_ids)
                    if expected == 409:
                        body["lines"] = [{"sku_id": sku_ids[0], "quantity": 1}]
                    status = await post(body, seeded.tokens[i % 32])
                    if status != expected:
                        raise SystemExit(f"{kind}: answered {status}")
                if profiler is not None:
                    profiler.disable()
                cpu = time.process_time() - cpu0
                wall = time.perf_counter() - wall0
                print(
                    f"{args.backend} {kind}: {cpu * 1000 / n:.2f} ms CPU, {wall * 1000 / n:.2f} "
                    f"ms wall each; {sum(statements.values()) / n:.1f} SQL statements each "
                    "through SQLAlchemy: "
                    + ", ".join(f"{k} {v / n:g}" for k, v in statements.most_common())
                    # app.core.commit_with sends it on the driver, where no event sees it.
                    + (
                        " (and the reservation, sent with the COMMIT)"
                        if args.backend == "postgresql" and expected == 201
                        else ""
                    ),
                    flush=True,
                )
                if profiler is not None:
                    print_by_package(profiler, n)
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
                    stats.print_stats(args.top)
                    print(out.getvalue())
                    profiler = cProfile.Profile(time.process_time)
        await app.state.database.dispose()


def print_by_package(profiler: cProfile.Profile, requests: int) -> None:
    """Self CPU time per request, summed by the package of each function."""
    by_package: Counter[str] = Counter()
    calls_by_package: Counter[str] = Counter()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        path = filename.replace("\\", "/")
        if "site-packages/" in path:
            package = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/app/" in path:
            package = "app/" + path.split("/app/", 1)[1].split("/", 1)[0]
        elif path.startswith("~") or path.startswith("<"):
            package = "builtins"
        else:
            package = "stdlib:" + Path(path).stem
        by_package[package] += tottime
        calls_by_package[package] += _nc
    calls = sum(entry[1] for entry in stats.values())
    # Calls are counted exactly, whatever the machine's load: the steadiest figure to compare.
    print(f"  Python function calls per request: {calls / requests:,.0f}")
    total = sum(by_package.values())
    print(
        f"  self CPU by package, ms per request (profiled, {total * 1000 / requests:.1f} in all):"
    )
    for package, seconds in by_package.most_common(25):
        made = calls_by_package[package] / requests
        print(f"    {seconds * 1000 / requests:7.2f}  {made:8,.0f} calls  {package}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    args.orders = max(1, min(args.orders, 5000))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
