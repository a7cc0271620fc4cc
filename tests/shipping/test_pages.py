"""The supplier portal's shipping page: a form in yuan, province checkboxes, field errors."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.shipping.models import ShippingRule
from tests.account.factories import PASSWORD, csrf_token_in, sign_in_page
from tests.cooperative.factories import add_member, create_cooperative


async def stored(database: Database, cooperative_id: int) -> tuple[Any, ...] | None:
    async with unit_of_work(database.writer) as session:
        rule = await session.scalar(
            select(ShippingRule).where(ShippingRule.cooperative_id == cooperative_id)
        )
        if rule is None:
            return None
        return (
            rule.base_fee_fen,
            rule.per_kg_fen,
            rule.free_above_fen,
            rule.cold_chain_surcharge_fen,
            rule.excluded_province_codes,
        )


async def signed_in_member(
    client: httpx.AsyncClient, database: Database, cooperative_id: int
) -> None:
    await add_member(
        database,
        cooperative_id,
        email="member@example.com",
        role=Role.SUPPLIER_MEMBER,
        password=PASSWORD,
    )
    response = await sign_in_page(client, "member@example.com")
    assert response.status_code == 303, response.text


async def test_the_page_shows_the_default_and_every_province(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database, name="隆安县香蕉专业合作社")
    await signed_in_member(client, database, supplier)

    response = await client.get(f"/coop/{supplier}/shipping")

    assert response.status_code == 200, response.text
    html = response.text
    assert "隆安县香蕉专业合作社" in html
    assert "平台默认运费 ¥10.00" in html
    assert 'name="base_fee" value="10.00"' in html
    assert html.count('name="excluded_province_codes"') == 31
    assert 'value="540000"' in html
    assert 'name="csrf_token"' in html


async def test_saving_converts_yuan_to_fen_exactly(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await signed_in_member(client, database, supplier)
    page = await client.get(f"/coop/{supplier}/shipping")
    form = {
        "csrf_token": csrf_token_in(page.text),
        "base_fee": "8",
        "per_kg": "3.5",
        "free_above": "99.00",
        "cold_chain_surcharge": " 15.01 ",
        "excluded_province_codes": ["650000", "540000"],
    }

    response = await client.post(f"/coop/{supplier}/shipping", data=form)

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/coop/{supplier}/shipping?saved=1"
    assert await stored(database, supplier) == (800, 350, 9900, 1501, ["540000", "650000"])
    shown = await client.get(response.headers["location"])
    assert "运费规则已保存" in shown.text
    assert 'name="per_kg" value="3.50"' in shown.text
    assert re.search(r'value="540000"\s+checked', shown.text)
    assert re.search(r'value="650000"\s+checked', shown.text)
    assert not re.search(r'value="450000"\s+checked', shown.text)


async def test_blank_optional_amounts_mean_none_and_zero(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await signed_in_member(client, database, supplier)
    page = await client.get(f"/coop/{supplier}/shipping")

    response = await client.post(
        f"/coop/{supplier}/shipping",
        data={"csrf_token": csrf_token_in(page.text), "base_fee": "0", "free_above": ""},
    )

    assert response.status_code == 303, response.text
    assert await stored(database, supplier) == (0, 0, None, 0, [])


async def test_bad_amounts_re_render_with_field_errors_and_entered_values(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await signed_in_member(client, database, supplier)
    page = await client.get(f"/coop/{supplier}/shipping")
    csrf = csrf_token_in(page.text)
    cases: list[dict[str, Any]] = [
        {"base_fee": "8.005"},  # a fraction of a fen
        {"base_fee": "-1"},
        {"base_fee": ""},
        {"base_fee": "1e3"},
        {"base_fee": "１２"},  # full-width digits
        {"per_kg": "abc"},
        {"free_above": "100001"},  # above 100 000 yuan
        {"cold_chain_surcharge": "NaN"},
        {"excluded_province_codes": ["999999"]},
    ]
    for change in cases:
        form: dict[str, Any] = {"csrf_token": csrf, "base_fee": "8", **change}

        response = await client.post(f"/coop/{supplier}/shipping", data=form)

        assert response.status_code == 422, (change, response.text)
        html = response.text
        assert "field-error" in html, change
        assert 'aria-invalid="true"' in html or "excluded_province_codes-error" in html, change
        for name, value in change.items():
            if isinstance(value, str) and value:
                assert f'name="{name}" value="{value}"' in html, change
        assert await stored(database, supplier) is None, change


async def test_a_form_without_csrf_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await signed_in_member(client, database, supplier)

    response = await client.post(f"/coop/{supplier}/shipping", data={"base_fee": "8"})

    assert response.status_code == 403
    assert await stored(database, supplier) is None


async def test_another_suppliers_page_is_404(client: httpx.AsyncClient, database: Database) -> None:
    mine = await create_cooperative(database, name="我的")
    theirs = await create_cooperative(database, name="别人的")
    await signed_in_member(client, database, mine)
    page = await client.get(f"/coop/{mine}/shipping")

    shown = await client.get(f"/coop/{theirs}/shipping")
    posted = await client.post(
        f"/coop/{theirs}/shipping",
        data={"csrf_token": csrf_token_in(page.text), "base_fee": "1"},
    )

    assert shown.status_code == 404
    assert "别人的" not in shown.text
    assert posted.status_code == 404
    assert await stored(database, theirs) is None


async def test_signed_out_visitors_are_sent_to_login(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)

    response = await client.get(f"/coop/{supplier}/shipping")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
