"""Lighthouse on the pages shoppers open first, on a phone and on a desktop.

    uv run python bench/lighthouse.py [--products 120] [--runs 1] [--form-factors mobile,desktop]
                                      [--pages /,/products] [--audits] [--keep-json DIR]

Builds a scratch SQLite database with the demo data of `fengshou demo`, serves the real app
with uvicorn in a process of its own (bench/serving.py, one worker, as bench/pages.py does),
and runs Lighthouse (the npm package pinned in scripts/audit; `npm ci` there when it is
missing) with Debian's Chromium, headless, on seven pages: the listing, /impact, the home
page, a product page, a county page, the cart and the sign-in page. It prints the four
category scores per page and form factor (the median of --runs runs), the targets each one
misses, and with --audits the audits that cost points (Lighthouse's JSON says which).

Targets: performance >= 90 on a phone (>= 95 for the home and product pages), accessibility,
best practices and SEO 100. Performance is simulated from a trace taken on this machine: under
load (other work on the same cores) it drops, so the load average is printed before and after.
The script reports; it exits 0 whatever the scores (1 if the server or Lighthouse fails).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))  # run as a script: make `app` and `bench` importable

from app.cli import load_regions, run_with_database, seed_demo_data, upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from bench import serving  # noqa: E402

AUDIT_DIR = PROJECT_ROOT / "scripts" / "audit"
LIGHTHOUSE = AUDIT_DIR / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = Path("/usr/bin/chromium")
# The flags the browser tests launch Debian's Chromium with (STACK.md): without the background
# networking ones it keeps trying hosts this machine cannot reach.
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "bp", "seo": "seo"}
START_TIMEOUT_SECONDS = 90
LIGHTHOUSE_TIMEOUT_SECONDS = 240


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    mobile_performance: int  # the phone's performance target; the other categories want 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=120, help="demo products (120)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page, median kept (1)")
    parser.add_argument(
        "--form-factors",
        default="mobile,desktop",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
    )
    parser.add_argument(
        "--pages",
        default="",
        help="only these labels or paths, comma-separated (/, /products, product, county, …)",
    )
    parser.add_argument("--audits", action="store_true", help="list the audits that cost points")
    parser.add_argument("--keep-json", type=Path, default=None, help="keep Lighthouse's reports")
    return parser.parse_args(argv)


def ensure_tools() -> None:
    """Lighthouse from scripts/audit (npm ci) and Debian's Chromium, installed when missing."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    missing = [
        package
        for package, present in (
            ("chromium", CHROMIUM.exists()),
            ("npm", shutil.which("npm") is not None),
        )
        if not present
    ]
    if missing:
        print(f"installing {' '.join(missing)} (apt-get) …", flush=True)
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", *missing]):
            subprocess.run([*sudo, *command], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    if not LIGHTHOUSE.exists():
        print("installing Lighthouse (npm ci in scripts/audit) …", flush=True)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],  # noqa: S607
            cwd=AUDIT_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
        )


async def discover(settings: Settings) -> list[Target]:
    """The seven pages, a product and a county of the demo catalog among them."""
    from app.main import create_app

    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            first = (await client.get("/api/v1/products?per_page=1")).json()["items"][0]
    finally:
        await app.state.http.aclose()
        await app.state.database.dispose()
    return [
        Target("/products", "/products", 90),
        Target("/impact", "/impact", 90),
        Target("/", "/", 95),
        Target("product", f"/products/{first['slug']}", 95),
        Target("county", f"/counties/{first['county']['code']}", 90),
        Target("/cart", "/cart", 90),
        Target("/login", "/login", 90),
    ]


def run_lighthouse(url: str, form_factor: str, report: Path) -> dict[str, Any]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--quiet",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(  # noqa: S603
        command,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=LIGHTHOUSE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0 or not report.exists():
        raise SystemExit(f"lighthouse failed on {url} ({form_factor}):\n{result.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(report.read_text())
    return found


def scores(found: dict[str, Any]) -> dict[str, int]:
    return {
        name: round((found["categories"][name]["score"] or 0) * 100)
        for name in CATEGORIES
        if name in found["categories"]
    }


def costly_audits(found: dict[str, Any]) -> list[str]:
    """The weighted audits of each category that did not score full marks, and the
    performance metrics, as 'category: audit (score) — value'."""
    lines = []
    for name in CATEGORIES:
        category = found["categories"].get(name)
        if category is None:
            continue
        for ref in category["auditRefs"]:
            audit = found["audits"][ref["id"]]
            score = audit.get("score")
            if ref.get("weight", 0) > 0 and score is not None and score < 1:
                value = audit.get("displayValue", "")
                lines.append(f"{SHORT[name]}: {ref['id']} ({score:.2f}) {value}".rstrip())
    return lines


def misses(target: Target, form_factor: str, got: dict[str, int]) -> list[str]:
    wanted = {"accessibility": 100, "best-practices": 100, "seo": 100}
    if form_factor == "mobile":
        wanted["performance"] = target.mobile_performance
    return [
        f"{SHORT[name]} {got.get(name, 0)} < {floor}"
        for name, floor in wanted.items()
        if got.get(name, 0) < floor
    ]


def audit_pages(args: argparse.Namespace, base_url: str, targets: list[Target], out: Path) -> None:
    header = f"{'page':<10} {'form':<8}" + "".join(f"{SHORT[c]:>6}" for c in CATEGORIES)
    print(header + "  targets missed")
    for target in targets:
        for form_factor in args.form_factors:
            runs = []
            for run in range(args.runs):
                name = f"{target.label.strip('/').replace('/', '-') or 'home'}-{form_factor}-{run}"
                found = run_lighthouse(base_url + target.path, form_factor, out / f"{name}.json")
                runs.append(found)
            got = {
                name: round(statistics.median(scores(found)[name] for found in runs))
                for name in CATEGORIES
            }
            missed = misses(target, form_factor, got)
            line = f"{target.label:<10} {form_factor:<8}" + "".join(
                f"{got[c]:>6}" for c in CATEGORIES
            )
            print(line + "  " + ("; ".join(missed) if missed else "met"), flush=True)
            if args.audits:
                for cost in costly_audits(runs[len(runs) // 2]):
                    print(f"{'':<20}{cost}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_tools()
    workdir = Path(tempfile.mkdtemp(prefix="fengshou-lighthouse-"))
    out = args.keep_json or workdir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    try:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        settings = Settings(
            environment="development",
            database_url=url,
            var_dir=workdir / "var",
            worker_in_process=False,
            redis_url=None,
            smtp_host=None,
        )
        print(f"building a SQLite database with {args.products} demo products …", flush=True)
        started = time.monotonic()
        upgrade_database(settings)
        run_with_database(settings, load_regions)
        seed_demo_data(settings, args.products)
        targets = asyncio.run(discover(settings))
        if args.pages:
            wanted = {label.strip() for label in args.pages.split(",")}
            targets = [t for t in targets if t.label in wanted or t.path in wanted]
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)
        env = {
            "FENGSHOU_ENVIRONMENT": "development",
            "FENGSHOU_DATABASE_URL": url,
            "FENGSHOU_VAR_DIR": str(settings.var_dir),
            "FENGSHOU_WORKER_IN_PROCESS": "false",
        }
        try:
            with serving.served(
                "app.main:create_app", env, start_within_seconds=START_TIMEOUT_SECONDS
            ) as (base_url, _process):
                before = os.getloadavg()
                audit_pages(args, base_url, targets, out)
                after = os.getloadavg()
        except serving.ServerDidNotStart as exc:
            raise SystemExit(f"the server did not start: {exc}") from exc
        print(
            f"load average before {before[0]:.2f}, after {after[0]:.2f} {after[1]:.2f} "
            f"{after[2]:.2f} ({os.cpu_count()} CPUs); Lighthouse {lighthouse_version()}, "
            f"{chromium_version()}",
            flush=True,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def lighthouse_version() -> str:
    return subprocess.run(  # noqa: S603
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()


def chromium_version() -> str:
    return subprocess.run(  # noqa: S603
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
