"""The product page's shipping line: what the product's cheapest purchase costs to ship to the
buyer's region (or the least its supplier charges), read by the catalog's product page through
app.state (the catalog sits below shipping, orders and addresses)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.schemas import ProductDetail, ShippingEstimate
from app.order import service as order_service
from app.regions import repository as regions_repository
from app.regions.listing import place_name
from app.regions.models import County
from app.shipping import service as shipping_service
from app.shipping.errors import RegionNotServed


async def estimate_product_shipping(
    session: AsyncSession,
    product: ProductDetail,
    *,
    user_id: int | None,
    county_code: str | None,
) -> ShippingEstimate | None:
    """What shipping the product's cheapest purchase costs: to the buyer's region (the delivery
    county the cart was priced for, else the default saved address), else the least the
    supplier's rule charges. None when nothing can be bought."""
    buyable = [s for s in product.skus if s.stock_available >= s.min_qty] or product.skus
    if not buyable:
        return None
    cheapest = min(buyable, key=lambda s: (s.price_fen * s.min_qty, s.id))
    goods, weight = cheapest.price_fen * cheapest.min_qty, cheapest.weight_grams * cheapest.min_qty
    rule = (await shipping_service.rules_for(session, [product.cooperative.id])).get(
        product.cooperative.id
    )
    cold_chain = shipping_service.is_cold_chain([product.category.code])

    def fee_to(province_code: str) -> int:
        return shipping_service.shipping_fee(
            rule,
            goods_fen=goods,
            weight_grams=weight,
            cold_chain=cold_chain,
            destination_province_code=province_code,
        )

    estimate = ShippingEstimate(
        region_code=None,
        region_name=None,
        served=True,
        fee_fen=None,
        # No province is excluded by the empty code: the rule's own lowest charge.
        from_fee_fen=fee_to(""),
        free_above_fen=rule.free_above_fen if rule else None,
        cold_chain=cold_chain,
    )
    county = await _buyer_county(session, user_id=user_id, county_code=county_code)
    if county is None:
        return estimate
    estimate.region_code = county.code
    estimate.region_name = place_name(county.province.name, county.prefecture.name, county.name)
    try:
        estimate.fee_fen = fee_to(county.province_code)
    except RegionNotServed:
        estimate.served = False
    return estimate


async def default_delivery_county(session: AsyncSession, *, user_id: int) -> str | None:
    """The county of the buyer's default saved address, if they have one."""
    default = await order_service.default_address(session, user_id=user_id)
    return default.county_code if default else None


async def _buyer_county(
    session: AsyncSession, *, user_id: int | None, county_code: str | None
) -> County | None:
    """The county named (if it is one), else the signed-in buyer's default address's."""
    if county_code and len(county_code) == 6 and county_code.isascii() and county_code.isdigit():
        county = await regions_repository.get_county(session, county_code)
        if county is not None:
            return county
    if user_id is None:
        return None
    default = await order_service.default_address(session, user_id=user_id)
    return await regions_repository.get_county(session, default.county_code) if default else None
