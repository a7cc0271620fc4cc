"""Pricing a gift: each recipient's parcel from each supplier, priced per recipient (weight,
cold chain, free shipping), with the SKUs that cannot be ordered left out and named."""

from __future__ import annotations

from collections.abc import Sequence

from app.cart.pricing import LineProblem, PricedGift, price_gift
from app.core.db import Database, unit_of_work
from app.shipping.models import ShippingRule
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative

GUANGXI = "450000"
TIBET = "540000"


async def _gift(
    database: Database,
    items: Sequence[tuple[int, int]],
    recipients: Sequence[tuple[int, str | None]],
) -> PricedGift:
    async with unit_of_work(database.writer) as session:
        return await price_gift(session, items, recipients)


async def _rule(database: Database, cooperative_id: int, **values: object) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=cooperative_id, **values))


async def test_each_parcel_weighs_and_pays_for_its_own_recipients_units(
    database: Database,
) -> None:
    """3 recipients × 2 units of 600 g: each parcel weighs 1,200 g (one started kilogram beyond
    the first), not the whole gift's 3,600 g nor one unit's."""
    farm = await create_cooperative(database, name="隆安香蕉合作社")
    sku = await create_sku(database, cooperative_id=farm, price_fen=1000, weight_grams=600)
    await _rule(database, farm, base_fee_fen=800, per_kg_fen=200)

    gift = await _gift(database, [(sku.id, 2)], [(1, GUANGXI), (2, GUANGXI), (3, GUANGXI)])

    [line] = gift.lines
    assert line is not None and (line.quantity, line.weight_grams) == (6, 3600)
    assert [p.recipient for p in gift.parcels] == [1, 2, 3]
    for parcel in gift.parcels:
        group = parcel.group
        assert [(x.quantity, x.line_total_fen, x.weight_grams) for x in group.lines] == [
            (2, 2000, 1200)
        ]
        assert (group.goods_fen, group.weight_grams, group.shipping_fen) == (2000, 1200, 1000)
        # Whole grams and whole fen: a fee is never a float.
        assert {type(group.weight_grams), type(group.shipping_fen)} == {int}
        assert (group.cooperative_name, group.cold_chain, group.region_served) == (
            "隆安香蕉合作社",
            False,
            True,
        )
    assert (gift.goods_fen, gift.shipping_fen) == (6000, 3000)


async def test_cold_chain_parcels_pay_the_surcharge_even_when_shipping_is_free(
    database: Database,
) -> None:
    fishery = await create_cooperative(database, name="北海渔业合作社")
    fish = await create_sku(
        database, cooperative_id=fishery, price_fen=3000, weight_grams=500, category="aquatic"
    )
    await _rule(
        database, fishery, base_fee_fen=800, free_above_fen=5000, cold_chain_surcharge_fen=1000
    )

    gift = await _gift(database, [(fish.id, 2)], [(1, GUANGXI), (2, GUANGXI)])

    assert [(p.group.cold_chain, p.group.shipping_fen) for p in gift.parcels] == [
        (True, 1000),
        (True, 1000),
    ]
    assert (gift.goods_fen, gift.shipping_fen) == (12_000, 2000)


async def test_skus_that_cannot_be_ordered_are_named_and_left_out_of_the_parcels(
    database: Database,
) -> None:
    """A SKU taken off sale and an id no SKU has: `lines` say so (a problem, None); parcels
    hold the rest. A recipient without a known province gets no fee; one in a province the
    supplier does not serve is marked, with no fee, and adds nothing to the shipping."""
    farm = await create_cooperative(database, name="隆安香蕉合作社")
    good = await create_sku(database, cooperative_id=farm, price_fen=1000)
    gone = await create_sku(database, cooperative_id=farm, price_fen=500, is_active=False)
    await _rule(database, farm, base_fee_fen=800, excluded_province_codes=[TIBET])
    missing = gone.id + 1_000_000

    gift = await _gift(
        database,
        [(good.id, 1), (gone.id, 1), (missing, 1)],
        [(1, GUANGXI), (2, None), (3, TIBET)],
    )

    first, second, third = gift.lines
    assert first is not None and (first.sku_id, first.problem) == (good.id, None)
    assert second is not None and (second.sku_id, second.problem) == (
        gone.id,
        LineProblem.UNAVAILABLE,
    )
    assert third is None
    parcels = {p.recipient: p.group for p in gift.parcels}
    assert {n: g.sku_ids for n, g in parcels.items()} == {1: [good.id], 2: [good.id], 3: [good.id]}
    assert {n: (g.shipping_fen, g.region_served) for n, g in parcels.items()} == {
        1: (800, True),
        2: (None, True),
        3: (None, False),
    }
    assert parcels[3].cooperative_name == "隆安香蕉合作社"  # named in the recipient's error
    assert (gift.goods_fen, gift.shipping_fen) == (3000, 800)
