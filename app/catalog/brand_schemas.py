"""Request and response models of regional public brands (区域公用品牌): the operator's brand
API and the brand lists; the catalog's own product schemas are in schemas.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.catalog.schemas import LabelKind
from app.core.fields import MultiLine, OneLine

BRAND_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CountyCode = Annotated[str, Field(min_length=1, max_length=12)]


class BrandIn(BaseModel):
    """A new regional public brand (operator)."""

    model_config = ConfigDict(extra="forbid")

    name: OneLine = Field(min_length=2, max_length=60, examples=["赣南脐橙"])
    slug: str = Field(
        min_length=2, max_length=60, pattern=BRAND_SLUG_PATTERN, examples=["gannan-navel-orange"]
    )
    story: MultiLine = Field(default="", max_length=5000)
    county_codes: list[CountyCode] = Field(min_length=1, max_length=200)
    owner: OneLine = Field(min_length=2, max_length=120, examples=["赣州市果业协会"])
    required_certificate_kind: LabelKind | None = None


class BrandPatch(BaseModel):
    """Changes to a brand; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: OneLine | None = Field(default=None, min_length=2, max_length=60)
    slug: str | None = Field(default=None, min_length=2, max_length=60, pattern=BRAND_SLUG_PATTERN)
    story: MultiLine | None = Field(default=None, max_length=5000)
    county_codes: list[CountyCode] | None = Field(default=None, min_length=1, max_length=200)
    owner: OneLine | None = Field(default=None, min_length=2, max_length=120)
    required_certificate_kind: LabelKind | None = None


class BrandCountyOut(BaseModel):
    code: str
    name: str
    province_name: str
    key_assistance: bool


class BrandOut(BaseModel):
    """A brand as the operator's API answers it."""

    id: int
    slug: str
    name: str
    story: str
    owner: str
    required_certificate_kind: LabelKind | None
    logo_url: str | None
    counties: list[BrandCountyOut]
