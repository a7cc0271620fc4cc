"""Regions for address forms: a province's prefectures and a prefecture's counties (API), the
cascading choices a form renders, and the full place name an address writes."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import Database, unit_of_work
from app.regions.listing import RegionChoices, place_name, region_choices
from tests.http_assertions import assert_error


async def test_a_provinces_prefectures(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/prefectures?province=440000")

    assert response.status_code == 200
    items = response.json()
    assert items[0] == {"code": "440100", "name": "广州市", "province_code": "440000"}
    assert {"code": "441900", "name": "东莞市", "province_code": "440000"} in items
    assert [i["code"] for i in items] == sorted(i["code"] for i in items)
    assert {i["province_code"] for i in items} == {"440000"}


async def test_prefectures_of_no_province(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/api/v1/regions/prefectures?province=990000"), 422, "unknown_province"
    )
    assert (await client.get("/api/v1/regions/prefectures?province=44")).status_code == 422
    assert (await client.get("/api/v1/regions/prefectures")).status_code == 422


async def test_a_prefectures_counties(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/counties?prefecture=440100&per_page=200")

    assert response.status_code == 200
    body = response.json()
    names = {c["code"]: c["name"] for c in body["items"]}
    assert names["440106"] == "天河区"
    assert body["total"] == len(body["items"]) == 11
    assert {c["prefecture_name"] for c in body["items"]} == {"广州市"}
    assert_error(
        await client.get("/api/v1/regions/counties?prefecture=449900"), 422, "unknown_prefecture"
    )


@pytest.mark.parametrize(
    ("province", "prefecture", "county", "expected"),
    [
        ("广东省", "广州市", "天河区", "广东省广州市天河区"),
        ("北京市", "市辖区", "朝阳区", "北京市朝阳区"),
        ("重庆市", "县", "城口县", "重庆市城口县"),
        ("广东省", "东莞市", "东莞市", "广东省东莞市"),
        ("河南省", "省直辖县级行政区划", "济源市", "河南省济源市"),
    ],
)
def test_place_names(province: str, prefecture: str, county: str, expected: str) -> None:
    assert place_name(province, prefecture, county) == expected


async def _choices(database: Database, **codes: str | None) -> RegionChoices:
    async with unit_of_work(database.reader) as session:
        return await region_choices(session, **codes)


async def test_a_county_chooses_its_prefecture_and_province(database: Database) -> None:
    choices = await _choices(database, county_code="440106")

    assert (choices.province_code, choices.prefecture_code, choices.county_code) == (
        "440000",
        "440100",
        "440106",
    )
    assert "440100" in [p.code for p in choices.prefectures]
    assert "440106" in [c.code for c in choices.counties]
    assert len(choices.provinces) == 31


async def test_a_changed_province_or_city_drops_the_county(database: Database) -> None:
    other_province = await _choices(database, province_code="450000", county_code="440106")
    other_city = await _choices(
        database, province_code="440000", prefecture_code="440300", county_code="440106"
    )
    mismatched_city = await _choices(database, province_code="450000", prefecture_code="440100")

    assert (other_province.province_code, other_province.county_code) == ("450000", "")
    assert other_province.counties == []
    assert (other_city.prefecture_code, other_city.county_code) == ("440300", "")
    assert [c.code for c in other_city.counties][:1] == ["440303"]
    # A city of another province is not taken for this one.
    assert (mismatched_city.province_code, mismatched_city.prefecture_code) == ("450000", "")


async def test_a_list_of_one_is_chosen_at_once(database: Database) -> None:
    beijing = await _choices(database, province_code="110000")
    dongguan = await _choices(database, province_code="440000", prefecture_code="441900")

    assert beijing.prefecture_code == "110100"  # 市辖区: nothing to pick
    assert beijing.county_code == ""  # but its sixteen districts are
    assert dongguan.county_code == "441900"


async def test_codes_that_name_nothing_are_ignored(database: Database) -> None:
    choices = await _choices(
        database, province_code="99'; --", prefecture_code="abc", county_code="999999"
    )

    assert (choices.province_code, choices.prefecture_code, choices.county_code) == ("", "", "")
    assert choices.prefectures == [] and choices.counties == []
