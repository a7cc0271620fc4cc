"""The regions JSON API: provinces, counties (filters, paging, errors), county detail, pairings."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.regions.models import HelperKind, Pairing, PairingKind
from app.regions.reference_data import REFERENCE_DIR
from tests.http_assertions import assert_error
from tests.sql_statements import listening


@contextmanager
def count_selects(database: Database) -> Iterator[list[str]]:
    """Collect the SELECT statements sent to the database inside the block."""
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with listening(database, "before_cursor_execute", before):
        yield statements


async def test_provinces(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/provinces")
    assert response.status_code == 200
    provinces = response.json()
    assert len(provinces) == 31
    assert {"code": "450000", "name": "广西壮族自治区"} in provinces
    assert all(len(p["code"]) == 6 and p["code"].endswith("0000") for p in provinces)
    assert [p["code"] for p in provinces] == sorted(p["code"] for p in provinces)


async def test_poverty_lifted_lists_all_831(client: httpx.AsyncClient) -> None:
    codes: list[str] = []
    for page in (1, 2, 3, 4, 5):
        response = await client.get(
            "/api/v1/regions/counties",
            params={"poverty_lifted": "true", "per_page": 200, "page": page},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 831
        assert (body["page"], body["per_page"]) == (page, 200)
        assert all(item["poverty_lifted"] for item in body["items"])
        codes.extend(item["code"] for item in body["items"])
    assert len(codes) == len(set(codes)) == 831
    assert "632803" in codes  # 茫崖市, once for both 冷湖 and 茫崖


async def test_key_assistance_total_matches_the_data_file(client: httpx.AsyncClient) -> None:
    with (REFERENCE_DIR / "key_assistance_counties_160.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    response = await client.get("/api/v1/regions/counties", params={"key_assistance": "true"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(rows) == 94
    assert body["per_page"] == 50
    assert len(body["items"]) == 50
    assert all(item["key_assistance"] and item["poverty_lifted"] for item in body["items"])


async def test_counties_of_a_province(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/regions/counties", params={"province": "450000", "poverty_lifted": "true"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 33
    first = body["items"][0]
    assert first == {
        "code": "450123",
        "name": "隆安县",
        "prefecture_name": "南宁市",
        "province_code": "450000",
        "province_name": "广西壮族自治区",
        "poverty_lifted": True,
        "key_assistance": False,
    }
    assert {item["province_code"] for item in body["items"]} == {"450000"}


async def test_counties_without_filters_are_paged(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/counties", params={"page": 60})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2978
    assert len(body["items"]) == 2978 - 59 * 50


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "10001"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "201"}, "per_page"),
        ({"province": "45"}, "province"),
        ({"province": "45000x"}, "province"),
        ({"province": "٤٥٠٠٠٠"}, "province"),
        ({"poverty_lifted": "maybe"}, "poverty_lifted"),
    ],
)
async def test_malformed_county_filters_answer_422(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/v1/regions/counties", params=params)
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]


async def test_unknown_province_answers_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/counties", params={"province": "990000"})
    error = assert_error(response, 422, "unknown_province")
    assert "province" in error["fields"]
    # A prefecture's code is well-formed but not a province either.
    response = await client.get("/api/v1/regions/counties", params={"province": "450100"})
    assert_error(response, 422, "unknown_province")


async def test_page_past_the_last_answers_404(client: httpx.AsyncClient) -> None:
    params = {"key_assistance": "true", "per_page": "50"}
    response = await client.get("/api/v1/regions/counties", params={**params, "page": "2"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 44
    response = await client.get("/api/v1/regions/counties", params={**params, "page": "3"})
    assert_error(response, 404, "page_out_of_range")


async def test_no_results_is_an_empty_page(client: httpx.AsyncClient) -> None:
    # 北京 has no poverty-lifted county.
    response = await client.get(
        "/api/v1/regions/counties", params={"province": "110000", "poverty_lifted": "true"}
    )
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "page": 1, "per_page": 50}


def _helpers(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{p['kind']}:{p['helper']['name']}": p for p in detail["pairings"]}


async def test_kashgar_county_is_helped_by_guangdong(
    client: httpx.AsyncClient, database: Database
) -> None:
    with count_selects(database) as selects:
        response = await client.get("/api/v1/regions/counties/653121")
    assert response.status_code == 200
    detail = response.json()
    assert detail["name"] == "疏附县"
    assert (detail["prefecture_code"], detail["prefecture_name"]) == ("653100", "喀什地区")
    assert (detail["province_code"], detail["province_name"]) == ("650000", "新疆维吾尔自治区")
    assert detail["poverty_lifted"] is True
    assert detail["poverty_exit_year"] == 2019
    helpers = _helpers(detail)
    assert list(helpers) == ["counterpart_support:广东省"]
    pairing = helpers["counterpart_support:广东省"]
    assert pairing["helper"] == {"kind": "province", "code": "440000", "id": None, "name": "广东省"}
    assert pairing["helped"] == {"kind": "province", "code": "650000", "name": "新疆维吾尔自治区"}
    assert {"kind": "county", "code": "653121", "name": "疏附县"} in pairing["areas"]
    assert pairing["since"] == "2010-01-01"
    assert pairing["until"] is None
    assert len(selects) <= 6, selects


async def test_named_areas_decide_which_xinjiang_counties_a_pairing_helps(
    client: httpx.AsyncClient,
) -> None:
    # 喀什市 is helped by 深圳 (a named county), not by the 广东 row naming 疏附 and 伽师.
    kashi = (await client.get("/api/v1/regions/counties/653101")).json()
    assert list(_helpers(kashi)) == ["counterpart_support:广东省（深圳市）"]
    # 疏勒县 is 山东's, in the same prefecture.
    shule = (await client.get("/api/v1/regions/counties/653122")).json()
    assert list(_helpers(shule)) == ["counterpart_support:山东省"]
    # 天山区 (乌鲁木齐) lies in no pairing's named areas: nobody helps it.
    tianshan = (await client.get("/api/v1/regions/counties/650102")).json()
    assert tianshan["pairings"] == []
    # A prefecture named through an alias (吐鲁番地区 → 吐鲁番市) covers its counties.
    shanshan = (await client.get("/api/v1/regions/counties/650421")).json()
    assert list(_helpers(shanshan)) == ["counterpart_support:湖南省"]
    # 阜康市 is named by 山西 and lies in 福建's 昌吉州.
    fukang = (await client.get("/api/v1/regions/counties/652302")).json()
    assert set(_helpers(fukang)) == {"counterpart_support:山西省", "counterpart_support:福建省"}


async def test_sichuan_county_is_helped_by_zhejiang(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions/counties/513431")
    assert response.status_code == 200
    detail = response.json()
    assert detail["name"] == "昭觉县"
    assert detail["key_assistance"] is True
    pairing = _helpers(detail)["east_west:浙江省"]
    assert pairing["helped"]["code"] == "510000"
    assert pairing["areas"] == []
    assert pairing["since"] == "1996-01-01"


async def test_pairings_out_of_force_do_not_help(
    client: httpx.AsyncClient, database: Database
) -> None:
    today = china_date(utcnow())
    async with unit_of_work(database.writer) as session:
        for since, until in (
            (None, today - timedelta(days=400)),
            (today + timedelta(days=400), None),
        ):
            session.add(
                Pairing(
                    kind=PairingKind.EAST_WEST,
                    helper_kind=HelperKind.PROVINCE,
                    helper_province_code="110000",
                    helped_province_code="510000",
                    since=since,
                    until=until,
                )
            )
        session.add(
            Pairing(
                kind=PairingKind.EAST_WEST,
                helper_kind=HelperKind.PROVINCE,
                helper_province_code="310000",
                helped_province_code="510000",
                since=today - timedelta(days=400),
                until=today + timedelta(days=400),
            )
        )
    detail = (await client.get("/api/v1/regions/counties/513431")).json()
    assert set(_helpers(detail)) == {"east_west:浙江省", "east_west:上海市"}


async def test_malformed_and_unknown_county_codes(client: httpx.AsyncClient) -> None:
    for code in ("65312", "6531211", "abcdef", "٦٥٣١٢١", "%00abcde"):
        response = await client.get(f"/api/v1/regions/counties/{code}")
        assert_error(response, 422, "validation_failed")
    response = await client.get("/api/v1/regions/counties/999999")
    assert_error(response, 404, "county_not_found")


async def test_east_west_pairings(client: httpx.AsyncClient, database: Database) -> None:
    with count_selects(database) as selects:
        response = await client.get("/api/v1/pairings", params={"kind": "east_west"})
    assert response.status_code == 200
    pairings = response.json()
    assert len(pairings) == 11
    assert {p["kind"] for p in pairings} == {"east_west"}
    routes = {(p["helper"]["code"], p["helped"]["code"]) for p in pairings}
    assert {("440000", "450000"), ("440000", "520000"), ("330000", "510000")} <= routes
    guangxi = next(p for p in pairings if p["helped"]["code"] == "450000")
    assert guangxi["helper"]["name"] == "广东省"
    assert guangxi["helped"]["name"] == "广西壮族自治区"
    assert guangxi["areas"] == []
    assert guangxi["since"] is None
    assert guangxi["until"] is None
    assert len(selects) <= 5, selects


async def test_all_pairings_with_areas(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/pairings")
    assert response.status_code == 200
    pairings = response.json()
    assert len(pairings) == 35
    assert sum(p["kind"] == "counterpart_support" for p in pairings) == 24
    shenzhen = next(p for p in pairings if p["helper"]["name"] == "广东省（深圳市）")
    assert shenzhen["helper"]["code"] == "440000"
    assert shenzhen["areas"] == [
        {"kind": "county", "code": "653101", "name": "喀什市"},
        {"kind": "county", "code": "653131", "name": "塔什库尔干塔吉克自治县"},
    ]
    turpan = next(p for p in pairings if p["helper"]["name"] == "湖南省")
    assert turpan["areas"] == [{"kind": "prefecture", "code": "650400", "name": "吐鲁番市"}]
    counterpart = await client.get("/api/v1/pairings", params={"kind": "counterpart_support"})
    assert len(counterpart.json()) == 24


async def test_unknown_pairing_kind_answers_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/pairings", params={"kind": "friendship"})
    error = assert_error(response, 422, "validation_failed")
    assert "kind" in error["fields"]


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/regions/provinces",
        "/api/v1/regions/counties",
        "/api/v1/regions/counties/{code}",
        "/api/v1/pairings",
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok, path
