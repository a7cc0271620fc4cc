"""Errors of after-sales, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import Conflict, NotFound, ValidationFailed


class AfterSalesNotFound(NotFound):
    """Unknown, or someone else's: the same answer either way."""

    code = "after_sales_not_found"

    def __init__(self, request_id: int | str) -> None:
        super().__init__(f"After-sales request {request_id} not found.")


class InvalidAfterSales(ValidationFailed):
    """Fields that break a rule: lines, quantities, reason, photos, carrier, reference."""

    code = "invalid_after_sales"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(f"Some fields are invalid: {', '.join(fields)}.", fields=dict(fields))


class AfterSalesNotAllowed(Conflict):
    """The order or its parcel is not in a state the kind of request is allowed in."""

    code = "after_sales_not_allowed"


class AfterSalesQuantityExceeded(Conflict):
    """More units than were bought and not refunded yet."""

    code = "after_sales_quantity_exceeded"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("More units than are left to refund.", fields=dict(fields))


class AfterSalesLineBusy(Conflict):
    """A line already has an open request."""

    code = "after_sales_line_busy"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("A line already has an open after-sales request.", fields=dict(fields))


class InvalidAfterSalesTransition(Conflict):
    """The request's status does not allow this step (or this caller's step)."""

    code = "invalid_status_transition"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"A request that is {status} cannot be {action}.")
