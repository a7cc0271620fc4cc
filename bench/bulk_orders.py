"""Benchmark: reading and validating an uploaded 5,000-row bulk-order (or gift-recipient)
list, CSV and XLSX.

    uv run python bench/bulk_orders.py [--rows 5000] [--runs 5]

Builds the files in memory (an XLSX as Excel writes it, with shared strings; CSV in UTF-8
with a byte-order mark and in GBK), then for each times `read_table` followed by the
validation step, --runs times, and prints p50 and the maximum. Peak memory is measured apart,
in a fresh Python process per file (so that building the files, or an earlier run, does not
hide it): the rise of the peak RSS over reading (Linux's VmHWM, reset just before; else
ru_maxrss), and, in another fresh process, tracemalloc's peak of Python allocations.

Bulk orders are validated as an upload is: against a scratch SQLite database (migrated, with
the region reference data and 5,000 SKUs of 2,500 products from 100 suppliers, some with
price tiers, minimums or little stock), each row checked (app.procurement's check_entries:
every referenced SKU loaded in a few IN queries, rows of one SKU merged, tier prices) and
the draft with its lines written, in a transaction rolled back so that every run starts
alike. `orders` names 1,999 codes with repeats (a realistic list), `orders-5000` 5,000
different codes (the most SKUs the database step can be asked to load).

Targets (the bulk-order issue): p50 under 2 s for a 5,000-row file, and a peak under 100 MB
more than before reading. Other validations plug in as a `Validation` (a function of the
rows, sync or async) in VALIDATIONS. The script reports; it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, where bench/search.py would stand in
# for the search package the app imports: the project's root goes first, this folder goes.
sys.path[:] = [
    str(ROOT),
    *(
        entry
        for entry in sys.path
        if not entry or Path(entry).resolve() not in {ROOT, ROOT / "bench"}
    ),
]

from app.account.models import User  # noqa: E402
from app.catalog.models import PriceTier, Product, ProductStatus, Sku  # noqa: E402
from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus  # noqa: E402
from app.core.clock import china_date, utcnow  # noqa: E402
from app.core.db import Database, unit_of_work  # noqa: E402
from app.core.sheets import Row, read_table, write_csv, write_xlsx  # noqa: E402
from app.organization.models import Organization, OrganizationKind, OrganizationStatus  # noqa: E402
from app.procurement import repository as procurement_repository  # noqa: E402
from app.procurement.models import BulkOrder  # noqa: E402
from app.procurement.service.checking import Entry, check_entries  # noqa: E402

Validation = Callable[[Sequence[Row]], Awaitable[None] | None]
MAX_ROWS = 5000
TARGET_P50_SECONDS = 2.0
TARGET_PEAK_MB = 100.0
# The scratch database the bulk-order validation reads (children inherit it).
DATABASE_ENV = "FENGSHOU_BENCH_BULK_ORDERS_DB"
SUPPLIERS = 100
SKUS = 5000
SKUS_PER_PRODUCT = 2
SUPPLIER_COUNTY = "522732"


def no_validation(rows: Sequence[Row]) -> None:
    """Stands in for checking SKU codes and quantities against the catalog."""
    del rows


@dataclass(frozen=True)
class ListKind:
    name: str
    header: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...]
    make_row: Callable[[random.Random, int], list[str | int]]


def _order_row(rng: random.Random, n: int) -> list[str | int]:
    """A row of a canteen's list: a code of 1,999 (so repeats, merged), delivered on a day of
    the coming month that depends on the code (repeats agree on it, as in a real list)."""
    code = rng.randrange(1, 2000)
    day = china_date(utcnow()) + timedelta(days=1 + code % 30)
    return [f"FS-{code:05}", rng.randrange(1, 500), day.isoformat()]


def _distinct_order_row(rng: random.Random, n: int) -> list[str | int]:
    """Every row a different SKU of the 5,000 seeded."""
    day = china_date(utcnow()) + timedelta(days=1 + rng.randrange(30))
    return [f"FS-{n % SKUS + 1:05}", rng.randrange(1, 500), day.isoformat()]


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
_COUNTIES = ("522701", "522732", "532823", "622921", "451027", "433127")


def _recipient_row(rng: random.Random, n: int) -> list[str | int]:
    name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09}"
    address = f"{rng.choice('东南西北')}环路{rng.randrange(1, 999)}号{n % 30 + 1}栋{n % 6 + 1}单元"
    return [name, phone, rng.choice(_COUNTIES), address]


KINDS = {
    "orders": ListKind(
        "orders",
        ("商品编码", "数量", "配送日期"),
        ("sku_code", "quantity"),
        ("delivery_date",),
        _order_row,
    ),
    "orders-5000": ListKind(
        "orders-5000",
        ("商品编码", "数量", "配送日期"),
        ("sku_code", "quantity"),
        ("delivery_date",),
        _distinct_order_row,
    ),
    "recipients": ListKind(
        "recipients",
        ("姓名", "电话", "区县代码", "详细地址"),
        ("name", "phone", "county_code", "detail"),
        (),
        _recipient_row,
    ),
}


# ---------------------------------------------------------------------------------------------
# The bulk-order validation and its database


def seed_database(directory: Path) -> str:
    """A migrated SQLite database with the reference data, an organisation and the SKUs
    FS-00001 … FS-05000; its URL."""
    url = f"sqlite+aiosqlite:///{directory / 'bulk-orders.sqlite3'}"
    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",  # noqa: S106
        var_dir=directory / "var",
    )
    upgrade_database(settings)
    asyncio.run(_seed(url))
    return url


async def _seed(url: str) -> None:
    from app.regions.service import load_reference_data

    rng = random.Random(20261206)
    database = Database(url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        async with unit_of_work(database.writer) as session:
            session.add(User(email="buyer@bench.example", password_hash="-", display_name="采购员"))  # noqa: S106
            session.add(
                Organization(
                    name="基准测试机关食堂",
                    credit_code="11440106MB0000001X",
                    kind=OrganizationKind.GOVERNMENT,
                    region_code="440106",
                    province_code="440000",
                    status=OrganizationStatus.VERIFIED,
                )
            )
            cooperatives = [
                Cooperative(
                    name=f"基准合作社{n}",
                    kind=SupplierKind.COOPERATIVE,
                    credit_code=f"93522732MA{n:07d}X",
                    county_code=SUPPLIER_COUNTY,
                    contact_name="王芳",
                    contact_phone="13800000000",
                    status=SupplierStatus.VERIFIED,
                )
                for n in range(SUPPLIERS)
            ]
            session.add_all(cooperatives)
            await session.flush()
            products = [
                Product(
                    cooperative_id=cooperatives[n % SUPPLIERS].id,
                    slug=f"bench-{n}",
                    title=f"基准商品{n}",
                    category_code="fruit",
                    unit="5kg/箱",
                    status=ProductStatus.ACTIVE,
                    in_stock=True,
                    min_price_fen=1000,
                )
                for n in range(SKUS // SKUS_PER_PRODUCT)
            ]
            session.add_all(products)
            await session.flush()
            skus = [
                Sku(
                    product_id=products[n // SKUS_PER_PRODUCT].id,
                    code=f"FS-{n + 1:05}",
                    name=f"规格{n % SKUS_PER_PRODUCT + 1}",
                    price_fen=1000 + rng.randrange(9000),
                    stock=rng.choice((0, 50, 600, 100_000)),
                    min_qty=rng.choice((1, 1, 1, 5, 20)),
                    weight_grams=500,
                )
                for n in range(SKUS)
            ]
            session.add_all(skus)
            await session.flush()
            session.add_all(
                PriceTier(sku_id=sku.id, min_qty=threshold, price_fen=sku.price_fen - cut)
                for sku in skus[::4]
                for threshold, cut in ((50, 100), (200, 200))
            )
    finally:
        await database.dispose()


async def validate_bulk_order(rows: Sequence[Row]) -> None:
    """What an upload does after reading its file: check every row against the catalog and
    write the draft with its lines (rolled back: every run starts from the same database)."""
    database = Database(os.environ[DATABASE_ENV])
    try:
        async with database.writer() as session:
            checked = await check_entries(session, map(Entry.of, rows), today=china_date(utcnow()))
            bulk = BulkOrder(organization_id=1, created_by_user_id=1, valid=checked.valid)
            session.add(bulk)
            await session.flush()
            await procurement_repository.add_lines(
                session, [{**line.columns(), "bulk_order_id": bulk.id} for line in checked.lines]
            )
            await session.rollback()
    finally:
        await database.dispose()


# The step after reading, per list.
VALIDATIONS: dict[str, Validation] = {
    "orders": validate_bulk_order,
    "orders-5000": validate_bulk_order,
    "recipients": no_validation,
}


def build_files(kind: ListKind, rows: int) -> dict[str, bytes]:
    rng = random.Random(20261128)
    table = [kind.make_row(rng, n) for n in range(rows)]
    csv_bytes = write_csv(kind.header, table)
    return {
        "xlsx": write_xlsx(kind.header, table),
        "csv-utf8": csv_bytes,
        "csv-gbk": csv_bytes.decode("utf-8-sig").encode("gbk"),
    }


def read_and_validate(kind: ListKind, data: bytes, loop: asyncio.AbstractEventLoop) -> int:
    table = read_table(
        data, None, required=kind.required, optional=kind.optional, max_rows=MAX_ROWS
    )
    outcome = VALIDATIONS[kind.name](table.rows)
    if inspect.isawaitable(outcome):
        loop.run_until_complete(outcome)
    return len(table.rows)


def time_runs(kind: ListKind, data: bytes, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of each run, and the process's CPU seconds (every thread's, the
    database driver's too): on a machine shared with other work the wall clock says as much
    about the neighbours as about this code."""
    loop = asyncio.new_event_loop()
    try:
        timings: list[float] = []
        cpu: list[float] = []
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            read_and_validate(kind, data, loop)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        return timings, cpu
    finally:
        loop.close()


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


def _reset_peak_rss() -> bool:
    """Linux resets the peak RSS (VmHWM) to the current RSS on "5" in clear_refs; without it,
    the peak of the imports before reading would hide the reading's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure_memory_here(kind: ListKind, path: Path, mode: str) -> float:
    """Run in a fresh process: the memory (MB) reading one file adds to what was there before,
    as the rise of the process's peak RSS ("rss") or as tracemalloc's peak ("traced"); apart,
    because tracing adds its own memory to the RSS."""
    data = path.read_bytes()
    loop = asyncio.new_event_loop()
    gc.collect()
    if mode == "traced":
        tracemalloc.start()
        read_and_validate(kind, data, loop)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / 2**20
    if _reset_peak_rss():
        before_kib = _status_kib("VmRSS")
        read_and_validate(kind, data, loop)
        return (_status_kib("VmHWM") - before_kib) / 1024
    # Elsewhere the process's peak so far (ru_maxrss, KiB on Linux): a rise of 0 then means
    # the reading stayed under the peak of the imports.
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    read_and_validate(kind, data, loop)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kib) / 1024


def measure_memory(kind: ListKind, data: bytes) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.NamedTemporaryFile(suffix=".upload") as upload:
        upload.write(data)
        upload.flush()
        for mode in ("rss", "traced"):
            done = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
                [sys.executable, __file__, "--child", kind.name, upload.name, mode],
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            figures[mode] = float(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=MAX_ROWS, help=f"data rows (≤ {MAX_ROWS})")
    parser.add_argument("--runs", type=int, default=5, help="timed reads per file (≤ 50)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # kind, path, mode
    args = parser.parse_args(argv)
    if args.child:
        kind_name, path, mode = args.child
        print(f"{measure_memory_here(KINDS[kind_name], Path(path), mode):.3f}")
        return 0
    rows = max(1, min(args.rows, MAX_ROWS))
    runs = max(1, min(args.runs, 50))
    with tempfile.TemporaryDirectory(prefix="bench-bulk-orders-") as directory:
        started = time.perf_counter()
        os.environ[DATABASE_ENV] = seed_database(Path(directory))
        load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
        print(f"seeded {SKUS:,} SKUs in {time.perf_counter() - started:.1f} s; load average {load}")
        report(rows, runs)
    return 0


def report(rows: int, runs: int) -> None:
    print(
        f"{rows} rows, {runs} runs each; targets p50 < {TARGET_P50_SECONDS:.0f} s, "
        f"peak < +{TARGET_PEAK_MB:.0f} MB"
    )
    for kind in KINDS.values():
        for label, data in build_files(kind, rows).items():
            timings, cpu = time_runs(kind, data, runs)
            memory = measure_memory(kind, data)
            p50 = statistics.median(timings)
            verdict = (
                "ok"
                if p50 < TARGET_P50_SECONDS and memory["rss"] < TARGET_PEAK_MB
                else "OVER TARGET"
            )
            print(
                f"{kind.name:<11} {label:<8} {len(data) / 1024:5.0f} KiB  "
                f"p50 {p50 * 1000:5.0f} ms  max {max(timings) * 1000:5.0f} ms  "
                f"cpu p50 {statistics.median(cpu) * 1000:5.0f} ms  "
                f"peak RSS +{memory['rss']:5.1f} MB  traced {memory['traced']:5.1f} MB  {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
