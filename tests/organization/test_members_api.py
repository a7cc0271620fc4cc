"""Members by consent over the JSON API: invitations (the same answer for registered and
unregistered addresses), accepting and declining them, role changes and removal, and the last
admin who always stays."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Invitation, InvitationStatus, Role, User
from app.audit.models import AuditEntry
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from tests.http_assertions import assert_error
from tests.organization.factories import (
    create_organization,
    expire_invitation,
    org_roles,
    snapshot,
    user_with_token,
)

ORGANIZATIONS = "/api/v1/organizations"


async def _organization_with_admin(
    app: FastAPI, database: Database
) -> tuple[int, int, dict[str, str]]:
    """(organisation id, admin id, admin's headers)."""
    admin, headers = await user_with_token(app, database, "admin@org.example")
    org = await create_organization(database, name="测试机关食堂1", members={admin: Role.ORG_ADMIN})
    return org, admin, headers


async def _invite(
    client: httpx.AsyncClient,
    org: int,
    headers: dict[str, str],
    address: str,
    role: str = "buyer",
) -> int:
    response = await client.post(
        f"{ORGANIZATIONS}/{org}/members", json={"email": address, "role": role}, headers=headers
    )
    assert response.status_code == 202, response.text
    invitation_id: int = response.json()["invitation_id"]
    return invitation_id


async def test_an_invitee_joins_by_accepting(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, headers = await _organization_with_admin(app, database)
    buyer, buyer_headers = await user_with_token(app, database, "zhang@example.com")

    invitation_id = await _invite(client, org, headers, "ZHANG@example.com ", "approver")

    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}}
    assert_error(
        await client.get(f"{ORGANIZATIONS}/{org}", headers=buyer_headers),
        404,
        "organization_not_found",
    )
    mine = (await client.get("/api/v1/me/invitations", headers=buyer_headers)).json()
    assert [(i["id"], i["scope_kind"], i["scope_id"], i["role"], i["status"]) for i in mine] == [
        (invitation_id, "organization", org, "approver", "pending")
    ]
    assert mine[0]["scope_name"] == "测试机关食堂1"
    assert mine[0]["inviter_name"] == "admin"

    accepted = await client.post(
        f"/api/v1/invitations/{invitation_id}/accept", headers=buyer_headers
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}, buyer: {Role.ORG_APPROVER}}
    me = (await client.get("/api/v1/me", headers=buyer_headers)).json()
    assert me["organization_ids"] == [org]
    members = (await client.get(f"{ORGANIZATIONS}/{org}/members", headers=buyer_headers)).json()
    assert [(m["user_id"], m["role"]) for m in members] == [(admin, "admin"), (buyer, "approver")]
    assert (await client.get("/api/v1/me/invitations", headers=buyer_headers)).json() == []
    async with unit_of_work(database.reader) as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_kind == "organization")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["organization.member_invite", "organization.member_add"]


async def test_registered_and_unregistered_addresses_get_the_same_answer(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    await user_with_token(app, database, "known@example.com")
    answers = []
    for address in ("known@example.com", "unknown@example.com"):
        answers.append(
            await client.post(
                f"{ORGANIZATIONS}/{org}/members",
                json={"email": address, "role": "buyer"},
                headers=headers,
            )
        )

    assert [r.status_code for r in answers] == [202, 202]
    assert [set(r.json()) for r in answers] == [{"invitation_id"}, {"invitation_id"}]
    assert sorted(answers[0].headers.keys()) == sorted(answers[1].headers.keys())
    # The same body but for the id (ids may differ in their number of digits: 9, then 10).
    assert [len(r.content) - len(str(r.json()["invitation_id"])) for r in answers] == [
        len(answers[0].content) - len(str(answers[0].json()["invitation_id"]))
    ] * 2
    async with unit_of_work(database.reader) as session:
        rows = list(await session.scalars(select(Invitation).order_by(Invitation.id)))
    # Both stored alike: no account is linked to an invitation before it is answered.
    assert [(i.email, i.invitee_user_id, i.status) for i in rows] == [
        ("known@example.com", None, InvitationStatus.PENDING),
        ("unknown@example.com", None, InvitationStatus.PENDING),
    ]


def _mail_files(mail_dir: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(mail_dir.glob("*.eml"))]


async def test_the_invitee_is_mailed_a_link_whether_registered_or_not(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    await user_with_token(app, database, "known@example.com")
    known = await _invite(client, org, headers, "known@example.com")
    unknown = await _invite(client, org, headers, "unknown@example.com", "admin")

    assert await runner.run_until_idle() == 2

    mails = {}
    for raw in _mail_files(settings.mail_dir):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        mails[str(message["To"])] = message
    assert set(mails) == {"known@example.com", "unknown@example.com"}
    known_text = mails["known@example.com"].get_body().get_content()  # type: ignore[union-attr]
    unknown_text = mails["unknown@example.com"].get_body().get_content()  # type: ignore[union-attr]
    assert f"/invitations/{known}" in known_text
    assert f"/invitations/{unknown}" in unknown_text
    assert "测试机关食堂1" in known_text
    assert "采购员" in known_text and "管理员" in unknown_text
    assert "/register?next=" in known_text and "/register?next=" in unknown_text


async def test_inviting_again_answers_the_same_invitation(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    first = await _invite(client, org, headers, "zhang@example.com")
    before = await snapshot(database)

    assert await _invite(client, org, headers, "zhang@example.com") == first
    assert await snapshot(database) == before

    # Another role: the same invitation offers it (and is mailed again).
    assert await _invite(client, org, headers, "zhang@example.com", "admin") == first
    async with unit_of_work(database.reader) as session:
        invitation = await session.get(Invitation, first)
        assert invitation is not None
        assert invitation.role == Role.ORG_ADMIN


async def test_accepting_with_another_address_is_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    _other, other_headers = await user_with_token(app, database, "other@example.com")
    invitation_id = await _invite(client, org, headers, "zhang@example.com")
    before = await snapshot(database)

    for action in ("accept", "decline"):
        response = await client.post(
            f"/api/v1/invitations/{invitation_id}/{action}", headers=other_headers
        )
        assert_error(response, 404, "invitation_not_found")
    # The inviting admin cannot accept on the invitee's behalf either.
    response = await client.post(f"/api/v1/invitations/{invitation_id}/accept", headers=headers)
    assert_error(response, 404, "invitation_not_found")
    assert (await client.get("/api/v1/me/invitations", headers=other_headers)).json() == []
    assert await snapshot(database) == before


async def test_an_invitation_is_answered_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    _buyer, buyer_headers = await user_with_token(app, database, "zhang@example.com")
    invitation_id = await _invite(client, org, headers, "zhang@example.com")
    path = f"/api/v1/invitations/{invitation_id}"
    assert (await client.post(f"{path}/accept", headers=buyer_headers)).status_code == 200
    before = await snapshot(database)

    assert_error(
        await client.post(f"{path}/accept", headers=buyer_headers), 404, "invitation_not_found"
    )
    assert_error(
        await client.post(f"{path}/decline", headers=buyer_headers), 404, "invitation_not_found"
    )
    assert await snapshot(database) == before


async def test_a_declined_invitation_cannot_be_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, headers = await _organization_with_admin(app, database)
    _buyer, buyer_headers = await user_with_token(app, database, "zhang@example.com")
    invitation_id = await _invite(client, org, headers, "zhang@example.com")
    path = f"/api/v1/invitations/{invitation_id}"

    declined = await client.post(f"{path}/decline", headers=buyer_headers)

    assert declined.json()["status"] == "declined"
    assert_error(
        await client.post(f"{path}/accept", headers=buyer_headers), 404, "invitation_not_found"
    )
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}}
    # Invited again later: a new invitation.
    assert await _invite(client, org, headers, "zhang@example.com") != invitation_id


async def test_an_expired_invitation_cannot_be_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, headers = await _organization_with_admin(app, database)
    _buyer, buyer_headers = await user_with_token(app, database, "zhang@example.com")
    invitation_id = await _invite(client, org, headers, "zhang@example.com")
    await expire_invitation(database, invitation_id)

    response = await client.post(
        f"/api/v1/invitations/{invitation_id}/accept", headers=buyer_headers
    )

    assert_error(response, 404, "invitation_not_found")
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}}
    assert (await client.get("/api/v1/me/invitations", headers=buyer_headers)).json() == []
    listed = (await client.get(f"{ORGANIZATIONS}/{org}/invitations", headers=headers)).json()
    assert [(i["id"], i["status"]) for i in listed] == [(invitation_id, "expired")]
    # Inviting again replaces the expired invitation with a fresh one.
    fresh = await _invite(client, org, headers, "zhang@example.com")
    assert fresh != invitation_id
    accepted = await client.post(f"/api/v1/invitations/{fresh}/accept", headers=buyer_headers)
    assert accepted.status_code == 200


async def test_a_withdrawn_invitation_cannot_be_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    _buyer, buyer_headers = await user_with_token(app, database, "zhang@example.com")
    invitation_id = await _invite(client, org, headers, "zhang@example.com")

    revoked = await client.delete(
        f"{ORGANIZATIONS}/{org}/invitations/{invitation_id}", headers=headers
    )

    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    accept = await client.post(f"/api/v1/invitations/{invitation_id}/accept", headers=buyer_headers)
    assert_error(accept, 404, "invitation_not_found")
    again = await client.delete(
        f"{ORGANIZATIONS}/{org}/invitations/{invitation_id}", headers=headers
    )
    assert_error(again, 404, "invitation_not_found")


@pytest.mark.parametrize("invitation_id", ["987654", str(2**63), "0"])
async def test_unknown_invitations_are_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database, invitation_id: str
) -> None:
    _user, headers = await user_with_token(app, database, "zhang@example.com")
    response = await client.post(f"/api/v1/invitations/{invitation_id}/accept", headers=headers)
    assert_error(response, 404, "invitation_not_found")


async def test_invitation_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/me/invitations"), 401, "unauthorized")
    assert_error(await client.post("/api/v1/invitations/1/accept"), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not-an-address", "role": "buyer"}, "invalid_email"),
        ({"email": "a\x00b@example.com", "role": "buyer"}, "invalid_email"),
        ({"email": "", "role": "buyer"}, "invalid_email"),
        ({"email": "admin@org.example", "role": "buyer"}, "already_member"),
    ],
)
async def test_bad_invitations_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    body: dict[str, str],
    code: str,
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    before = await snapshot(database)

    response = await client.post(f"{ORGANIZATIONS}/{org}/members", json=body, headers=headers)

    assert_error(response, 409 if code == "already_member" else 422, code)
    assert await snapshot(database) == before
    bad_role = await client.post(
        f"{ORGANIZATIONS}/{org}/members",
        json={"email": "x@example.com", "role": "owner"},
        headers=headers,
    )
    assert bad_role.status_code == 422
    assert await snapshot(database) == before


async def test_only_admins_invite(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    buyer, buyer_headers = await user_with_token(app, database, "buyer@example.com")
    _operator, operator_headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database, members={buyer: Role.ORG_BUYER})
    before = await snapshot(database)
    body = {"email": "x@example.com", "role": "admin"}

    by_buyer = await client.post(f"{ORGANIZATIONS}/{org}/members", json=body, headers=buyer_headers)
    by_operator = await client.post(
        f"{ORGANIZATIONS}/{org}/members", json=body, headers=operator_headers
    )

    assert_error(by_buyer, 403, "organization_admin_required")
    assert_error(by_operator, 404, "organization_not_found")
    assert await snapshot(database) == before


# ---------------------------------------------------------------------------------------------
# Roles and removal


async def test_roles_change_and_members_are_removed(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, headers = await _organization_with_admin(app, database)
    buyer, _ = await user_with_token(app, database, "buyer@example.com")
    await _add(database, org, buyer, Role.ORG_BUYER)
    path = f"{ORGANIZATIONS}/{org}/members"

    promoted = await client.patch(f"{path}/{buyer}", json={"role": "admin"}, headers=headers)
    assert promoted.json() == {
        "user_id": buyer,
        "email": "buyer@example.com",
        "display_name": "buyer",
        "role": "admin",
    }
    # Two admins: the first may now step down, and be removed.
    demoted = await client.patch(f"{path}/{admin}", json={"role": "approver"}, headers=headers)
    assert demoted.json()["role"] == "approver"
    assert await org_roles(database, org) == {admin: {Role.ORG_APPROVER}, buyer: {Role.ORG_ADMIN}}
    removed = await client.delete(f"{path}/{admin}", headers=headers)
    assert removed.status_code == 200
    assert removed.json()["role"] == "approver"
    assert await org_roles(database, org) == {buyer: {Role.ORG_ADMIN}}
    assert_error(
        await client.delete(f"{path}/{admin}", headers=headers), 404, "organization_not_found"
    )


async def _add(database: Database, org: int, user_id: int, role: Role) -> None:
    from app.account import service as account_service

    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        await account_service.grant_role(session, user, role, scope_id=org)


async def test_the_last_admin_stays(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, headers = await _organization_with_admin(app, database)
    before = await snapshot(database)
    path = f"{ORGANIZATIONS}/{org}/members/{admin}"

    assert_error(await client.delete(path, headers=headers), 409, "last_admin")
    demote = await client.patch(path, json={"role": "buyer"}, headers=headers)
    assert_error(demote, 409, "last_admin")
    assert await snapshot(database) == before
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}}


async def test_members_may_leave_but_not_remove_others(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, admin, _headers = await _organization_with_admin(app, database)
    buyer, buyer_headers = await user_with_token(app, database, "buyer@example.com")
    approver, _ = await user_with_token(app, database, "approver@example.com")
    await _add(database, org, buyer, Role.ORG_BUYER)
    await _add(database, org, approver, Role.ORG_APPROVER)
    path = f"{ORGANIZATIONS}/{org}/members"
    before = await snapshot(database)

    refused = await client.delete(f"{path}/{approver}", headers=buyer_headers)
    assert_error(refused, 403, "organization_admin_required")
    patched = await client.patch(f"{path}/{buyer}", json={"role": "admin"}, headers=buyer_headers)
    assert_error(patched, 403, "organization_admin_required")
    assert await snapshot(database) == before

    left = await client.delete(f"{path}/{buyer}", headers=buyer_headers)
    assert left.status_code == 200
    assert set(await org_roles(database, org)) == {admin, approver}


async def test_removing_a_non_member_is_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    stranger, _ = await user_with_token(app, database, "x@example.com")
    for user_id in (stranger, 987654, 2**63):
        response = await client.delete(f"{ORGANIZATIONS}/{org}/members/{user_id}", headers=headers)
        assert_error(response, 404, "member_not_found")
        patched = await client.patch(
            f"{ORGANIZATIONS}/{org}/members/{user_id}", json={"role": "buyer"}, headers=headers
        )
        assert_error(patched, 404, "member_not_found")


async def test_a_withdrawn_invitation_is_not_mailed(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
) -> None:
    org, _admin, headers = await _organization_with_admin(app, database)
    invitation_id = await _invite(client, org, headers, "zhang@example.com")
    await client.delete(f"{ORGANIZATIONS}/{org}/invitations/{invitation_id}", headers=headers)

    assert await runner.run_until_idle() == 1

    assert _mail_files(settings.mail_dir) == []
