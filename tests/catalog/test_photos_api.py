"""Product photos: real images stored with thumbnails; bad uploads refused with nothing stored."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from app.config import Settings
from app.core.db import Database
from app.jobs.runner import JobRunner
from tests.catalog.factories import (
    catalog_counts,
    create_product,
    png_bytes,
    publish,
    sync_search_index,
)
from tests.cooperative.factories import Supplier, create_supplier
from tests.http_assertions import assert_error


@pytest.fixture
async def supplier(database: Database) -> Supplier:
    return await create_supplier(database)


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _upload(
    client: httpx.AsyncClient,
    supplier: Supplier,
    product_id: int,
    data: bytes,
    name: str = "photo.png",
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/products/{product_id}/photos",
        files={"file": (name, data, content_type)},
        headers=supplier.headers,
    )


async def test_upload_stores_image_and_thumbnail(
    client: httpx.AsyncClient, database: Database, settings: Settings, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")

    response = await _upload(client, supplier, product["id"], png_bytes(800, 600))

    assert response.status_code == 201, response.text
    photo = response.json()
    await publish(client, supplier, product["id"])
    assert (photo["width"], photo["height"]) == (800, 600)
    assert photo["url"].startswith(f"/media/products/{product['id']}/")
    assert photo["thumb_url"].endswith("-thumb.jpg")
    image_path = settings.media_dir / photo["url"].removeprefix("/media/")
    thumb_path = settings.media_dir / photo["thumb_url"].removeprefix("/media/")
    with Image.open(image_path) as image:
        assert image.format == "JPEG"
        assert image.size == (800, 600)
    with Image.open(thumb_path) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 400
    served = await client.get(photo["thumb_url"])
    assert served.status_code == 200
    assert served.content == thumb_path.read_bytes()

    detail = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert detail["photos"] == [
        {k: photo[k] for k in ("id", "url", "thumb_url", "width", "height")}
    ]
    assert detail["image_url"] == photo["thumb_url"]
    # The listing reads the thumbnail from the tables; the index only finds the product.
    await sync_search_index(database)
    [item] = (await client.get("/api/v1/products")).json()["items"]
    assert item["image_url"] == photo["thumb_url"]


def _gradient_png(width: int, height: int) -> bytes:
    """A smooth image: a small file (well under 8 MB) that still takes real work to decode."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_a_25_megapixel_photo_is_taken_without_stalling_other_requests(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    data = _gradient_png(5000, 5000)  # exactly the limit
    gaps: list[float] = []
    uploading = True

    async def other_requests() -> None:
        # What another visitor sees meanwhile: each answer follows the previous one at once.
        while uploading:
            started = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            gaps.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)

    async def upload() -> httpx.Response:
        nonlocal uploading
        try:
            return await _upload(client, supplier, product["id"], data)
        finally:
            uploading = False

    started = time.perf_counter()
    response, _ = await asyncio.gather(upload(), other_requests())
    took = time.perf_counter() - started

    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (5000, 5000)
    # Decoding on the event loop would hold one answer back for the whole decode; in a worker
    # thread the loop keeps answering while it runs.
    assert len(gaps) >= 5
    assert max(gaps) < took / 2, (max(gaps), took)


def _big_noise_png() -> bytes:
    """A PNG over 8 MB (random pixels do not compress)."""
    import os

    side = 1800
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    data = out.getvalue()
    assert len(data) > 8 * 1024 * 1024
    return data


@pytest.mark.parametrize(
    ("make", "name", "content_type", "code"),
    [
        (lambda: b"just some text, not an image", "notes.txt", "text/plain", "unsupported_type"),
        (lambda: b"just text", "photo.png", "image/png", "unsupported_type"),  # lying name
        (lambda: png_bytes(50, 50), "tiny.png", "image/png", "invalid_image"),
        (lambda: png_bytes(800, 150), "strip.png", "image/png", "invalid_image"),
        # 40 megapixels in some 120 KB: refused from its header, before any decoding.
        (lambda: png_bytes(8000, 5000), "flat.png", "image/png", "too_many_pixels"),
        (lambda: png_bytes(8001, 300), "banner.png", "image/png", "invalid_image"),
        (lambda: b"", "empty.png", "image/png", "invalid_image"),
        (_big_noise_png, "huge.png", "image/png", "too_large"),
        (
            lambda: _gif_bytes(),
            "anim.gif",
            "image/gif",
            "unsupported_type",
        ),
    ],
    ids=[
        "text",
        "text-named-png",
        "50x50",
        "too-narrow",
        "40-megapixels",
        "over-8000-a-side",
        "empty",
        "over-8mb",
        "gif",
    ],
)
async def test_bad_uploads_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    supplier: Supplier,
    make: Any,
    name: str,
    content_type: str,
    code: str,
) -> None:
    product = await create_product(client, supplier, status="draft")
    before = await catalog_counts(database)

    response = await _upload(client, supplier, product["id"], make(), name, content_type)

    error = assert_error(response, 422, code)
    assert "file" in error["fields"]
    assert await catalog_counts(database) == before
    assert _files_under(settings.media_dir) == []


def _gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(out, format="GIF")
    return out.getvalue()


async def test_missing_file_field_is_422(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    response = await client.post(
        f"/api/v1/products/{product['id']}/photos",
        data={"other": "x"},
        headers=supplier.headers,
    )
    error = assert_error(response, 422, "validation_failed")
    assert "file" in error["fields"]
    assert (await catalog_counts(database)).photos == 0


async def test_at_most_ten_photos(
    client: httpx.AsyncClient, database: Database, settings: Settings, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    image = png_bytes(400, 300)
    for _ in range(10):
        assert (await _upload(client, supplier, product["id"], image)).status_code == 201
    files = _files_under(settings.media_dir)

    response = await _upload(client, supplier, product["id"], image)

    assert_error(response, 409, "too_many_photos")
    assert (await catalog_counts(database)).photos == 10
    assert _files_under(settings.media_dir) == files


async def test_delete_photo_removes_row_and_files(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    supplier: Supplier,
    runner: JobRunner,
) -> None:
    product = await create_product(client, supplier, status="draft")
    first = (await _upload(client, supplier, product["id"], png_bytes(400, 300))).json()
    second = (await _upload(client, supplier, product["id"], png_bytes(300, 400))).json()
    await publish(client, supplier, product["id"])
    await runner.run_until_idle()

    response = await client.delete(
        f"/api/v1/products/{product['id']}/photos/{first['id']}", headers=supplier.headers
    )

    assert response.status_code == 204
    assert (await catalog_counts(database)).photos == 1
    # The files go through the outbox, once the deletion has committed.
    assert len(_files_under(settings.media_dir)) == 4
    await runner.run_until_idle()
    remaining = [p.name for p in _files_under(settings.media_dir)]
    assert len(remaining) == 2
    assert all(second["url"].rsplit("/", 1)[1].removesuffix(".jpg") in n for n in remaining)
    detail = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert [p["id"] for p in detail["photos"]] == [second["id"]]
    again = await client.delete(
        f"/api/v1/products/{product['id']}/photos/{first['id']}", headers=supplier.headers
    )
    assert_error(again, 404, "photo_not_found")


async def test_someone_elses_product_photos_are_404(
    client: httpx.AsyncClient, database: Database, settings: Settings, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    theirs = await create_product(client, other, status="draft")
    photo = (await _upload(client, other, theirs["id"], png_bytes(400, 300))).json()
    files = _files_under(settings.media_dir)

    upload = await _upload(client, supplier, theirs["id"], png_bytes(400, 300))
    delete = await client.delete(
        f"/api/v1/products/{theirs['id']}/photos/{photo['id']}", headers=supplier.headers
    )
    mine = await create_product(client, supplier, status="draft")
    cross = await client.delete(
        f"/api/v1/products/{mine['id']}/photos/{photo['id']}", headers=supplier.headers
    )

    assert_error(upload, 404, "product_not_found")
    assert_error(delete, 404, "product_not_found")
    assert_error(cross, 404, "photo_not_found")
    assert (await catalog_counts(database)).photos == 1
    assert _files_under(settings.media_dir) == files
