"""Catalog benchmark: the product listing (JSON and HTML) against a floor of the same size.

    uv run python bench/catalog.py [--products 320] [--requests 2000] [--concurrency 8]
                                   [--warmup 200] [--rounds 5]
                                   [--database-url postgresql+psycopg://postgres@127.0.0.1/bench]

It builds a database with the demo catalog (a temporary SQLite file unless --database-url
names another; that one is migrated and seeded in place, idempotently), serves the real app
with uvicorn in a subprocess on 127.0.0.1 (one worker), and measures with a bounded number of
concurrent httpx requests, after a warm-up:

* GET /api/v1/products?per_page=24 (the listing with its facets) and its JSON floor;
* GET /products (the storefront page) and its HTML floor.

The four targets take turns (--rounds times, each measuring its share of --requests), so a
route and its floor see the same machine even when other work drifts its load; the report
gives each ratio over all rounds and its range from round to round, and the load average.

A floor (bench/floor_app.py) answers from the same server process with a precomputed body of
the measured response's size, so `route req/s ÷ floor req/s` is the share of the server's
capacity left once the route does its work. Targets: ≥ 0.6 for JSON, ≥ 0.5 for HTML. The
script reports; it exits 0 whatever the numbers (1 only if the server cannot be started).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `app` and `bench` importable

from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.core.db import Database, unit_of_work  # noqa: E402
from app.core.storage import LocalMediaStorage  # noqa: E402
from app.demo import seed_demo_catalog  # noqa: E402
from bench import serving  # noqa: E402
from bench.floor_app import (  # noqa: E402
    FLOOR_HTML_PATH,
    FLOOR_JSON_PATH,
    HTML_BODY_ENV,
    JSON_BODY_ENV,
)
from bench.percentiles import percentile  # noqa: E402

API_PATH = "/api/v1/products?per_page=24"
PAGE_PATH = "/products"
TARGETS = {"json": 0.6, "html": 0.5}
START_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Measurement:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    body_bytes: int
    round_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, percent: int) -> float:
        """The latency (ms) below which `percent` % of the requests finished."""
        return percentile(self.latencies, percent) * 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=320, help="demo products (default 320)")
    parser.add_argument(
        "--requests", type=int, default=2000, help="measured requests per target (default 2000)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--warmup", type=int, default=200, help="unmeasured requests per target first"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="the targets take turns this many times, each with its share (default 5)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="database to build and serve (default: a temporary SQLite file)",
    )
    args = parser.parse_args(argv)
    for name in ("products", "requests", "concurrency", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def bench_settings(database_url: str, var_dir: Path) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        var_dir=var_dir,
        worker_in_process=False,
        redis_url=None,
        smtp_host=None,
    )


async def build_database(settings: Settings, products: int) -> str:
    """Load the region reference data and seed the demo catalog; returns the seeding report."""
    from app.regions.service import load_reference_data

    database = Database(settings.database_url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        media = LocalMediaStorage(settings.media_dir)
        report = await seed_demo_catalog(database, media, products=products)
        return str(report)
    finally:
        await database.dispose()


async def reference_bodies(settings: Settings) -> tuple[bytes, bytes]:
    """The measured responses, rendered in-process: the floors answer with bodies this size."""
    from app.main import create_app

    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            api = await client.get(API_PATH)
            page = await client.get(PAGE_PATH)
    finally:
        await app.state.http.aclose()
        await app.state.database.dispose()
    for response in (api, page):
        if response.status_code != 200:
            raise SystemExit(
                f"{response.request.url.path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
    return api.content, page.content


@contextmanager
def serve(settings: Settings, json_file: Path, html_file: Path) -> Iterator[str]:
    """uvicorn with the floor app in a subprocess (bench/serving.py); stopped on exit."""
    env = {
        "FENGSHOU_ENVIRONMENT": "development",
        "FENGSHOU_DATABASE_URL": settings.database_url,
        "FENGSHOU_VAR_DIR": str(settings.var_dir),
        "FENGSHOU_WORKER_IN_PROCESS": "false",
        JSON_BODY_ENV: str(json_file),
        HTML_BODY_ENV: str(html_file),
    }
    try:
        with serving.served(
            "bench.floor_app:create_floor_app", env, start_within_seconds=START_TIMEOUT_SECONDS
        ) as (base_url, _process):
            yield base_url
    except serving.ServerDidNotStart as exc:
        raise SystemExit(f"the server did not start: {exc}") from exc


async def measure(
    client: httpx.AsyncClient, label: str, path: str, requests: int, concurrency: int
) -> Measurement:
    """`requests` GETs of `path` by `concurrency` clients sharing one bounded counter."""
    remaining = iter(range(requests))
    latencies: list[float] = []
    errors = 0
    size = 0

    async def client_loop() -> None:
        nonlocal errors, size
        for _ in remaining:  # shared: the clients stop together after `requests` in all
            started = time.perf_counter()
            try:
                response = await client.get(path)
                ok = response.status_code == 200
                size = len(response.content)
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return Measurement(label, requests, errors, time.perf_counter() - started, latencies, size)


async def run_load(base_url: str, args: argparse.Namespace) -> list[Measurement]:
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=64)
    targets = [
        (f"GET {API_PATH}", API_PATH),
        ("  floor: JSON of the same size", FLOOR_JSON_PATH),
        (f"GET {PAGE_PATH}", PAGE_PATH),
        ("  floor: HTML of the same size", FLOOR_HTML_PATH),
    ]
    # The targets take turns, `rounds` times, each measuring its share of the requests: on a
    # shared machine the load drifts, and a route and its floor measured minutes apart would
    # see different machines. Each target's figures are the sum of its rounds.
    rounds: list[list[Measurement]] = [[] for _ in targets]
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:
        if args.warmup:
            for label, path in targets:
                await measure(client, label, path, args.warmup, args.concurrency)
        for turn in range(args.rounds):
            share = args.requests // args.rounds + (turn < args.requests % args.rounds)
            for index, (label, path) in enumerate(targets):
                if share:
                    rounds[index].append(
                        await measure(client, label, path, share, args.concurrency)
                    )
    return [combine(measured) for measured in rounds]


def combine(measured: list[Measurement]) -> Measurement:
    """One target's rounds as one measurement (requests, time and latencies summed)."""
    return Measurement(
        label=measured[0].label,
        requests=sum(m.requests for m in measured),
        errors=sum(m.errors for m in measured),
        seconds=sum(m.seconds for m in measured),
        latencies=[latency for m in measured for latency in m.latencies],
        body_bytes=measured[-1].body_bytes,
        round_rps=[m.rps for m in measured],
    )


def report(results: list[Measurement]) -> str:
    header = f"{'target':<36} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} "
    header += f"{'p99 ms':>8} {'bytes':>8}"
    lines = [header, "-" * len(header)]
    for m in results:
        lines.append(
            f"{m.label:<36} {m.requests:>8} {m.errors:>6} {m.rps:>9.1f} "
            f"{m.percentile(50):>8.1f} {m.percentile(99):>8.1f} {m.body_bytes:>8}"
        )
    lines.append("")
    api, json_floor, page, html_floor = results
    for kind, real, floor in (("json", api, json_floor), ("html", page, html_floor)):
        ratio = real.rps / floor.rps if floor.rps else 0.0
        verdict = "meets the target" if ratio >= TARGETS[kind] else "BELOW the target"
        turns = [r / f for r, f in zip(real.round_rps, floor.round_rps, strict=True) if f]
        spread = f"; by round {min(turns):.2f}–{max(turns):.2f}" if len(turns) > 1 else ""
        lines.append(
            f"ratio {kind.upper()}: {ratio:.2f} of the floor (target ≥ {TARGETS[kind]:.1f}): "
            f"{verdict}{spread}"
        )
    mean = statistics.fmean(m.rps for m in results)
    lines.append(f"(mean over the four targets: {mean:.0f} req/s)")
    # The machine may be shared: absolute figures mean little under load, ratios more.
    one, five, fifteen = os.getloadavg()
    lines.append(f"load average: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="fengshou-bench-"))
    try:
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        settings = bench_settings(url, workdir / "var")
        backend = url.split(":", 1)[0]
        print(f"database: {backend}; building with {args.products} demo products …", flush=True)
        upgrade_database(settings)
        print(asyncio.run(build_database(settings, args.products)), flush=True)
        json_body, html_body = asyncio.run(reference_bodies(settings))
        json_file, html_file = workdir / "floor.json", workdir / "floor.html"
        json_file.write_bytes(json_body)
        html_file.write_bytes(html_body)
        with serve(settings, json_file, html_file) as base_url:
            print(
                f"server: uvicorn, 1 worker, {base_url}; load: {args.concurrency} concurrent "
                f"clients, {args.requests} requests per target after {args.warmup} warm-up",
                flush=True,
            )
            results = asyncio.run(run_load(base_url, args))
        print()
        print(report(results))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
