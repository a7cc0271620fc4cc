"""Page benchmark: the pages shoppers open most, and their API twins, measured with `wrk`.

    uv run python bench/pages.py [--backends sqlite,postgresql] [--products 320]
                                 [--demo-products 320]
                                 [--connections 16] [--seconds 2] [--rounds 3] [--warmup 1]

For each backend it builds a scratch database with the demo data of `fengshou demo` (a
temporary SQLite file, or a PostgreSQL database on 127.0.0.1 dropped afterwards; --pg-url
names the server): --demo-products of the demo's own, topped up to --products with
bench/search.py's generated catalogue (bench/large_catalog.py; `--products 100000` for the
catalogue a large site has, which takes a few minutes to build and index). It serves the
real app with uvicorn in a process of its own (bench/serving.py, one worker), and a floor
beside it: a bare Starlette app (bench/floor_app.py) answering with the listing page's exact
bytes from the same uvicorn. Then `wrk` (one thread, --connections connections) measures each
target for --seconds, the targets taking turns --rounds times, so that a page and the floor
see the same machine while other work drifts its load; each target's figures sum its rounds
(requests over time; p50 and p99 from the merged latency histograms that wrk's done() hook prints).

Targets, as ratios to the floor in the same run: home, product and county pages ≥ 0.05, the
listing page ≥ 0.1, the JSON listing ≥ 0.15, the app's /healthz ≥ 0.4 (what the middleware
stack costs every request); and every target's p99 ≤ 5 × its p50. It also prints the
server's resident memory after the run (target with 100,000 products: ≤ 250 MB) and the
load average. `wrk` is Debian's package: installed with apt-get (through sudo unless root)
when missing. The script reports; it exits 0 whatever the numbers (1 if a server cannot be
started or a target does not answer 200).
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
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `app` and `bench` importable

from app.cli import load_regions, run_with_database, seed_demo_data, upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from bench import serving  # noqa: E402
from bench.fleet import resident_megabytes  # noqa: E402
from bench.floor_app import BODY_ENV, FLOOR_PATH, MEDIA_TYPE_ENV  # noqa: E402
from bench.large_catalog import top_up  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_SECONDS = 90
P99_OVER_P50 = 5.0
RSS_TARGET_MB = 250.0
RSS_TARGET_PRODUCTS = 100_000
# wrk's done() hook prints the totals and the whole latency histogram (µs), merged here.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FENGSHOU total %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("FENGSHOU latency %d %d\\n", value, count))
  end
end
"""


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    target_ratio: float | None = None
    floor: bool = False


@dataclass
class Figures:
    requests: int = 0
    micros: int = 0
    errors: int = 0
    latencies: Counter[int] = field(default_factory=Counter)
    round_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / (self.micros / 1e6) if self.micros else 0.0

    def percentile(self, percent: float) -> float:
        """Milliseconds below which `percent` % of the requests finished."""
        total = sum(self.latencies.values())
        if not total:
            return float("nan")
        wanted, seen = total * percent / 100, 0
        for value in sorted(self.latencies):
            seen += self.latencies[value]
            if seen >= wanted:
                return value / 1000
        return max(self.latencies) / 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--products", type=int, default=320, help="products in all (320)")
    parser.add_argument(
        "--demo-products", type=int, default=320, help="of which the demo's own (≤ 320)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--seconds", type=float, default=2.0, help="per target and round (2)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of the targets (3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a PostgreSQL server's URL")
    parser.add_argument("--only", default="", help="comma-separated labels to measure")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - {"sqlite", "postgresql"}:
        parser.error("--backends takes sqlite and/or postgresql")
    args.backends = backends
    if not 1 <= args.products <= 1_000_000:
        parser.error("--products must be 1..1,000,000")
    args.demo_products = max(1, min(args.demo_products, args.products, 320))
    if args.connections < 1 or args.rounds < 1 or args.seconds < 1:
        parser.error("--connections and --rounds must be ≥ 1, --seconds ≥ 1")
    return args


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("installing wrk (apt-get) …", flush=True)
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        subprocess.run([*sudo, *command], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is still missing after apt-get install wrk")
    return found


@contextmanager
def scratch_database(backend: str, workdir: Path, pg_url: str) -> Iterator[str]:
    """A database URL to build: a SQLite file in `workdir`, or a PostgreSQL database that is
    dropped when the block ends."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        return
    import psycopg

    name = f"fengshou_bench_pages_{uuid.uuid4().hex[:8]}"
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(database_url: str, var_dir: Path) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        var_dir=var_dir,
        worker_in_process=False,
        redis_url=None,
        smtp_host=None,
    )


async def discover(settings: Settings) -> tuple[list[Target], bytes]:
    """The targets (a product and a county of the demo catalog) and the listing's bytes."""
    from app.main import create_app

    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            first = (await client.get("/api/v1/products?per_page=1")).json()["items"][0]
            listing = await client.get("/products")
    finally:
        await app.state.http.aclose()
        await app.state.database.dispose()
    slug, product_id, county = first["slug"], first["id"], first["county"]["code"]
    targets = [
        Target("floor (bare Starlette, listing bytes)", FLOOR_PATH, floor=True),
        Target("/healthz", "/healthz", 0.4),
        Target("GET /", "/", 0.05),
        Target("GET /products", "/products", 0.1),
        Target("GET /api/v1/products?per_page=24", "/api/v1/products?per_page=24", 0.15),
        Target("GET /products/{slug}", f"/products/{slug}", 0.05),
        Target("GET /api/v1/products/{id}", f"/api/v1/products/{product_id}"),
        Target("GET /counties/{code}", f"/counties/{county}", 0.05),
        Target("GET /api/v1/regions/counties/{code}", f"/api/v1/regions/counties/{county}"),
        Target("GET /api/v1/regions/counties?per_page=50", "/api/v1/regions/counties?per_page=50"),
        Target("GET /impact", "/impact"),
        Target("GET /api/v1/impact/summary", "/api/v1/impact/summary"),
    ]
    return targets, listing.content


def wrk_command(
    wrk: str, script: Path, url: str, connections: int, seconds: float, headers: Sequence[str] = ()
) -> list[str]:
    """One wrk thread with `connections` connections for `seconds`, each request with these
    headers ("Name: value")."""
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(script),
    ]  # fmt: skip
    for header in headers:
        command += ["-H", header]
    return [*command, url]


def run_wrk(
    wrk: str, script: Path, url: str, connections: int, seconds: float, headers: Sequence[str] = ()
) -> Figures:
    command = wrk_command(wrk, script, url, connections, seconds, headers)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    figures = Figures()
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["FENGSHOU", "total"]:
            figures.requests, figures.micros, figures.errors = map(int, parts[2:5])
        elif parts[:2] == ["FENGSHOU", "latency"]:
            figures.latencies[int(parts[2])] += int(parts[3])
    figures.round_rps.append(figures.rps)
    return figures


def merge(into: Figures, more: Figures) -> None:
    into.requests += more.requests
    into.micros += more.micros
    into.errors += more.errors
    into.latencies.update(more.latencies)
    into.round_rps.extend(more.round_rps)


def measure(
    args: argparse.Namespace, wrk: str, script: Path, targets: list[Target], app: str, floor: str
) -> dict[str, Figures]:
    def url(target: Target) -> str:
        return (floor if target.floor else app) + target.path

    for target in targets:  # every target answers 200 before anything is measured
        response = httpx.get(url(target), timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"{target.path} answered {response.status_code}")
        if args.warmup:
            run_wrk(wrk, script, url(target), args.connections, args.warmup)
    results = {target.label: Figures() for target in targets}
    for _ in range(args.rounds):
        for target in targets:
            merge(
                results[target.label],
                run_wrk(wrk, script, url(target), args.connections, args.seconds),
            )
    return results


def report(targets: list[Target], results: dict[str, Figures]) -> str:
    floor = next(results[t.label] for t in targets if t.floor)
    header = (
        f"{'target':<42} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
        f"{'ratio':>6} {'target':>7} {'errors':>6}  verdict"
    )
    lines = [header, "-" * len(header)]
    for target in targets:
        figures = results[target.label]
        p50, p99 = figures.percentile(50), figures.percentile(99)
        ratio = figures.rps / floor.rps if floor.rps else 0.0
        tail = p99 / p50 if p50 else float("inf")
        verdicts = []
        if target.target_ratio is not None and not target.floor:
            verdicts.append("ratio ok" if ratio >= target.target_ratio else "RATIO BELOW")
        if not target.floor:
            verdicts.append("tail ok" if tail <= P99_OVER_P50 else "TAIL ABOVE")
        wanted = f"≥{target.target_ratio:.2f}" if target.target_ratio is not None else ""
        lines.append(
            f"{target.label:<42} {figures.rps:>8.0f} {p50:>7.1f} {p99:>7.1f} {tail:>7.1f} "
            f"{ratio:>6.3f} {wanted:>7} {figures.errors:>6}  {', '.join(verdicts)}"
        )
    return "\n".join(lines)


def bench_backend(args: argparse.Namespace, wrk: str, backend: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="fengshou-pages-"))
    try:
        with scratch_database(backend, workdir, args.pg_url) as url:
            settings = settings_for(url, workdir / "var")
            print(f"\n== {backend}: building with {args.products:,} products …", flush=True)
            started = time.monotonic()
            upgrade_database(settings)
            run_with_database(settings, load_regions)
            seed_demo_data(settings, args.demo_products)
            if args.products > args.demo_products:
                run_with_database(settings, lambda db: top_up(db, args.products))
            targets, listing_bytes = asyncio.run(discover(settings))
            if args.only:
                wanted = {label.strip() for label in args.only.split(",")}
                targets = [t for t in targets if t.floor or t.label in wanted or t.path in wanted]
            body = workdir / "floor.html"
            body.write_bytes(listing_bytes)
            print(f"built in {time.monotonic() - started:.0f} s", flush=True)
            env = {
                "FENGSHOU_ENVIRONMENT": "development",
                "FENGSHOU_DATABASE_URL": url,
                "FENGSHOU_VAR_DIR": str(settings.var_dir),
                "FENGSHOU_WORKER_IN_PROCESS": "false",
            }
            floor_env = {BODY_ENV: str(body), MEDIA_TYPE_ENV: "text/html; charset=utf-8"}
            script = workdir / "report.lua"
            script.write_text(WRK_SCRIPT)
            try:
                with (
                    serving.served(
                        "app.main:create_app", env, start_within_seconds=START_TIMEOUT_SECONDS
                    ) as (app_url, app_process),
                    serving.served(
                        "bench.floor_app:create_floor_app",
                        floor_env,
                        start_within_seconds=START_TIMEOUT_SECONDS,
                    ) as (floor_url, _floor),
                ):
                    before = os.getloadavg()
                    results = measure(args, wrk, script, targets, app_url, floor_url)
                    after = os.getloadavg()
                    rss = resident_megabytes(app_process.pid)
                    # The pages measured search no text; one text search loads the segmenter.
                    searched = httpx.get(f"{app_url}/products?q=脐橙", timeout=60).status_code
                    rss_searched = resident_megabytes(app_process.pid)
            except serving.ServerDidNotStart as exc:
                raise SystemExit(f"a server did not start: {exc}") from exc
        print(
            f"\n{backend}: uvicorn, 1 worker; wrk -t1 -c{args.connections}, {args.rounds} rounds "
            f"of {args.seconds:.0f} s per target after {args.warmup:.0f} s of warm-up"
        )
        print(report(targets, results))
        verdict = "met" if rss <= RSS_TARGET_MB else "NOT MET"
        print(
            f"app server's resident memory after the run: {rss:.0f} MB with {args.products:,} "
            f"products (target with {RSS_TARGET_PRODUCTS:,}: ≤ {RSS_TARGET_MB:.0f} MB: {verdict}); "
            f"{rss_searched:.0f} MB after a text search too ({searched})"
        )
        print(
            f"load average before {before[0]:.2f}, after {after[0]:.2f} {after[1]:.2f} "
            f"{after[2]:.2f} ({os.cpu_count()} CPUs)",
            flush=True,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    for backend in args.backends:
        bench_backend(args, wrk, backend)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
