"""The supplier portal and the operator's review and audit pages, forms with CSRF tokens."""

from __future__ import annotations

import re

import httpx
import pytest

from app.account.models import Role
from app.cooperative.models import SupplierStatus
from app.cooperative.pages import parse_households
from app.core.db import Database
from tests.account.factories import (
    bearer,
    create_user,
    csrf_token_in,
    issue_token,
    sign_in_page,
)
from tests.cooperative.factories import (
    OTHER_COUNTY,
    POVERTY_COUNTY,
    add_role,
    create_cooperative,
    create_operator,
    credit_code,
    snapshot,
    status_of,
    supplier_roles,
)


def _form(n: int = 1, **overrides: str) -> dict[str, str]:
    form = {
        "name": f"从江县香猪养殖专业合作社{n}",
        "kind": "cooperative",
        "credit_code": credit_code(n),
        "county_code": POVERTY_COUNTY,
        "contact_name": "吴建国",
        "contact_phone": "138 0855 1234",
        "households_supported": "120",
        "recommendation_ref": "从农推〔2026〕12号",
        "description": "香猪散养。",
    }
    form.update(overrides)
    return form


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


@pytest.mark.parametrize(
    "path", ["/coop", "/coop/register", "/coop/1", "/admin/cooperatives", "/admin/audit"]
)
async def test_pages_need_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_the_register_form_offers_poverty_lifted_counties_by_province(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "wu@example.com")

    response = await client.get("/coop/register")

    assert response.status_code == 200
    page = response.text
    assert len(csrf_token_in(page)) >= 32
    assert '<optgroup label="贵州省">' in page
    assert f'<option value="{POVERTY_COUNTY}">' in page
    assert f'value="{OTHER_COUNTY}"' not in page
    assert len(re.findall(r'<option value="\d{6}"', page)) == 831
    assert 'name="credit_code"' in page
    assert 'name="households_supported"' in page


async def test_register_round_trip(client: httpx.AsyncClient, database: Database) -> None:
    user_id = await _signed_in(client, database, "wu@example.com")
    csrf = await _csrf(client, "/coop/register")

    response = await client.post("/coop/register", data={**_form(), "csrf_token": csrf})

    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/coop/(\d+)", response.headers["location"])
    assert match is not None
    cooperative_id = int(match.group(1))
    assert await supplier_roles(database, cooperative_id) == {user_id: {Role.SUPPLIER_ADMIN}}

    dashboard = await client.get(response.headers["location"])
    assert dashboard.status_code == 200
    page = dashboard.text
    assert "coop-status-pending" in page
    assert "入驻申请正在审核中" in page
    assert "从江县香猪养殖专业合作社1" in page
    assert credit_code(1) in page
    assert "13808551234" in page
    assert f'href="/coop/{cooperative_id}/products"' in page
    assert f'href="/coop/{cooperative_id}/certificates"' in page
    assert 'action="/coop/' in page  # the admin's invite form

    mine = await client.get("/coop")
    assert mine.status_code == 200
    assert f'href="/coop/{cooperative_id}"' in mine.text
    assert 'href="/coop/register"' in mine.text


async def test_register_without_csrf_writes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "wu@example.com")
    before = await snapshot(database)

    for token in (None, "wrong"):
        form = _form() if token is None else {**_form(), "csrf_token": token}
        response = await client.post("/coop/register", data=form)
        assert response.status_code == 403

    assert await snapshot(database) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"credit_code": credit_code(1)[:17] + "0"}, "credit_code", "第 18 位校验码不符"),
        ({"credit_code": "123"}, "credit_code", "应为 18 位"),
        ({"credit_code": credit_code(1, prefix="91")}, "credit_code", "合作社的代码以 93 开头"),
        ({"county_code": OTHER_COUNTY}, "county_code", "不在脱贫县名单中"),
        ({"county_code": ""}, "county_code", "请选择所在县"),
        ({"contact_phone": "12345"}, "contact_phone", "有效的手机号码或固定电话"),
        ({"households_supported": "12.5"}, "households_supported", "0 到 1000000 之间的整数"),
        ({"households_supported": "-3"}, "households_supported", "0 到 1000000 之间的整数"),
        ({"households_supported": "abc"}, "households_supported", "0 到 1000000 之间的整数"),
        ({"households_supported": "99999999"}, "households_supported", "0 到 1000000"),
        ({"name": "社"}, "name", "名称应为 2 到 100 个字符"),
        ({"kind": "ngo"}, "kind", "请选择主体类型"),
    ],
)
async def test_register_errors_re_render_with_the_entered_values(
    client: httpx.AsyncClient,
    database: Database,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    await _signed_in(client, database, "wu@example.com")
    csrf = await _csrf(client, "/coop/register")
    before = await snapshot(database)
    form = {**_form(), **overrides}

    response = await client.post("/coop/register", data={**form, "csrf_token": csrf})

    assert response.status_code == 422
    page = response.text
    assert f'id="{field}-error"' in page
    assert message in page
    assert 'class="form-error"' in page
    assert f'value="{form["contact_name"]}"' in page  # what was typed is kept
    assert "香猪散养。</textarea>" in page
    assert await snapshot(database) == before


async def test_a_registered_credit_code_is_409_on_the_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _signed_in(client, database, "wu@example.com")
    csrf = await _csrf(client, "/coop/register")
    first = await client.post("/coop/register", data={**_form(1), "csrf_token": csrf})
    assert first.status_code == 303
    before = await snapshot(database)

    again = await client.post(
        "/coop/register", data={**_form(2, credit_code=credit_code(1)), "csrf_token": csrf}
    )

    assert again.status_code == 409
    assert "该统一社会信用代码已被注册" in again.text
    assert "从江县香猪养殖专业合作社2" in again.text
    assert await snapshot(database) == before


async def test_others_dashboards_are_404(client: httpx.AsyncClient, database: Database) -> None:
    owner = await create_user(database, email="owner@example.com")
    cooperative_id = await create_cooperative(
        database, admin_id=owner, status=SupplierStatus.VERIFIED
    )
    await _signed_in(client, database, "wu@example.com")

    for path in (f"/coop/{cooperative_id}", "/coop/999999", f"/coop/{2**64}"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")

    csrf = await _csrf(client, "/coop")
    before = await snapshot(database)
    invite = await client.post(
        f"/coop/{cooperative_id}/members",
        data={"email": "wu@example.com", "role": "admin", "csrf_token": csrf},
    )
    assert invite.status_code == 404
    removal = await client.post(
        f"/coop/{cooperative_id}/members/{owner}/remove", data={"csrf_token": csrf}
    )
    assert removal.status_code == 404
    assert await snapshot(database) == before


async def test_members_are_invited_and_removed_from_the_dashboard(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin)
    member = await create_user(database, email="yang@example.com", display_name="杨梅")
    path = f"/coop/{cooperative_id}"
    csrf = await _csrf(client, path)

    invited = await client.post(
        f"{path}/members", data={"email": "yang@example.com", "role": "member", "csrf_token": csrf}
    )

    assert invited.status_code == 303
    assert invited.headers["location"] == f"{path}?done=invitation_sent"
    page = (await client.get(invited.headers["location"])).text
    assert "邀请已发出" in page
    assert "yang@example.com" in page  # among the invitations awaiting an answer
    assert await supplier_roles(database, cooperative_id) == {admin: {Role.SUPPLIER_ADMIN}}

    # The invitee accepts (with a token of their own); then they are a member.
    invitation_id = int(re.search(r"/invitations/(\d+)/revoke", page).group(1))  # type: ignore[union-attr]
    token = await issue_token(client, "yang@example.com")
    accepted = await client.post(
        f"/api/v1/invitations/{invitation_id}/accept", headers=bearer(token)
    )
    assert accepted.status_code == 200
    assert "杨梅" in (await client.get(path)).text
    assert await supplier_roles(database, cooperative_id) == {
        admin: {Role.SUPPLIER_ADMIN},
        member: {Role.SUPPLIER_MEMBER},
    }

    removed = await client.post(f"{path}/members/{member}/remove", data={"csrf_token": csrf})

    assert removed.status_code == 303
    assert "成员已移除" in (await client.get(removed.headers["location"])).text
    assert await supplier_roles(database, cooperative_id) == {admin: {Role.SUPPLIER_ADMIN}}


async def test_an_invitation_is_withdrawn_from_the_dashboard(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await _signed_in(client, database, "wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin)
    path = f"/coop/{cooperative_id}"
    csrf = await _csrf(client, path)
    await client.post(
        f"{path}/members", data={"email": "new@example.com", "role": "admin", "csrf_token": csrf}
    )
    page = (await client.get(path)).text
    invitation_id = int(re.search(r"/invitations/(\d+)/revoke", page).group(1))  # type: ignore[union-attr]

    revoked = await client.post(
        f"{path}/invitations/{invitation_id}/revoke", data={"csrf_token": csrf}
    )

    assert revoked.status_code == 303
    after = (await client.get(revoked.headers["location"])).text
    assert "邀请已撤回" in after
    assert "new@example.com" not in after
    again = await client.post(
        f"{path}/invitations/{invitation_id}/revoke", data={"csrf_token": csrf}
    )
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("email", "message", "status"),
    [
        ("not-an-address", "请输入有效的电子邮箱地址", 422),
        ("wu@example.com", "该用户已是成员", 409),
    ],
)
async def test_invite_errors_re_render_the_dashboard(
    client: httpx.AsyncClient, database: Database, email: str, message: str, status: int
) -> None:
    admin = await _signed_in(client, database, "wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin)
    csrf = await _csrf(client, f"/coop/{cooperative_id}")
    before = await snapshot(database)

    response = await client.post(
        f"/coop/{cooperative_id}/members",
        data={"email": email, "role": "admin", "csrf_token": csrf},
    )

    assert response.status_code == status
    assert message in response.text
    assert f'value="{email}"' in response.text
    assert 'id="email-error"' in response.text
    assert await snapshot(database) == before


async def test_member_forms_need_csrf(client: httpx.AsyncClient, database: Database) -> None:
    admin = await _signed_in(client, database, "wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin)
    await create_user(database, email="yang@example.com")
    await _csrf(client, f"/coop/{cooperative_id}")
    before = await snapshot(database)

    invite = await client.post(
        f"/coop/{cooperative_id}/members", data={"email": "yang@example.com"}
    )
    removal = await client.post(f"/coop/{cooperative_id}/members/{admin}/remove", data={})

    assert (invite.status_code, removal.status_code) == (403, 403)
    assert await snapshot(database) == before


async def test_the_last_admin_stays(client: httpx.AsyncClient, database: Database) -> None:
    admin = await _signed_in(client, database, "wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin)
    csrf = await _csrf(client, f"/coop/{cooperative_id}")
    before = await snapshot(database)

    removal = await client.post(
        f"/coop/{cooperative_id}/members/{admin}/remove", data={"csrf_token": csrf}
    )
    demotion = await client.post(
        f"/coop/{cooperative_id}/members/{admin}/role",
        data={"role": "member", "csrf_token": csrf},
    )

    assert removal.status_code == 409
    assert "不能移除唯一的管理员" in removal.text
    assert demotion.status_code == 409
    assert "这是唯一的管理员" in demotion.text
    assert await snapshot(database) == before


async def test_a_plain_member_sees_no_invite_form(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com", display_name="社长")
    cooperative_id = await create_cooperative(
        database,
        admin_id=owner,
        status=SupplierStatus.SUSPENDED,
        reason="抽检不合格",
    )
    member = await _signed_in(client, database, "wu@example.com")
    await add_role(database, member, Role.SUPPLIER_MEMBER, cooperative_id)

    response = await client.get(f"/coop/{cooperative_id}")

    assert response.status_code == 200
    assert "coop-status-suspended" in response.text
    assert "抽检不合格" in response.text
    assert f'action="/coop/{cooperative_id}/members"' not in response.text
    assert f'action="/coop/{cooperative_id}/members/{owner}/remove"' not in response.text
    assert f'action="/coop/{cooperative_id}/members/{member}/remove"' in response.text  # leave


# ---------------------------------------------------------------------------------------------
# Operator pages


@pytest.mark.parametrize("path", ["/admin/cooperatives", "/admin/audit"])
async def test_operator_pages_are_403_for_others(
    client: httpx.AsyncClient, database: Database, path: str
) -> None:
    await _signed_in(client, database, "wu@example.com", roles=(Role.SUPPLIER_ADMIN,))

    response = await client.get(path)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


async def test_a_consumer_cannot_post_review_actions(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com")
    cooperative_id = await create_cooperative(database, admin_id=owner)
    await _signed_in(client, database, "wu@example.com")
    csrf = await _csrf(client, "/coop")
    before = await snapshot(database)

    response = await client.post(
        f"/admin/cooperatives/{cooperative_id}/verify", data={"csrf_token": csrf}
    )

    assert response.status_code == 403
    assert await status_of(database, cooperative_id) == (SupplierStatus.PENDING, None)
    assert await snapshot(database) == before


async def test_the_operator_reviews_from_the_queue(
    client: httpx.AsyncClient, database: Database
) -> None:
    owner = await create_user(database, email="owner@example.com", display_name="社长")
    cooperative_id = await create_cooperative(database, admin_id=owner)
    await create_operator(database)
    await sign_in_page(client, "ops@example.com")

    queue = await client.get("/admin/cooperatives")
    assert queue.status_code == 200
    page = queue.text
    assert "从江县香猪养殖专业合作社1" in page
    assert f'/admin/cooperatives/{cooperative_id}/verify"' in page
    assert f'/admin/cooperatives/{cooperative_id}/reject"' in page
    assert f'/admin/cooperatives/{cooperative_id}/suspend"' not in page
    csrf = csrf_token_in(page)

    verified = await client.post(
        f"/admin/cooperatives/{cooperative_id}/verify",
        data={"csrf_token": csrf, "status": "pending", "reason": ""},
    )

    assert verified.status_code == 303
    assert verified.headers["location"] == "/admin/cooperatives?status=pending"
    assert await status_of(database, cooperative_id) == (SupplierStatus.VERIFIED, None)
    after = (await client.get(verified.headers["location"])).text
    assert "从江县香猪养殖专业合作社1" not in after
    tab = (await client.get("/admin/cooperatives?status=verified")).text
    assert f'/admin/cooperatives/{cooperative_id}/suspend"' in tab

    # Suspending needs a reason: the queue comes back with the error and nothing changes.
    before = await snapshot(database)
    missing = await client.post(
        f"/admin/cooperatives/{cooperative_id}/suspend",
        data={"csrf_token": csrf, "status": "verified", "reason": "  "},
    )
    assert missing.status_code == 422
    assert "请填写原因" in missing.text
    assert await snapshot(database) == before

    suspended = await client.post(
        f"/admin/cooperatives/{cooperative_id}/suspend",
        data={"csrf_token": csrf, "status": "verified", "reason": "抽检不合格"},
    )
    assert suspended.status_code == 303
    assert await status_of(database, cooperative_id) == (SupplierStatus.SUSPENDED, "抽检不合格")

    # A form left open on a stale queue: verifying a suspended supplier is refused.
    before = await snapshot(database)
    stale = await client.post(
        f"/admin/cooperatives/{cooperative_id}/verify",
        data={"csrf_token": csrf, "status": "pending"},
    )
    assert stale.status_code == 409
    assert "此操作不再适用" in stale.text
    assert await snapshot(database) == before

    audit = await client.get("/admin/audit")
    assert audit.status_code == 200
    log = audit.text
    assert "平台运营小王" in log
    assert "暂停供应商" in log
    assert "核验供应商" in log
    assert "供应商申请入驻" in log
    assert (
        '<span class="audit-status">已核验</span> → <span class="audit-status">已暂停</span>' in log
    )
    assert f"供应商 #{cooperative_id}" in log
    assert "抽检不合格" in log
    assert "社长" in log

    one = await client.get(
        "/admin/audit", params={"entity_kind": "cooperative", "entity_id": str(cooperative_id)}
    )
    assert one.status_code == 200
    assert "暂停供应商" in one.text


async def test_review_forms_need_csrf(client: httpx.AsyncClient, database: Database) -> None:
    owner = await create_user(database, email="owner@example.com")
    cooperative_id = await create_cooperative(database, admin_id=owner)
    await create_operator(database)
    await sign_in_page(client, "ops@example.com")
    before = await snapshot(database)

    response = await client.post(
        f"/admin/cooperatives/{cooperative_id}/verify", data={"status": "pending"}
    )

    assert response.status_code == 403
    assert await status_of(database, cooperative_id) == (SupplierStatus.PENDING, None)
    assert await snapshot(database) == before


@pytest.mark.parametrize(
    "path", ["/coop", "/coop/register", "/admin/cooperatives?status=rejected", "/admin/audit"]
)
async def test_pages_render_in_english(
    client: httpx.AsyncClient, database: Database, path: str
) -> None:
    await _signed_in(client, database, "ops@example.com", roles=(Role.OPERATOR,))
    response = await client.get(path, params={"lang": "en"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("120", 120),
        (" 0 ", 0),
        ("1,200", 1200),
        ("１，２００", 1200),  # full-width, as Chinese input methods type it
        ("1000000", 1_000_000),
        ("", None),
        ("12.5", None),
        ("-3", None),
        ("abc", None),
        ("١٢", None),  # Arabic-Indic digits: int() would take them
        ("12345678", None),
    ],
)
def test_parse_households(raw: str, expected: int | None) -> None:
    assert parse_households(raw) == expected
