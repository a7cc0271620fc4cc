"""The organisation portal's pages: registration, the menu on every /org/{id}/ page, members
and invitations, the yearly target, the dashboard, the invitee's page and the operator's
review queue; every form with its CSRF token, someone else's organisation a 404 page."""

from __future__ import annotations

import re

import httpx
import pytest

from app.account.models import Role
from app.core.db import Database
from app.organization import menu
from app.organization.models import OrganizationStatus
from tests.account.factories import create_user, csrf_token_in, sign_in_page
from tests.organization.factories import (
    ORG_COUNTY,
    create_organization,
    org_credit_code,
    org_roles,
    organization_status,
    snapshot,
)


async def _signed_in(
    client: httpx.AsyncClient, database: Database, email: str, roles: tuple[Role, ...] = ()
) -> int:
    user_id = await create_user(
        database, email=email, display_name=email.split("@")[0], roles=(Role.CONSUMER, *roles)
    )
    response = await sign_in_page(client, email)
    assert response.status_code == 303
    return user_id


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_token_in(response.text)


def _form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "天河区机关食堂",
        "kind": "government",
        "credit_code": org_credit_code(1),
        "region_code": ORG_COUNTY,
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(
    "path",
    ["/org/", "/org/register", "/org/1/", "/org/1/members", "/org/1/targets", "/invitations/1"],
)
async def test_pages_need_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_register_round_trip(client: httpx.AsyncClient, database: Database) -> None:
    user = await _signed_in(client, database, "li@example.com")
    form_page = await client.get("/org/register")
    assert form_page.status_code == 200
    assert 'name="csrf_token"' in form_page.text
    assert f'value="{ORG_COUNTY}"' in form_page.text
    assert "<label>" in form_page.text

    response = await client.post(
        "/org/register", data={**_form(), "csrf_token": csrf_token_in(form_page.text)}
    )

    assert response.status_code == 303
    dashboard_path = response.headers["location"]
    assert re.fullmatch(r"/org/\d+/", dashboard_path)
    org = int(dashboard_path.split("/")[2])
    assert await org_roles(database, org) == {user: {Role.ORG_ADMIN}}
    dashboard = await client.get(dashboard_path)
    assert dashboard.status_code == 200
    assert "天河区机关食堂" in dashboard.text
    assert "coop-status-pending" in dashboard.text  # not yet verified: no orders
    for entry in ("", "members", "targets", "bulk-orders", "approvals", "orders", "statements"):
        assert f'href="/org/{org}/{entry}"' in dashboard.text
    assert 'aria-current="page"' in dashboard.text
    # The header now offers the portal; /org/ goes straight to the only organisation.
    assert 'href="/org/"' in dashboard.text
    only = await client.get("/org/")
    assert (only.status_code, only.headers["location"]) == (303, dashboard_path)


async def test_register_errors_are_shown_per_field(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "li@example.com")
    csrf = await _csrf(client, "/org/register")
    before = await snapshot(database)

    response = await client.post(
        "/org/register",
        data={
            **_form(credit_code="11440106GA0000", region_code="999999", name="食"),
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 422
    for field in ("credit_code", "region_code", "name"):
        assert f'id="{field}-error"' in response.text
    assert "统一社会信用代码无效" in response.text
    assert 'value="11440106GA0000"' in response.text
    assert await snapshot(database) == before


async def test_register_needs_csrf_and_a_new_credit_code(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "li@example.com")
    await create_organization(database, n=1)
    csrf = await _csrf(client, "/org/register")
    before = await snapshot(database)

    without = await client.post("/org/register", data=_form(credit_code=org_credit_code(7)))
    taken = await client.post("/org/register", data={**_form(), "csrf_token": csrf})

    assert without.status_code == 403
    assert taken.status_code == 409
    assert "该统一社会信用代码已被注册" in taken.text
    assert await snapshot(database) == before


async def test_my_organisations_are_listed(client: httpx.AsyncClient, database: Database) -> None:
    user = await _signed_in(client, database, "li@example.com")
    empty = await client.get("/org/")
    assert empty.status_code == 200
    assert 'href="/org/register"' in empty.text
    first = await create_organization(database, n=1, members={user: Role.ORG_BUYER})
    second = await create_organization(database, n=2, members={user: Role.ORG_ADMIN})

    listed = await client.get("/org/")

    assert listed.status_code == 200
    assert f'href="/org/{first}/"' in listed.text and f'href="/org/{second}/"' in listed.text


async def test_others_organisations_are_404_pages(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com")
    org = await create_organization(database, members={owner: Role.ORG_ADMIN})
    mine = await _signed_in(client, database, "li@example.com")
    await create_organization(database, n=2, members={mine: Role.ORG_ADMIN})

    for path in (
        f"/org/{org}/",
        f"/org/{org}/members",
        f"/org/{org}/targets",
        "/org/999999/",
        "/org/abc/",
        f"/org/{2**64}/members",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    csrf = await _csrf(client, "/account")
    before = await snapshot(database)
    for path, data in (
        (f"/org/{org}/members", {"email": "li@example.com", "role": "admin"}),
        (f"/org/{org}/members/{owner}/remove", {}),
        (f"/org/{org}/members/{owner}/role", {"role": "buyer"}),
        (f"/org/{org}/targets", {"year": "2026", "budget_yuan": "1", "share_percent": "15"}),
        (f"/org/{org}/invitations/1/revoke", {}),
    ):
        response = await client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 404, path
    assert await snapshot(database) == before


async def test_members_are_invited_and_managed(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "admin@example.com")
    buyer = await create_user(database, email="buyer@example.com", display_name="采购小张")
    org = await create_organization(
        database, members={admin: Role.ORG_ADMIN, buyer: Role.ORG_BUYER}
    )
    path = f"/org/{org}/members"
    csrf = await _csrf(client, path)

    invited = await client.post(
        path, data={"email": "new@example.com", "role": "approver", "csrf_token": csrf}
    )
    assert invited.status_code == 303
    page = (await client.get(invited.headers["location"])).text
    assert "邀请已发出" in page
    assert "new@example.com" in page
    invitation_id = re.search(r"/invitations/(\d+)/revoke", page).group(1)  # type: ignore[union-attr]

    revoked = await client.post(
        f"/org/{org}/invitations/{invitation_id}/revoke", data={"csrf_token": csrf}
    )
    assert "邀请已撤回" in (await client.get(revoked.headers["location"])).text

    changed = await client.post(
        f"{path}/{buyer}/role", data={"role": "approver", "csrf_token": csrf}
    )
    assert changed.status_code == 303
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}, buyer: {Role.ORG_APPROVER}}

    last = await client.post(f"{path}/{admin}/remove", data={"csrf_token": csrf})
    assert last.status_code == 409
    assert "不能移除唯一的管理员" in last.text
    demote = await client.post(f"{path}/{admin}/role", data={"role": "buyer", "csrf_token": csrf})
    assert demote.status_code == 409
    assert "这是唯一的管理员" in demote.text

    removed = await client.post(f"{path}/{buyer}/remove", data={"csrf_token": csrf})
    assert "成员已移除" in (await client.get(removed.headers["location"])).text
    assert await org_roles(database, org) == {admin: {Role.ORG_ADMIN}}


async def test_invite_errors_re_render_the_members_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "admin@example.com")
    org = await create_organization(database, members={admin: Role.ORG_ADMIN})
    csrf = await _csrf(client, f"/org/{org}/members")
    before = await snapshot(database)

    bad = await client.post(
        f"/org/{org}/members", data={"email": "not-an-address", "csrf_token": csrf}
    )
    member = await client.post(
        f"/org/{org}/members", data={"email": "admin@example.com", "csrf_token": csrf}
    )
    without_csrf = await client.post(f"/org/{org}/members", data={"email": "x@example.com"})

    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text and 'value="not-an-address"' in bad.text
    assert member.status_code == 409
    assert "该用户已是成员" in member.text
    assert without_csrf.status_code == 403
    assert await snapshot(database) == before


async def test_a_buyer_sees_no_admin_forms(client: httpx.AsyncClient, database: Database) -> None:
    admin = await create_user(database, email="admin@example.com")
    buyer = await _signed_in(client, database, "buyer@example.com")
    org = await create_organization(
        database, members={admin: Role.ORG_ADMIN, buyer: Role.ORG_BUYER}
    )

    members = await client.get(f"/org/{org}/members")
    targets = await client.get(f"/org/{org}/targets")

    assert f'action="/org/{org}/members"' not in members.text
    assert f'action="/org/{org}/members/{admin}/remove"' not in members.text
    assert f'action="/org/{org}/members/{buyer}/remove"' in members.text  # leave
    assert f'action="/org/{org}/targets"' not in targets.text


async def test_the_target_form_suggests_fifteen_percent_and_explains_the_minimum(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "admin@example.com")
    org = await create_organization(database, members={admin: Role.ORG_ADMIN})
    page = await client.get(f"/org/{org}/targets")
    assert 'name="share_percent" value="15"' in page.text
    csrf = csrf_token_in(page.text)
    before = await snapshot(database)

    too_low = await client.post(
        f"/org/{org}/targets",
        data={"year": "2026", "budget_yuan": "1000000", "share_percent": "9.5", "csrf_token": csrf},
    )
    assert too_low.status_code == 422
    assert "预留比例不能低于 10%" in too_low.text
    assert 'value="9.5"' in too_low.text
    bad_budget = await client.post(
        f"/org/{org}/targets",
        data={"year": "2026", "budget_yuan": "-5", "share_percent": "15", "csrf_token": csrf},
    )
    assert bad_budget.status_code == 422
    assert 'id="canteen_budget_fen-error"' in bad_budget.text
    assert await snapshot(database) == before

    saved = await client.post(
        f"/org/{org}/targets",
        data={
            "year": "2026",
            "budget_yuan": "1,000,000.50",
            "share_percent": "12.5",
            "csrf_token": csrf,
        },
    )

    assert saved.status_code == 303
    listed = (await client.get(saved.headers["location"])).text
    assert "年度目标已保存" in listed
    assert "¥125,000.06" in listed  # 1 000 000.50 × 12.5 % = 125 000.0625
    dashboard = await client.get(f"/org/{org}/?year=2026")
    assert "¥125,000.06" in dashboard.text
    assert '<progress class="org-progress-bar" max="100" value="' in dashboard.text
    assert 'data-target="12500006"' in dashboard.text


async def test_the_menu_shows_counts_other_domains_register(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await _signed_in(client, database, "admin@example.com")
    org = await create_organization(database, members={admin: Role.ORG_ADMIN})
    monkeypatch.setattr(menu, "_COUNTERS", {})

    async def awaiting(*_args: object) -> int:
        return 3

    async def nothing(*_args: object) -> int:
        return 0

    menu.register_menu_counter("approvals", awaiting)
    menu.register_menu_counter("orders", nothing)

    page = await client.get(f"/org/{org}/members")

    assert re.search(
        rf'href="/org/{org}/approvals">\s*\S+ <span class="badge org-menu-count"', page.text
    )
    assert page.text.count("org-menu-count") == 1


async def test_the_operator_reviews_organisations_from_the_queue(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "ops@example.com", (Role.OPERATOR,))
    pending = await create_organization(database, n=1, status=OrganizationStatus.PENDING)
    other = await create_organization(database, n=2, status=OrganizationStatus.PENDING)
    coops = await client.get("/admin/cooperatives")
    assert 'href="/admin/organizations"' in coops.text

    queue = await client.get("/admin/organizations")
    assert queue.status_code == 200
    assert f'action="/admin/organizations/{pending}/verify"' in queue.text
    csrf = csrf_token_in(queue.text)

    verified = await client.post(
        f"/admin/organizations/{pending}/verify", data={"csrf_token": csrf, "status": "pending"}
    )
    assert (verified.status_code, verified.headers["location"]) == (
        303,
        "/admin/organizations?status=pending",
    )
    assert await organization_status(database, pending) == OrganizationStatus.VERIFIED

    no_reason = await client.post(
        f"/admin/organizations/{other}/reject", data={"csrf_token": csrf, "status": "pending"}
    )
    assert no_reason.status_code == 422
    assert "请填写原因" in no_reason.text
    rejected = await client.post(
        f"/admin/organizations/{other}/reject",
        data={"csrf_token": csrf, "status": "pending", "reason": "名称不符"},
    )
    assert rejected.status_code == 303
    assert await organization_status(database, other) == OrganizationStatus.REJECTED
    # The operator may look at any organisation's dashboard.
    assert (await client.get(f"/org/{other}/")).status_code == 200


async def test_the_review_queue_is_for_operators(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "admin@example.com")
    org = await create_organization(
        database, status=OrganizationStatus.PENDING, members={admin: Role.ORG_ADMIN}
    )
    csrf = await _csrf(client, "/account")
    assert (await client.get("/admin/organizations")).status_code == 403
    verify = await client.post(f"/admin/organizations/{org}/verify", data={"csrf_token": csrf})
    assert verify.status_code == 403
    assert await organization_status(database, org) == OrganizationStatus.PENDING


# ---------------------------------------------------------------------------------------------
# The invitee's side


async def _invitation(client: httpx.AsyncClient, database: Database) -> tuple[int, int]:
    """An organisation whose admin invited zhang@example.com: (organisation, invitation)."""
    from app.account import invitations
    from app.account.models import InvitationScope, User
    from app.core.db import unit_of_work

    admin = await create_user(database, email="admin@example.com", display_name="管理员老王")
    org = await create_organization(database, members={admin: Role.ORG_ADMIN})
    async with unit_of_work(database.writer) as session:
        inviter = await session.get(User, admin)
        assert inviter is not None
        invitation = await invitations.invite(
            session,
            inviter=inviter,
            scope_kind=InvitationScope.ORGANIZATION,
            scope_id=org,
            scope_name="测试机关食堂1",
            email="zhang@example.com",
            role=Role.ORG_BUYER,
        )
        return org, invitation.id


async def test_the_invitee_accepts_on_the_invitation_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    org, invitation_id = await _invitation(client, database)
    user = await _signed_in(client, database, "zhang@example.com")
    account = await client.get("/account")
    assert f'href="/invitations/{invitation_id}"' in account.text

    page = await client.get(f"/invitations/{invitation_id}")

    assert page.status_code == 200
    assert "测试机关食堂1" in page.text and "管理员老王" in page.text and "采购员" in page.text
    assert f'action="/invitations/{invitation_id}/accept"' in page.text
    accepted = await client.post(
        f"/invitations/{invitation_id}/accept", data={"csrf_token": csrf_token_in(page.text)}
    )
    assert (accepted.status_code, accepted.headers["location"]) == (303, f"/org/{org}/")
    assert await org_roles(database, org) != {} and user in await org_roles(database, org)
    assert "机构" in (await client.get(f"/org/{org}/")).text
    answered = await client.get(f"/invitations/{invitation_id}")
    assert "已接受" in answered.text
    assert f'action="/invitations/{invitation_id}/accept"' not in answered.text


async def test_the_invitee_declines(client: httpx.AsyncClient, database: Database) -> None:
    org, invitation_id = await _invitation(client, database)
    await _signed_in(client, database, "zhang@example.com")
    csrf = await _csrf(client, f"/invitations/{invitation_id}")

    declined = await client.post(f"/invitations/{invitation_id}/decline", data={"csrf_token": csrf})

    assert declined.status_code == 303
    assert "您已谢绝这份邀请" in (await client.get(declined.headers["location"])).text
    again = await client.post(f"/invitations/{invitation_id}/accept", data={"csrf_token": csrf})
    assert again.status_code == 404
    assert set(await org_roles(database, org)) == {
        next(iter(await org_roles(database, org)))
    }  # the admin only


async def test_someone_elses_invitation_is_a_404_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    _org, invitation_id = await _invitation(client, database)
    await _signed_in(client, database, "other@example.com")
    csrf = await _csrf(client, "/account")
    before = await snapshot(database)

    for path in (f"/invitations/{invitation_id}", "/invitations/abc", f"/invitations/{2**64}"):
        assert (await client.get(path)).status_code == 404, path
    accept = await client.post(f"/invitations/{invitation_id}/accept", data={"csrf_token": csrf})
    assert accept.status_code == 404
    without_csrf = await client.post(f"/invitations/{invitation_id}/accept", data={})
    assert without_csrf.status_code == 403
    assert await snapshot(database) == before
