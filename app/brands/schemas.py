"""Response models of the brand pages and API; amounts are integer fen."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.catalog.brand_schemas import BrandCountyOut
from app.catalog.schemas import LabelKind, ProductSummary


class BrandSupplier(BaseModel):
    id: int
    name: str
    county_code: str
    county_name: str
    households_supported: int


class BrandBenefit(BaseModel):
    """What buying the brand's products has brought, from the benefit ledger (every year)."""

    amount_fen: int = Field(description="Net goods amount of its products: sales less refunds")
    order_count: int = Field(description="Orders with a sale of its products")
    households_supported: int = Field(description="Households its suppliers support (带动农户)")


class BrandDetail(BaseModel):
    """A brand's page: its story, region, suppliers, products shown under it today, benefit."""

    id: int
    slug: str
    name: str
    story: str
    owner: str
    required_certificate_kind: LabelKind | None
    logo_url: str | None
    counties: list[BrandCountyOut]
    suppliers: list[BrandSupplier]
    products: list[ProductSummary]
    benefit: BrandBenefit
