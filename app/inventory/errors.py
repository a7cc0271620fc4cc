"""Errors of the inventory domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, ValidationFailed


class InsufficientStock(Conflict):
    """Fewer units are left than asked for. `field` names the offending input (default: the
    SKU, `skus.{sku_id}`); the cart and checkout name their own line instead."""

    code = "insufficient_stock"

    def __init__(
        self, *, sku_id: int, requested: int, available: int, field: str | None = None
    ) -> None:
        super().__init__(
            f"Only {available} unit(s) of SKU {sku_id} are left; {requested} were asked for.",
            fields={field or f"skus.{sku_id}": f"only {available} left"},
        )
        self.sku_id = sku_id
        self.requested = requested
        self.available = available


class InvalidStockChange(ValidationFailed):
    """A quantity that is not a whole number in range."""

    code = "invalid_quantity"

    def __init__(self, message: str, *, field: str = "quantity") -> None:
        super().__init__(message, fields={field: message})


class SkuNotFound(NotFound):
    code = "sku_not_found"

    def __init__(self, sku_id: int) -> None:
        super().__init__(f"No SKU with id {sku_id}.")
        self.sku_id = sku_id
