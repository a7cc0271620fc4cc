"""A supplier's members through the JSON API: invitations by consent, roles, leaving."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from tests.account.factories import bearer, create_operator, create_user, grant, issue_token
from tests.cooperative.factories import (
    create_cooperative,
    snapshot,
    supplier_roles,
)
from tests.http_assertions import assert_error

COOPERATIVES = "/api/v1/cooperatives"


# ---------------------------------------------------------------------------------------------
# Members


async def _supplier_with_admin(
    client: httpx.AsyncClient, database: Database
) -> tuple[int, int, str]:
    """(cooperative id, admin user id, admin token)."""
    admin = await create_user(database, email="wu@example.com", display_name="吴建国")
    cooperative_id = await create_cooperative(
        database, admin_id=admin, status=SupplierStatus.PENDING
    )
    return cooperative_id, admin, await issue_token(client, "wu@example.com")


async def test_an_admin_invites_and_the_member_joins_by_accepting(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, token = await _supplier_with_admin(client, database)
    member = await create_user(database, email="yang@example.com", display_name="杨梅")

    response = await client.post(
        f"{COOPERATIVES}/{cooperative_id}/members",
        json={"email": "  YANG@Example.com ", "role": "member"},
        headers=bearer(token),
    )

    assert response.status_code == 202, response.text
    invitation_id = response.json()["invitation_id"]
    assert response.json() == {"invitation_id": invitation_id}
    # Nobody becomes a member without consent.
    assert await supplier_roles(database, cooperative_id) == {admin: {Role.SUPPLIER_ADMIN}}
    member_token = await issue_token(client, "yang@example.com")
    offered = await client.get("/api/v1/me/invitations", headers=bearer(member_token))
    assert [(i["id"], i["scope_kind"], i["scope_id"], i["role"]) for i in offered.json()] == [
        (invitation_id, "cooperative", cooperative_id, "member")
    ]
    assert offered.json()[0]["email"] == "yang@example.com"

    accepted = await client.post(
        f"/api/v1/invitations/{invitation_id}/accept", headers=bearer(member_token)
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert await supplier_roles(database, cooperative_id) == {
        admin: {Role.SUPPLIER_ADMIN},
        member: {Role.SUPPLIER_MEMBER},
    }
    listed = await client.get(f"{COOPERATIVES}/{cooperative_id}/members", headers=bearer(token))
    assert listed.status_code == 200
    assert [(m["user_id"], m["role"]) for m in listed.json()] == [
        (admin, "admin"),
        (member, "member"),
    ]
    # The new member sees the pending supplier and has it in /me.
    me = (await client.get("/api/v1/me", headers=bearer(member_token))).json()
    assert me["cooperative_ids"] == [cooperative_id]
    shown = await client.get(f"{COOPERATIVES}/{cooperative_id}", headers=bearer(member_token))
    assert shown.status_code == 200
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "cooperative.member_add")
        )
    assert entry is not None
    assert (entry.actor_user_id, entry.entity_id) == (member, str(cooperative_id))
    assert entry.after == {
        "member_user_id": member,
        "member_role": "member",
        "invitation_id": invitation_id,
    }


async def test_inviting_the_same_address_twice_changes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    await create_user(database, email="yang@example.com")
    path = f"{COOPERATIVES}/{cooperative_id}/members"
    first = await client.post(path, json={"email": "yang@example.com"}, headers=bearer(token))
    assert first.status_code == 202
    before = await snapshot(database)

    again = await client.post(path, json={"email": "yang@example.com"}, headers=bearer(token))

    assert again.status_code == 202
    assert again.json() == first.json()
    assert await snapshot(database) == before


async def test_registered_and_unregistered_addresses_get_the_same_answer(
    client: httpx.AsyncClient, database: Database
) -> None:
    from app.account.models import User

    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    await create_user(database, email="yang@example.com")
    gone = await create_user(database, email="gone@example.com")
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, gone)
        assert user is not None
        user.is_active = False

    answers = []
    for email in ("yang@example.com", "nobody@example.com", "gone@example.com"):
        response = await client.post(
            f"{COOPERATIVES}/{cooperative_id}/members",
            json={"email": email, "role": "admin"},
            headers=bearer(token),
        )
        assert response.status_code == 202, response.text
        answers.append(response)

    # The same shape, headers and status: only the new invitation's id differs.
    assert [set(r.json()) for r in answers] == [{"invitation_id"}] * 3
    assert len({r.json()["invitation_id"] for r in answers}) == 3
    assert len({tuple(sorted(set(r.headers) - {"content-length"})) for r in answers}) == 1
    assert await supplier_roles(database, cooperative_id) == {_admin: {Role.SUPPLIER_ADMIN}}


@pytest.mark.parametrize("email", ["not-an-address", "", "a\x00b@example.com"])
async def test_invalid_addresses_are_refused(
    client: httpx.AsyncClient, database: Database, email: str
) -> None:
    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    before = await snapshot(database)

    response = await client.post(
        f"{COOPERATIVES}/{cooperative_id}/members",
        json={"email": email, "role": "admin"},
        headers=bearer(token),
    )

    error = assert_error(response, 422, "invalid_email")
    assert set(error["fields"]) == {"email"}
    assert await snapshot(database) == before


async def test_a_member_is_not_invited_again(client: httpx.AsyncClient, database: Database) -> None:
    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    before = await snapshot(database)

    response = await client.post(
        f"{COOPERATIVES}/{cooperative_id}/members",
        json={"email": "wu@example.com", "role": "member"},
        headers=bearer(token),
    )

    error = assert_error(response, 409, "already_member")
    assert set(error["fields"]) == {"email"}
    assert await snapshot(database) == before


async def test_an_unknown_role_is_422(client: httpx.AsyncClient, database: Database) -> None:
    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    await create_user(database, email="yang@example.com")
    before = await snapshot(database)

    response = await client.post(
        f"{COOPERATIVES}/{cooperative_id}/members",
        json={"email": "yang@example.com", "role": "owner"},
        headers=bearer(token),
    )

    error = assert_error(response, 422, "validation_failed")
    assert "role" in error["fields"]
    assert await snapshot(database) == before


async def test_members_who_are_not_admins_cannot_add_members(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, _admin, _token = await _supplier_with_admin(client, database)
    member = await create_user(database, email="yang@example.com")
    await grant(database, member, Role.SUPPLIER_MEMBER, cooperative_id)
    await create_user(database, email="li@example.com")
    before = await snapshot(database)

    response = await client.post(
        f"{COOPERATIVES}/{cooperative_id}/members",
        json={"email": "li@example.com", "role": "admin"},
        headers=bearer(await issue_token(client, "yang@example.com")),
    )

    assert_error(response, 403, "supplier_admin_required")
    assert await snapshot(database) == before


async def test_outsiders_and_operators_get_404_for_member_changes(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, _token = await _supplier_with_admin(client, database)
    # An admin of another supplier is an outsider here.
    other_admin = await create_user(database, email="li@example.com")
    await create_cooperative(database, admin_id=other_admin, n=2)
    await create_operator(database)
    before = await snapshot(database)

    for email in ("li@example.com", "ops@example.com"):
        headers = bearer(await issue_token(client, email))
        added = await client.post(
            f"{COOPERATIVES}/{cooperative_id}/members",
            json={"email": email, "role": "admin"},
            headers=headers,
        )
        assert_error(added, 404, "cooperative_not_found")
        removed = await client.delete(
            f"{COOPERATIVES}/{cooperative_id}/members/{admin}", headers=headers
        )
        assert_error(removed, 404, "cooperative_not_found")
    assert await snapshot(database) == before

    outsider = bearer(await issue_token(client, "li@example.com"))
    listed = await client.get(f"{COOPERATIVES}/{cooperative_id}/members", headers=outsider)
    assert_error(listed, 404, "cooperative_not_found")
    operator = bearer(await issue_token(client, "ops@example.com"))
    seen = await client.get(f"{COOPERATIVES}/{cooperative_id}/members", headers=operator)
    assert seen.status_code == 200
    assert [m["user_id"] for m in seen.json()] == [admin]


async def test_promoting_and_demoting_keeps_one_role_per_member(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, token = await _supplier_with_admin(client, database)
    member = await create_user(database, email="yang@example.com")
    path = f"{COOPERATIVES}/{cooperative_id}/members"
    invited = await client.post(path, json={"email": "yang@example.com"}, headers=bearer(token))
    member_token = await issue_token(client, "yang@example.com")
    invitation_id = invited.json()["invitation_id"]
    await client.post(f"/api/v1/invitations/{invitation_id}/accept", headers=bearer(member_token))

    promoted = await client.patch(f"{path}/{member}", json={"role": "admin"}, headers=bearer(token))
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    assert await supplier_roles(database, cooperative_id) == {
        admin: {Role.SUPPLIER_ADMIN},
        member: {Role.SUPPLIER_ADMIN},
    }

    # Two admins: the first may now step down to member.
    demoted = await client.patch(f"{path}/{admin}", json={"role": "member"}, headers=bearer(token))
    assert demoted.status_code == 200
    assert await supplier_roles(database, cooperative_id) == {
        admin: {Role.SUPPLIER_MEMBER},
        member: {Role.SUPPLIER_ADMIN},
    }
    async with unit_of_work(database.reader) as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == [
        "cooperative.apply",
        "cooperative.member_invite",
        "cooperative.member_add",
        "cooperative.member_role_change",
        "cooperative.member_role_change",
    ]


async def test_the_last_admin_cannot_be_demoted(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, token = await _supplier_with_admin(client, database)
    before = await snapshot(database)

    response = await client.patch(
        f"{COOPERATIVES}/{cooperative_id}/members/{admin}",
        json={"role": "member"},
        headers=bearer(token),
    )

    assert_error(response, 409, "last_admin")
    assert await snapshot(database) == before
    assert await supplier_roles(database, cooperative_id) == {admin: {Role.SUPPLIER_ADMIN}}


async def test_role_changes_need_a_member_and_an_admin(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, _admin, token = await _supplier_with_admin(client, database)
    member = await create_user(database, email="yang@example.com")
    stranger = await create_user(database, email="li@example.com")
    await grant(database, member, Role.SUPPLIER_MEMBER, cooperative_id)
    path = f"{COOPERATIVES}/{cooperative_id}/members"
    before = await snapshot(database)

    for user_id in (stranger, 2**63):
        response = await client.patch(
            f"{path}/{user_id}", json={"role": "admin"}, headers=bearer(token)
        )
        assert_error(response, 404, "member_not_found")
    refused = await client.patch(
        f"{path}/{member}",
        json={"role": "admin"},
        headers=bearer(await issue_token(client, "yang@example.com")),
    )
    assert_error(refused, 403, "supplier_admin_required")
    bad_role = await client.patch(f"{path}/{member}", json={"role": "owner"}, headers=bearer(token))
    assert bad_role.status_code == 422
    assert await snapshot(database) == before


async def test_removing_members(client: httpx.AsyncClient, database: Database) -> None:
    cooperative_id, admin, token = await _supplier_with_admin(client, database)
    member = await create_user(database, email="yang@example.com", display_name="杨梅")
    await grant(database, member, Role.SUPPLIER_MEMBER, cooperative_id)
    path = f"{COOPERATIVES}/{cooperative_id}/members"

    removed = await client.delete(f"{path}/{member}", headers=bearer(token))

    assert removed.status_code == 200
    assert removed.json() == {
        "user_id": member,
        "email": "yang@example.com",
        "display_name": "杨梅",
        "role": "member",
    }
    assert await supplier_roles(database, cooperative_id) == {admin: {Role.SUPPLIER_ADMIN}}
    member_token = await issue_token(client, "yang@example.com")
    hidden = await client.get(f"{COOPERATIVES}/{cooperative_id}", headers=bearer(member_token))
    assert_error(hidden, 404, "cooperative_not_found")
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "cooperative.member_remove")
        )
    assert entry is not None
    assert entry.before == {"member_user_id": member, "member_role": "member"}
    assert entry.after == {"member_user_id": member, "member_role": None}

    again = await client.delete(f"{path}/{member}", headers=bearer(token))
    assert_error(again, 404, "member_not_found")
    nobody = await client.delete(f"{path}/{2**63}", headers=bearer(token))
    assert_error(nobody, 404, "member_not_found")


async def test_the_last_admin_cannot_be_removed(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, token = await _supplier_with_admin(client, database)
    before = await snapshot(database)

    response = await client.delete(
        f"{COOPERATIVES}/{cooperative_id}/members/{admin}", headers=bearer(token)
    )

    assert_error(response, 409, "last_admin")
    assert await snapshot(database) == before


async def test_members_may_leave_but_not_remove_others(
    client: httpx.AsyncClient, database: Database
) -> None:
    cooperative_id, admin, _token = await _supplier_with_admin(client, database)
    first = await create_user(database, email="yang@example.com")
    second = await create_user(database, email="li@example.com")
    await grant(database, first, Role.SUPPLIER_MEMBER, cooperative_id)
    await grant(database, second, Role.SUPPLIER_MEMBER, cooperative_id)
    headers = bearer(await issue_token(client, "yang@example.com"))
    path = f"{COOPERATIVES}/{cooperative_id}/members"
    before = await snapshot(database)

    refused = await client.delete(f"{path}/{second}", headers=headers)
    assert_error(refused, 403, "supplier_admin_required")
    assert await snapshot(database) == before

    left = await client.delete(f"{path}/{first}", headers=headers)
    assert left.status_code == 200
    assert left.json()["user_id"] == first
    assert set(await supplier_roles(database, cooperative_id)) == {admin, second}


async def test_member_routes_need_a_token(client: httpx.AsyncClient, database: Database) -> None:
    cooperative_id, admin, _token = await _supplier_with_admin(client, database)
    path = f"{COOPERATIVES}/{cooperative_id}/members"
    assert_error(await client.get(path), 401, "unauthorized")
    assert_error(await client.post(path, json={"email": "x@example.com"}), 401, "unauthorized")
    assert_error(await client.delete(f"{path}/{admin}"), 401, "unauthorized")
    patched = await client.patch(f"{path}/{admin}", json={"role": "member"})
    assert_error(patched, 401, "unauthorized")
