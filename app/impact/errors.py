"""Errors of the impact domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import Conflict, NotFound, ValidationFailed


class CountyNotFound(NotFound):
    code = "county_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"No county has the code {code}.")


class OrganizationNotFound(NotFound):
    """No such organisation, or the caller may not see its figures (not revealed)."""

    code = "organization_not_found"

    def __init__(self, organization_id: int) -> None:
        super().__init__(f"No organisation with id {organization_id}.")


class ProvinceNotFound(NotFound):
    """A province outside the caller's scope, or none at all (not revealed)."""

    code = "province_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"No province {code} among yours.")


class InvalidCountyCodes(ValidationFailed):
    """Designated counties that are not six-digit codes of known counties."""

    code = "invalid_county_codes"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Some county codes are invalid.", fields=fields)


class OrderNotPaid(Conflict):
    """The ledger was asked to record an order that has no payment time."""

    code = "order_not_paid"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"Order {order_id} has not been paid; it has no benefit to record.")


class InvalidRefundLines(ValidationFailed):
    """Refunded lines the ledger cannot record: not the order's, or quantities below one."""

    code = "invalid_refund_lines"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("The refund names lines the ledger cannot record.", fields=fields)
