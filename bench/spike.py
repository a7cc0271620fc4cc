"""Festival spike: many buyers after a few hot SKUs while shoppers browse, on the app as
production runs it (`fengshou serve --workers N` and `fengshou worker` processes).

    uv run python bench/spike.py [--buyers 200] [--skus 5] [--units 1350] [--seconds 90]
                                 [--in-flight 64] [--connections 32] [--web-workers 2]
                                 [--job-workers 2] [--products 320] [--backend postgresql]
                                 [--settle 15]

A scratch database (PostgreSQL on 127.0.0.1 by default, dropped afterwards) gets the demo
catalogue, `--skus` hot SKUs of their own suppliers sharing `--units` units, `--buyers` buyers
with API tokens and an operator. The listing and the hot product's page are first measured
alone with `wrk` (6 s each); then, for `--seconds`, wrk loads both with `--connections`
connections each (Accept-Encoding: gzip, as browsers send it; --accept-encoding '' for whole
pages) while the buyers place bank-transfer orders (1–2 SKUs, 1–3 units each;
every tenth sent twice at once with one Idempotency-Key), `--in-flight` at a time, until the
stock is gone (over keep-alive connections of bench/lean_http.py, so that the client's CPU
stays small). Before the spike, each of the `--in-flight` buyers places `--warm-up` orders of
one unit of a SKU of its own supplier (not counted): the web processes have opened their
database connections and compiled their statements, as servers up before a festival's rush
have (bench/checkout.py warms up the same way; --warm-up 0 for processes just started).
Afterwards the operator confirms every order's transfer and the workers drain
the outbox. Printed: orders/s while stock lasted, latencies of successful orders and of
409 insufficient_stock, the reads' figures during the spike against alone, the CPU of each
kind of process while the orders were placed (bench/cpu_window.py), the resident
memory of each web process and each worker (bench/fleet.py: when started, after the reads
alone, after the spike, once the outbox drained and `--settle` seconds later, against the
target of 150 MB each), the load average, and the integrity checks (oversold units, duplicate
orders, stock drift, jobs left, `fengshou reconcile`, the impact total against the paid
orders' goods), and the orders second by second (bench/spike_timeline.py). Exit 1 when an
integrity check fails; the speed targets are reported only. The buyers are
bench/spike_buyers.py's. Loopback only; bounded in buyers, time and requests; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `app` and `bench` importable

from app.cli import load_regions, run_with_database, seed_demo_data, upgrade_database  # noqa: E402
from bench import pages  # noqa: E402
from bench.cpu_window import CpuWindow, processes_named  # noqa: E402
from bench.fleet import FENGSHOU, MemoryReport, fleet, web_processes  # noqa: E402
from bench.percentiles import percentile  # noqa: E402
from bench.spike_buyers import confirm_transfers, place_orders, seed_hot, warm_up  # noqa: E402
from bench.spike_checks import check_integrity, impact_total, wait_for_outbox  # noqa: E402
from bench.spike_timeline import timeline  # noqa: E402

ALONE_SECONDS = 6
# The targets of a festival spike (reported, not enforced).
ORDER_P99_S = 1.0
ORDERS_PER_S = 100.0
CONFLICT_P99_S = 0.3
READ_P99_OVER_ALONE_P50 = 10.0
RSS_MB = 150.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--skus", type=int, default=5, help="hot SKUs, one supplier each")
    parser.add_argument("--units", type=int, default=1350, help="units shared by the hot SKUs")
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--in-flight", type=int, default=64, help="orders in flight")
    parser.add_argument(
        "--warm-up", type=int, default=2, help="uncounted orders per buyer in flight first"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections per page")
    parser.add_argument(
        "--accept-encoding",
        default="gzip",
        help="the readers' Accept-Encoding, as browsers send it ('' for none: every page whole)",
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--products", type=int, default=320, help="demo catalogue size")
    parser.add_argument("--pg-url", default=pages.DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--settle", type=float, default=15.0, help="seconds idle before the last RSS reading"
    )
    args = parser.parse_args(argv)
    args.buyers = max(1, min(args.buyers, 2000))
    args.skus = max(1, min(args.skus, 50))
    args.units = max(args.skus, min(args.units, 100_000))
    args.seconds = max(5.0, min(args.seconds, 600.0))
    args.in_flight = max(1, min(args.in_flight, 256))
    args.warm_up = max(0, min(args.warm_up, 10))
    args.connections = max(1, min(args.connections, 256))
    args.settle = max(0.0, min(args.settle, 120.0))
    if args.backend == "sqlite" and args.web_workers > 1:
        parser.error("SQLite serves from one process: --web-workers 1")
    return args


def wrk_in_background(
    wrk: str, script: Path, url: str, connections: int, seconds: float, headers: list[str]
) -> subprocess.Popen[str]:
    command = pages.wrk_command(wrk, script, url, connections, seconds, headers)
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603


def figures_of(process: subprocess.Popen[str]) -> pages.Figures:
    output, _ = process.communicate(timeout=600)
    figures = pages.Figures()
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["FENGSHOU", "total"]:
            figures.requests, figures.micros, figures.errors = map(int, parts[2:5])
        elif parts[:2] == ["FENGSHOU", "latency"]:
            figures.latencies[int(parts[2])] += int(parts[3])
    return figures


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def run(args: argparse.Namespace) -> int:
    wrk = pages.ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="fengshou-spike-"))
    try:
        with pages.scratch_database(args.backend, workdir, args.pg_url) as url:
            settings = pages.settings_for(url, workdir / "var")
            print(f"== {args.backend}: building ({args.products} demo products) …", flush=True)
            upgrade_database(settings)
            run_with_database(settings, load_regions)
            seed_demo_data(settings, args.products)
            hot = asyncio.run(seed_hot(url, args))
            script = workdir / "report.lua"
            script.write_text(pages.WRK_SCRIPT)
            env = {
                "FENGSHOU_ENVIRONMENT": "development",
                "FENGSHOU_DATABASE_URL": url,
                "FENGSHOU_VAR_DIR": str(settings.var_dir),
                "FENGSHOU_WORKER_IN_PROCESS": "false",
            }
            memory = MemoryReport(RSS_MB)
            with fleet(
                env,
                web_workers=args.web_workers,
                job_workers=args.job_workers,
                log=workdir / "server.log",
            ) as running:
                base = running.base
                memory.record("started", running)
                listing, product = f"{base}/products", f"{base}/products/{hot.product_slug}"
                headers = (
                    [f"Accept-Encoding: {args.accept_encoding}"] if args.accept_encoding else []
                )
                for url_ in (listing, product):  # warm and check
                    pages.run_wrk(wrk, script, url_, 4, 1, headers)
                alone = {
                    name: pages.run_wrk(wrk, script, url_, args.connections, ALONE_SECONDS, headers)
                    for name, url_ in (("listing", listing), ("product page", product))
                }
                memory.record("after the reads alone", running)
                warmed = asyncio.run(warm_up(base, hot, args))
                print(f"spike: {args.seconds:.0f} s …", flush=True)
                load_before = os.getloadavg()
                readers = {
                    name: wrk_in_background(
                        wrk, script, url_, args.connections, args.seconds, headers
                    )
                    for name, url_ in (("listing", listing), ("product page", product))
                }
                # Where the machine's CPU goes while the orders are placed.
                cpu = CpuWindow.start(
                    {
                        "web processes": lambda: web_processes(running.serve.pid),
                        "outbox workers": [worker.pid for worker in running.workers],
                        "PostgreSQL": lambda: (
                            processes_named("postgres") if args.backend == "postgresql" else []
                        ),
                        "wrk": [reader.pid for reader in readers.values()],
                        "load generator": [os.getpid()],
                    }
                )
                outcomes = asyncio.run(place_orders(base, hot, args))
                cpu.stop()
                during = {name: figures_of(process) for name, process in readers.items()}
                load_spike = os.getloadavg()
                memory.record("after the spike", running)
                confirmed = asyncio.run(confirm_transfers(base, hot, outcomes.orders))
                asyncio.run(wait_for_outbox(url))
                memory.record("after the outbox drained", running)
                time.sleep(args.settle)
                memory.record(f"{args.settle:.0f} s later", running)
            integrity = asyncio.run(check_integrity(url, hot.sku_ids, hot.stock))
            reconcile = subprocess.run(  # noqa: S603  (our own entry point)
                [str(FENGSHOU), "reconcile"],
                env={**os.environ, **env}, capture_output=True, text=True, check=False,
            )  # fmt: skip
            impact_fen = asyncio.run(impact_total(url))
            if any(status >= 500 for status in outcomes.statuses):
                # What the servers said about their 500s, before the scratch folder goes.
                logged = (workdir / "server.log").read_text(errors="replace").splitlines()
                failures = [line for line in logged if "Error" in line or "ERROR" in line]
                print("server errors (last 20):", *failures[-20:], sep="\n  ")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    lasted = (outcomes.last_created - outcomes.started) or float("nan")
    rate = len(outcomes.created) / lasted
    order_p50, order_p99 = percentile(outcomes.created, 50), percentile(outcomes.created, 99)
    slowest = max(outcomes.created, default=0.0)
    conflict_p50 = percentile(outcomes.conflicts, 50)
    conflict_p99 = percentile(outcomes.conflicts, 99)
    rows = [
        (
            "successful orders/s while stock lasted",
            f"{rate:.1f} (over {lasted:.1f} s)",
            "",
            f"≥ {ORDERS_PER_S:.0f}: {verdict(rate >= ORDERS_PER_S)}",
        ),
        (
            "successful order p50 / p99 / max (ms)",
            f"{order_p50 * 1000:.0f} / {order_p99 * 1000:.0f} / {slowest * 1000:.0f}",
            "",
            f"p99 ≤ {ORDER_P99_S * 1000:.0f}: {verdict(order_p99 <= ORDER_P99_S)}",
        ),
        (
            "409 insufficient_stock p50 / p99 (ms)",
            f"{conflict_p50 * 1000:.0f} / {conflict_p99 * 1000:.0f}",
            "",
            f"p99 ≤ {CONFLICT_P99_S * 1000:.0f}: {verdict(conflict_p99 <= CONFLICT_P99_S)}",
        ),
    ]
    for name in ("listing", "product page"):
        spike, quiet = during[name], alone[name]
        limit = READ_P99_OVER_ALONE_P50 * quiet.percentile(50)
        rows.append(
            (
                f"{name} req/s, p50 / p99 (ms)",
                f"{spike.rps:.0f}, {spike.percentile(50):.1f} / {spike.percentile(99):.1f}",
                f"{quiet.rps:.0f}, {quiet.percentile(50):.1f} / {quiet.percentile(99):.1f}",
                f"p99 ≤ {limit:.1f}: {verdict(spike.percentile(99) <= limit)}",
            )
        )
    print(
        f"\n{args.backend}: fengshou serve --workers {args.web_workers}, {args.job_workers} "
        f"fengshou worker; {args.buyers} buyers, {args.skus} SKUs sharing {args.units} units, "
        f"{args.in_flight} orders in flight; wrk -c{args.connections} on each page, "
        f"Accept-Encoding: {args.accept_encoding or '(none)'}\n"
    )
    print(f"{'measure':<40} {'during the spike':>26} {'alone':>20}  target")
    for measure, spiked, alone_, target in rows:
        print(f"{measure:<40} {spiked:>26} {alone_:>20}  {target}")
    print(
        f"load average before the spike {load_before[0]:.2f}, at its end {load_spike[0]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    print(f"while the orders were placed: {cpu.render()}")
    print(f"\n{memory.render()}")
    print(f"\nwarm-up: {args.warm_up} orders per buyer in flight first, answered {dict(warmed)}")
    print("orders by when they were sent")
    for row in timeline(outcomes.answers):
        print(f"  {row}")
    print(f"\nrequests {dict(outcomes.statuses)}, error codes {dict(outcomes.codes)}")
    print(f"double submits {outcomes.double_submits}, confirmations {dict(confirmed)}")
    checks = {
        "oversold units": (integrity.oversold, integrity.oversold == 0),
        "duplicate orders (one key, two orders)": (outcomes.duplicates, outcomes.duplicates == 0),
        "orders answered vs in the database": (
            f"{len(outcomes.orders)} / {integrity.orders_in_db}",
            len(outcomes.orders) == integrity.orders_in_db,
        ),
        "stock drift": (integrity.stock_drift, integrity.stock_drift == 0),
        "jobs left (pending or running) / dead": (
            f"{integrity.jobs_left} / {integrity.jobs_dead}",
            integrity.jobs_left == 0 and integrity.jobs_dead == 0,
        ),
        "fengshou reconcile exit code": (reconcile.returncode, reconcile.returncode == 0),
        "impact total vs paid orders' goods (fen)": (
            f"{impact_fen} / {integrity.paid_goods_fen}",
            impact_fen == integrity.paid_goods_fen,
        ),
    }
    print("\nintegrity")
    for name, (value, ok) in checks.items():
        print(f"  {name:<44} {value!s:>14}  {'ok' if ok else 'FAILED'}")
    if reconcile.returncode != 0:
        print(reconcile.stdout[-2000:], reconcile.stderr[-2000:])
    return 0 if all(ok for _, ok in checks.values()) else 1


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
