"""Request and response models of the supplier portal's product pages and the operator's
price monitoring; the catalog's product and listing schemas are in schemas.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.catalog.schemas import (
    CategoryOut,
    CooperativeRef,
    PriceFen,
    ProductOut,
    ProductStatusName,
)
from app.core.fields import WHOLE_NUMBER, OneLine


class ReferencePriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: OneLine = Field(max_length=30)
    unit: OneLine = Field(min_length=1, max_length=30)
    price_fen: PriceFen
    flag_ratio_bp: Annotated[StrictInt, Field(ge=10_000, le=1_000_000), WHOLE_NUMBER] = 15_000


class ReferencePriceOut(BaseModel):
    category: str
    unit: str
    price_fen: int
    flag_ratio_bp: int
    flagged_products: int = Field(description="Products of this category and unit now flagged")


class FlaggedProduct(BaseModel):
    id: int
    slug: str
    status: str = Field(description="draft, active (listed) or archived")
    title: str
    unit: str
    category: str
    max_price_fen: int
    reference_price_fen: int
    flag_ratio_bp: int = Field(description="Flagged above reference × this ratio (10000 = 1×)")
    ratio_bp: int = Field(description="max_price_fen / reference_price_fen in basis points")
    cooperative: CooperativeRef


# ---------------------------------------------------------------------------------------------
# Supplier portal


class PortalProduct(BaseModel):
    """A row of the supplier's product list."""

    id: int
    slug: str
    title: str
    status: ProductStatusName
    unit: str
    min_price_fen: int
    max_price_fen: int
    total_stock: int
    sku_count: int
    in_stock: bool
    thumb_url: str | None
    price_flagged: bool


class CertificateOption(BaseModel):
    """One of the supplier's certificates, as a checkbox of the product form."""

    id: int
    kind: str
    number: str
    status: str
    valid_until: date
    backs_label: bool = Field(description="Verified and valid today")


class BrandChoice(BaseModel):
    """A regional brand whose region covers the supplier's county."""

    id: int
    name: str
    required_certificate_kind: str | None = None


class ProductFormOptions(BaseModel):
    """What the product form offers: categories, the supplier's certificates and the brands
    of its region."""

    cooperative: CooperativeRef
    cooperative_status: str
    categories: list[CategoryOut]
    certificates: list[CertificateOption]
    brands: list[BrandChoice] = Field(default_factory=list)


class PortalProducts(BaseModel):
    cooperative: CooperativeRef
    cooperative_status: str
    products: list[PortalProduct]


class ProductEditor(BaseModel):
    """The edit page: the product as its supplier sees it and the form's options."""

    options: ProductFormOptions
    product: ProductOut
