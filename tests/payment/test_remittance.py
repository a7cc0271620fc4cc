"""我已汇款: the buyer of an unpaid bank transfer reports the remittance, optionally with a slip
(image or PDF, checked for type and size, stored in media storage); the operator sees both
beside the confirmation form; the slip is served to its buyer and to operators only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.payment.service import MAX_SLIP_BYTES
from app.web.static import static_url
from tests.account.factories import (
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    sign_in_page,
    token_headers,
)
from tests.catalog.factories import Seller, create_seller, png_bytes
from tests.http_assertions import assert_error
from tests.order.factories import mark_paid
from tests.payment.factories import jobs, payment_of, place_order

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _path(order_id: int) -> str:
    return f"/api/v1/orders/{order_id}/remittance"


@pytest.fixture
async def supplier(database: Database) -> Seller:
    return await create_seller(database, price_fen=4850)


@pytest.fixture
async def buyer(app: FastAPI, database: Database) -> ApiUser:
    return await create_api_user(database)


@pytest.fixture
async def operator(database: Database) -> ApiUser:
    return await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))


async def _transfer(client: httpx.AsyncClient, buyer: ApiUser, supplier: Seller) -> dict[str, Any]:
    return await place_order(client, buyer, [(supplier.sku_ids[0], 2)], method="bank_transfer")


async def test_a_remittance_is_reported_without_a_slip_and_pays_nothing(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _transfer(client, buyer, supplier)

    response = await client.post(_path(order["id"]), headers=buyer.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["remitted_at"] is not None
    assert (body["has_remittance_slip"], body["status"]) == (False, "pending")
    shown = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)
    assert shown.json()["status"] == "pending_payment"
    assert shown.json()["payment"]["remitted_at"] == body["remitted_at"]


async def test_an_image_slip_is_stored_re_encoded_and_shown_to_the_operator(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    operator: ApiUser,
    supplier: Seller,
) -> None:
    order = await _transfer(client, buyer, supplier)

    response = await client.post(
        _path(order["id"]),
        files={"slip": ("回单.png", png_bytes(600, 400), "image/png")},
        headers=buyer.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["has_remittance_slip"] is True
    payment = await payment_of(database, order["id"])
    assert payment.remittance_slip_key is not None
    assert payment.remittance_slip_key.startswith(f"remittances/{order['id']}/")
    slip = await client.get(
        f"/api/v1/admin/orders/{order['id']}/remittance-slip", headers=operator.headers
    )
    assert slip.status_code == 200
    assert slip.headers["content-type"] == "image/jpeg"
    assert slip.content.startswith(b"\xff\xd8")  # a JPEG made here, not the upload as sent
    assert slip.headers["x-content-type-options"] == "nosniff"
    assert_error(
        await client.get(
            f"/api/v1/admin/orders/{order['id']}/remittance-slip", headers=buyer.headers
        ),
        403,
        "forbidden",
    )


async def test_a_pdf_slip_is_kept_and_a_new_slip_replaces_it(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    operator: ApiUser,
    supplier: Seller,
) -> None:
    order = await _transfer(client, buyer, supplier)
    first = await client.post(
        _path(order["id"]),
        files={"slip": ("回单.pdf", PDF, "application/pdf")},
        headers=buyer.headers,
    )
    first_payment = await payment_of(database, order["id"])
    pdf = await client.get(
        f"/api/v1/admin/orders/{order['id']}/remittance-slip", headers=operator.headers
    )
    assert (pdf.content, pdf.headers["content-type"]) == (PDF, "application/pdf")

    second = await client.post(
        _path(order["id"]),
        files={"slip": ("回单.png", png_bytes(300, 300), "image/png")},
        headers=buyer.headers,
    )

    assert second.status_code == 200
    # The first report's time stays; the old file goes once the change has committed.
    assert second.json()["remitted_at"] == first.json()["remitted_at"]
    payment = await payment_of(database, order["id"])
    assert payment.remittance_slip_key != first_payment.remittance_slip_key
    assert payment.remittance_slip_key is not None and payment.remittance_slip_key.endswith(".jpg")
    [discard] = await jobs(database, "media.discard_files")
    assert discard.payload == {"keys": [first_payment.remittance_slip_key]}


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("回单.txt", b"I paid, honestly", "unsupported_type"),
        ("回单.html", b"<script>alert(1)</script>", "unsupported_type"),
        ("空.png", b"", "empty_file"),
        ("大.pdf", b"%PDF-" + b"0" * MAX_SLIP_BYTES, "too_large"),
    ],
)
async def test_a_bad_slip_records_nothing(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    supplier: Seller,
    filename: str,
    content: bytes,
    code: str,
) -> None:
    order = await _transfer(client, buyer, supplier)

    response = await client.post(
        _path(order["id"]), files={"slip": (filename, content)}, headers=buyer.headers
    )

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == {"slip"}
    payment = await payment_of(database, order["id"])
    assert (payment.remitted_at, payment.remittance_slip_key) == (None, None)


async def test_only_the_buyers_unpaid_transfer_takes_a_remittance(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    card = await place_order(client, buyer, [(supplier.sku_ids[0], 1)], method="stripe")
    paid = await _transfer(client, buyer, supplier)
    await mark_paid(database, paid["id"])
    theirs = await _transfer(client, await create_api_user(database), supplier)

    assert_error(
        await client.post(_path(card["id"]), headers=buyer.headers), 409, "remittance_not_expected"
    )
    assert_error(
        await client.post(_path(paid["id"]), headers=buyer.headers), 409, "remittance_not_expected"
    )
    assert_error(
        await client.post(_path(theirs["id"]), headers=buyer.headers), 404, "order_not_found"
    )
    assert (await client.post(_path(theirs["id"]))).status_code == 401
    assert (await payment_of(database, theirs["id"])).remitted_at is None


# ---------------------------------------------------------------------------------------------
# The pages: the buyer's pay page and the operator's transfers


async def test_the_pay_page_reports_a_remittance_and_the_operator_sees_its_slip(
    app: FastAPI, client: httpx.AsyncClient, database: Database, supplier: Seller
) -> None:
    user_id = await create_user(database, email="lina@example.com", display_name="李娜")
    order = await _transfer(client, ApiUser(user_id, _bearer(app, user_id)), supplier)
    waiting = await _transfer(client, await create_api_user(database), supplier)
    assert (await sign_in_page(client, "lina@example.com")).status_code == 303
    pay = await client.get(f"/orders/{order['id']}/pay")
    assert pay.status_code == 200
    assert 'id="bank-reference"' in pay.text and 'data-copy="bank-reference"' in pay.text
    assert 'data-copy="bank-account-number"' in pay.text
    assert f'<script src="{static_url("js/copy.js")}"></script>' in pay.text
    assert "我已汇款" in pay.text and 'enctype="multipart/form-data"' in pay.text
    english = await client.get(f"/orders/{order['id']}/pay?lang=en")
    assert "Step 2: tell the platform the transfer is sent" in english.text
    assert "Copy reference" in english.text
    await client.get(f"/orders/{order['id']}/pay?lang=zh-CN")

    bad = await client.post(
        f"/orders/{order['id']}/remittance",
        data={"csrf_token": csrf_token_in(pay.text)},
        files={"slip": ("回单.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert bad.status_code == 422
    assert "请上传 JPEG、PNG、WebP 图片或 PDF 文件。" in bad.text
    forged = await client.post(
        f"/orders/{order['id']}/remittance",
        data={"csrf_token": "forged"},
        files={"slip": ("回单.png", png_bytes(300, 300), "image/png")},
    )
    assert forged.status_code == 403
    assert (await payment_of(database, order["id"])).remitted_at is None

    sent = await client.post(
        f"/orders/{order['id']}/remittance",
        data={"csrf_token": csrf_token_in(pay.text)},
        files={"slip": ("回单.png", png_bytes(300, 300), "image/png")},
    )
    assert sent.status_code == 303
    shown = await client.get(sent.headers["location"])
    assert 'id="remitted"' in shown.text and "告知平台已汇款" in shown.text
    own_slip = await client.get(f"/orders/{order['id']}/remittance-slip")
    assert own_slip.status_code == 200 and own_slip.content.startswith(b"\xff\xd8")
    assert (await client.get(f"/orders/{waiting['id']}/remittance-slip")).status_code == 404

    # The operator's transfers: the reported one first, its slip beside the form.
    await create_user(
        database, email="ops@example.com", display_name="运营", roles=(Role.OPERATOR,)
    )
    assert (await sign_in_page(client, "ops@example.com")).status_code == 303
    transfers = await client.get("/admin/transfers")
    assert transfers.status_code == 200
    assert transfers.text.index(f'id="transfer-{order["id"]}"') < transfers.text.index(
        f'id="transfer-{waiting["id"]}"'
    )
    assert f'id="remitted-{order["id"]}"' in transfers.text
    assert f'src="/admin/transfers/{order["id"]}/slip"' in transfers.text
    slip = await client.get(f"/admin/transfers/{order['id']}/slip")
    assert slip.status_code == 200 and slip.headers["content-type"] == "image/jpeg"
    assert (await client.get(f"/admin/transfers/{waiting['id']}/slip")).status_code == 404


def _bearer(app: FastAPI, user_id: int) -> dict[str, str]:
    return token_headers(user_id)
