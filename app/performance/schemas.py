"""Supplier performance as the API and the pages show it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.catalog.portal_schemas import FlaggedProduct
from app.catalog.schemas import RatingSummary, SupplierProfile
from app.cooperative.schemas import CooperativeOut

WINDOW_DAYS = 90
SHIPPING_DEADLINE_HOURS = 48


class ShippingSpeed(BaseModel):
    """Parcels paid in the window and due by now: those shipped within 48 h of payment.

    A parcel still inside its 48 h counts only once shipped; one past its 48 h and not
    shipped counts as late. Cancelled parcels do not count."""

    counted: int = Field(description="Parcels due in the window")
    on_time: int = Field(description="Of those, shipped within 48 h of payment")
    on_time_share_bp: int | None = Field(
        description="on_time / counted in basis points (10000 = all); null with none counted"
    )
    average_hours: float | None = Field(
        description="Average hours from payment to shipping of the shipped ones (one decimal)"
    )


class AfterSalesRate(BaseModel):
    """Parcels paid in the window, and those that drew an after-sales request."""

    parcels: int = Field(description="Parcels paid in the window")
    parcels_with_request: int
    rate_bp: int | None = Field(
        description="parcels_with_request / parcels in basis points; null without parcels"
    )
    requests: int = Field(description="Requests on those parcels")
    escalated: int = Field(description="Of those, escalated to an operator")


class PublicPerformance(BaseModel):
    """What any buyer sees: the rating and the shipping speed."""

    window_days: int = Field(description="The shipping figures cover this many days")
    rating: RatingSummary
    shipping: ShippingSpeed


class SupplierPerformance(PublicPerformance):
    """What an operator sees: the public figures, after-sales and the flagged prices."""

    after_sales: AfterSalesRate
    price_flags: list[FlaggedProduct] = Field(
        description="Products priced above their reference × ratio: listing, reference, ratio"
    )


class PublicSupplier(SupplierProfile):
    """A verified supplier's public page with its rating and shipping speed."""

    performance: PublicPerformance


class OperatorSupplier(BaseModel):
    """The operator's view of one supplier: its record (contacts included) and performance."""

    cooperative: CooperativeOut
    performance: SupplierPerformance
