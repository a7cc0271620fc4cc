"""Request and response bodies of the shipping API, and the portal form's raw values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from app.core.fields import WHOLE_NUMBER

# 100 000 yuan: far above any parcel fee, low enough that sums never approach BIGINT.
MAX_FEE_FEN = 10_000_000
MAX_EXCLUDED_PROVINCES = 40

FeeFen = Annotated[StrictInt, Field(ge=0, le=MAX_FEE_FEN, examples=[1000]), WHOLE_NUMBER]


class ShippingRuleIn(BaseModel):
    """The whole rule (PUT replaces it). Fees are integer fen; floats and strings are refused."""

    model_config = ConfigDict(extra="forbid")

    base_fee_fen: FeeFen
    per_kg_fen: FeeFen = Field(
        default=0, description="Per started kilogram beyond the first", examples=[500]
    )
    free_above_fen: FeeFen | None = Field(
        default=None,
        description="Goods of at least this amount ship free of base and per-kg fees; "
        "the cold-chain surcharge is still charged. null: never free.",
        examples=[9900],
    )
    cold_chain_surcharge_fen: FeeFen = Field(
        default=0, description="Added when the parcel holds meat, eggs or aquatic products"
    )
    excluded_province_codes: list[StrictStr] = Field(
        default_factory=list,
        max_length=MAX_EXCLUDED_PROVINCES,
        description="Province codes not served",
        examples=[["540000", "650000"]],
    )


class ShippingRuleOut(BaseModel):
    cooperative_id: int
    base_fee_fen: int
    per_kg_fen: int
    free_above_fen: int | None
    cold_chain_surcharge_fen: int
    excluded_province_codes: list[str]
    is_default: bool = Field(description="True when the supplier has no rule of its own yet")
    updated_at: datetime | None


class ShippingRuleForm(BaseModel):
    """What the portal form posts: fees as yuan text, converted exactly by the service."""

    base_fee: str = ""
    per_kg: str = ""
    free_above: str = ""
    cold_chain_surcharge: str = ""
    excluded_province_codes: list[str] = Field(default_factory=list)


class ProvinceOption(BaseModel):
    code: str
    name: str


class ShippingRulePage(BaseModel):
    """Everything the portal's shipping page shows."""

    cooperative_id: int
    cooperative_name: str
    rule: ShippingRuleOut
    provinces: list[ProvinceOption]
