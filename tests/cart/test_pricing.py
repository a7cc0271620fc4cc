"""Pricing a basket: tier selection, grouping by supplier, shipping, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from app.cart.errors import InvalidQuantity
from app.cart.pricing import MAX_BASKET_LINES, PricedBasket, check_items, price_basket, unit_price
from app.catalog.models import PriceTier, ProductStatus, Sku
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from app.core.errors import DomainError
from app.core.fields import MAX_ID
from app.shipping.models import ShippingRule
from tests.catalog.factories import SkuRef, create_sku
from tests.cooperative.factories import create_cooperative
from tests.inventory.factories import COUNTY_CODE, movements, stock_of

NANNING_COUNTY = "450123"  # 隆安县, 广西 450000
LHASA_COUNTY = "540102"  # 城关区, 西藏 540000


def sku_with_tiers(price: int, tiers: list[tuple[int, int]]) -> Sku:
    return Sku(
        price_fen=price,
        price_tiers=[PriceTier(min_qty=m, price_fen=p) for m, p in tiers],
    )


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 1000), (9, 1000), (10, 900), (49, 900), (50, 800), (100_000, 800)],
)
def test_the_highest_tier_reached_sets_the_unit_price(quantity: int, expected: int) -> None:
    # Listed out of order on purpose: selection must not depend on the order of the tiers.
    sku = sku_with_tiers(1000, [(50, 800), (10, 900)])
    assert unit_price(sku, quantity) == expected


def test_without_tiers_the_sku_price_applies() -> None:
    assert unit_price(sku_with_tiers(1234, []), 500) == 1234


async def price(
    database: Database, items: list[tuple[Any, Any]], county: str | None = None
) -> PricedBasket:
    async with unit_of_work(database.writer) as session:
        return await price_basket(session, items, destination_county_code=county)


async def refused(
    database: Database, items: list[tuple[Any, Any]], county: str | None = None
) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await price(database, items, county)
    return caught.value


async def test_a_basket_from_two_suppliers(database: Database) -> None:
    farm = await create_cooperative(database, name="隆安香蕉合作社", county_code=COUNTY_CODE)
    fishery = await create_cooperative(database, name="东兰水产合作社", county_code="451224")
    bananas = await create_sku(
        database,
        cooperative_id=farm,
        price_fen=3000,
        stock=100,
        weight_grams=2500,
        tiers=[(10, 2700), (20, 2500)],
        title="隆安香蕉",
        sku_name="10 斤装",
    )
    oranges = await create_sku(
        database, cooperative_id=farm, price_fen=1000, stock=5, weight_grams=500
    )
    fish = await create_sku(
        database,
        cooperative_id=fishery,
        price_fen=8800,
        stock=20,
        weight_grams=1500,
        category="aquatic",
        min_qty=2,
    )
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(
                cooperative_id=fishery,
                base_fee_fen=1200,
                per_kg_fen=400,
                free_above_fen=20_000,
                cold_chain_surcharge_fen=1500,
            )
        )

    basket = await price(
        database, [(bananas.id, 10), (fish.id, 2), (oranges.id, 1)], NANNING_COUNTY
    )

    first = basket.lines[0]
    assert (first.sku_id, first.product_id, first.cooperative_id) == (
        bananas.id,
        bananas.product_id,
        farm,
    )
    assert (first.title, first.sku_name, first.sku_code) == ("隆安香蕉", "10 斤装", bananas.code)
    assert first.origin_county_code == COUNTY_CODE
    assert (first.quantity, first.unit_price_fen, first.line_total_fen) == (10, 2700, 27_000)
    assert [line.sku_id for line in basket.lines] == [bananas.id, fish.id, oranges.id]

    farm_group, fish_group = basket.groups
    assert farm_group.cooperative_id == farm
    assert farm_group.sku_ids == [bananas.id, oranges.id]
    assert farm_group.goods_fen == 27_000 + 1000
    assert farm_group.weight_grams == 25_000 + 500
    assert farm_group.cold_chain is False
    assert farm_group.shipping_fen == 1000  # no rule: the platform default
    assert fish_group.sku_ids == [fish.id]
    assert fish_group.goods_fen == 17_600
    assert fish_group.cold_chain is True
    # 3 000 g: base + 2 started kg beyond the first + cold chain; below the free threshold.
    assert fish_group.shipping_fen == 1200 + 2 * 400 + 1500
    assert basket.goods_fen == 28_000 + 17_600
    assert basket.shipping_fen == 1000 + 3500
    assert basket.total_fen == basket.goods_fen + basket.shipping_fen
    assert basket.destination_province_code == "450000"


async def test_without_a_destination_there_is_no_shipping(database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, price_fen=1500, stock=3)

    basket = await price(database, [(sku.id, 2)])

    assert basket.shipping_fen is None
    assert basket.groups[0].shipping_fen is None
    assert (basket.goods_fen, basket.total_fen) == (3000, 3000)


async def test_pricing_reserves_nothing(database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=3)

    await price(database, [(sku.id, 3)], NANNING_COUNTY)

    assert await stock_of(database, sku.id) == 3
    assert await movements(database) == []


async def _make_unavailable(database: Database) -> dict[str, SkuRef]:
    farm = await create_cooperative(database, name="正常")
    suspended = await create_cooperative(database, name="暂停", status=SupplierStatus.SUSPENDED)
    pending = await create_cooperative(database, name="待审", status=SupplierStatus.PENDING)
    return {
        "inactive sku": await create_sku(database, cooperative_id=farm, is_active=False),
        "draft product": await create_sku(
            database, cooperative_id=farm, product_status=ProductStatus.DRAFT
        ),
        "archived product": await create_sku(
            database, cooperative_id=farm, product_status=ProductStatus.ARCHIVED
        ),
        "suspended supplier": await create_sku(database, cooperative_id=suspended),
        "pending supplier": await create_sku(database, cooperative_id=pending),
    }


async def test_unavailable_skus_are_refused_naming_their_line(database: Database) -> None:
    farm = await create_cooperative(database)
    good = await create_sku(database, cooperative_id=farm)
    for reason, bad in (await _make_unavailable(database)).items():
        error = await refused(database, [(good.id, 1), (bad.id, 1)])
        assert (error.status_code, error.code) == (422, "sku_unavailable"), reason
        assert error.fields == {"lines.1.sku_id": "not available"}, reason

    error = await refused(database, [(good.id + 10_000, 1)])
    assert (error.code, error.fields) == ("sku_unavailable", {"lines.0.sku_id": "not available"})


async def test_below_minimum_quantity(database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, min_qty=5, stock=50)

    error = await refused(database, [(sku.id, 4)])

    assert (error.status_code, error.code) == (422, "below_min_qty")
    assert error.fields == {"lines.0.quantity": "at least 5"}
    assert (await price(database, [(sku.id, 5)])).goods_fen == 5 * 2500


async def test_more_than_the_stock_is_a_conflict(database: Database) -> None:
    farm = await create_cooperative(database)
    plenty = await create_sku(database, cooperative_id=farm, stock=50)
    short = await create_sku(database, cooperative_id=farm, stock=3)

    error = await refused(database, [(plenty.id, 1), (short.id, 4)])

    assert (error.status_code, error.code) == (409, "insufficient_stock")
    assert error.fields == {"lines.1.quantity": "only 3 left"}
    assert error.message == f"Only 3 unit(s) of SKU {short.id} are left; 4 were asked for."


async def test_the_worst_problem_is_reported_first(database: Database) -> None:
    farm = await create_cooperative(database)
    short = await create_sku(database, cooperative_id=farm, stock=1)
    small = await create_sku(database, cooperative_id=farm, min_qty=3)
    gone = await create_sku(database, cooperative_id=farm, is_active=False)

    error = await refused(database, [(short.id, 2), (small.id, 1), (gone.id, 1)])
    assert (error.code, error.fields) == ("sku_unavailable", {"lines.2.sku_id": "not available"})
    error = await refused(database, [(short.id, 2), (small.id, 1)])
    assert (error.code, error.fields) == ("below_min_qty", {"lines.1.quantity": "at least 3"})


@pytest.mark.parametrize("quantity", [0, -1, 100_001, 10**12, True, 1.5, "3", None])
async def test_quantities_must_be_whole_numbers_in_range(
    database: Database, quantity: object
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=10**6)

    error = await refused(database, [(sku.id, quantity)])

    assert (error.status_code, error.code) == (422, "invalid_quantity")
    assert list(error.fields) == ["lines.0.quantity"]


async def test_malformed_sku_ids_empty_baskets_and_duplicates(database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)

    for bad_id in (0, -5, MAX_ID + 1, 2**63, "1", True, 1.0):
        error = await refused(database, [(bad_id, 1)])
        assert (error.code, error.fields) == (
            "sku_unavailable",
            {"lines.0.sku_id": "not a SKU id"},
        ), bad_id
    # The largest id is an id: no SKU has it, which pricing says in its own words.
    error = await refused(database, [(MAX_ID, 1)])
    assert (error.code, error.fields) == ("sku_unavailable", {"lines.0.sku_id": "not available"})
    error = await refused(database, [])
    assert (error.status_code, error.code) == (422, "empty_basket")
    error = await refused(database, [(sku.id, 1), (sku.id, 2)])
    assert (error.code, error.fields) == (
        "duplicate_sku",
        {"lines.1.sku_id": "this SKU is already on another line"},
    )
    error = await refused(database, [(sku.id, 1)] * 201)
    assert (error.code, error.fields) == ("invalid_quantity", {"lines": "at most 200 lines"})


def test_a_basket_holds_up_to_200_lines() -> None:
    check_items([(sku_id, 1) for sku_id in range(1, MAX_BASKET_LINES + 1)])
    with pytest.raises(InvalidQuantity) as caught:
        check_items([(sku_id, 1) for sku_id in range(1, MAX_BASKET_LINES + 2)])
    assert caught.value.fields == {"lines": "at most 200 lines"}


# Six characters with a NUL, or seven digits: never sent to the database (PostgreSQL refuses
# a NUL in a query's text with an error of its own, which would be a 500).
@pytest.mark.parametrize(
    "county", ["999999", "45012", "4501234", "abcdef", "45\x00123", "４５０１２３", ""]
)
async def test_an_unknown_destination_county(database: Database, county: str) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)

    error = await refused(database, [(sku.id, 1)], county)

    assert (error.status_code, error.code) == (422, "unknown_county")
    assert error.fields == {"county_code": "unknown county"}
    assert error.message == f"No county has the code {county!r}."


async def test_a_supplier_that_does_not_serve_the_destination(database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(cooperative_id=farm, base_fee_fen=800, excluded_province_codes=["540000"])
        )

    error = await refused(database, [(sku.id, 1)], LHASA_COUNTY)

    assert (error.status_code, error.code) == (422, "region_not_served")
    assert (await price(database, [(sku.id, 1)], NANNING_COUNTY)).shipping_fen == 800
