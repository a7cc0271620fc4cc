"""Errors of the cart domain (and of pricing a basket), each with its status and code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import NotFound, ValidationFailed


class SkuUnavailable(ValidationFailed):
    """Unknown or inactive SKU, product not on sale, or supplier not verified (suspended…)."""

    code = "sku_unavailable"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("This item is not available for sale.", fields=fields)


class BelowMinQuantity(ValidationFailed):
    code = "below_min_qty"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("The quantity is below the item's minimum order quantity.", fields=fields)


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("The quantity must be a whole number from 1 to 100000.", fields=fields)


class DuplicateSku(ValidationFailed):
    """The same SKU on two lines of one basket: one line per SKU, with its total quantity."""

    code = "duplicate_sku"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Each SKU may appear on one line only.", fields=fields)


class EmptyBasket(ValidationFailed):
    code = "empty_basket"

    def __init__(self, field: str = "lines") -> None:
        super().__init__("There is nothing to order.", fields={field: "empty"})


class UnknownCounty(ValidationFailed):
    code = "unknown_county"

    def __init__(self, county_code: str, field: str = "county_code") -> None:
        super().__init__(
            f"No county has the code {county_code!r}.", fields={field: "unknown county"}
        )


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"

    def __init__(self, sku_id: int) -> None:
        super().__init__(f"The cart holds no SKU {sku_id}.")
