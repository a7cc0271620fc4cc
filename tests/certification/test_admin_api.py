"""Operator review: the state machine, reasons, the audit trail and the queue; operators only."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database
from tests.account.factories import create_operator, create_user, token_headers
from tests.certification.factories import audit_entries, create_certificate, load_certificate, today
from tests.cooperative.factories import create_cooperative, create_supplier
from tests.http_assertions import assert_error

PENDING = CertificateStatus.PENDING
VERIFIED = CertificateStatus.VERIFIED
REJECTED = CertificateStatus.REJECTED
REVOKED = CertificateStatus.REVOKED


def action_url(certificate_id: int, action: str) -> str:
    return f"/api/v1/admin/certificates/{certificate_id}/{action}"


async def test_verify_then_revoke_with_audit_entries(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    cooperative_id = await create_cooperative(database)
    certificate_id = await create_certificate(database, cooperative_id)

    verified = await client.post(action_url(certificate_id, "verify"), headers=headers)

    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["status"] == "verified"
    assert body["badge_valid"] is True
    assert body["verified_at"] is not None

    revoked = await client.post(
        action_url(certificate_id, "revoke"),
        json={"reason": "  证书已被发证机构注销  "},
        headers=headers,
    )

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["status_reason"] == "证书已被发证机构注销"
    assert revoked.json()["badge_valid"] is False  # dates still fine, badge gone at once

    first, second = await audit_entries(database, certificate_id)
    assert first.action == "certificate.verify"
    assert first.before is not None and first.after is not None
    assert (first.before["status"], first.after["status"]) == ("pending", "verified")
    assert first.before["verified_at"] is None and first.after["verified_at"] is not None
    assert first.reason is None
    assert second.action == "certificate.revoke"
    assert second.before is not None and second.after is not None
    assert (second.before["status"], second.after["status"]) == ("verified", "revoked")
    assert second.reason == "证书已被发证机构注销"
    assert first.actor_user_id == second.actor_user_id is not None
    assert first.entity_kind == "certificate" and first.entity_id == str(certificate_id)


async def test_reject_with_a_reason(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    cooperative_id = await create_cooperative(database)
    certificate_id = await create_certificate(database, cooperative_id)

    response = await client.post(
        action_url(certificate_id, "reject"), json={"reason": "扫描件模糊"}, headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert response.json()["status_reason"] == "扫描件模糊"
    (entry,) = await audit_entries(database, certificate_id)
    assert entry.action == "certificate.reject"
    assert entry.reason == "扫描件模糊"
    assert entry.after is not None and entry.after["status_reason"] == "扫描件模糊"


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (VERIFIED, "verify"),
        (REJECTED, "verify"),
        (REVOKED, "verify"),
        (VERIFIED, "reject"),
        (REJECTED, "reject"),
        (REVOKED, "reject"),
        (PENDING, "revoke"),
        (REJECTED, "revoke"),
        (REVOKED, "revoke"),
    ],
)
async def test_illegal_transitions_are_409_and_change_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    status: CertificateStatus,
    action: str,
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    cooperative_id = await create_cooperative(database)
    certificate_id = await create_certificate(database, cooperative_id, status=status)
    before = await load_certificate(database, certificate_id)

    response = await client.post(
        action_url(certificate_id, action), json={"reason": "原因"}, headers=headers
    )

    assert_error(response, 409, "invalid_status_transition")
    after = await load_certificate(database, certificate_id)
    assert (after.status, after.status_reason, after.updated_at) == (
        before.status,
        before.status_reason,
        before.updated_at,
    )
    assert await audit_entries(database, certificate_id) == []


@pytest.mark.parametrize("action", ["reject", "revoke"])
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "长" * 501},
        {"reason": 5},
        {"reason": None},
    ],
    ids=["absent", "empty", "blank", "too-long", "number", "null"],
)
async def test_reject_and_revoke_need_a_reason(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    action: str,
    payload: dict[str, object],
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    cooperative_id = await create_cooperative(database)
    status = PENDING if action == "reject" else VERIFIED
    certificate_id = await create_certificate(database, cooperative_id, status=status)

    response = await client.post(action_url(certificate_id, action), json=payload, headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"reason"}
    after = await load_certificate(database, certificate_id)
    assert (after.status, after.status_reason) == (status, None)
    assert await audit_entries(database, certificate_id) == []


async def test_a_500_character_reason_is_accepted(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    certificate_id = await create_certificate(database, await create_cooperative(database))

    response = await client.post(
        action_url(certificate_id, "reject"), json={"reason": "长" * 500}, headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["status_reason"] == "长" * 500


@pytest.mark.parametrize("action", ["verify", "reject", "revoke"])
async def test_an_unknown_certificate_is_404(
    client: httpx.AsyncClient, app: FastAPI, database: Database, action: str
) -> None:
    headers = token_headers(await create_operator(database, password=None))

    response = await client.post(
        action_url(999_999, action), json={"reason": "原因"}, headers=headers
    )

    assert_error(response, 404, "certificate_not_found")


@pytest.mark.parametrize("action", ["verify", "reject", "revoke"])
async def test_only_operators_review(
    client: httpx.AsyncClient, app: FastAPI, database: Database, action: str
) -> None:
    coop = await create_supplier(database)
    cooperative_id, supplier = coop.id, coop.headers
    buyer = token_headers(await create_user(database, email="buyer@example.com", password=None))
    status = VERIFIED if action == "revoke" else PENDING
    certificate_id = await create_certificate(database, cooperative_id, status=status)

    for headers in (supplier, buyer):
        response = await client.post(
            action_url(certificate_id, action), json={"reason": "原因"}, headers=headers
        )
        assert_error(response, 403, "forbidden")
    response = await client.post(action_url(certificate_id, action), json={"reason": "原因"})
    assert_error(response, 401, "unauthorized")
    assert (await load_certificate(database, certificate_id)).status == status
    assert await audit_entries(database, certificate_id) == []


async def test_the_queue_lists_pending_first_with_the_supplier(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    first_coop = await create_cooperative(database, name="甲合作社")
    second_coop = await create_cooperative(database, name="乙合作社")
    verified_old = await create_certificate(database, first_coop, status=VERIFIED)
    pending_old = await create_certificate(database, second_coop, kind=CertificateKind.ORGANIC)
    rejected = await create_certificate(database, first_coop, status=REJECTED)
    pending_new = await create_certificate(database, first_coop, scan_key="certificates/x/a.pdf")

    response = await client.get("/api/v1/admin/certificates", headers=headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["total"], page["page"], page["per_page"]) == (4, 1, 50)
    ids = [item["id"] for item in page["items"]]
    assert ids == [pending_old, pending_new, rejected, verified_old]
    items = {item["id"]: item for item in page["items"]}
    assert items[pending_old]["cooperative"] == {"id": second_coop, "name": "乙合作社"}
    assert items[pending_old]["kind"] == "organic"
    assert items[pending_new]["scan_url"] == "/media/certificates/x/a.pdf"
    assert items[pending_new]["scan_is_pdf"] is True
    assert items[verified_old]["badge_valid"] is True


async def test_the_queue_filters_by_status_and_pages(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    cooperative_id = await create_cooperative(database)
    pending = [await create_certificate(database, cooperative_id) for _ in range(3)]
    await create_certificate(database, cooperative_id, status=VERIFIED)

    only_pending = await client.get(
        "/api/v1/admin/certificates", params={"status": "pending"}, headers=headers
    )
    second_page = await client.get(
        "/api/v1/admin/certificates",
        params={"status": "pending", "per_page": 2, "page": 2},
        headers=headers,
    )

    assert [i["id"] for i in only_pending.json()["items"]] == pending
    assert only_pending.json()["total"] == 3
    assert [i["id"] for i in second_page.json()["items"]] == pending[2:]
    assert second_page.json()["total"] == 3


@pytest.mark.parametrize(
    "params",
    [{"status": "waiting"}, {"status": "PENDING"}, {"page": 0}, {"per_page": 201}, {"page": "x"}],
)
async def test_bad_queue_filters_are_422(
    client: httpx.AsyncClient, app: FastAPI, database: Database, params: dict[str, str | int]
) -> None:
    headers = token_headers(await create_operator(database, password=None))

    response = await client.get("/api/v1/admin/certificates", params=params, headers=headers)

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == set(params)


async def test_the_queue_is_for_operators_only(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    coop = await create_supplier(database)
    _coop, supplier = coop.id, coop.headers

    assert_error(await client.get("/api/v1/admin/certificates", headers=supplier), 403, "forbidden")
    assert_error(await client.get("/api/v1/admin/certificates"), 401, "unauthorized")


async def test_verifying_an_expired_certificate_gives_no_badge(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    headers = token_headers(await create_operator(database, password=None))
    certificate_id = await create_certificate(
        database,
        await create_cooperative(database),
        valid_from=today() - timedelta(days=400),
        valid_until=today() - timedelta(days=1),
    )

    response = await client.post(action_url(certificate_id, "verify"), headers=headers)

    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert response.json()["badge_valid"] is False
