"""Search benchmark: the embedded backend with 100,000 products, on SQLite and on PostgreSQL.

    uv run python bench/search.py [--products 100000] [--runs 300] [--skip-postgres]
                                  [--skip-sqlite] [--no-gc-freeze] [--keep-postgres]

It generates a deterministic catalogue (real specialty names of 832 counties from
data/reference × counties of the same province × pack sizes × wording), builds the embedded
index on a temporary SQLite file and on a scratch PostgreSQL database on 127.0.0.1 (dropped at
the end unless --keep-postgres), and reports the time to index, then p50/p99 per backend of:

* golden queries: text only, as the listing runs them (with facets);
* filtered queries: filters without text (with facets);
* faceted queries: text + filters + facets.

Targets: p99 ≤ 25 ms on SQLite, ≤ 30 ms on PostgreSQL. On PostgreSQL the table also gives
the database server's CPU per search (its backends' user + system time over each kind's
runs, from /proc), which the shared machine's load does not inflate the way it does wall
time. Each query kind runs a fixed number of times after a warm-up,
cycling through distinct queries (no result is cached anywhere, so every run is a search), so
the script stops by itself; it only talks to this machine. Besides each kind's figures it
prints the worst queries by p99 and the load average before and after (the machines are
shared: a load above the CPU count inflates every figure). It reports and exits 0 whatever
the numbers (1 when PostgreSQL was asked for and cannot be reached).

The garbage collector: the app freezes its heap at start-up (app.main.freeze_start_up_heap),
which takes the pinyin and segmentation dictionaries out of every collection, and again once
warmed up (app.core.memory.HEAP_SETTLES_AFTER_SECONDS). To model it, this script does the same
once the analyzer and the generated catalogue are loaded (the catalogue is the script's own
heap, not the app's: left in the generations, full collections walk it), and again after each
backend's warm-up searches. --no-gc-freeze measures without.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `app` and `search` importable

from app.core import memory  # noqa: E402
from app.core.db import Database  # noqa: E402
from bench.percentiles import percentile  # noqa: E402
from search import Analyzer, ProductDocument, ProductQuery  # noqa: E402
from search.embedded.backend import EmbeddedBackend  # noqa: E402
from search.embedded.schema import create_ddl  # noqa: E402
from search.text import place_short_name  # noqa: E402

REFERENCE = PROJECT_ROOT / "data" / "reference"
POSTGRES_ADMIN_URL = os.environ.get(
    "FENGSHOU_BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SQLITE_TARGET_P99_MS = 25.0
POSTGRES_TARGET_P99_MS = 30.0
WORST_SHOWN = 3
BATCH = 2_000
SEED = 20261128
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)

CATEGORIES = {
    "水果": "fruit",
    "蔬菜": "vegetables",
    "粮油": "grain_oil",
    "茶叶": "tea",
    "肉禽蛋": "meat_eggs",
    "水产": "aquatic",
    "菌菇": "mushrooms",
    "干果坚果": "nuts",
    "中药材": "herbs",
    "调味品": "condiments",
    "蜂产品": "bee_products",
    "酒水饮品": "drinks",
    "手工艺品": "crafts",
    "其他": "other",
}
PACKS = {
    "kg": ["500g/袋", "1kg/袋", "2.5kg/箱", "5kg/箱", "10斤装", "3斤装"],
    "other": ["1件", "1套", "礼盒装", "2件装"],
}
WORDING = ["", "", "新鲜", "当季", "现摘", "特级", "农家", "礼盒装", "产地直发", "精选", "高山"]
DESCRIPTIONS = [
    "{county}{name}，产地直发，{province}脱贫县合作社种植。",
    "来自{prefecture}{county}的{name}，品质上乘，帮扶农户增收。",
    "{name}产自{province}{county}，{wording}包装，冷链发货。",
]
LABELS = [("gi", 0.15), ("green_food", 0.10), ("organic", 0.05)]

GOLDEN = [
    "脐橙",
    "赣南脐橙",
    "枸杞",
    "宁夏 枸杞",
    "马铃薯",
    "土豆",
    "苹果",
    "核桃",
    "黑木耳",
    "木耳",
    "天麻",
    "茶",
    "红茶",
    "普洱茶",
    "牦牛",
    "花椒",
    "辣椒",
    "火腿",
    "蜂蜜",
    "香菇",
    "小米",
    "乌骨鸡",
    "当归",
    "qicheng",
    "gouqi",
    "qichen",
    "tudou",
    "hetao",
]
FILTERED: list[dict[str, Any]] = [
    {},
    {"province": "620000"},
    {"province": "520000", "category": "meat_eggs"},
    {"category": "fruit"},
    {"category": "tea", "label": "gi"},
    {"label": "organic"},
    {"key_assistance": True},
    {"in_stock": True},
    {"min_price_fen": 5_000, "max_price_fen": 8_000},
    {"province": "530000", "in_stock": True, "sort": "price_asc"},
    {"county": "360734"},
    {"category": "herbs", "sort": "newest"},
    {"province": "510000", "key_assistance": True, "category": "grain_oil"},
    {"label": "green_food", "province": "640000"},
    {"sort": "price_desc", "page": 5},
    {"province": "450000", "label": "gi", "min_price_fen": 3_000},
]
FACETED: list[tuple[str, dict[str, Any]]] = [
    ("脐橙", {"province": "360000"}),
    ("枸杞", {"label": "gi"}),
    ("苹果", {"in_stock": True, "sort": "price_asc"}),
    ("马铃薯", {"key_assistance": True}),
    ("茶", {"category": "tea", "label": "organic"}),
    ("核桃", {"province": "530000"}),
    ("qicheng", {"min_price_fen": 4_000}),
    ("木耳", {"category": "mushrooms", "in_stock": True}),
    ("牦牛", {"province": "630000"}),
    ("辣椒", {"sort": "newest"}),
    ("天麻", {"label": "green_food"}),
    ("土豆", {"province": "620000", "in_stock": True}),
    ("蜂蜜", {"key_assistance": False}),
    ("红茶", {"min_price_fen": 10_000, "max_price_fen": 20_000}),
    ("gouqi", {"province": "640000"}),
    ("火腿", {"category": "meat_eggs", "page": 2}),
]


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture: str
    province_code: str
    province: str
    key_assistance: bool


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_counties() -> dict[str, County]:
    names = {row["code"]: row for row in _read("counties.csv")}
    key = {row["code"] for row in _read("key_assistance_counties_160.csv")}
    counties: dict[str, County] = {}
    for row in _read("poverty_counties_832.csv"):
        code = row["source_code"] or row["code"]
        info = names.get(code)
        if info is None:
            continue
        counties[code] = County(
            code,
            info["name"],
            info["prefecture_name"],
            info["province_code"],
            info["province_name"],
            code in key,
        )
    return counties


def generate(count: int) -> tuple[list[ProductDocument], list[str]]:
    """`count` deterministic products, and the place names the app would add to the dictionary."""
    rng = random.Random(SEED)
    counties = load_counties()
    by_province: dict[str, list[County]] = {}
    for county in counties.values():
        by_province.setdefault(county.province_code, []).append(county)
    specialties = [row for row in _read("specialty_products.csv") if row["county_code"] in counties]
    docs: list[ProductDocument] = []
    for product_id in range(1, count + 1):
        row = rng.choice(specialties)
        home = counties[row["county_code"]]
        # Most listings come from the specialty's own county, the rest from its neighbours.
        county = home if rng.random() < 0.6 else rng.choice(by_province[home.province_code])
        unit = row["typical_unit"]
        packs = PACKS["kg"] if ("g" in unit or "斤" in unit) else PACKS["other"]
        pack = rng.choice([unit, *packs])
        wording = rng.choice(WORDING)
        title = " ".join(part for part in (row["product_name"], pack, wording) if part)
        price = int(float(row["typical_price_yuan"]) * 100 * rng.uniform(0.8, 1.6))
        labels: dict[str, date] = {}
        for label, share in LABELS:
            if rng.random() < share:
                labels[label] = TODAY + timedelta(days=rng.randint(-200, 900))
        description = rng.choice(DESCRIPTIONS).format(
            county=county.name,
            name=row["product_name"],
            province=county.province,
            prefecture=county.prefecture,
            wording=wording or "标准",
        )
        docs.append(
            ProductDocument(
                id=product_id,
                title=title,
                description_text=description,
                category=CATEGORIES[row["category"]],
                category_label=row["category"],
                unit=pack,
                cooperative_id=int(county.code),
                cooperative_name=f"{place_short_name(county.name) or county.name}丰收专业合作社",
                county_code=county.code,
                county_name=county.name,
                prefecture_name=county.prefecture,
                province_code=county.province_code,
                province_name=county.province,
                key_assistance=county.key_assistance,
                labels=list(labels),
                label_valid_until=labels,
                min_price_fen=price,
                max_price_fen=price + rng.choice([0, 0, 1_000, 3_000]),
                in_stock=rng.random() < 0.9,
                published_at=NOW - timedelta(minutes=rng.randint(0, 365 * 24 * 60)),
                popularity=rng.randint(0, 1_000),
            )
        )
    places = {c.name for c in counties.values()} | {c.prefecture for c in counties.values()}
    return docs, sorted(places)


# ---------------------------------------------------------------------------------------------


@dataclass
class Timing:
    kind: str
    samples: list[float]  # wall-clock milliseconds
    cpu: list[float]  # CPU milliseconds of this process (all its threads) for the same runs
    # PostgreSQL: its server's CPU milliseconds per search, averaged over the runs.
    server_cpu: float | None = None
    # Wall-clock milliseconds per query, named by its text and filters.
    by_query: dict[str, list[float]] = field(default_factory=dict)


def _queries(kind: str) -> list[ProductQuery]:
    if kind == "golden":
        return [ProductQuery(text=q) for q in GOLDEN]
    if kind == "filtered":
        return [ProductQuery(**filters) for filters in FILTERED]
    return [ProductQuery(text=q, **filters) for q, filters in FACETED]


def describe(query: ProductQuery) -> str:
    """脐橙 province=360000: the text and the filters that differ from a plain query."""
    plain = asdict(ProductQuery())
    changed = [f"{k}={v}" for k, v in asdict(query).items() if k != "text" and v != plain[k]]
    return " ".join([query.text or "-", *changed])


def _rounds(queries: list[ProductQuery], runs: int) -> Iterator[ProductQuery]:
    """`runs` queries, cycling through the list (every query about as often)."""
    for index in range(runs):
        yield queries[index % len(queries)]


async def _floor(database: Database, runs: int) -> Timing:
    """One trivial statement in a read transaction: what any query costs on this machine now
    (on SQLite each statement is a round trip to the driver's thread)."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        async with database.reader() as session:
            await session.execute(text("SELECT 1"))
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return Timing("SELECT 1", wall, cpu)


def _server_cpu_ms(database: str | None) -> float | None:
    """CPU milliseconds used so far by the PostgreSQL backends serving `database` (those on
    this machine, read from /proc); None off PostgreSQL or where /proc cannot tell."""
    if database is None:
        return None
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchall()
        ]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) * 1000 / ticks  # utime + stime
    return total


async def measure(
    database: Database, backend: EmbeddedBackend, runs: int, *, gc_freeze: bool
) -> tuple[list[Timing], dict[str, int]]:
    timings = [await _floor(database, runs)]
    totals: dict[str, int] = {}
    kinds = ("golden", "filtered", "faceted")
    for kind in kinds:
        for query in _queries(kind):  # warm-up: caches, statement compilation
            result = await backend.search(query, TODAY)
            totals[f"{kind}:{query.text or '-'}"] = result.total
    if gc_freeze:
        # A serving process freezes its heap again once warmed up; here that heap also holds
        # what indexing left, which in the app is the worker's.
        memory.freeze_heap()
    for kind in kinds:
        queries = _queries(kind)
        timing = Timing(kind, [], [])
        server_database = database.engine.url.database if database.dialect == "postgresql" else None
        server_before = _server_cpu_ms(server_database)
        for query in _rounds(queries, runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            await backend.search(query, TODAY)
            elapsed = (time.perf_counter() - started) * 1000
            timing.samples.append(elapsed)
            timing.cpu.append((time.process_time() - started_cpu) * 1000)
            timing.by_query.setdefault(describe(query), []).append(elapsed)
        server_after = _server_cpu_ms(server_database)
        if server_before is not None and server_after is not None:
            timing.server_cpu = (server_after - server_before) / runs
        timings.append(timing)
    return timings, totals


async def run_backend(
    name: str,
    url: str,
    docs: list[ProductDocument],
    analyzer: Analyzer,
    arguments: argparse.Namespace,
) -> tuple[float, list[Timing], dict[str, int]]:
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            for statement in create_ddl(database.dialect):
                await conn.execute(text(statement))
        backend = EmbeddedBackend(database.writer, reader=database.reader, analyzer=analyzer)
        await backend.ensure_ready()
        started = time.perf_counter()
        for start in range(0, len(docs), BATCH):
            await backend.index(docs[start : start + BATCH])
        if database.dialect == "postgresql":
            # What autovacuum does within a minute of a bulk load (since PostgreSQL 13 inserts
            # alone set it off): statistics, and the visibility map that lets an index-only
            # scan skip the table. Done here because a server may run with autovacuum off.
            # SQLite gets no ANALYZE: the app never runs one, so the plans measured are the
            # ones it will get.
            async with database.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM (ANALYZE)"))
        indexing = time.perf_counter() - started
        print(f"  {name}: indexed {len(docs):,} products in {indexing:.1f} s", flush=True)
        timings, totals = await measure(
            database, backend, arguments.runs, gc_freeze=arguments.gc_freeze
        )
        return indexing, timings, totals
    finally:
        await database.dispose()


def create_postgres_database() -> tuple[str, str]:
    name = f"fengshou_bench_search_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(results: dict[str, tuple[float, list[Timing]]]) -> None:
    print()
    print(
        f"{'backend':<11} {'queries':<9} {'runs':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'cpu p50':>8} {'cpu p99':>8} {'server cpu':>10}"
    )
    print("-" * 81)
    for name, (_, timings) in results.items():
        for timing in timings:
            print(
                f"{name:<11} {timing.kind:<9} {len(timing.samples):>5}"
                f" {statistics.median(timing.samples):>7.2f} {percentile(timing.samples, 99):>7.2f}"
                f" {max(timing.samples):>7.2f} {statistics.median(timing.cpu):>8.2f}"
                f" {percentile(timing.cpu, 99):>8.2f}"
                + (f" {timing.server_cpu:>10.2f}" if timing.server_cpu is not None else "")
            )
    print()
    print("worst queries by p99 (wall ms; each ran runs ÷ queries of its kind times):")
    for name, (_, timings) in results.items():
        for timing in timings:
            slowest = sorted(
                timing.by_query.items(),
                key=lambda item: -percentile(item[1], 99),
            )[:WORST_SHOWN]
            for label, samples in slowest:
                print(
                    f"  {name:<11} {timing.kind:<9} p50 {statistics.median(samples):7.2f}"
                    f"  p99 {percentile(samples, 99):7.2f}  {label}"
                )
    print()
    for name, (indexing, _) in results.items():
        print(f"time to index on {name}: {indexing:.1f} s")
    print(f"load average (1, 5, 15 min) at the end: {load_average()} on {os.cpu_count()} CPUs")
    for name, target in (("sqlite", SQLITE_TARGET_P99_MS), ("postgresql", POSTGRES_TARGET_P99_MS)):
        if name in results:
            searches = [t for t in results[name][1] if t.kind != "SELECT 1"]
            worst = max(percentile(t.samples, 99) for t in searches)
            verdict = "meets" if worst <= target else "MISSES"
            print(f"{name} worst p99 {worst:.2f} ms {verdict} the target of {target} ms")


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


async def main(arguments: argparse.Namespace) -> int:
    print(f"load average (1, 5, 15 min) at the start: {load_average()}", flush=True)
    print(f"generating {arguments.products:,} products …", flush=True)
    started = time.perf_counter()
    docs, places = generate(arguments.products)
    analyzer = Analyzer()
    analyzer.add_place_names(places)
    print(f"  done in {time.perf_counter() - started:.1f} s; e.g. {docs[0].title!r}", flush=True)
    if arguments.gc_freeze:
        memory.freeze_heap()
        print(f"  gc.freeze(): {gc.get_freeze_count():,} objects out of the collections")
    results: dict[str, tuple[float, list[Timing]]] = {}
    if not arguments.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="fengshou-search-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'search.sqlite3'}"
            run = await run_backend("sqlite", url, docs, analyzer, arguments)
            results["sqlite"] = (run[0], run[1])
    if not arguments.skip_postgres:
        try:
            name, url = create_postgres_database()
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL at {POSTGRES_ADMIN_URL} cannot be reached: {exc}", file=sys.stderr)
            report(results)
            return 1
        try:
            run = await run_backend("postgresql", url, docs, analyzer, arguments)
            results["postgresql"] = (run[0], run[1])
        finally:
            if arguments.keep_postgres:
                print(f"kept the PostgreSQL database {name}: drop it when done", flush=True)
            else:
                drop_postgres_database(name)
    report(results)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=300, help="searches per query kind")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--keep-postgres",
        action="store_true",
        help="leave the scratch PostgreSQL database for EXPLAIN (its name is printed)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="leave the loaded heap in the collector's generations (the app freezes it)",
    )
    arguments = parser.parse_args()
    if not 1 <= arguments.products <= 1_000_000 or not 1 <= arguments.runs <= 100_000:
        parser.error("--products must be 1..1,000,000 and --runs 1..100,000")
    return arguments


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_arguments())))
