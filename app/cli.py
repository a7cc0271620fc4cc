"""The `fengshou` command."""

from __future__ import annotations

import asyncio
import copy
import logging
import logging.config
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import uvicorn
import uvicorn.config

from app.config import PROJECT_ROOT, Settings, get_settings
from app.core.db import Database, unit_of_work

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

# The size of the demo catalog of `fengshou demo` and the default of `fengshou seed-demo`.
DEFAULT_DEMO_PRODUCTS = 320

cli = typer.Typer(help="Fengshou (丰收) consumption-assistance marketplace.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
regions_cli = typer.Typer(help="Region reference data.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
search_cli = typer.Typer(help="The product search index.", no_args_is_help=True)
cli.add_typer(regions_cli, name="regions")
cli.add_typer(search_cli, name="search")


def alembic_config(database_url: str) -> Config:
    # Imported here: every process `fengshou` starts (web processes, workers) imports this
    # module, and only a migration needs alembic.
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(settings: Settings) -> None:
    """Apply every migration; creates the SQLite file's folder first."""
    if settings.is_sqlite:
        path = settings.database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(settings.database_url), "head")


def run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def load_regions(database: Database) -> str:
    from app.regions.service import load_reference_data

    async with unit_of_work(database.writer) as session:
        report = await load_reference_data(session)
    return str(report)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations to FENGSHOU_DATABASE_URL and load the region reference data."""
    settings = get_settings()
    upgrade_database(settings)
    typer.echo(run_with_database(settings, load_regions))


@regions_cli.command("load")
def regions_load() -> None:
    """(Re)load counties, the 832 and 160 lists and the pairings; safe to run again."""
    typer.echo(run_with_database(get_settings(), load_regions))


@cli.command("create-operator")
def create_operator(
    email: Annotated[str, typer.Option(help="Operator e-mail")],
    password: Annotated[str, typer.Option(help="Operator password", prompt=True, hide_input=True)],
    name: Annotated[str, typer.Option(help="Display name")] = "平台运营",
) -> None:
    """Create a platform operator account (or grant the role to an existing one)."""
    from app.account.service import ensure_operator

    async def work(database: Database) -> str:
        async with unit_of_work(database.writer) as session:
            user = await ensure_operator(session, email=email, password=password, name=name)
            return f"operator {user.email} (id {user.id})"

    try:
        typer.echo(run_with_database(get_settings(), work))
    except Exception as exc:
        from app.core.errors import DomainError

        if isinstance(exc, DomainError):
            typer.echo(f"error: {exc.message} {exc.fields or ''}", err=True)
            raise typer.Exit(2) from exc
        raise


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first")] = True,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Web processes (default FENGSHOU_WEB_WORKERS, 1)"),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="A log line per request (default FENGSHOU_ACCESS_LOG, on)",
        ),
    ] = None,
) -> None:
    """Run the web app in one or more processes (and, on the embedded default, the outbox
    worker in-process)."""
    settings = get_settings()
    processes = workers if workers is not None else settings.web_workers
    if processes > 1 and settings.is_sqlite:
        # One SQLite file takes one writer at a time, and each process would also run its own
        # outbox worker: several processes only queue behind each other's locks.
        typer.echo(
            f"error: {processes} web processes need PostgreSQL; the embedded SQLite database "
            "serves from one process (set FENGSHOU_DATABASE_URL, see the README).",
            err=True,
        )
        raise typer.Exit(2)
    if migrate and settings.environment == "development":
        upgrade_database(settings)
    use_port_for_links(settings, host=host, port=port)
    logging.config.dictConfig(log_config())
    if processes > 1:
        spawn_without_main_module()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=True,
        workers=processes,
        access_log=settings.access_log if access_log is None else access_log,
        # Applied again by uvicorn in every process it starts: the app's own loggers included.
        log_config=log_config(),
    )


def spawn_without_main_module() -> None:
    """uvicorn starts its web processes with multiprocessing's spawn, which first runs the
    parent's main module again in each one: for `fengshou`, this CLI with typer and what the
    commands import (about 1 MB of every web process), which a web process never uses: it
    imports the app by name. Without a main module to run (no spec, no file), spawn runs
    none. The parent only supervises its processes from here on."""
    main_module = sys.modules["__main__"]
    main_module.__spec__ = None
    if hasattr(main_module, "__file__"):
        del main_module.__file__


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging set-up with the app's loggers (`app.*`) writing beside its own."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["app"] = {
        "format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
    }
    config["handlers"]["app"] = {
        "class": "logging.StreamHandler",
        "formatter": "app",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["app"] = {"handlers": ["app"], "level": level, "propagate": False}
    return config


def use_port_for_links(settings: Settings, *, host: str, port: int) -> None:
    """Without FENGSHOU_PUBLIC_BASE_URL, links in mail point at the address being served (the
    app built by uvicorn's factory reads the environment again)."""
    if "public_base_url" in settings.model_fields_set:
        return
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 (a name, no bind)
    if ":" in shown:
        shown = f"[{shown}]"
    os.environ["FENGSHOU_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()


async def reindex_search(
    settings: Settings, database: Database, *, show_progress: bool = True
) -> str:
    """Rebuild the whole search index from the catalog, with a progress bar."""
    from rich.progress import Progress

    from app.catalog.indexing import rebuild_index
    from app.wiring import build_search

    backend = build_search(settings, database)
    with Progress(disable=not show_progress, transient=True) as bar:
        task = bar.add_task("索引商品 indexing products", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = await rebuild_index(database.writer, backend, progress=advance)
    return str(report)


@search_cli.command("reindex")
def search_reindex() -> None:
    """Empty the search index and index every listed product again, in batches."""
    settings = get_settings()
    typer.echo(run_with_database(settings, lambda database: reindex_search(settings, database)))


def refuse_demo_outside_development(settings: Settings) -> None:
    """Exit 2 unless in development: the demo (re)creates and (re)activates logins whose
    passwords are printed and public (operator@fengshou.demo among them)."""
    if settings.environment != "development":
        typer.echo(
            "error: the demo data is for development only. It creates, or reactivates with "
            "their published passwords, demo logins such as operator@fengshou.demo, and "
            f"FENGSHOU_ENVIRONMENT is {settings.environment!r}. Use a development database "
            "(FENGSHOU_ENVIRONMENT=development, the default); in production, create an "
            "operator with `fengshou create-operator`.",
            err=True,
        )
        raise typer.Exit(2)


def seed_demo_data(settings: Settings, products: int) -> list[str]:
    """Seed the demo logins, the demo catalog and the demo organisations (idempotent); print
    what the catalog wrote and return the sign-in lines. Development only."""
    refuse_demo_outside_development(settings)
    from app.core.storage import LocalMediaStorage
    from app.demo import (
        DemoSeedError,
        seed_demo_accounts,
        seed_demo_catalog,
        seed_demo_organizations,
    )
    from app.wiring import build_search

    async def work(database: Database) -> list[str]:
        # The catalog first: it checks its arguments before anything is written.
        media = LocalMediaStorage(settings.media_dir, url_prefix="/media")
        # The catalog rebuilds the search index at its end (Meilisearch when configured).
        report = await seed_demo_catalog(
            database, media, products=products, search=build_search(settings, database)
        )
        typer.echo(str(report))
        logins = [*await seed_demo_accounts(database), *report.logins]
        # After the operator and the catalog: its paid orders need both.
        return [*logins, *await seed_demo_organizations(database)]

    try:
        return run_with_database(settings, work)
    except DemoSeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@cli.command("seed-demo")
def seed_demo(
    products: Annotated[
        int, typer.Option(min=1, help="How many demo products (deterministic for a given N)")
    ] = DEFAULT_DEMO_PRODUCTS,
) -> None:
    """Demo cooperatives, certificates, products with photos, organisations with paid orders
    and the demo logins (idempotent; development only)."""
    logins = seed_demo_data(get_settings(), products)
    typer.echo("Demo logins:")
    for line in logins:
        typer.echo(f"  {line}")


@cli.command("demo")
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Upgrade, load reference data, seed demo data (idempotent), print the logins, serve
    (development only)."""
    settings = get_settings()
    refuse_demo_outside_development(settings)
    upgrade_database(settings)
    typer.echo(run_with_database(settings, load_regions))
    logins = seed_demo_data(settings, DEFAULT_DEMO_PRODUCTS)
    typer.echo("Demo logins:")
    for line in logins:
        typer.echo(f"  {line}")
    typer.echo(f"Serving http://{host}:{port}")
    serve(host=host, port=port, migrate=False)


@cli.command("worker")
def worker(
    once: Annotated[bool, typer.Option(help="Run the due jobs, then exit")] = False,
) -> None:
    """Drain the outbox until stopped (Ctrl-C)."""
    import signal

    from app.jobs.runner import run_behind_web_processes
    from app.wiring import build_worker

    logging.config.dictConfig(log_config())
    settings = get_settings()
    niceness = run_behind_web_processes(settings.worker_nice)
    logging.getLogger("app.jobs").info("outbox worker process at niceness %d", niceness)
    # The job handlers without the web app: a worker serves no page (app/wiring.py).
    runner, close = build_worker(settings)

    async def main() -> None:
        try:
            if once:
                ran = await runner.run_until_idle()
                typer.echo(f"ran {ran} job(s)")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await runner.run_forever(stop)
        finally:
            await close()

    asyncio.run(main())


@cli.command("reconcile")
def reconcile(
    year: Annotated[
        int | None,
        typer.Option(min=2000, max=2100, help="Reporting year (China time); default: every year"),
    ] = None,
) -> None:
    """Recompute benefit totals from orders, payments and refunds; exit 1 on any difference."""
    from app.admin.reconcile import ReconcileReport
    from app.admin.reconcile import reconcile as recompute

    async def work(database: Database) -> ReconcileReport:
        async with unit_of_work(database.reader) as session:
            return await recompute(session, year=year)

    report = run_with_database(get_settings(), work)
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    cli()
