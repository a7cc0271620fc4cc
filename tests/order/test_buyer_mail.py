"""Buyers hear of their order by mail, through the outbox: placed (how to pay a transfer),
paid, each parcel shipped (carrier chosen from the list, with a tracking link), refunded. A
gift's parcels are not mailed one by one to the union (it follows them in its portal)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.config import Settings
from app.core.db import Database
from app.jobs.runner import JobRunner
from app.order.carriers import tracking_url
from tests.account.factories import create_api_user, grant
from tests.catalog.factories import create_seller
from tests.order.factories import jobs_named, placed_order


def _mails_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if str(message["To"]) == address:
            found.append(message)
    return found


async def test_a_buyer_is_told_of_each_step_of_their_order(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    settings: Settings,
) -> None:
    seller = await create_seller(database, stock=20, price_fen=2500, title="都匀毛尖")
    admin = await create_api_user(database)
    await grant(database, admin.id, Role.SUPPLIER_ADMIN, seller.id)
    buyer = await create_api_user(database, email="reader@example.com", display_name="李读者")
    operator = await create_api_user(database, roles=(Role.OPERATOR,))
    order = await placed_order(client, buyer, [(seller.sku_ids[0], 2)])
    await runner.run_until_idle()

    [placed] = _mails_to(settings.mail_dir, "reader@example.com")
    assert str(placed["Subject"]) == f"订单已提交：{order['number']}"
    text = placed.get_content()
    assert "李读者" in text and "都匀毛尖" in text
    assert settings.bank_account_number in text
    assert order["payment"]["bank_reference"] in text
    assert f"/orders/{order['id']}" in text

    confirmed = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    (parcel,) = order["fulfillments"]
    assert (
        await client.post(f"/api/v1/fulfillments/{parcel['id']}/accept", headers=admin.headers)
    ).status_code == 200
    shipped = await client.post(
        f"/api/v1/fulfillments/{parcel['id']}/ship",
        json={"carrier": "顺丰", "tracking_number": "SF1234567890"},
        headers=admin.headers,
    )
    assert shipped.status_code == 200, shipped.text
    # A known carrier is stored by its own name, and the parcel can be followed.
    assert shipped.json()["carrier"] == "顺丰速运"
    link = tracking_url("顺丰速运", "SF1234567890")
    assert link == "https://www.kuaidi100.com/chaxun?com=shunfeng&nu=SF1234567890"
    mine = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert mine["fulfillments"][0]["tracking_url"] == link
    line = mine["fulfillments"][0]["lines"][0]
    refunded = await client.post(
        f"/api/v1/admin/orders/{order['id']}/refunds",
        json={"lines": [{"order_line_id": line["id"], "quantity": 1}], "reason": "少发一盒"},
        headers=operator.headers,
    )
    assert refunded.status_code == 201, refunded.text
    await runner.run_until_idle()

    subjects = [str(m["Subject"]) for m in _mails_to(settings.mail_dir, "reader@example.com")]
    assert sorted(subjects) == sorted(
        f"{what}：{order['number']}"
        for what in ("订单已提交", "已收到付款", "包裹已发货", "退款已完成")
    )
    [shipped_mail] = [
        m for m in _mails_to(settings.mail_dir, "reader@example.com") if "发货" in str(m["Subject"])
    ]
    assert link in shipped_mail.get_content() and "SF1234567890" in shipped_mail.get_content()
    refund_mail = next(
        m for m in _mails_to(settings.mail_dir, "reader@example.com") if "退款" in str(m["Subject"])
    )
    assert "¥25.00" in refund_mail.get_content()
    # Run again: nothing is sent twice.
    await runner.run_until_idle()
    assert len(_mails_to(settings.mail_dir, "reader@example.com")) == 4


async def test_a_carrier_typed_by_hand_has_no_tracking_link(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    assert tracking_url("乡镇自营车队", "A1234") is None
    assert tracking_url("中通", None) is None
    assert tracking_url("ZTO Express", "ZT1").endswith("com=zhongtong&nu=ZT1")  # type: ignore[union-attr]
    assert await jobs_named(database, "order.notify_buyer") == []
