"""The pay page and the operator's payment, transfer and refund pages."""

from __future__ import annotations

import html
import re
import uuid

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.config import PROJECT_ROOT, Settings
from app.core.db import Database
from app.jobs.runner import JobRunner
from app.order.models import OrderStatus
from app.payment.models import PaymentStatus, RefundStatus
from app.web.static import static_url
from tests.account.factories import (
    PASSWORD,
    ApiUser,
    bearer,
    create_user,
    csrf_token_in,
    issue_token,
    sign_in_page,
)
from tests.catalog.factories import create_seller
from tests.http_assertions import csp_directives
from tests.order.factories import pass_deadline
from tests.payment.factories import (
    confirm_intent,
    deliver,
    events_of,
    get_order,
    order_row,
    paid_by_card,
    payment_of,
    place_order,
    refunds_of,
    run_outbox,
)
from tests.stripe_fixtures import STRIPE_PUBLISHABLE_KEY, LocalStripe


async def _signed_in(client: httpx.AsyncClient, database: Database, *roles: Role) -> ApiUser:
    """A user signed in on `client`'s session (pages) who also holds a bearer token (API)."""
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await create_user(database, email=email, roles=roles or (Role.CONSUMER,))
    response = await sign_in_page(client, email)
    assert response.status_code == 303, response.text
    return ApiUser(user_id, bearer(await issue_token(client, email, PASSWORD)))


async def test_the_pay_page_waits_for_the_intent_then_offers_the_card_form(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, price_fen=2345)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])

    waiting = await client.get(f"/orders/{order['id']}/pay")

    assert waiting.status_code == 200
    assert 'http-equiv="refresh"' in waiting.text
    assert 'id="pay-preparing"' in waiting.text
    assert localstripe.js_url not in waiting.text

    await run_outbox(runner)
    page = await client.get(f"/orders/{order['id']}/pay")

    assert page.status_code == 200
    secret = (await get_order(client, buyer, order["id"]))["payment"]["stripe_client_secret"]
    assert f'data-client-secret="{secret}"' in page.text
    assert f'data-publishable-key="{STRIPE_PUBLISHABLE_KEY}"' in page.text
    assert f'<script src="{localstripe.js_url}"></script>' in page.text
    assert f'<script src="{static_url("js/pay.js")}"></script>' in page.text
    assert order["number"] in page.text
    assert "¥" + f"{order['total_fen'] // 100:,}.{order['total_fen'] % 100:02d}" in page.text
    assert 'id="pay-deadline"' in page.text
    assert 'http-equiv="refresh"' not in page.text


async def _pay_page_with_intent(
    client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> tuple[httpx.Response, str]:
    """The pay page of a new card order once its PaymentIntent exists, and its client secret."""
    supplier = await create_seller(database, price_fen=1880)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    secret = (await get_order(client, buyer, order["id"]))["payment"]["stripe_client_secret"]
    page = await client.get(f"/orders/{order['id']}/pay")
    assert page.status_code == 200, page.text
    return page, secret


async def test_by_default_the_pay_page_mounts_the_payment_element(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, settings: Settings
) -> None:
    assert settings.stripe_pay_element == "payment"

    page, secret = await _pay_page_with_intent(client, database, runner)

    assert 'data-element="payment"' in page.text
    assert '<div id="payment-element"' in page.text
    assert 'id="card-element"' not in page.text
    assert f'data-client-secret="{secret}"' in page.text
    script = (PROJECT_ROOT / "static" / "js" / "pay.js").read_text()
    assert "stripe.elements({clientSecret: clientSecret" in script
    assert "elements.create('payment').mount('#payment-element')" in script
    assert "stripe.confirmPayment({" in script and "return_url: returnUrl" in script


async def test_the_card_setting_mounts_the_card_element(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, settings: Settings
) -> None:
    settings.stripe_pay_element = "card"

    page, secret = await _pay_page_with_intent(client, database, runner)

    assert 'data-element="card"' in page.text
    assert '<div id="card-element"' in page.text
    assert 'id="payment-element"' not in page.text
    assert f'data-client-secret="{secret}"' in page.text
    script = (PROJECT_ROOT / "static" / "js" / "pay.js").read_text()
    assert "form.dataset.element === 'card'" in script
    assert "stripe.elements().create('card')" in script and "confirmCardPayment" in script


async def test_the_pay_page_of_someone_elses_order_is_404_and_signed_out_goes_to_login(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    owner = await _signed_in(client, database)
    order = await place_order(client, owner, [(supplier.sku_ids[0], 1)])

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as other_client:
        await _signed_in(other_client, database)
        others = await other_client.get(f"/orders/{order['id']}/pay")
        missing = await other_client.get("/orders/999999999/pay")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as anonymous:
        signed_out = await anonymous.get(f"/orders/{order['id']}/pay")

    assert others.status_code == 404
    assert missing.status_code == 404
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login?next=")


async def test_a_paid_order_goes_to_its_page_and_a_cancelled_one_cannot_be_paid(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await _signed_in(client, database)
    paid = await paid_by_card(client, runner, localstripe, buyer, [(supplier.sku_ids[0], 1)])
    expired = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await pass_deadline(database, expired["id"])
    await run_outbox(runner)

    to_order = await client.get(f"/orders/{paid['id']}/pay")
    cancelled = await client.get(f"/orders/{expired['id']}/pay")

    assert to_order.status_code == 303
    assert to_order.headers["location"] == f"/orders/{paid['id']}"
    assert cancelled.status_code == 200
    assert 'role="alert"' in cancelled.text
    assert "data-client-secret" not in cancelled.text


async def test_after_a_declined_card_the_pay_page_says_so_and_offers_the_form_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    intent_id = (await payment_of(database, order["id"])).stripe_payment_intent_id
    assert intent_id is not None
    await confirm_intent(localstripe, intent_id, "pm_card_chargeCustomerFail")
    [failed] = events_of(localstripe, intent_id, "payment_intent.payment_failed")
    await deliver(client, failed)

    page = await client.get(f"/orders/{order['id']}/pay")

    assert page.status_code == 200
    assert "Your card was declined." in page.text
    assert 'id="pay-form"' in page.text


async def test_a_bank_transfer_order_is_not_paid_on_the_pay_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)], method="bank_transfer")

    page = await client.get(f"/orders/{order['id']}/pay")

    assert page.status_code == 200
    assert 'id="pay-form"' not in page.text
    assert "对公转账" in page.text


async def test_only_operators_see_the_payments_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)], method="bank_transfer")
    as_buyer = await client.get("/admin/payments")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as operator_client:
        await _signed_in(operator_client, database, Role.OPERATOR)
        listing = await operator_client.get("/admin/payments")
        pending = await operator_client.get("/admin/payments?status=pending")
        succeeded = await operator_client.get("/admin/payments?status=succeeded")
        invalid = await operator_client.get("/admin/payments?status=lost")
        api = await operator_client.get(
            "/api/v1/admin/payments?method=bank_transfer",
            headers=bearer(await issue_token(operator_client, await _operator_email(database))),
        )

    assert as_buyer.status_code == 403
    assert listing.status_code == 200
    assert order["number"] in listing.text
    assert order["number"] in pending.text
    assert order["number"] not in succeeded.text
    assert invalid.status_code == 422
    assert api.status_code == 200
    assert [row["order_number"] for row in api.json()["items"]] == [order["number"]]


async def _operator_email(database: Database) -> str:
    from sqlalchemy import select

    from app.account.models import RoleAssignment, User
    from app.core.db import unit_of_work

    async with unit_of_work(database.reader) as session:
        email = await session.scalar(
            select(User.email)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.OPERATOR)
        )
        assert email is not None
        return email


async def test_an_operator_confirms_a_transfer_in_yuan_on_the_transfers_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, price_fen=4850)
    buyer = await _signed_in(client, database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)], method="bank_transfer")
    reference = order["payment"]["bank_reference"]
    total_yuan = f"{order['total_fen'] / 100:.2f}"  # the operator types what the bank shows

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as operator_client:
        await _signed_in(operator_client, database, Role.OPERATOR)
        listing = await operator_client.get("/admin/transfers")
        csrf = csrf_token_in(listing.text)
        path = f"/admin/transfers/{order['id']}/confirm"
        bad_amounts = [
            await operator_client.post(
                path, data={"bank_reference": reference, "amount_yuan": typed, "csrf_token": csrf}
            )
            for typed in ("abc", "1.234", "-58.50", "0", "", "1e3", "NaN", "Infinity")
        ]
        wrong_amount = await operator_client.post(
            path, data={"bank_reference": reference, "amount_yuan": "1.00", "csrf_token": csrf}
        )
        wrong_reference = await operator_client.post(
            path, data={"bank_reference": "FS1", "amount_yuan": total_yuan, "csrf_token": csrf}
        )
        no_csrf = await operator_client.post(
            path, data={"bank_reference": reference, "amount_yuan": total_yuan}
        )
        unchanged = await payment_of(database, order["id"])
        confirmed = await operator_client.post(
            path,
            data={"bank_reference": reference, "amount_yuan": total_yuan, "csrf_token": csrf},
        )
        after = await operator_client.get(confirmed.headers.get("location", "/admin/transfers"))

    assert listing.status_code == 200
    assert reference in listing.text
    for response in bad_amounts:
        assert response.status_code == 422, response.text
        assert 'aria-invalid="true"' in response.text
    assert wrong_amount.status_code == 409
    assert "到账金额与订单应付金额不一致" in wrong_amount.text
    assert wrong_reference.status_code == 422
    assert "识别码与该订单不符" in wrong_reference.text
    assert html.escape("FS1") in wrong_reference.text  # the entered value is kept
    assert no_csrf.status_code == 403
    assert unchanged.status == PaymentStatus.PENDING
    assert confirmed.status_code == 303
    assert (await order_row(database, order["id"])).status == OrderStatus.PAID
    assert 'id="transfer-confirmed"' in after.text
    assert f'id="transfer-{order["id"]}"' not in after.text


async def test_an_operator_refunds_lines_on_the_refund_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, price_fen=1000, stock=10)
    buyer = await _signed_in(client, database)
    order = await paid_by_card(client, runner, localstripe, buyer, [(supplier.sku_ids[0], 3)])
    line_id = order["fulfillments"][0]["lines"][0]["id"]
    field = f"quantity_{line_id}"

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as operator_client:
        await _signed_in(operator_client, database, Role.OPERATOR)
        path = f"/admin/orders/{order['id']}/refund"
        form_page = await operator_client.get(path)
        csrf = csrf_token_in(form_page.text)
        invalid = await operator_client.post(
            path, data={field: "abc", "reason": "坏果", "csrf_token": csrf}
        )
        too_many = await operator_client.post(
            path, data={field: "4", "reason": "坏果", "csrf_token": csrf}
        )
        nothing = await operator_client.post(
            path, data={field: "", "reason": "坏果", "csrf_token": csrf}
        )
        no_reason = await operator_client.post(
            path, data={field: "1", "reason": " ", "csrf_token": csrf}
        )
        no_csrf = await operator_client.post(path, data={field: "1", "reason": "坏果"})
        none_yet = await refunds_of(database, order["id"])
        done = await operator_client.post(
            path, data={field: "1", "reason": "坏果", "csrf_token": csrf}
        )
        after = await operator_client.get(done.headers.get("location", path))
        as_buyer = await client.get(path)

    assert form_page.status_code == 200
    assert f'name="{field}"' in form_page.text
    assert invalid.status_code == 422
    assert too_many.status_code == 409
    assert re.search(rf'name="{field}"[^>]*value="4"', too_many.text)  # kept as entered
    assert nothing.status_code == 422
    assert no_reason.status_code == 422
    assert no_csrf.status_code == 403
    assert none_yet == []
    assert done.status_code == 303
    [refund] = await refunds_of(database, order["id"])
    assert (refund.amount_fen, refund.status, refund.reason) == (1000, RefundStatus.PENDING, "坏果")
    assert 'id="refund-created"' in after.text
    assert f'id="refund-{refund.id}"' in after.text
    assert as_buyer.status_code == 403


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    return csp_directives(response.headers["content-security-policy"])


async def test_stripe_js_hosts_are_allowed_on_the_pay_page_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    page, _secret = await _pay_page_with_intent(client, database, runner)
    order_path = re.sub(r"/pay$", "", str(page.url.path))
    order_page = await client.get(order_path)
    origin = localstripe.js_url.split("/js.stripe.com/", 1)[0]

    policy = _policy(page)
    assert policy["script-src"] == ["'self'", origin]
    assert policy["frame-src"] == [origin]
    assert policy["connect-src"] == ["'self'", origin]
    assert policy["style-src"] == ["'self'"]  # still nothing inline
    assert policy["frame-ancestors"] == ["'none'"]
    assert f'payment=(self "{origin}")' in page.headers["permissions-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    # Any other page, the buyer's order included, allows none of it.
    assert order_page.status_code == 200
    assert _policy(order_page)["script-src"] == ["'self'"]
    assert _policy(order_page)["frame-src"] == ["'none'"]
    assert "payment=()" in order_page.headers["permissions-policy"]


def test_with_stripes_own_script_the_pay_page_allows_stripes_documented_hosts() -> None:
    from app.payment.pages import pay_page_headers

    headers = pay_page_headers("https://js.stripe.com/v3/")
    policy = csp_directives(headers["Content-Security-Policy"])

    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert policy["frame-src"] == [
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert 'payment=(self "https://js.stripe.com")' in headers["Permissions-Policy"]
