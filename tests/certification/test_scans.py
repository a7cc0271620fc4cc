"""Certificate scans: images re-encoded, PDFs kept, anything else refused with nothing stored."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.certification.models import CertificateStatus
from app.config import Settings
from app.core.db import Database
from app.jobs.runner import JobRunner
from tests.certification.factories import (
    audit_entries,
    create_certificate,
    image_bytes,
    load_certificate,
    pdf_bytes,
    stored_files,
)
from tests.cooperative.factories import create_cooperative, create_supplier
from tests.http_assertions import assert_error

EIGHT_MB = 8 * 1024 * 1024


def scan_url(certificate_id: int) -> str:
    return f"/api/v1/certificates/{certificate_id}/scan"


def upload(
    data: bytes, name: str = "scan.jpg", content_type: str = "image/jpeg"
) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, content_type)}


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
async def test_an_image_scan_is_stored_as_jpeg(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings, fmt: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)

    response = await client.post(
        scan_url(certificate_id), files=upload(image_bytes(640, 480, fmt)), headers=headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == certificate_id
    assert body["status"] == "pending"
    assert body["scan_is_pdf"] is False
    prefix = f"/media/certificates/{certificate_id}/"
    assert body["scan_url"].startswith(prefix) and body["scan_url"].endswith(".jpg")
    (stored,) = stored_files(settings.media_dir)
    assert stored.relative_to(settings.media_dir).as_posix() == body["scan_url"][len("/media/") :]
    with Image.open(stored) as saved:
        assert saved.format == "JPEG"
        assert saved.size == (640, 480)
    certificate = await load_certificate(database, certificate_id)
    assert certificate.scan_key == body["scan_url"][len("/media/") :]
    served = await client.get(body["scan_url"])
    assert served.status_code == 200
    assert served.content == stored.read_bytes()


async def test_a_pdf_scan_is_stored_as_sent(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)
    pdf = pdf_bytes()

    response = await client.post(
        scan_url(certificate_id),
        files=upload(pdf, "证书.pdf", "application/pdf"),
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["scan_is_pdf"] is True
    assert response.json()["scan_url"].endswith(".pdf")
    (stored,) = stored_files(settings.media_dir)
    assert stored.read_bytes() == pdf


async def test_a_new_scan_replaces_the_link_and_the_old_file_goes_after_commit(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    settings: Settings,
    runner: JobRunner,
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)
    first = await client.post(
        scan_url(certificate_id), files=upload(image_bytes()), headers=headers
    )
    second = await client.post(
        scan_url(certificate_id), files=upload(pdf_bytes(), "a.pdf"), headers=headers
    )

    assert first.status_code == second.status_code == 200
    assert first.json()["scan_url"] != second.json()["scan_url"]
    certificate = await load_certificate(database, certificate_id)
    assert certificate.scan_key is not None and certificate.scan_key.endswith(".pdf")
    scans = settings.media_dir / "certificates" / str(certificate_id)
    assert len(list(scans.iterdir())) == 2  # the old one goes only once the change committed
    await runner.run_until_idle()
    assert [p.name for p in scans.iterdir()] == [certificate.scan_key.rsplit("/", 1)[1]]


async def test_a_rejected_certificate_with_a_new_scan_is_resubmitted(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(
        database, cooperative_id, status=CertificateStatus.REJECTED
    )

    response = await client.post(
        scan_url(certificate_id), files=upload(image_bytes()), headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["status_reason"] is None
    (entry,) = await audit_entries(database, certificate_id)
    assert entry.action == "certificate.resubmit"
    assert entry.before is not None and entry.before["status"] == "rejected"
    assert entry.after is not None and entry.after["status"] == "pending"


# ---------------------------------------------------------------------------------------------
# Refused files: 422 on `file`, nothing stored, the certificate unchanged


def _one_by_one_png() -> bytes:
    return image_bytes(1, 1, "PNG")


def _big_pdf() -> bytes:
    return b"%PDF-1.4\n" + b"0" * EIGHT_MB


def _big_image_looking_file() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0" * EIGHT_MB


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"This is not an image, just text.\n", "scan.jpg", "unsupported_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "scan.png", "unsupported_type"),
        (b"GIF89a" + b"\0" * 64, "scan.gif", "unsupported_type"),
        (_one_by_one_png(), "tiny.png", "invalid_image"),
        (image_bytes(199, 600, "PNG"), "narrow.png", "invalid_image"),
        (image_bytes(8000, 5000, "PNG"), "40-megapixels.png", "too_many_pixels"),
        (_big_pdf(), "big.pdf", "too_large"),
        (_big_image_looking_file(), "big.png", "too_large"),
        (b"", "empty.jpg", "empty_file"),
    ],
    ids=[
        "text-as-jpg",
        "svg",
        "gif",
        "1x1-png",
        "199px-png",
        "40-megapixel-png",
        "pdf-over-8mb",
        "png-over-8mb",
        "empty",
    ],
)
async def test_refused_files_store_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    settings: Settings,
    data: bytes,
    name: str,
    code: str,
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)
    before = await load_certificate(database, certificate_id)

    response = await client.post(
        scan_url(certificate_id), files=upload(data, name), headers=headers
    )

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == {"file"}
    assert stored_files(settings.media_dir) == []
    after = await load_certificate(database, certificate_id)
    assert after.scan_key is None
    assert (after.status, after.updated_at) == (before.status, before.updated_at)


async def test_a_body_over_the_request_limit_is_413(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)
    data = b"%PDF-1.4\n" + b"0" * (settings.max_body_bytes + 1)

    response = await client.post(scan_url(certificate_id), files=upload(data), headers=headers)

    assert_error(response, 413, "payload_too_large")
    assert stored_files(settings.media_dir) == []
    assert (await load_certificate(database, certificate_id)).scan_key is None


async def test_a_missing_file_field_is_422(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(database, cooperative_id)

    url = scan_url(certificate_id)
    wrong_name = {"scan": ("a.jpg", image_bytes(), "image/jpeg")}
    for response in (
        await client.post(url, headers=headers, data={"other": "x"}),
        await client.post(url, headers=headers, files=wrong_name),
        await client.post(url, headers=headers, data={"file": "not a file"}),
    ):
        error = assert_error(response, 422, "validation_failed")
        assert "file" in error["fields"]
    assert stored_files(settings.media_dir) == []


@pytest.mark.parametrize("status", [CertificateStatus.VERIFIED, CertificateStatus.REVOKED])
async def test_a_verified_or_revoked_scan_is_locked(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    settings: Settings,
    status: CertificateStatus,
) -> None:
    coop = await create_supplier(database)
    cooperative_id, headers = coop.id, coop.headers
    certificate_id = await create_certificate(
        database, cooperative_id, status=status, scan_key="certificates/old.jpg"
    )

    response = await client.post(
        scan_url(certificate_id), files=upload(image_bytes()), headers=headers
    )

    assert_error(response, 409, "certificate_locked")
    assert stored_files(settings.media_dir) == []
    after = await load_certificate(database, certificate_id)
    assert (after.status, after.scan_key) == (status, "certificates/old.jpg")


async def test_someone_elses_certificate_is_404(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings
) -> None:
    coop = await create_supplier(database)
    _own, headers = coop.id, coop.headers
    other_id = await create_cooperative(database, name="别家合作社")
    certificate_id = await create_certificate(database, other_id)

    for target in (certificate_id, 999_999):
        response = await client.post(scan_url(target), files=upload(image_bytes()), headers=headers)
        assert_error(response, 404, "certificate_not_found")
    assert stored_files(settings.media_dir) == []
    assert (await load_certificate(database, certificate_id)).scan_key is None


async def test_without_a_token_it_is_401(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Settings
) -> None:
    cooperative_id = await create_cooperative(database)
    certificate_id = await create_certificate(database, cooperative_id)

    response = await client.post(scan_url(certificate_id), files=upload(image_bytes()))

    assert_error(response, 401, "unauthorized")
    assert stored_files(settings.media_dir) == []


def test_the_test_images_are_what_they_claim() -> None:
    with Image.open(io.BytesIO(_one_by_one_png())) as tiny:
        assert (tiny.format, tiny.size) == ("PNG", (1, 1))
    assert len(_big_pdf()) > EIGHT_MB


def test_stored_files_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert stored_files(tmp_path / "nothing") == []
