"""The operator's audit log page: who, what, on which record, before → after, why."""

from __future__ import annotations

import httpx
from sqlalchemy import delete

from app.account.models import Role, User
from app.audit import service as audit
from app.core.db import Database, unit_of_work
from tests.account.factories import create_user, sign_in_page


async def test_the_log_shows_system_entries_deleted_actors_and_unknown_actions(
    client: httpx.AsyncClient, database: Database
) -> None:
    gone = await create_user(database, email="gone@example.com", display_name="离职员工")
    await create_user(database, email="ops@example.com", roles=(Role.OPERATOR,))
    async with unit_of_work(database.writer) as session:
        await audit.record(
            session,
            actor_user_id=None,
            action="order.expire",
            entity_kind="order",
            entity_id=41,
            before={"status": "pending_payment"},
            after={"status": "cancelled"},
            reason="超时未支付",
        )
        await audit.record(
            session,
            actor_user_id=gone,
            action="certificate.revoke",
            entity_kind="certificate",
            entity_id=9,
            before={"status": "verified"},
            after={"status": "revoked"},
            reason="<b>证书过期</b>",
        )
        await session.execute(delete(User).where(User.id == gone))
    await sign_in_page(client, "ops@example.com")

    response = await client.get("/admin/audit")

    assert response.status_code == 200
    page = response.text
    assert "系统" in page
    assert "order.expire" in page  # an action without a label shows its code
    assert "order #41" in page
    assert "超时未支付" in page
    assert f"已删除的用户 #{gone}" in page
    assert "撤销证书" in page
    assert "证书 #9" in page
    assert (
        '<span class="audit-status">已核验</span> → <span class="audit-status">已撤销</span>'
        in page
    )
    assert "&lt;b&gt;证书过期&lt;/b&gt;" in page  # escaped
    assert page.index("撤销证书") < page.index("order.expire")  # newest first

    only_orders = await client.get(
        "/admin/audit", params={"entity_kind": "order", "entity_id": "41"}
    )
    assert only_orders.status_code == 200
    assert "order.expire" in only_orders.text
    assert "撤销证书" not in only_orders.text
    assert 'href="/admin/audit">' in only_orders.text  # back to everything


async def test_an_empty_log(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="ops@example.com", roles=(Role.OPERATOR,))
    await sign_in_page(client, "ops@example.com")

    response = await client.get("/admin/audit")

    assert response.status_code == 200
    assert "暂无审计记录" in response.text


async def test_bad_filters_are_422_pages(client: httpx.AsyncClient, database: Database) -> None:
    await create_user(database, email="ops@example.com", roles=(Role.OPERATOR,))
    await sign_in_page(client, "ops@example.com")

    response = await client.get("/admin/audit", params={"entity_id": "x" * 51})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
