"""The operator's supplier review API: who may use it, the state machine, the audit log."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.cooperative.models import Cooperative, SupplierStatus
from app.cooperative.service import ensure_can_sell
from app.core.db import Database, unit_of_work
from tests.account.factories import bearer, create_operator, create_user, grant, token_for
from tests.cooperative.factories import create_cooperative, snapshot, status_of, supplier_roles
from tests.http_assertions import assert_error

ADMIN = "/api/v1/admin/cooperatives"
AUDIT = "/api/v1/admin/audit"

PENDING, VERIFIED = SupplierStatus.PENDING, SupplierStatus.VERIFIED
SUSPENDED, REJECTED = SupplierStatus.SUSPENDED, SupplierStatus.REJECTED

# Every (status, action) the state machine allows, and where it leads.
ALLOWED = {
    (PENDING, "verify"): VERIFIED,
    (PENDING, "reject"): REJECTED,
    (VERIFIED, "suspend"): SUSPENDED,
    (SUSPENDED, "reinstate"): VERIFIED,
}
ACTIONS = ("verify", "reject", "suspend", "reinstate")


async def _operator(app: FastAPI, database: Database) -> tuple[int, dict[str, str]]:
    operator = await create_operator(database)
    return operator, bearer(token_for(operator))


async def _supplier(database: Database, status: SupplierStatus = PENDING, n: int = 1) -> int:
    admin = await create_user(database, email=f"admin{n}@example.com", display_name=f"社长{n}")
    return await create_cooperative(
        database,
        admin_id=admin,
        n=n,
        status=status,
        reason="旧原因" if status in {SUSPENDED, REJECTED} else None,
    )


async def _entries(database: Database) -> list[AuditEntry]:
    async with unit_of_work(database.reader) as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# ---------------------------------------------------------------------------------------------
# Who may review


OPERATOR_REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", ADMIN, None),
    ("POST", ADMIN + "/{id}/verify", None),
    ("POST", ADMIN + "/{id}/reject", {"reason": "材料不全"}),
    ("POST", ADMIN + "/{id}/suspend", {"reason": "质量投诉"}),
    ("POST", ADMIN + "/{id}/reinstate", None),
    ("GET", AUDIT, None),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_REQUESTS)
async def test_operator_routes_need_a_token(
    client: httpx.AsyncClient,
    database: Database,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    cooperative_id = await _supplier(database)
    before = await snapshot(database)

    response = await client.request(method, path.format(id=cooperative_id), json=body)

    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    assert await snapshot(database) == before


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.SUPPLIER_ADMIN, Role.ORG_ADMIN])
@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_REQUESTS)
async def test_operator_routes_are_403_for_everyone_else(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    role: Role,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    cooperative_id = await _supplier(database)
    # Even the supplier's own admin may not verify it.
    user = await create_user(database, email="someone@example.com", roles=(role,))
    headers = bearer(token_for(user))
    before = await snapshot(database)

    response = await client.request(
        method, path.format(id=cooperative_id), json=body, headers=headers
    )

    assert_error(response, 403, "forbidden")
    assert await snapshot(database) == before
    assert await status_of(database, cooperative_id) == (PENDING, None)


# ---------------------------------------------------------------------------------------------
# The state machine


@pytest.mark.parametrize("start", list(SupplierStatus))
@pytest.mark.parametrize("action", ACTIONS)
async def test_every_status_and_action(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    start: SupplierStatus,
    action: str,
) -> None:
    cooperative_id = await _supplier(database, start)
    operator, headers = await _operator(app, database)
    before_status = await status_of(database, cooperative_id)
    before_counts = await snapshot(database)

    response = await client.post(
        f"{ADMIN}/{cooperative_id}/{action}", json={"reason": "核验说明"}, headers=headers
    )

    target = ALLOWED.get((start, action))
    if target is None:
        error = assert_error(response, 409, "invalid_status_transition")
        assert start.value in error["message"]
        assert await status_of(database, cooperative_id) == before_status
        assert await snapshot(database) == before_counts
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == target.value
    expected_reason = "核验说明" if action in {"reject", "suspend"} else None
    assert body["status_reason"] == expected_reason
    assert await status_of(database, cooperative_id) == (target, expected_reason)
    entries = await _entries(database)
    assert len(entries) == before_counts["audit_entries"] + 1
    entry = entries[-1]
    assert entry.action == f"cooperative.{action}"
    assert (entry.entity_kind, entry.entity_id) == ("cooperative", str(cooperative_id))
    assert entry.actor_user_id == operator
    assert entry.reason == "核验说明"
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["status"] == start.value
    assert entry.before["status_reason"] == before_status[1]
    assert entry.after["status"] == target.value
    assert entry.after["status_reason"] == expected_reason


async def test_verify_records_when_and_the_supplier_can_sell(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _supplier(database)
    _operator_id, headers = await _operator(app, database)

    response = await client.post(f"{ADMIN}/{cooperative_id}/verify", headers=headers)

    assert response.status_code == 200, response.text
    verified_at = datetime.fromisoformat(response.json()["verified_at"])
    assert verified_at.tzinfo is not None
    async with unit_of_work(database.reader) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        ensure_can_sell(cooperative)  # does not raise
    entry = (await _entries(database))[-1]
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["verified_at"] is None
    assert entry.after["verified_at"] == verified_at.isoformat()
    assert entry.reason is None
    # Now public.
    assert (await client.get(f"/api/v1/cooperatives/{cooperative_id}")).status_code == 200


async def test_suspension_stops_selling_and_hides_the_supplier_until_reinstated(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _supplier(database, VERIFIED)
    _operator_id, headers = await _operator(app, database)
    public = f"/api/v1/cooperatives/{cooperative_id}"
    assert (await client.get(public)).status_code == 200

    suspended = await client.post(
        f"{ADMIN}/{cooperative_id}/suspend", json={"reason": "  抽检不合格  "}, headers=headers
    )

    assert suspended.status_code == 200
    assert suspended.json()["status_reason"] == "抽检不合格"
    assert_error(await client.get(public), 404, "cooperative_not_found")
    async with unit_of_work(database.reader) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        with pytest.raises(Exception, match="suspended") as refused:
            ensure_can_sell(cooperative)
    assert getattr(refused.value, "code", None) == "supplier_not_verified"

    reinstated = await client.post(f"{ADMIN}/{cooperative_id}/reinstate", headers=headers)

    assert reinstated.status_code == 200
    assert reinstated.json()["status"] == "verified"
    assert reinstated.json()["status_reason"] is None
    assert (await client.get(public)).status_code == 200
    actions = [e.action for e in await _entries(database)]
    assert actions[-2:] == ["cooperative.suspend", "cooperative.reinstate"]


@pytest.mark.parametrize(
    ("action", "body", "code", "field"),
    [
        ("suspend", None, "validation_failed", "body"),
        ("suspend", {}, "validation_failed", "reason"),
        ("suspend", {"reason": None}, "validation_failed", "reason"),
        ("suspend", {"reason": ""}, "reason_required", "reason"),
        ("suspend", {"reason": "   "}, "reason_required", "reason"),
        ("suspend", {"reason": "因" * 501}, "reason_too_long", "reason"),
        ("suspend", {"reason": "原\x00因"}, "invalid_reason", "reason"),
        ("suspend", {"reason": 42}, "validation_failed", "reason"),
        ("reject", {"reason": ""}, "reason_required", "reason"),
        ("reject", None, "validation_failed", "body"),
        ("verify", {"reason": "因" * 501}, "reason_too_long", "reason"),
        ("verify", {"reason": 42}, "validation_failed", "reason"),
    ],
)
async def test_bad_reasons_are_refused_and_nothing_changes(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    action: str,
    body: dict[str, Any] | None,
    code: str,
    field: str,
) -> None:
    start = VERIFIED if action == "suspend" else PENDING
    cooperative_id = await _supplier(database, start)
    _operator_id, headers = await _operator(app, database)
    before = await snapshot(database)

    response = await client.post(f"{ADMIN}/{cooperative_id}/{action}", json=body, headers=headers)

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == {field}
    assert await status_of(database, cooperative_id) == (start, None)
    assert await snapshot(database) == before


@pytest.mark.parametrize("cooperative_id", ["424242", str(2**63), "0"])
@pytest.mark.parametrize("action", ACTIONS)
async def test_unknown_suppliers_are_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database, cooperative_id: str, action: str
) -> None:
    _operator_id, headers = await _operator(app, database)
    before = await snapshot(database)

    response = await client.post(
        f"{ADMIN}/{cooperative_id}/{action}", json={"reason": "原因"}, headers=headers
    )

    assert_error(response, 404, "cooperative_not_found")
    assert await snapshot(database) == before


async def test_a_second_verify_is_a_conflict_not_a_second_entry(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _supplier(database)
    _operator_id, headers = await _operator(app, database)
    first = await client.post(f"{ADMIN}/{cooperative_id}/verify", headers=headers)
    assert first.status_code == 200
    before = await snapshot(database)

    second = await client.post(f"{ADMIN}/{cooperative_id}/verify", headers=headers)

    assert_error(second, 409, "invalid_status_transition")
    assert await snapshot(database) == before
    assert [e.action for e in await _entries(database)].count("cooperative.verify") == 1


# ---------------------------------------------------------------------------------------------
# Lists


async def test_the_review_list_filters_by_status(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    pending = [await _supplier(database, PENDING, n) for n in (1, 2, 3)]
    verified = await _supplier(database, VERIFIED, 4)
    _operator_id, headers = await _operator(app, database)

    response = await client.get(ADMIN, params={"status": "pending"}, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert [item["id"] for item in body["items"]] == pending  # oldest application first
    assert all(item["status"] == "pending" for item in body["items"])
    assert body["items"][0]["contact_phone"] == "13808551234"  # operators see contacts
    assert body["items"][0]["county"]["name"] == "从江县"

    everything = (await client.get(ADMIN, headers=headers)).json()
    assert everything["total"] == 4
    assert {item["id"] for item in everything["items"]} == {*pending, verified}

    paged = (
        await client.get(
            ADMIN, params={"status": "pending", "per_page": 2, "page": 2}, headers=headers
        )
    ).json()
    assert (paged["total"], paged["page"], paged["per_page"]) == (3, 2, 2)
    assert [item["id"] for item in paged["items"]] == pending[2:]


@pytest.mark.parametrize(
    "params",
    [{"status": "approved"}, {"page": "0"}, {"per_page": "101"}, {"per_page": "x"}],
)
async def test_bad_list_parameters_are_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, params: dict[str, str]
) -> None:
    _operator_id, headers = await _operator(app, database)
    response = await client.get(ADMIN, params=params, headers=headers)
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == set(params)


async def test_the_audit_log_api_names_the_actor_and_the_changes(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    first = await _supplier(database, PENDING, 1)
    second = await _supplier(database, PENDING, 2)
    operator, headers = await _operator(app, database)
    await client.post(f"{ADMIN}/{first}/reject", json={"reason": "非脱贫县主体"}, headers=headers)
    await client.post(f"{ADMIN}/{second}/verify", headers=headers)

    response = await client.get(AUDIT, headers=headers)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["action"] for item in items] == [
        "cooperative.verify",
        "cooperative.reject",
        "cooperative.apply",
        "cooperative.apply",
    ]
    rejected = items[1]
    assert rejected["actor"] == {
        "id": operator,
        "display_name": "平台运营小王",
        "email": "ops@example.com",
    }
    assert rejected["entity_kind"] == "cooperative"
    assert rejected["entity_id"] == str(first)
    assert rejected["reason"] == "非脱贫县主体"
    assert {c["field"]: (c["before"], c["after"]) for c in rejected["changes"]} == {
        "status": ("pending", "rejected"),
        "status_reason": (None, "非脱贫县主体"),
    }
    assert items[2]["actor"]["display_name"] == "社长2"

    filtered = await client.get(
        AUDIT, params={"entity_kind": "cooperative", "entity_id": str(first)}, headers=headers
    )
    assert [item["action"] for item in filtered.json()["items"]] == [
        "cooperative.reject",
        "cooperative.apply",
    ]
    by_action = await client.get(AUDIT, params={"action": "cooperative.verify"}, headers=headers)
    assert [item["entity_id"] for item in by_action.json()["items"]] == [str(second)]
    limited = await client.get(AUDIT, params={"limit": 1}, headers=headers)
    assert len(limited.json()["items"]) == 1


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "501"}, {"entity_id": "x" * 51}, {"entity_kind": "a\x00b"}],
)
async def test_bad_audit_filters_are_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, params: dict[str, str]
) -> None:
    _operator_id, headers = await _operator(app, database)
    response = await client.get(AUDIT, params=params, headers=headers)
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == set(params)


async def test_concurrent_verifications_apply_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id = await _supplier(database)
    _operator_id, headers = await _operator(app, database)
    before = await snapshot(database)

    responses = await asyncio.gather(
        *(client.post(f"{ADMIN}/{cooperative_id}/verify", headers=headers) for _ in range(3))
    )

    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    after = await snapshot(database)
    assert after["audit_entries"] == before["audit_entries"] + 1
    assert (await status_of(database, cooperative_id))[0] == VERIFIED


async def test_two_admins_removing_each_other_leave_one_admin(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    first = await create_user(database, email="first@example.com")
    second = await create_user(database, email="second@example.com")
    cooperative_id = await create_cooperative(database, admin_id=first, status=PENDING)
    await grant(database, second, Role.SUPPLIER_ADMIN, cooperative_id)
    members = f"/api/v1/cooperatives/{cooperative_id}/members"

    responses = await asyncio.gather(
        client.delete(f"{members}/{second}", headers=bearer(token_for(first))),
        client.delete(f"{members}/{first}", headers=bearer(token_for(second))),
    )

    codes = sorted(r.status_code for r in responses)
    # The second request runs after the first committed: it is either refused as the last
    # admin (409) or, its author having just been removed, no longer a member (404).
    assert codes[0] == 200
    assert codes[1] in {404, 409}
    roles = await supplier_roles(database, cooperative_id)
    assert len(roles) == 1
    assert next(iter(roles.values())) == {Role.SUPPLIER_ADMIN}
