"""The fee of one parcel: base, per started kilogram, free threshold, cold chain, exclusions."""

from __future__ import annotations

import pytest

from app.shipping.errors import RegionNotServed
from app.shipping.models import ShippingRule
from app.shipping.service import (
    COLD_CHAIN_CATEGORIES,
    DEFAULT_BASE_FEE_FEN,
    extra_kilograms,
    is_cold_chain,
    shipping_fee,
)

GUANGXI = "450000"
TIBET = "540000"


def rule(
    *,
    base: int = 800,
    per_kg: int = 300,
    free_above: int | None = None,
    surcharge: int = 0,
    excluded: list[str] | None = None,
) -> ShippingRule:
    return ShippingRule(
        cooperative_id=7,
        base_fee_fen=base,
        per_kg_fen=per_kg,
        free_above_fen=free_above,
        cold_chain_surcharge_fen=surcharge,
        excluded_province_codes=excluded or [],
    )


def fee(
    shipping_rule: ShippingRule | None,
    *,
    goods: int = 5000,
    weight: int = 1000,
    cold: bool = False,
    province: str = GUANGXI,
) -> int:
    return shipping_fee(
        shipping_rule,
        goods_fen=goods,
        weight_grams=weight,
        cold_chain=cold,
        destination_province_code=province,
    )


@pytest.mark.parametrize(
    ("weight", "started_kilograms"),
    [(0, 0), (1, 0), (999, 0), (1000, 0), (1001, 1), (1999, 1), (2000, 1), (2001, 2), (10_500, 10)],
)
def test_started_kilograms_beyond_the_first(weight: int, started_kilograms: int) -> None:
    assert extra_kilograms(weight) == started_kilograms


def test_without_a_rule_the_platform_default_is_a_flat_base_fee() -> None:
    assert DEFAULT_BASE_FEE_FEN == 1000
    assert fee(None) == 1000
    # No per-kg fee, no surcharge, no threshold and no exclusions in the default.
    assert fee(None, weight=25_000, cold=True, goods=10**7, province=TIBET) == 1000


def test_base_fee_covers_the_first_kilogram() -> None:
    assert fee(rule(), weight=1000) == 800


def test_each_started_kilogram_beyond_the_first_costs_per_kg() -> None:
    assert fee(rule(), weight=1001) == 800 + 300
    assert fee(rule(), weight=3000) == 800 + 2 * 300
    assert fee(rule(), weight=3001) == 800 + 3 * 300


def test_cold_chain_adds_the_surcharge() -> None:
    assert fee(rule(surcharge=1500), weight=2500, cold=True) == 800 + 2 * 300 + 1500
    assert fee(rule(surcharge=1500), weight=2500, cold=False) == 800 + 2 * 300


def test_free_from_the_threshold_on_but_not_below() -> None:
    shipping_rule = rule(free_above=9900)
    assert fee(shipping_rule, goods=9899, weight=4000) == 800 + 3 * 300
    assert fee(shipping_rule, goods=9900, weight=4000) == 0  # 满 99 元包邮: reaching it counts
    assert fee(shipping_rule, goods=50_000, weight=4000) == 0


def test_free_shipping_still_charges_the_cold_chain_surcharge() -> None:
    shipping_rule = rule(free_above=9900, surcharge=1200)
    assert fee(shipping_rule, goods=10_000, weight=5000, cold=True) == 1200
    assert fee(shipping_rule, goods=10_000, weight=5000, cold=False) == 0


def test_no_threshold_means_never_free() -> None:
    assert fee(rule(free_above=None), goods=10**7) == 800


def test_an_excluded_province_is_not_served() -> None:
    shipping_rule = rule(excluded=[TIBET, "650000"])
    with pytest.raises(RegionNotServed) as caught:
        fee(shipping_rule, province=TIBET)
    error = caught.value
    assert (error.status_code, error.code) == (422, "region_not_served")
    assert error.cooperative_id == 7
    assert error.province_code == TIBET
    assert "county_code" in error.fields
    # Exclusion wins over free shipping: nothing is shipped there at any price.
    with pytest.raises(RegionNotServed):
        fee(rule(excluded=[TIBET], free_above=0), province=TIBET)
    assert fee(shipping_rule, province=GUANGXI) == 800


def test_negative_goods_or_weight_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="negative"):
        fee(rule(), goods=-1)
    with pytest.raises(ValueError, match="negative"):
        fee(rule(), weight=-1)


def test_cold_chain_categories_are_meat_eggs_and_aquatic() -> None:
    assert frozenset({"meat_eggs", "aquatic"}) == COLD_CHAIN_CATEGORIES
    assert is_cold_chain(["fruit", "aquatic"])
    assert is_cold_chain(["meat_eggs"])
    assert not is_cold_chain(["fruit", "tea", "mushrooms"])
    assert not is_cold_chain([])
