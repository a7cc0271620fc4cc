"""The buyer's address book: the JSON API (/api/v1/me/addresses) and the pages
(/account/addresses): full place names, one default, edits, deletes, the limit, and other
buyers' addresses out of reach."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.order.service import MAX_SAVED_ADDRESSES
from tests.account.factories import (
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    sign_in_page,
)
from tests.http_assertions import assert_error

BOOK = "/api/v1/me/addresses"
TIANHE = "440106"
DONGGUAN = "441900"  # a prefecture without counties: named once
CHAOYANG = "110105"  # a municipality's district: no 市辖区 in its name


def _address(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "张三",
        "phone": "138 1234 5678",
        "county_code": TIANHE,
        "detail": "天河路 385 号 1201 室",
    }
    values.update(changes)
    return values


@pytest.fixture
async def buyer(database: Database) -> ApiUser:
    return await create_api_user(database)


async def _add(client: httpx.AsyncClient, buyer: ApiUser, **changes: Any) -> dict[str, Any]:
    response = await client.post(BOOK, json=_address(**changes), headers=buyer.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_address_is_saved_checked_and_named_in_full(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    saved = await _add(client, buyer)

    assert saved["phone"] == "13812345678"  # normalised as orders store it
    assert (saved["province_name"], saved["prefecture_name"], saved["county_name"]) == (
        "广东省",
        "广州市",
        "天河区",
    )
    assert saved["place_name"] == "广东省广州市天河区"
    assert saved["is_default"] is True  # the first address is the default
    beijing = await _add(client, buyer, county_code=CHAOYANG, detail="建国路 88 号")
    dongguan = await _add(client, buyer, county_code=DONGGUAN, detail="东城大道 1 号")
    assert beijing["place_name"] == "北京市朝阳区"
    assert dongguan["place_name"] == "广东省东莞市"
    listed = (await client.get(BOOK, headers=buyer.headers)).json()
    assert listed[0]["id"] == saved["id"]  # the default first
    assert [a["is_default"] for a in listed] == [True, False, False]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"phone": "12345"}, "phone", "invalid_phone"),
        ({"county_code": "999999"}, "county_code", "unknown_county"),
        ({"county_code": "11010５"}, "county_code", "unknown_county"),
        ({"name": " "}, "name", "invalid_name"),
        ({"detail": "一号"}, "detail", "invalid_address_detail"),
    ],
)
async def test_a_bad_address_is_refused_by_field_and_nothing_saved(
    client: httpx.AsyncClient, buyer: ApiUser, changes: dict[str, str], field: str, code: str
) -> None:
    response = await client.post(BOOK, json=_address(**changes), headers=buyer.headers)

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == {field}
    assert (await client.get(BOOK, headers=buyer.headers)).json() == []


async def test_the_same_address_twice_is_kept_once(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    first = await _add(client, buyer)
    again = await _add(client, buyer, phone="13812345678")

    assert again["id"] == first["id"]
    assert len((await client.get(BOOK, headers=buyer.headers)).json()) == 1


async def test_one_default_moves_and_survives_a_delete(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    first = await _add(client, buyer)
    second = await _add(client, buyer, county_code=CHAOYANG, detail="建国路 88 号", is_default=True)

    listed = (await client.get(BOOK, headers=buyer.headers)).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [
        (second["id"], True),
        (first["id"], False),
    ]
    made = await client.post(f"{BOOK}/{first['id']}/default", headers=buyer.headers)
    assert made.status_code == 200 and made.json()["is_default"] is True

    deleted = await client.delete(f"{BOOK}/{first['id']}", headers=buyer.headers)

    assert deleted.status_code == 204
    [left] = (await client.get(BOOK, headers=buyer.headers)).json()
    assert (left["id"], left["is_default"]) == (second["id"], True)


async def test_an_address_is_changed_and_checked_again(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    saved = await _add(client, buyer)

    changed = await client.put(
        f"{BOOK}/{saved['id']}",
        json=_address(county_code=DONGGUAN, detail="东城大道 1 号"),
        headers=buyer.headers,
    )
    refused = await client.put(
        f"{BOOK}/{saved['id']}", json=_address(phone="call me"), headers=buyer.headers
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["place_name"] == "广东省东莞市"
    assert_error(refused, 422, "invalid_phone")
    kept = (await client.get(f"{BOOK}/{saved['id']}", headers=buyer.headers)).json()
    assert kept["detail"] == "东城大道 1 号"


async def test_another_buyers_addresses_are_not_found(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser
) -> None:
    theirs = await _add(client, await create_api_user(database))
    path = f"{BOOK}/{theirs['id']}"

    assert_error(await client.get(path, headers=buyer.headers), 404, "address_not_found")
    assert_error(
        await client.put(path, json=_address(), headers=buyer.headers), 404, "address_not_found"
    )
    assert_error(
        await client.post(f"{path}/default", headers=buyer.headers), 404, "address_not_found"
    )
    assert_error(await client.delete(path, headers=buyer.headers), 404, "address_not_found")
    assert (await client.get(BOOK, headers=buyer.headers)).json() == []
    assert (await client.get(BOOK)).status_code == 401


async def test_a_full_book_refuses_one_more(client: httpx.AsyncClient, buyer: ApiUser) -> None:
    for n in range(MAX_SAVED_ADDRESSES):
        await _add(client, buyer, detail=f"天河路 {n + 1} 号")

    response = await client.post(BOOK, json=_address(detail="天河路 999 号"), headers=buyer.headers)

    assert_error(response, 409, "address_book_full")
    assert len((await client.get(BOOK, headers=buyer.headers)).json()) == MAX_SAVED_ADDRESSES


# ---------------------------------------------------------------------------------------------
# The pages


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, database: Database) -> int:
    user_id = await create_user(database, email="lina@example.com", display_name="李娜")
    assert (await sign_in_page(client, "lina@example.com")).status_code == 303
    return user_id


def _form(html: str, **changes: str) -> dict[str, str]:
    values = {
        "csrf_token": csrf_token_in(html),
        "name": "李娜",
        "phone": "0571-87654321",
        "province": "440000",
        "prefecture": "440100",
        "county_code": TIANHE,
        "detail": "天河路 385 号 1201 室",
    }
    values.update(changes)
    return values


async def test_the_book_page_adds_edits_defaults_and_deletes(
    client: httpx.AsyncClient, signed_in: int
) -> None:
    page = await client.get("/account/addresses")
    assert page.status_code == 200
    assert "地址簿还是空的" in page.text
    english = await client.get("/account/addresses?lang=en")
    assert "Add an address" in english.text and "Choose a province" in english.text
    page = await client.get("/account/addresses?lang=zh-CN")

    added = await client.post("/account/addresses", data=_form(page.text))
    assert added.status_code == 303
    page = await client.get(added.headers["location"])
    assert "地址已保存" in page.text
    assert "广东省广州市天河区 天河路 385 号 1201 室" in page.text
    await client.post(
        "/account/addresses",
        data=_form(page.text, province="110000", prefecture="110100", county_code=CHAOYANG),
    )
    page = await client.get("/account/addresses")
    assert page.text.count('class="card address-card"') == 2
    assert page.text.count(">默认</span>") == 1

    listed = page.text
    ids = [int(i) for i in re.findall(r'id="address-(\d+)"', listed)]
    first, second = ids  # the default (Tianhe) first
    edit = await client.get(f"/account/addresses/{first}")
    assert edit.status_code == 200 and 'value="李娜"' in edit.text
    changed = await client.post(
        f"/account/addresses/{first}", data=_form(edit.text, detail="天河北路 1 号")
    )
    assert changed.status_code == 303
    made = await client.post(
        f"/account/addresses/{second}/default", data={"csrf_token": csrf_token_in(listed)}
    )
    assert made.status_code == 303
    gone = await client.post(
        f"/account/addresses/{first}/delete", data={"csrf_token": csrf_token_in(listed)}
    )
    assert gone.status_code == 303
    page = await client.get("/account/addresses")
    assert "天河北路 1 号" not in page.text
    assert "北京市朝阳区" in page.text and ">默认</span>" in page.text


async def test_the_book_page_keeps_a_refused_form_and_lists_without_javascript(
    client: httpx.AsyncClient, signed_in: int
) -> None:
    page = await client.get("/account/addresses")

    refreshed = await client.post(
        "/account/addresses", data=_form(page.text, prefecture="", county_code="", refresh="1")
    )
    refused = await client.post("/account/addresses", data=_form(page.text, phone="12"))

    assert refreshed.status_code == 200
    assert "广州市" in refreshed.text and 'value="0571-87654321"' in refreshed.text
    assert refused.status_code == 422
    assert "请填写有效的手机号码（11 位）或固定电话（区号-号码）。" in refused.text
    assert "天河路 385 号 1201 室" in refused.text
    assert "地址簿还是空的" in refused.text


async def test_the_book_pages_are_the_buyers_own(
    client: httpx.AsyncClient, database: Database, signed_in: int
) -> None:
    other = await create_api_user(database)
    theirs = await _add(client, other)
    page = await client.get("/account/addresses")

    assert (await client.get(f"/account/addresses/{theirs['id']}")).status_code == 404
    deleted = await client.post(
        f"/account/addresses/{theirs['id']}/delete", data={"csrf_token": csrf_token_in(page.text)}
    )
    assert deleted.status_code == 404
    assert len((await client.get(BOOK, headers=other.headers)).json()) == 1
    forged = await client.post("/account/addresses", data=_form(page.text, csrf_token="forged"))
    assert forged.status_code == 403


async def test_a_double_submitted_first_address_is_kept_once_as_the_default(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    responses = await asyncio.gather(
        *(client.post(BOOK, json=_address(), headers=buyer.headers) for _ in range(4))
    )

    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    [kept] = (await client.get(BOOK, headers=buyer.headers)).json()
    assert kept["is_default"] is True


async def test_concurrent_defaults_leave_exactly_one(
    client: httpx.AsyncClient, buyer: ApiUser
) -> None:
    saved = [await _add(client, buyer, detail=f"天河路 {n} 号") for n in range(1, 5)]

    responses = await asyncio.gather(
        *(client.post(f"{BOOK}/{a['id']}/default", headers=buyer.headers) for a in saved)
    )

    assert [r.status_code for r in responses] == [200] * 4
    listed = (await client.get(BOOK, headers=buyer.headers)).json()
    assert sum(a["is_default"] for a in listed) == 1
