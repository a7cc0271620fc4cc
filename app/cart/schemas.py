"""Request and response bodies of the cart API, and what the cart page shows."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.core.fields import MAX_ID, WHOLE_NUMBER

MAX_LINE_QUANTITY = 100_000

Quantity = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_LINE_QUANTITY, description="Whole units, 1…100000", examples=[2]),
    WHOLE_NUMBER,
]


class CartItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID, examples=[1]), WHOLE_NUMBER]
    quantity: Quantity


class CartQuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Quantity


class CartItemOut(BaseModel):
    sku_id: int
    sku_code: str
    product_id: int
    product_slug: str
    title: str
    sku_name: str
    image_url: str | None
    quantity: int
    min_qty: int
    stock_available: int
    unit_price_fen: int = Field(description="The tier price for this quantity")
    line_total_fen: int
    problem: Literal["below_min_qty", "insufficient_stock", "unavailable"] | None = Field(
        description="Why the line cannot be ordered as it is; null when it can"
    )
    cooperative_id: int


class CooperativeRef(BaseModel):
    id: int
    name: str


class CartGroupOut(BaseModel):
    """One supplier's parcel, of the lines that can be ordered."""

    cooperative: CooperativeRef
    goods_fen: int
    shipping_fen: int | None = Field(
        description="null without county_code, or when the supplier does not serve it"
    )
    sku_ids: list[int]
    weight_grams: int
    cold_chain: bool
    problem: Literal["region_not_served"] | None = None


class CartOut(BaseModel):
    """Totals count only the lines without a problem."""

    items: list[CartItemOut]
    groups: list[CartGroupOut]
    goods_fen: int
    shipping_fen: int | None = Field(description="null when no county_code is given")
    total_fen: int
    county_code: str | None = None
    checkout_ready: bool = Field(
        description="Something to order, no line with a problem, every supplier serving the "
        "county (when one is given)"
    )


class Option(BaseModel):
    code: str
    name: str


class CartPage(BaseModel):
    """The cart page: the cart and the delivery-region chooser."""

    cart: CartOut
    provinces: list[Option]
    counties: list[Option]
    province_code: str | None
    county_code: str | None
    county_error: bool = False
