"""Photos uploaded for a request that never came are deleted a day later, rows and files; a
photo that a request took stays (both databases)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.aftersales.models import AfterSalesPhoto
from app.config import Settings
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from tests.aftersales.factories import Bought, asked, bought_by_transfer
from tests.catalog.factories import png_bytes
from tests.http_assertions import assert_error
from tests.order.factories import jobs_named, make_due
from tests.payment.factories import run_outbox

JOB = "aftersales.discard_stray_photo"


@pytest.fixture
async def bought(client: httpx.AsyncClient, database: Database, app: FastAPI) -> Bought:
    return await bought_by_transfer(client, database, quantity=3)


async def _upload(client: httpx.AsyncClient, bought: Bought) -> dict[str, object]:
    response = await client.post(
        "/api/v1/after-sales/photos",
        files={"file": ("photo.png", png_bytes(640, 480), "image/png")},
        headers=bought.buyer.headers,
    )
    assert response.status_code == 201, response.text
    photo: dict[str, object] = response.json()
    return photo


async def _stored(database: Database, photo_id: object) -> AfterSalesPhoto | None:
    async with unit_of_work(database.reader) as session:
        return await session.get(AfterSalesPhoto, photo_id)


def _files(settings: Settings, photo: AfterSalesPhoto) -> list[Path]:
    return [settings.media_dir / photo.image_key, settings.media_dir / photo.thumb_key]


async def test_a_photo_no_request_took_is_deleted_after_a_day(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
    bought: Bought,
) -> None:
    photo = await _upload(client, bought)
    row = await _stored(database, photo["id"])
    assert row is not None
    files = _files(settings, row)
    assert all(path.is_file() for path in files)

    [job] = await jobs_named(database, JOB)
    assert job.payload == {"photo_id": photo["id"]}
    assert (
        utcnow() + timedelta(hours=23) < job.run_after < utcnow() + timedelta(hours=25)
    )  # not before a day: the buyer may still be filling in the form
    await run_outbox(runner)
    assert await _stored(database, photo["id"]) is not None  # not yet due

    await make_due(database, JOB)
    await run_outbox(runner)

    assert await _stored(database, photo["id"]) is None
    assert not any(path.exists() for path in files)
    # Too late to attach it now: the request says which photo is not there.
    refused = await client.post(
        f"/api/v1/orders/{bought.order['id']}/after-sales",
        json={
            "kind": "refund_only",
            "lines": [{"order_line_id": bought.line["id"], "quantity": 1}],
            "reason": "包装破损",
            "photo_ids": [photo["id"]],
        },
        headers=bought.buyer.headers,
    )
    assert_error(refused, 422, "invalid_after_sales")


async def test_a_photo_a_request_took_stays(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
    bought: Bought,
) -> None:
    kept = await _upload(client, bought)
    stray = await _upload(client, bought)
    created = await asked(client, bought, 1, photo_ids=[kept["id"]])

    await make_due(database, JOB)
    await run_outbox(runner)

    row = await _stored(database, kept["id"])
    assert row is not None and row.request_id == created["id"]
    assert all(path.is_file() for path in _files(settings, row))
    assert await _stored(database, stray["id"]) is None
