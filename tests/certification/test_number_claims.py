"""Claims of a green-food or organic number: one pending claim and one verified holder at most.

A cooperative anyone can open must not keep another supplier's number by claiming it first: a
rejected or revoked claim frees the number, and a claim of a verified holder's number waits
beside it, shown to the operator as a conflict, instead of being refused or verified twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database
from tests.account.factories import (
    PASSWORD,
    create_operator,
    csrf_token_in,
    sign_in_page,
    token_headers,
)
from tests.certification.factories import (
    certificate_count,
    create_certificate,
    image_bytes,
    load_certificate,
    stored_files,
    today,
)
from tests.cooperative.factories import Supplier, add_member, create_cooperative, create_supplier
from tests.http_assertions import assert_error

GREEN = "LB-15-1806040659A"
ORGANIC = "001OP2112345"
PENDING = CertificateStatus.PENDING
VERIFIED = CertificateStatus.VERIFIED
REJECTED = CertificateStatus.REJECTED
REVOKED = CertificateStatus.REVOKED


def _claim(kind: str, number: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "number": number,
        "issuer": "中国绿色食品发展中心",
        "valid_from": (today() - timedelta(days=30)).isoformat(),
        "valid_until": (today() + timedelta(days=730)).isoformat(),
    }


async def _post_claim(
    client: httpx.AsyncClient, supplier: Supplier, kind: str = "green_food", number: str = GREEN
) -> httpx.Response:
    return await client.post(
        f"/api/v1/cooperatives/{supplier.id}/certificates",
        json=_claim(kind, number),
        headers=supplier.headers,
    )


async def _decide(
    client: httpx.AsyncClient, operator: dict[str, str], certificate_id: int, action: str
) -> httpx.Response:
    body = None if action == "verify" else {"reason": "编号属于另一家合作社"}
    return await client.post(
        f"/api/v1/admin/certificates/{certificate_id}/{action}", json=body, headers=operator
    )


async def _queue(client: httpx.AsyncClient, operator: dict[str, str]) -> dict[int, Any]:
    response = await client.get("/api/v1/admin/certificates", headers=operator)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


@pytest.fixture
async def operator(database: Database) -> dict[str, str]:
    return token_headers(await create_operator(database, password=None))


@pytest.mark.parametrize(("kind", "number"), [("green_food", GREEN), ("organic", ORGANIC)])
async def test_a_squatted_number_is_free_for_its_holder_once_the_claim_is_rejected(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    operator: dict[str, str],
    kind: str,
    number: str,
) -> None:
    squatter = await create_supplier(database, name="抢注合作社")
    holder = await create_supplier(database, name="真正的持证合作社")
    squatted = await _post_claim(client, squatter, kind, number)
    assert squatted.status_code == 201
    # While the squatter's claim waits for review, a second claim of the number waits for it.
    assert_error(await _post_claim(client, holder, kind, number), 409, "certificate_number_taken")

    assert (await _decide(client, operator, squatted.json()["id"], "reject")).status_code == 200
    claimed = await _post_claim(client, holder, kind, number)

    assert claimed.status_code == 201, claimed.text
    verified = await _decide(client, operator, claimed.json()["id"], "verify")
    assert verified.status_code == 200
    assert verified.json()["badge_valid"] is True


async def test_a_revoked_certificate_frees_its_number(
    client: httpx.AsyncClient, app: FastAPI, database: Database, operator: dict[str, str]
) -> None:
    first = await create_cooperative(database)
    revoked = await create_certificate(
        database, first, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=REVOKED
    )
    holder = await create_supplier(database)

    claimed = await _post_claim(client, holder)

    assert claimed.status_code == 201, claimed.text
    assert (await _decide(client, operator, claimed.json()["id"], "verify")).status_code == 200
    assert (await load_certificate(database, revoked)).status == REVOKED


async def test_a_claim_of_a_verified_holders_number_waits_beside_it_as_a_conflict(
    client: httpx.AsyncClient, app: FastAPI, database: Database, operator: dict[str, str]
) -> None:
    first = await create_supplier(database, name="先核验的合作社")
    verified_id = await create_certificate(
        database, first.id, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=VERIFIED
    )
    second = await create_supplier(database, name="后申报的合作社")

    claimed = await _post_claim(client, second)

    # Accepted for review (the verified certificate may itself be the wrong one) ...
    assert claimed.status_code == 201, claimed.text
    claim_id = claimed.json()["id"]
    # ... and the operator's queue shows the two side by side.
    queue = await _queue(client, operator)
    assert queue[claim_id]["conflicts"] == [
        {
            "id": verified_id,
            "status": "verified",
            "cooperative": {"id": first.id, "name": "先核验的合作社"},
        }
    ]
    assert queue[verified_id]["conflicts"] == [
        {
            "id": claim_id,
            "status": "pending",
            "cooperative": {"id": second.id, "name": "后申报的合作社"},
        }
    ]
    # A number has one verified holder: verifying the claim waits for the other's revocation.
    held = await _decide(client, operator, claim_id, "verify")
    assert_error(held, 409, "certificate_number_held")
    assert str(verified_id) in held.json()["error"]["message"]
    assert (await load_certificate(database, claim_id)).status == PENDING
    assert (await load_certificate(database, verified_id)).status == VERIFIED

    assert (await _decide(client, operator, verified_id, "revoke")).status_code == 200
    assert (await _decide(client, operator, claim_id, "verify")).status_code == 200
    assert (await _queue(client, operator))[claim_id]["conflicts"] == []


async def test_a_third_claim_waits_while_one_is_pending_beside_the_holder(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    holder = await create_cooperative(database)
    await create_certificate(
        database, holder, kind=CertificateKind.ORGANIC, number=ORGANIC, status=VERIFIED
    )
    second = await create_supplier(database)
    third = await create_supplier(database)
    assert (await _post_claim(client, second, "organic", ORGANIC)).status_code == 201

    refused = await _post_claim(client, third, "organic", ORGANIC)

    assert_error(refused, 409, "certificate_number_taken")
    assert await certificate_count(database) == 2


async def test_gi_numbers_are_shared_and_never_listed_as_conflicts(
    client: httpx.AsyncClient, app: FastAPI, database: Database, operator: dict[str, str]
) -> None:
    first = await create_cooperative(database)
    await create_certificate(database, first, number="AGI00122", status=VERIFIED)
    second = await create_supplier(database)

    claimed = await _post_claim(client, second, "gi", "AGI00122")

    assert claimed.status_code == 201
    assert (await _queue(client, operator))[claimed.json()["id"]]["conflicts"] == []
    assert (await _decide(client, operator, claimed.json()["id"], "verify")).status_code == 200


async def test_a_rejected_claim_cannot_come_back_over_a_newer_pending_claim(
    client: httpx.AsyncClient, app: FastAPI, database: Database, settings: Any
) -> None:
    squatter = await create_supplier(database)
    rejected = await create_certificate(
        database, squatter.id, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=REJECTED
    )
    holder = await create_cooperative(database)
    await create_certificate(database, holder, kind=CertificateKind.GREEN_FOOD, number=GREEN)

    response = await client.post(
        f"/api/v1/certificates/{rejected}/scan",
        files={"file": ("scan.png", image_bytes(), "image/png")},
        headers=squatter.headers,
    )

    assert_error(response, 409, "certificate_number_taken")
    after = await load_certificate(database, rejected)
    assert (after.status, after.scan_key) == (REJECTED, None)
    assert stored_files(settings.media_dir) == []


async def test_a_rejected_claim_may_come_back_beside_a_verified_holder(
    client: httpx.AsyncClient, app: FastAPI, database: Database, operator: dict[str, str]
) -> None:
    """Resubmitting is how a supplier answers a rejection: the operator decides again, with
    the conflict in view."""
    supplier = await create_supplier(database)
    rejected = await create_certificate(
        database, supplier.id, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=REJECTED
    )
    holder = await create_cooperative(database)
    verified = await create_certificate(
        database, holder, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=VERIFIED
    )

    response = await client.post(
        f"/api/v1/certificates/{rejected}/scan",
        files={"file": ("scan.png", image_bytes(), "image/png")},
        headers=supplier.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert [c["id"] for c in (await _queue(client, operator))[rejected]["conflicts"]] == [verified]


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [
        (PENDING, PENDING, False),
        (VERIFIED, VERIFIED, False),
        (VERIFIED, PENDING, True),
        (REJECTED, PENDING, True),
        (REJECTED, REJECTED, True),
        (REVOKED, VERIFIED, True),
    ],
)
async def test_the_database_holds_the_rule_itself(
    database: Database,
    first: CertificateStatus,
    second: CertificateStatus,
    allowed: bool,
) -> None:
    one, other = await create_cooperative(database), await create_cooperative(database)
    await create_certificate(
        database, one, kind=CertificateKind.ORGANIC, number=ORGANIC, status=first
    )

    if allowed:
        await create_certificate(
            database, other, kind=CertificateKind.ORGANIC, number=ORGANIC, status=second
        )
        assert await certificate_count(database) == 2
    else:
        with pytest.raises(IntegrityError):
            await create_certificate(
                database, other, kind=CertificateKind.ORGANIC, number=ORGANIC, status=second
            )
        assert await certificate_count(database) == 1


async def test_the_operators_page_shows_the_conflict_and_why_verifying_waits(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    holder = await create_cooperative(database, name="已核验的合作社")
    verified = await create_certificate(
        database, holder, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=VERIFIED
    )
    claimant = await create_cooperative(database, name="新申报的合作社")
    claim = await create_certificate(
        database, claimant, kind=CertificateKind.GREEN_FOOD, number=GREEN
    )
    await create_operator(database, email="ops@example.com")
    assert (await sign_in_page(client, "ops@example.com", PASSWORD)).status_code == 303

    page = await client.get("/admin/certificates")

    assert page.status_code == 200
    conflict = page.text.split(f'id="certificate-{claim}-conflicts"', 1)[1].split("</div>", 1)[0]
    assert "编号冲突" in conflict
    assert f"已核验的合作社 的证书 #{verified}" in conflict
    response = await client.post(
        f"/admin/certificates/{claim}/verify", data={"csrf_token": csrf_token_in(page.text)}
    )
    assert response.status_code == 409
    assert "请先撤销那张证书" in response.text
    assert (await load_certificate(database, claim)).status == PENDING


async def test_the_supplier_page_says_why_a_rejected_claim_cannot_come_back(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    cooperative_id = await create_cooperative(database)
    await add_member(database, cooperative_id, email="coop@example.com", password=PASSWORD)
    rejected = await create_certificate(
        database, cooperative_id, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=REJECTED
    )
    await create_certificate(
        database, await create_cooperative(database), kind=CertificateKind.GREEN_FOOD, number=GREEN
    )
    assert (await sign_in_page(client, "coop@example.com", PASSWORD)).status_code == 303
    page = await client.get(f"/coop/{cooperative_id}/certificates")

    response = await client.post(
        f"/coop/{cooperative_id}/certificates/{rejected}/scan",
        data={"csrf_token": csrf_token_in(page.text)},
        files={"file": ("scan.png", image_bytes(), "image/png")},
    )

    assert response.status_code == 409
    assert "另一供应商已申报此证书编号" in response.text
    assert (await load_certificate(database, rejected)).status == REJECTED


async def test_two_operators_verifying_two_claims_at_once_still_answer_409(
    client: httpx.AsyncClient,
    app: FastAPI,
    database: Database,
    operator: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check missed the other verification (committed in between): the index decides."""
    from app.certification import repository

    holder = await create_cooperative(database)
    verified = await create_certificate(
        database, holder, kind=CertificateKind.GREEN_FOOD, number=GREEN, status=VERIFIED
    )
    claim = await create_certificate(
        database, await create_cooperative(database), kind=CertificateKind.GREEN_FOOD, number=GREEN
    )
    found = repository.other_holder

    async def missed_once(*args: Any) -> Any:
        monkeypatch.setattr(repository, "other_holder", found)
        return None

    monkeypatch.setattr(repository, "other_holder", missed_once)

    response = await _decide(client, operator, claim, "verify")

    assert_error(response, 409, "certificate_number_held")
    assert str(verified) in response.json()["error"]["message"]
    assert (await load_certificate(database, claim)).status == PENDING
