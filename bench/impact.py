"""Benchmark: impact reports over 1 million (or 10 million) benefit-ledger entries.

For each backend a scratch database (a temporary SQLite file, or a PostgreSQL database on
127.0.0.1 that is dropped afterwards) is migrated and loaded with the reference regions, a few
thousand suppliers in the 832 counties, organisations, designated pairings and a user; then the
ledger is bulk-loaded (COPY on PostgreSQL, one executemany transaction on SQLite): orders of one
to three lines spread over two reporting years (most consumers in the eastern helper
provinces), one line in twenty refunded in part, each entry
attributed to its pairings by the application's own rule (app.impact.attribution), and the
rollups built from the loaded ledger by one INSERT … SELECT per rollup table. Foreign keys are
not checked during the load (order and line ids are synthetic: no order rows), nothing else is
skipped. Then every report endpoint is called through the real app served by uvicorn on
127.0.0.1 (or in-process through httpx ASGITransport, --server inprocess), one request at a
time with varied parameters, and p50/p99 per endpoint are printed, with the endpoint's first request
and the requests whose parameters had not been asked before (the app caches reports until the
ledger changes, so those show what computing a report costs, the others mostly what answering
from its cache costs).

Bounded (at most 20 million entries and 2000 requests per endpoint), loopback only; it stops by
itself and removes its databases.

    uv run python bench/impact.py [--entries 1000000] [--backends sqlite,postgresql]
                                  [--requests 200] [--server uvicorn|inprocess] [--keep]
    uv run python bench/impact.py --backends postgresql --database NAME   (a kept database)

--freeze-gc moves the objects the app makes at import (about 400 000, the pinyin dictionaries
above all) out of the garbage collector's generations in the served process; without it, a
full collection stalls a request for 150–250 ms about once per 60 requests of the largest
reports, and that, not the database, is what their p99 shows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, DropIndex

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.account.models import Role, RoleAssignment, User  # noqa: E402
from app.account.sessions import issue_api_token  # noqa: E402
from app.catalog.models import Product, ProductStatus  # noqa: E402
from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus  # noqa: E402
from app.core.clock import CHINA_TZ  # noqa: E402
from app.core.db import Base, Database, unit_of_work  # noqa: E402
from app.impact.attribution import Buyer, PairingIndex  # noqa: E402
from app.impact.models import EntryPairing, LedgerEntry  # noqa: E402
from app.impact.rollups import ROLLUPS  # noqa: E402
from app.organization.models import (  # noqa: E402
    Organization,
    OrganizationKind,
    OrganizationStatus,
    ReservedShareTarget,
)
from app.regions.models import (  # noqa: E402
    AreaKind,
    County,
    HelperKind,
    Pairing,
    PairingArea,
    PairingKind,
    Province,
)
from bench import serving  # noqa: E402
from bench.percentiles import percentile  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "FENGSHOU_BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (a scratch key)
YEARS = (2025, 2026)
MAX_ENTRIES = 20_000_000
COOPERATIVES = 3000
ORGANIZATIONS = 1000
DESIGNATED = 400
BATCH = 200_000
FREEZE_GC_ENV = "FENGSHOU_BENCH_FREEZE_GC"
HELPER_PROVINCES = ("110000", "120000", "310000", "320000", "330000", "350000", "370000", "440000")

ENTRY_COLUMNS = (
    "id",
    "kind",
    "occurred_at",
    "period_year",
    "period_month",
    "order_id",
    "order_line_id",
    "refund_id",
    "quantity",
    "amount_fen",
    "buyer_kind",
    "buyer_organization_id",
    "buyer_province_code",
    "origin_county_code",
    "origin_province_code",
    "cooperative_id",
    "product_id",
    "recorded_at",
)
# Each rollup column, as an expression over a ledger entry `e` and its attribution `ep`.
ROLLUP_EXPRESSIONS = {
    "year": "e.period_year",
    "month": "e.period_month",
    "pairing_id": "ep.pairing_id",
    "county_code": "e.origin_county_code",
    "province_code": "e.origin_province_code",
    "cooperative_id": "e.cooperative_id",
    "organization_id": "e.buyer_organization_id",
    "buyer_kind": "e.buyer_kind",
    "buyer_province_code": "e.buyer_province_code",
}


def create_bench_app(settings: Settings | None = None) -> FastAPI:
    """The real app (the uvicorn factory: settings from FENGSHOU_* variables)."""
    from app.main import create_app

    application = create_app(settings)
    if os.environ.get(FREEZE_GC_ENV) == "1":
        # What app/main.py could do at start-up: the ~400 000 objects made by imports (the
        # pinyin dictionaries above all) leave the collector's generations, so that a full
        # collection no longer stalls a request for 150–250 ms.
        gc.collect()
        gc.freeze()
    return application


@contextlib.contextmanager
def scratch_database(backend: str, workdir: Path, *, keep: bool = False) -> Iterator[str]:
    """A fresh database URL; a PostgreSQL one is dropped afterwards (unless `keep`, to study
    query plans: then its name is printed, and dropping it is yours to do)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench-impact.sqlite3'}"
        return
    name = f"fengshou_bench_impact_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        yield f"{base}/{name}"
    finally:
        if keep:
            print(f"kept PostgreSQL database {name}", flush=True)
        else:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# The world: suppliers, organisations, designated pairings, an operator


@dataclass
class World:
    counties: list[County]
    provinces: list[str]
    cooperatives: list[tuple[int, int, str]]  # (cooperative id, product id, county code)
    organizations: list[tuple[int, str, str]]  # (id, province, kind)
    index: PairingIndex
    operator_token: str
    county_by_code: dict[str, County] = field(default_factory=dict)


async def seed_world(url: str, rng: random.Random) -> World:
    from app.regions.service import load_reference_data

    database = Database(url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        async with unit_of_work(database.writer) as session:
            counties = list(
                await session.scalars(
                    select(County).where(County.poverty_lifted.is_(True)).order_by(County.code)
                )
            )
            provinces = list(await session.scalars(select(Province.code).order_by(Province.code)))
            coops = [
                Cooperative(
                    name=f"基准合作社{i + 1}",
                    kind=SupplierKind.COOPERATIVE,
                    credit_code=("93" + uuid.uuid4().hex.upper())[:18],
                    county_code=counties[i % len(counties)].code,
                    contact_name="王芳",
                    contact_phone="13800000000",
                    households_supported=rng.randint(5, 500),
                    status=SupplierStatus.VERIFIED,
                )
                for i in range(COOPERATIVES)
            ]
            session.add_all(coops)
            await session.flush()
            products = [
                Product(
                    cooperative_id=c.id,
                    slug=f"bench-impact-{c.id}",
                    title=f"基准特产{c.id}",
                    category_code="fruit",
                    unit="500g/盒",
                    status=ProductStatus.ACTIVE,
                )
                for c in coops
            ]
            session.add_all(products)
            await session.flush()
            city_districts = [
                code
                for code in await session.scalars(
                    select(County.code).where(County.poverty_lifted.is_(False))
                )
            ]
            kinds = [k for k in OrganizationKind]
            orgs = []
            for i in range(ORGANIZATIONS):
                region = rng.choice(city_districts)
                orgs.append(
                    Organization(
                        name=f"基准单位食堂{i + 1}",
                        credit_code=("11" + uuid.uuid4().hex.upper())[:18],
                        kind=kinds[i % len(kinds)],
                        region_code=region,
                        province_code=region[:2] + "0000",
                        status=OrganizationStatus.VERIFIED,
                    )
                )
            session.add_all(orgs)
            await session.flush()
            for org in orgs:
                for year in YEARS:
                    session.add(
                        ReservedShareTarget(
                            organization_id=org.id,
                            year=year,
                            canteen_budget_fen=rng.randint(1_000_000, 500_000_000),
                            reserved_share_bp=rng.choice((1000, 1500, 2000)),
                        )
                    )
            for _ in range(DESIGNATED):
                org = rng.choice(orgs)
                county = rng.choice(counties)
                session.add(
                    Pairing(
                        kind=PairingKind.DESIGNATED,
                        helper_kind=HelperKind.ORGANIZATION,
                        helper_organization_id=org.id,
                        helper_area=org.name,
                        helped_province_code=county.province_code,
                        areas=[PairingArea(area_kind=AreaKind.COUNTY, code=county.code)],
                    )
                )
            operator = User(
                email=f"bench-operator-{uuid.uuid4().hex[:6]}@example.com",
                password_hash="bench-no-password",  # noqa: S106  (tokens are issued directly)
                display_name="基准运营",
                is_active=True,
            )
            session.add(operator)
            await session.flush()
            session.add(RoleAssignment(user_id=operator.id, role=Role.OPERATOR))
            await session.flush()
            from app.impact import repository

            pairings = await repository.pairings_helping_provinces(session, None)
            # The bench memoises attribution per (county, buyer): check that no pairing starts
            # or ends inside the benchmark's years, where the date would matter.
            first, last = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
            assert all(
                (p.since is None or p.since <= first) and (p.until is None or p.until >= last)
                for p in pairings
            ), "a pairing changes inside the benchmark's years"
            world = World(
                counties=counties,
                provinces=provinces,
                cooperatives=[
                    (c.id, p.id, c.county_code) for c, p in zip(coops, products, strict=True)
                ],
                organizations=[(o.id, o.province_code, o.kind.value) for o in orgs],
                index=PairingIndex(pairings),
                operator_token=(
                    await issue_api_token(session, operator, ttl_seconds=24 * 3600, name="bench")
                ).secret,
            )
            world.county_by_code = {c.code: c for c in counties}
            return world
    finally:
        await database.dispose()


# ---------------------------------------------------------------------------------------------
# Generating the ledger


@dataclass
class Generated:
    entries: int = 0
    attributions: int = 0


def generate(
    world: World,
    entries: int,
    rng: random.Random,
    write_entries: Callable[[list[tuple[Any, ...]]], None],
    write_attributions: Callable[[list[tuple[int, int, int]]], None],
) -> Generated:
    """Orders of 1–3 lines over YEARS; one line in twenty refunded in part a few weeks later."""
    done = Generated()
    start = datetime(YEARS[0], 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    span = (datetime(YEARS[-1] + 1, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC) - start).total_seconds()
    memo: dict[tuple[str, str, int | None], tuple[int, ...]] = {}
    entry_rows: list[tuple[Any, ...]] = []
    attribution_rows: list[tuple[int, int, int]] = []
    order_id = line_id = refund_id = 0
    now = datetime.now(UTC)
    on = date(YEARS[0], 6, 1)
    while done.entries < entries:
        order_id += 1
        if rng.random() < 0.3:
            organization, buyer_province, kind = rng.choice(world.organizations)
        else:
            # Most consumers live in the eastern provinces that help others (东部).
            provinces = HELPER_PROVINCES if rng.random() < 0.6 else world.provinces
            organization, buyer_province, kind = None, rng.choice(provinces), "consumer"
        paid_at = start + timedelta(seconds=rng.random() * span * 0.97)
        local = paid_at.astimezone(CHINA_TZ)
        for _ in range(rng.choice((1, 1, 2, 3))):
            if done.entries >= entries:
                break
            line_id += 1
            cooperative, product, county_code = rng.choice(world.cooperatives)
            county = world.county_by_code[county_code]
            key = (county_code, buyer_province, organization)
            pairings = memo.get(key)
            if pairings is None:
                pairings = memo[key] = world.index.pairing_ids(
                    county, Buyer(buyer_province, organization), on
                )
            quantity = rng.randint(1, 20)
            price = rng.randint(100, 20_000)
            rows: list[tuple[str, datetime, datetime, int | None, int, int]] = [
                ("sale", paid_at, local, None, quantity, quantity * price)
            ]
            if rng.random() < 0.05 and done.entries + 2 <= entries:
                refund_id += 1
                back = rng.randint(1, quantity)
                refunded_at = paid_at + timedelta(days=rng.randint(1, 30))
                rows.append(
                    (
                        "refund",
                        refunded_at,
                        refunded_at.astimezone(CHINA_TZ),
                        refund_id,
                        -back,
                        -back * price,
                    )
                )
            for entry_kind, at, at_local, refund, q, amount in rows:
                done.entries += 1
                entry_rows.append(
                    (
                        done.entries,
                        entry_kind,
                        at,
                        at_local.year,
                        at_local.month,
                        order_id,
                        line_id,
                        refund,
                        q,
                        amount,
                        kind,
                        organization,
                        buyer_province,
                        county_code,
                        county.province_code,
                        cooperative,
                        product,
                        now,
                    )
                )
                for pairing_id in pairings:
                    attribution_rows.append((done.entries, pairing_id, amount))
            if len(entry_rows) >= BATCH:
                write_entries(entry_rows)
                write_attributions(attribution_rows)
                done.attributions += len(attribution_rows)
                entry_rows, attribution_rows = [], []
    write_entries(entry_rows)
    write_attributions(attribution_rows)
    done.attributions += len(attribution_rows)
    return done


def rollup_statements() -> list[str]:
    """INSERT … SELECT per rollup table, from the loaded ledger (same groups as the writer)."""
    statements = []
    for spec in ROLLUPS:
        exprs = [ROLLUP_EXPRESSIONS[c] for c in spec.columns]
        joins = (
            " JOIN impact_entry_pairings ep ON ep.entry_id = e.id"
            if "pairing_id" in spec.columns
            else ""
        )
        where = (
            " WHERE e.buyer_organization_id IS NOT NULL"
            if "organization_id" in spec.columns
            else ""
        )
        statements.append(
            f"INSERT INTO {spec.table} ({', '.join(spec.columns)}, amount_fen, order_count) "  # noqa: S608
            f"SELECT {', '.join(exprs)}, SUM(e.amount_fen), "
            "COUNT(DISTINCT CASE WHEN e.kind = 'sale' THEN e.order_id END) "
            f"FROM impact_ledger_entries e{joins}{where} GROUP BY {', '.join(exprs)}"
        )
    return statements


def _index_ddl(dialect: Any) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements of the ledger's secondary indexes (rebuilt after the load)."""
    drops, creates = [], []
    for model in (LedgerEntry, EntryPairing):
        table = Base.metadata.tables[str(model.__tablename__)]
        for index in table.indexes:
            drops.append(str(DropIndex(index).compile(dialect=dialect)))
            creates.append(str(CreateIndex(index).compile(dialect=dialect)))
    return drops, creates


def load_postgresql(url: str, world: World, entries: int, rng: random.Random) -> Generated:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    drops, creates = _index_ddl(pg_dialect.dialect())  # type: ignore[no-untyped-call]
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK checks for the load
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        for statement in drops:
            conn.execute(statement)
        entry_copy = f"COPY impact_ledger_entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
        pairing_copy = "COPY impact_entry_pairings (entry_id, pairing_id, amount_fen) FROM STDIN"

        def write_entries(rows: list[tuple[Any, ...]]) -> None:
            with conn.cursor().copy(entry_copy) as copy:
                for row in rows:
                    copy.write_row(row)

        def write_attributions(rows: list[tuple[int, int, int]]) -> None:
            with conn.cursor().copy(pairing_copy) as copy:
                for row in rows:
                    copy.write_row(row)

        generated = generate(world, entries, rng, write_entries, write_attributions)
        for statement in creates:
            conn.execute(statement)
        for statement in rollup_statements():
            conn.execute(statement)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('impact_ledger_entries', 'id'), "
            "(SELECT max(id) FROM impact_ledger_entries))"
        )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return generated


def load_sqlite(url: str, world: World, entries: int, rng: random.Random) -> Generated:
    path = url.split(":///", 1)[1]
    drops, creates = _index_ddl(sqlite_dialect.dialect())
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")  # synthetic order ids: no order rows
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for statement in drops:
            conn.execute(statement)
        placeholders = ", ".join("?" for _ in ENTRY_COLUMNS)
        entry_insert = (
            f"INSERT INTO impact_ledger_entries ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608
            f"VALUES ({placeholders})"
        )

        def iso(value: Any) -> Any:
            # The format SQLAlchemy's SQLite DateTime stores (naive UTC).
            if isinstance(value, datetime):
                return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
            return value

        def write_entries(rows: list[tuple[Any, ...]]) -> None:
            conn.executemany(entry_insert, ([iso(v) for v in row] for row in rows))

        def write_attributions(rows: list[tuple[int, int, int]]) -> None:
            conn.executemany(
                "INSERT INTO impact_entry_pairings (entry_id, pairing_id, amount_fen) "
                "VALUES (?, ?, ?)",
                rows,
            )

        generated = generate(world, entries, rng, write_entries, write_attributions)
        for statement in creates:
            conn.execute(statement)
        for statement in rollup_statements():
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return generated


# ---------------------------------------------------------------------------------------------
# Measuring


@contextlib.asynccontextmanager
async def serve(url: str, workdir: Path, *, freeze_gc: bool = False) -> AsyncIterator[str]:
    """The real app served by uvicorn on 127.0.0.1 (bench/serving.py), on this database."""
    env = {
        "FENGSHOU_DATABASE_URL": url,
        "FENGSHOU_SECRET_KEY": SECRET,
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_VAR_DIR": str(workdir / "var"),
        "FENGSHOU_WORKER_IN_PROCESS": "false",
        FREEZE_GC_ENV: "1" if freeze_gc else "0",
    }
    async with serving.serve("bench.impact:create_bench_app", env) as base:
        yield base


@dataclass
class Timing:
    endpoint: str
    latencies: list[float]
    statuses: dict[int, int]
    # The endpoint's very first request (cold: nothing of it cached yet in the served process).
    first: float = 0.0
    # Requests whose parameters had not been asked before (warm-up included): the server's
    # report cache cannot have answered them, so they show the cost of computing a report.
    uncached: list[float] = field(default_factory=list)


async def measure(
    client: httpx.AsyncClient, world: World, requests: int, rng: random.Random
) -> list[Timing]:
    """Each endpoint `requests` times, one request at a time, after a warm-up."""
    headers = {"Authorization": f"Bearer {world.operator_token}"}
    sold_counties = sorted({code for _, _, code in world.cooperatives})
    endpoints: list[tuple[str, Callable[[], tuple[str, dict[str, Any]]]]] = [
        (
            "GET /api/v1/impact/summary",
            lambda: ("/api/v1/impact/summary", {"year": rng.choice(YEARS)}),
        ),
        (
            "GET /api/v1/impact/pairings",
            lambda: ("/api/v1/impact/pairings", {"year": rng.choice(YEARS)}),
        ),
        (
            "GET /api/v1/impact/pairings?kind=",
            lambda: (
                "/api/v1/impact/pairings",
                {
                    "year": rng.choice(YEARS),
                    "kind": rng.choice(("east_west", "counterpart_support", "designated")),
                },
            ),
        ),
        (
            "GET /api/v1/impact/counties/{code}",
            lambda: (
                f"/api/v1/impact/counties/{rng.choice(sold_counties)}",
                {"year": rng.choice(YEARS)},
            ),
        ),
        (
            "GET /api/v1/impact/organizations/{id}",
            lambda: (
                f"/api/v1/impact/organizations/{rng.choice(world.organizations)[0]}",
                {"year": rng.choice(YEARS)},
            ),
        ),
        (
            "GET /api/v1/impact/pairings.csv",
            lambda: ("/api/v1/impact/pairings.csv", {"year": rng.choice(YEARS)}),
        ),
        (
            "GET /api/v1/impact/pairings.xlsx",
            lambda: ("/api/v1/impact/pairings.xlsx", {"year": rng.choice(YEARS)}),
        ),
        ("GET /impact (page)", lambda: ("/impact", {"year": rng.choice(YEARS)})),
    ]
    Call = Callable[[], tuple[str, dict[str, Any]]]

    async def call(make: Call, timing: Timing, seen: set[Any]) -> tuple[float, int]:
        path, params = make()
        key = (path, tuple(sorted(params.items())))
        began = time.perf_counter()
        response = await client.get(path, params=params, headers=headers)
        took = time.perf_counter() - began
        if not seen:
            timing.first = took
        if key not in seen:
            seen.add(key)
            timing.uncached.append(took)
        return took, response.status_code

    timings = []
    for name, make in endpoints:
        seen: set[Any] = set()
        timing = Timing(name, [], {})
        for _ in range(min(20, requests)):  # warm up: pool, plans (and the report cache)
            await call(make, timing, seen)
        for _ in range(requests):
            took, status = await call(make, timing, seen)
            timing.latencies.append(took)
            timing.statuses[status] = timing.statuses.get(status, 0) + 1
        timings.append(timing)
    return timings


async def measure_served(
    url: str,
    workdir: Path,
    settings: Settings,
    world: World,
    args: argparse.Namespace,
    rng: random.Random,
) -> list[Timing]:
    """Through uvicorn over loopback (the default), or in this process (ASGITransport)."""
    if args.server == "uvicorn":
        async with (
            serve(url, workdir, freeze_gc=args.freeze_gc) as base,
            httpx.AsyncClient(base_url=base, timeout=60.0) as client,
        ):
            return await measure(client, world, args.requests, rng)
    app = create_bench_app(settings)
    if args.freeze_gc:
        gc.collect()
        gc.freeze()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await measure(client, world, args.requests, rng)
    finally:
        await app.state.http.aclose()
        await app.state.database.dispose()


async def read_world(url: str) -> tuple[World, int]:
    """The world of a database a previous run kept, and its number of ledger entries."""
    from app.impact import repository

    database = Database(url)
    try:
        # The writer: the operator's API token for the run is stored.
        async with unit_of_work(database.writer) as session:
            operator = await session.scalar(
                select(User)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(RoleAssignment.role == Role.OPERATOR)
                .limit(1)
            )
            assert operator is not None, "the kept database has no operator"
            coops = (
                await session.execute(
                    select(Cooperative.id, Product.id, Cooperative.county_code).join(
                        Product, Product.cooperative_id == Cooperative.id
                    )
                )
            ).all()
            orgs = (
                await session.execute(
                    select(Organization.id, Organization.province_code, Organization.kind)
                )
            ).all()
            entries = await session.scalar(select(func.max(LedgerEntry.id)))
            world = World(
                counties=[],
                provinces=[],
                cooperatives=[(c, p, county) for c, p, county in coops],
                organizations=[(o, province, str(kind)) for o, province, kind in orgs],
                index=PairingIndex(await repository.pairings_helping_provinces(session, None)),
                operator_token=(
                    await issue_api_token(session, operator, ttl_seconds=24 * 3600, name="bench")
                ).secret,
            )
            return world, int(entries or 0)
    finally:
        await database.dispose()


async def run_backend(
    backend: str, args: argparse.Namespace
) -> tuple[str, float, Generated, list[Timing]]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="fengshou-bench-impact-") as tmp:
        workdir = Path(tmp)
        if args.database:
            # Measure again a PostgreSQL database kept by an earlier run (--keep).
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
                "postgresql://", "postgresql+psycopg://"
            )
            url = f"{base}/{args.database}"
            settings = Settings(
                environment="test", database_url=url, secret_key=SECRET, var_dir=workdir / "var"
            )
            world, entries = await read_world(url)
            before = os.getloadavg()[0]
            timings = await measure_served(url, workdir, settings, world, args, rng)
            print(
                f"{backend}: load average {before:.1f} before the requests, "
                f"{os.getloadavg()[0]:.1f} after (this machine has {os.cpu_count()} CPUs)",
                flush=True,
            )
            return backend, 0.0, Generated(entries=entries), timings
        with scratch_database(backend, workdir, keep=args.keep) as url:
            settings = Settings(
                environment="test",
                database_url=url,
                secret_key=SECRET,
                var_dir=workdir / "var",
                worker_in_process=False,
                redis_url=None,
                smtp_host=None,
            )
            await asyncio.to_thread(upgrade_database, settings)
            world = await seed_world(url, rng)
            began = time.perf_counter()
            loader = load_postgresql if backend == "postgresql" else load_sqlite
            generated = await asyncio.to_thread(loader, url, world, args.entries, rng)
            load_s = time.perf_counter() - began
            print(
                f"{backend}: loaded {generated.entries:,} entries, {generated.attributions:,} "
                f"attributions and the rollups in {load_s:.0f} s",
                flush=True,
            )
            before = os.getloadavg()[0]
            timings = await measure_served(url, workdir, settings, world, args, rng)
            print(
                f"{backend}: load average {before:.1f} before the requests, "
                f"{os.getloadavg()[0]:.1f} after (this machine has {os.cpu_count()} CPUs)",
                flush=True,
            )
    return backend, load_s, generated, timings


def report(backend: str, generated: Generated, timings: list[Timing]) -> str:
    lines = [
        f"{backend} — {generated.entries:,} ledger entries",
        "  first: the endpoint's first request; uncached: requests with parameters not asked "
        "before (n, p50, max);",
        "  p50/p99/max: the measured requests after the warm-up, cached or not",
        f"  {'endpoint':<38} {'first':>6} {'uncached n/p50/max':>19} {'n':>5} {'p50':>6} "
        f"{'p99':>6} {'max':>6}  statuses (ms)",
    ]
    for t in timings:
        uncached = (
            f"{len(t.uncached)}/{percentile(t.uncached, 50) * 1000:.1f}/"
            f"{max(t.uncached, default=0.0) * 1000:.1f}"
            if len(t.uncached) > 3
            else f"{len(t.uncached)}: " + ",".join(f"{x * 1000:.1f}" for x in t.uncached)
        )
        lines.append(
            f"  {t.endpoint:<38} {t.first * 1000:>6.1f} {uncached:>19} {len(t.latencies):>5} "
            f"{percentile(t.latencies, 50) * 1000:>6.1f} "
            f"{percentile(t.latencies, 99) * 1000:>6.1f} {max(t.latencies) * 1000:>6.1f}  "
            f"{t.statuses}"
        )
    mean = statistics.fmean(x for t in timings for x in t.latencies) * 1000
    lines.append(f"  mean over all requests: {mean:.1f} ms")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint (≤ 2000)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--server",
        choices=("uvicorn", "inprocess"),
        default="uvicorn",
        help="serve the app with uvicorn on 127.0.0.1, or call it in-process",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (to study plans)"
    )
    parser.add_argument(
        "--database", help="measure a PostgreSQL database kept by --keep instead of loading one"
    )
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() in the served app after start-up (see create_bench_app)",
    )
    args = parser.parse_args()
    args.entries = max(1, min(args.entries, MAX_ENTRIES))
    args.requests = max(1, min(args.requests, 2000))
    failed = False
    for backend in args.backends.split(","):
        name, _load_s, generated, timings = asyncio.run(run_backend(backend.strip(), args))
        print(report(name, generated, timings), flush=True)
        failed = failed or any(set(t.statuses) != {200} for t in timings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
