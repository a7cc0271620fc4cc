"""Errors of the shipping domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import ValidationFailed


class RegionNotServed(ValidationFailed):
    """The supplier does not ship to the destination's province."""

    code = "region_not_served"

    def __init__(
        self, *, cooperative_id: int, province_code: str, field: str = "county_code"
    ) -> None:
        super().__init__(
            f"Supplier {cooperative_id} does not ship to province {province_code}.",
            fields={field: "This supplier does not deliver to this region."},
        )
        self.cooperative_id = cooperative_id
        self.province_code = province_code


class InvalidShippingRule(ValidationFailed):
    """A fee out of range or a province code that names no province."""

    code = "invalid_shipping_rule"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Some fields of the shipping rule are invalid.", fields=fields)
