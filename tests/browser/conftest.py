"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Debian's Chromium.

Each backend gets its own migrated database with a small demo catalog, the demo logins and the
demo buying organisations with their paid orders (never the shared test database: the browser's
writes must not leak into other tests). Chromium is required: without
it these tests fail, they are not skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from sqlalchemy import select

from app.config import Settings
from app.cooperative.models import Cooperative
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.core.storage import LocalMediaStorage
from app.demo import seed_demo_accounts, seed_demo_catalog, seed_demo_organizations
from app.demo.plan import DemoPlan, build_plan
from bench.serving import served
from tests.conftest import BACKENDS, database_of_its_own, served_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PRODUCTS = 40
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=360, height=740)


WIDE = ViewportSize(width=1366, height=900)
NARROW = ViewportSize(width=390, height=844)


def look_at(page: Page, folder: Path, name: str) -> None:
    """Screenshots of the page at desktop and phone width (full height) in `folder`, and
    nothing on it wider than the screen. Back at desktop width afterwards."""
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.screenshot(path=folder / f"{name}-{viewport['width']}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} is {width} px wide at {viewport['width']} px"
    page.set_viewport_size(WIDE)


def choose_county(form: Locator, county_code: str) -> None:
    """Pick a county in an address form's province → city → county selects, as a shopper
    does: each list is loaded (in place) once the choice above it is made. The city is the
    county's prefecture by its code (44 01 06 → 440100), which holds for the counties the
    tests use. It waits for the lists' script to have taken over (it removes the form's
    "update" button): a choice made before that, on a page still loading its scripts, would
    load nothing."""
    expect(form.locator("[data-region-refresh]")).to_have_count(0)
    form.locator('select[name="province"]').select_option(county_code[:2] + "0000")
    form.locator('select[name="prefecture"]').select_option(county_code[:4] + "00")
    form.locator('select[name="county_code"]').select_option(county_code)


@dataclass(frozen=True)
class LiveServer:
    """The served app and what its database holds."""

    backend: str
    base_url: str
    plan: DemoPlan
    supplier_id: int  # the demo supplier admin's cooperative
    database_url: str  # for arranging what the demo lacks (tests that add must not remove)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


async def _prepare(settings: Settings) -> int:
    """Reference data, the demo catalog, logins and organisations; returns the demo supplier's
    cooperative id."""
    from app.regions.service import load_reference_data

    database = Database(settings.database_url)
    try:
        async with unit_of_work(database.writer) as session:
            await load_reference_data(session)
        media = LocalMediaStorage(settings.media_dir)
        await seed_demo_catalog(database, media, products=DEMO_PRODUCTS)
        await seed_demo_accounts(database)
        await seed_demo_organizations(database)
        plan = build_plan(DEMO_PRODUCTS, china_date(utcnow()))
        async with unit_of_work(database.reader) as session:
            supplier_id = await session.scalar(
                select(Cooperative.id).where(
                    Cooperative.credit_code == plan.suppliers[0].credit_code
                )
            )
        assert supplier_id is not None
        return supplier_id
    finally:
        await database.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is a browser test (`-m "not browser"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """uvicorn serving app.main:create_app on a free port of 127.0.0.1, one per backend."""
    with database_of_its_own(request.param, "fengshou-browser-") as (settings, workdir):
        # In a thread of its own: once Playwright runs, this thread has an event loop running,
        # and the seeding starts its own with asyncio.run().
        with ThreadPoolExecutor(max_workers=1) as worker:
            supplier_id = worker.submit(asyncio.run, _prepare(settings)).result()
        env = {
            **served_env(settings),
            # As `serve` runs on the embedded default: the outbox (search index, mail) works.
            "FENGSHOU_WORKER_IN_PROCESS": "true",
            "FENGSHOU_WORKER_POLL_SECONDS": "0.2",
        }
        with served("app.main:create_app", env, output=workdir / "server.log") as (base_url, _):
            yield LiveServer(
                backend=request.param,
                base_url=base_url,
                plan=build_plan(DEMO_PRODUCTS, china_date(utcnow())),
                supplier_id=supplier_id,
                database_url=settings.database_url,
            )


# Package scope, not session: while Playwright's sync API runs, its event loop counts as
# running in this thread, and the other tests of an xdist worker (asyncio.run() in
# migrations, pytest-asyncio's own loop) must find none once the browser tests are done.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; missing Chromium fails the run (never `playwright install`)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is required for the browser tests and was not found at {CHROMIUM}: "
            "apt-get install chromium fonts-wqy-microhei (or `make browser-deps`)."
        )
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test, at desktop size."""
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber} (${event.sample})`
  );
});
"""


@dataclass
class Violations:
    """What the browser refused, with the page it happened on."""

    seen: list[str] = field(default_factory=list)

    def on_console(self, page: Page, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.seen.append(f"{page.url}: console: {message.text}")


@pytest.fixture
def violations(context: BrowserContext) -> Violations:
    """What the Content-Security-Policy refuses in this test's browser profile, caught twice:
    the `securitypolicyviolation` event each document fires (reported by a script Playwright
    injects, which the policy does not cover) and the error the browser writes to the console
    ("Refused to ... because it violates the following Content Security Policy directive")."""
    found = Violations()
    context.expose_binding(
        "reportCspViolation",
        lambda source, text: found.seen.append(f"{source['page'].url}: event: {text}"),
    )
    context.add_init_script(_REPORT_VIOLATIONS)

    def watch(page: Page) -> None:
        page.on("console", lambda message: found.on_console(page, message))

    for page in context.pages:  # the `page` fixture's, when it came first
        watch(page)
    context.on("page", watch)
    return found


# Screenshots of the key pages, at desktop and phone width, for a person to look at: the suite
# writes them under var/screenshots/ (one folder per database backend).
SCREENSHOT_WIDTHS = (ViewportSize(width=1366, height=900), ViewportSize(width=390, height=844))


def save_screenshots(page: Page, backend: str, name: str) -> list[Path]:
    """The page at 1366 and 390 px wide, full height, under var/screenshots/<backend>/; the
    viewport is left at 390 px."""
    from app.config import PROJECT_ROOT

    folder = PROJECT_ROOT / "var" / "screenshots" / backend
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for viewport in SCREENSHOT_WIDTHS:
        page.set_viewport_size(viewport)
        path = folder / f"{name}-{viewport['width']}.png"
        page.screenshot(path=path, full_page=True)
        written.append(path)
    return written
