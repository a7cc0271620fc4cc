"""Pricing a basket: validation of each line, tier prices, one parcel per supplier, shipping.

Shared by the cart (which shows problems next to each line) and checkout (which refuses a
basket with any problem). A line is orderable when its SKU is active, its product active,
its supplier verified, and its quantity between the SKU's minimum and the stock left.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.cart import repository
from app.cart.errors import (
    BelowMinQuantity,
    DuplicateSku,
    EmptyBasket,
    InvalidQuantity,
    SkuUnavailable,
    UnknownCounty,
)
from app.cart.repository import PricingSku
from app.catalog.models import ProductStatus, Sku
from app.cooperative.models import SupplierStatus
from app.core.fields import MAX_ID
from app.inventory.errors import InsufficientStock
from app.regions.cache import county_place
from app.shipping import service as shipping_service
from app.shipping.errors import RegionNotServed
from app.shipping.models import ShippingRule, ShippingTerms

MAX_LINE_QUANTITY = 100_000
MAX_BASKET_LINES = 200


class LineProblem(enum.StrEnum):
    UNAVAILABLE = "unavailable"
    BELOW_MIN_QTY = "below_min_qty"
    INSUFFICIENT_STOCK = "insufficient_stock"


@dataclass(frozen=True)
class PricedLine:
    """One SKU at one quantity, priced, with what an order line keeps of it."""

    sku_id: int
    sku_code: str
    product_id: int
    product_slug: str
    cooperative_id: int
    cooperative_name: str
    origin_county_code: str
    category_code: str
    title: str
    sku_name: str
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    weight_grams: int  # of the whole line
    min_qty: int
    stock_available: int
    problem: LineProblem | None


@dataclass(frozen=True)
class PricedGroup:
    """One supplier's parcel. `shipping_fen` is None without a destination, or when the
    supplier does not serve it (`region_served` False)."""

    cooperative_id: int
    cooperative_name: str
    lines: tuple[PricedLine, ...]
    goods_fen: int
    weight_grams: int
    cold_chain: bool
    shipping_fen: int | None
    region_served: bool = True

    @property
    def sku_ids(self) -> list[int]:
        return [line.sku_id for line in self.lines]


@dataclass(frozen=True)
class PricedBasket:
    lines: tuple[PricedLine, ...]
    groups: tuple[PricedGroup, ...]
    goods_fen: int
    shipping_fen: int | None  # None when no destination was given
    total_fen: int
    destination_province_code: str | None = None


def is_quantity(value: object) -> bool:
    """A whole number of units a line may hold (bools and floats are not)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_LINE_QUANTITY
    )


def check_quantity(value: object, *, field: str = "quantity") -> None:
    if not is_quantity(value):
        raise InvalidQuantity({field: f"a whole number from 1 to {MAX_LINE_QUANTITY}"})


def unit_price(sku: Sku | PricingSku, quantity: int) -> int:
    """The price of the highest tier whose min_qty the quantity reaches, else the SKU's price."""
    price = sku.price_fen
    best = 0
    for tier in sku.price_tiers:
        if best < tier.min_qty <= quantity:
            best, price = tier.min_qty, tier.price_fen
    return price


def is_sellable(sku: Sku | PricingSku) -> bool:
    product = sku.product
    return (
        sku.is_active
        and product.status == ProductStatus.ACTIVE
        and product.cooperative.status == SupplierStatus.VERIFIED
    )


def problem_of(sku: Sku | PricingSku, quantity: int) -> LineProblem | None:
    if not is_sellable(sku):
        return LineProblem.UNAVAILABLE
    if quantity < sku.min_qty:
        return LineProblem.BELOW_MIN_QTY
    if quantity > sku.stock:
        return LineProblem.INSUFFICIENT_STOCK
    return None


def price_line(sku: Sku | PricingSku, quantity: int) -> PricedLine:
    """A line of a SKU loaded with product, supplier and tiers (repository.skus_for_pricing)."""
    product = sku.product
    price = unit_price(sku, quantity)
    return PricedLine(
        sku_id=sku.id,
        sku_code=sku.code,
        product_id=product.id,
        product_slug=product.slug,
        cooperative_id=product.cooperative_id,
        cooperative_name=product.cooperative.name,
        origin_county_code=product.cooperative.county_code,
        category_code=product.category_code,
        title=product.title,
        sku_name=sku.name,
        quantity=quantity,
        unit_price_fen=price,
        line_total_fen=price * quantity,
        weight_grams=sku.weight_grams * quantity,
        min_qty=sku.min_qty,
        stock_available=sku.stock,
        problem=problem_of(sku, quantity),
    )


async def price_lines(
    session: AsyncSession, items: Sequence[tuple[int, int]]
) -> list[PricedLine | None]:
    """Each (sku_id, quantity) priced, in order; None for a SKU that does not exist."""
    return (await _priced(session, items))[0]


async def _priced(
    session: AsyncSession, items: Sequence[tuple[int, int]]
) -> tuple[list[PricedLine | None], dict[int, ShippingTerms]]:
    """price_lines, and the shipping rules of the suppliers that have one, read with them."""
    read = await repository.skus_for_pricing(session, [sku_id for sku_id, _ in items])
    skus = read.skus
    lines = [
        price_line(skus[sku_id], quantity) if sku_id in skus else None for sku_id, quantity in items
    ]
    return lines, read.rules


async def destination_province(
    session: AsyncSession, county_code: str, *, field: str = "county_code"
) -> str:
    """The province of a delivery county; unknown or malformed codes → 422 unknown_county."""
    county = await county_place(session, county_code)
    if county is None:
        raise UnknownCounty(county_code, field=field)
    return county.province_code


async def group_lines(
    session: AsyncSession,
    lines: Sequence[PricedLine],
    *,
    destination_province_code: str | None,
    strict: bool,
    rules: Mapping[int, ShippingRule | ShippingTerms] | None = None,
) -> list[PricedGroup]:
    """One group per supplier, in order of first appearance, with its parcel's shipping fee.

    strict: a supplier that does not serve the destination raises RegionNotServed (checkout);
    otherwise its group is marked (the cart shows it). `rules`: the suppliers' rules read
    with the lines (those not in it have none); None: they are read here.
    """
    by_supplier: dict[int, list[PricedLine]] = {}
    for line in lines:
        by_supplier.setdefault(line.cooperative_id, []).append(line)
    if destination_province_code is None:
        rules = {}
    elif rules is None:
        rules = await shipping_service.rules_for(session, by_supplier)
    groups: list[PricedGroup] = []
    for cooperative_id, members in by_supplier.items():
        goods = sum(line.line_total_fen for line in members)
        weight = sum(line.weight_grams for line in members)
        cold = shipping_service.is_cold_chain(line.category_code for line in members)
        fee: int | None = None
        served = True
        if destination_province_code is not None:
            try:
                fee = shipping_service.shipping_fee(
                    rules.get(cooperative_id),
                    goods_fen=goods,
                    weight_grams=weight,
                    cold_chain=cold,
                    destination_province_code=destination_province_code,
                )
            except RegionNotServed:
                if strict:
                    raise
                served = False
        groups.append(
            PricedGroup(
                cooperative_id=cooperative_id,
                cooperative_name=members[0].cooperative_name,
                lines=tuple(members),
                goods_fen=goods,
                weight_grams=weight,
                cold_chain=cold,
                shipping_fen=fee,
                region_served=served,
            )
        )
    return groups


def check_items(items: Sequence[tuple[int, int]]) -> None:
    if not items:
        raise EmptyBasket()
    if len(items) > MAX_BASKET_LINES:
        raise InvalidQuantity({"lines": f"at most {MAX_BASKET_LINES} lines"})
    seen: set[int] = set()
    for index, (sku_id, quantity) in enumerate(items):
        if isinstance(sku_id, bool) or not isinstance(sku_id, int) or not 1 <= sku_id <= MAX_ID:
            raise SkuUnavailable({f"lines.{index}.sku_id": "not a SKU id"})
        if sku_id in seen:
            raise DuplicateSku({f"lines.{index}.sku_id": "this SKU is already on another line"})
        seen.add(sku_id)
        check_quantity(quantity, field=f"lines.{index}.quantity")


def raise_line_problems(lines: Sequence[PricedLine | None]) -> None:
    """The most severe kind of problem, naming every line that has it."""
    unavailable = {
        f"lines.{i}.sku_id": "not available"
        for i, line in enumerate(lines)
        if line is None or line.problem is LineProblem.UNAVAILABLE
    }
    if unavailable:
        raise SkuUnavailable(unavailable)
    present = [(i, line) for i, line in enumerate(lines) if line is not None]
    below = {
        f"lines.{i}.quantity": f"at least {line.min_qty}"
        for i, line in present
        if line.problem is LineProblem.BELOW_MIN_QTY
    }
    if below:
        raise BelowMinQuantity(below)
    short = [(i, line) for i, line in present if line.problem is LineProblem.INSUFFICIENT_STOCK]
    if short:
        index, first = short[0]
        error = InsufficientStock(
            sku_id=first.sku_id,
            requested=first.quantity,
            available=first.stock_available,
            field=f"lines.{index}.quantity",
        )
        error.fields.update(
            {f"lines.{i}.quantity": f"only {line.stock_available} left" for i, line in short}
        )
        raise error


async def price_basket(
    session: AsyncSession,
    items: Sequence[tuple[int, int]],
    *,
    destination_county_code: str | None,
) -> PricedBasket:
    """Price (sku_id, quantity) lines for an order, refusing any line that cannot be ordered.

    422 sku_unavailable / below_min_qty / invalid_quantity / duplicate_sku / empty_basket /
    unknown_county / region_not_served, 409 insufficient_stock; fields name `lines.{i}.…`.
    Stock is only checked here, not reserved (inventory.reserve_stock does that atomically).
    """
    check_items(items)
    province = (
        await destination_province(session, destination_county_code)
        if destination_county_code is not None
        else None
    )
    priced, rules = await _priced(session, items)
    raise_line_problems(priced)
    lines = [line for line in priced if line is not None]
    groups = await group_lines(
        session, lines, destination_province_code=province, strict=True, rules=rules
    )
    goods = sum(group.goods_fen for group in groups)
    shipping = sum(group.shipping_fen or 0 for group in groups) if province is not None else None
    return PricedBasket(
        lines=tuple(lines),
        groups=tuple(groups),
        goods_fen=goods,
        shipping_fen=shipping,
        total_fen=goods + (shipping or 0),
        destination_province_code=province,
    )


# ---------------------------------------------------------------------------------------------
# A gift: the same SKUs to each of many recipients


@dataclass(frozen=True)
class PricedParcel:
    """What one recipient gets from one supplier, and its shipping fee (None when the
    recipient's province is unknown, or the supplier does not ship there)."""

    recipient: int  # the caller's number for the recipient (the row of the list)
    group: PricedGroup


@dataclass(frozen=True)
class PricedGift:
    """A gift priced: `lines` hold each SKU's whole quantity (every recipient's units), priced
    at the tier that quantity reaches; `parcels` the same unit prices per recipient."""

    lines: tuple[PricedLine | None, ...]
    parcels: tuple[PricedParcel, ...]
    goods_fen: int
    shipping_fen: int


def _per_recipient(line: PricedLine, quantity_each: int) -> PricedLine:
    """The whole line's price and weight per unit, for one recipient's units."""
    return dataclasses.replace(
        line,
        quantity=quantity_each,
        line_total_fen=line.unit_price_fen * quantity_each,
        weight_grams=line.weight_grams // line.quantity * quantity_each,
    )


async def price_gift(
    session: AsyncSession,
    items: Sequence[tuple[int, int]],
    recipients: Sequence[tuple[int, str | None]],
) -> PricedGift:
    """Each (sku_id, quantity_each) for every (recipient number, destination province code or
    None) in `recipients`: one parcel per recipient and supplier, the tier price of each SKU
    set by its whole quantity (one order buys them all). Nothing is refused here: `lines` say
    which SKUs cannot be ordered (None: no such SKU; `problem`), and a parcel whose supplier
    does not serve its destination is marked (`region_served` False). The caller decides."""
    count = len(recipients)
    priced, rules = await _priced(session, [(sku, each * count) for sku, each in items])
    lines = tuple(priced)
    each_of = dict(items)
    usable = [line for line in lines if line is not None and line.problem is None]
    per_recipient = [_per_recipient(line, each_of[line.sku_id]) for line in usable]
    by_supplier: dict[int, list[PricedLine]] = {}
    for line in per_recipient:
        by_supplier.setdefault(line.cooperative_id, []).append(line)
    parcels: list[PricedParcel] = []
    for number, province in recipients:
        for cooperative_id, members in by_supplier.items():
            goods = sum(line.line_total_fen for line in members)
            weight = sum(line.weight_grams for line in members)
            cold = shipping_service.is_cold_chain(line.category_code for line in members)
            fee: int | None = None
            served = True
            if province is not None:
                try:
                    fee = shipping_service.shipping_fee(
                        rules.get(cooperative_id),
                        goods_fen=goods,
                        weight_grams=weight,
                        cold_chain=cold,
                        destination_province_code=province,
                    )
                except RegionNotServed:
                    served = False
            group = PricedGroup(
                cooperative_id=cooperative_id,
                cooperative_name=members[0].cooperative_name,
                lines=tuple(members),
                goods_fen=goods,
                weight_grams=weight,
                cold_chain=cold,
                shipping_fen=fee,
                region_served=served,
            )
            parcels.append(PricedParcel(recipient=number, group=group))
    return PricedGift(
        lines=lines,
        parcels=tuple(parcels),
        goods_fen=sum(parcel.group.goods_fen for parcel in parcels),
        shipping_fen=sum(parcel.group.shipping_fen or 0 for parcel in parcels),
    )
