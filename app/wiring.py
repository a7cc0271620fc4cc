"""The app's outside-world clients built from the settings, and the outbox worker process.

`fengshou worker` runs the job handlers only: it imports the domains' job modules, not the
web app (routes, pages, templates, the API's schemas), which a worker never serves; that
keeps about 30 MB of code out of every worker process. `create_app` builds its mailer and
search backend with the same functions.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable

import httpx

from app.config import Settings
from app.core.cache import Caches
from app.core.db import Database
from app.core.mail import Mailer, create_mailer
from app.jobs.runner import JobRunner
from search import SearchBackend
from search.embedded.backend import EmbeddedBackend

# The modules whose @job handlers a runner needs registered (app.main imports them all too;
# a test checks both register the same jobs).
JOB_MODULE_NAMES = (
    "app.account.jobs",
    "app.order.jobs",
    "app.payment.jobs",
    "app.aftersales.jobs",
    "app.checkout.jobs",
    "app.catalog.jobs",
    "app.jobs.media",
)


def build_mailer(settings: Settings) -> Mailer:
    return create_mailer(
        mail_dir=settings.mail_dir,
        sender=settings.mail_from,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_user=settings.smtp_user,
        smtp_password=settings.smtp_password,
        smtp_starttls=settings.smtp_starttls,
    )


def build_search(settings: Settings, database: Database) -> SearchBackend:
    """Meilisearch when FENGSHOU_MEILI_URL is set, else the embedded index in the app's database."""
    if settings.meili_url:
        from search.meili import MeiliBackend  # its client only where it is configured

        return MeiliBackend(settings.meili_url, settings.meili_api_key)
    return EmbeddedBackend(database.writer, reader=database.reader)


def register_jobs() -> None:
    """Import every module that registers job handlers."""
    for name in JOB_MODULE_NAMES:
        importlib.import_module(name)


def build_worker(
    settings: Settings, worker_id: str | None = None
) -> tuple[JobRunner, Callable[[], Awaitable[None]]]:
    """A job runner for a process of its own, without the web app, and the coroutine function
    that closes what it opened. It frees what an indexing job loaded once it has been idle a
    while (JobRunner's release_memory)."""
    register_jobs()
    database = Database(settings.database_url, echo=settings.database_echo)
    # As in the app: a job's writes bump its caches' generations (none are read here, but a
    # handler may ask for them).
    Caches().attach(database.writer, database.reader)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    runner = JobRunner(
        database.writer,
        settings=settings,
        mailer=build_mailer(settings),
        http=http,
        worker_id=worker_id,
        search=build_search(settings, database),
        release_memory=True,
    )

    async def close() -> None:
        await http.aclose()
        await database.dispose()

    return runner, close
