"""Request and response models of traceability (JSON API and page data)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, StrictInt

from app.core.fields import Id, MultiLine, OneLine

MAX_QUANTITY = 100_000_000
MAX_CERTIFICATES = 20


class BatchIn(BaseModel):
    """A harvest batch: which product, when it was harvested, how much, and its certificates."""

    product_id: Id
    harvested_on: date = Field(examples=["2026-10-12"])
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY, examples=[1200])
    unit: OneLine = Field(min_length=1, max_length=20, examples=["kg"])
    certificate_ids: list[Id] = Field(default_factory=list, max_length=MAX_CERTIFICATES)
    note: MultiLine = Field(default="", max_length=500)


class BatchCreated(BaseModel):
    id: int
    code: str = Field(examples=["FS7K3M9Q2X"])
    trace_url: str = Field(examples=["/trace/FS7K3M9Q2X"])


class BatchOut(BaseModel):
    """A batch as its supplier lists it."""

    id: int
    code: str
    trace_url: str
    product_id: int
    product_title: str
    harvested_on: date
    quantity: int
    unit: str
    note: str
    certificate_ids: list[int]


class BatchList(BaseModel):
    cooperative_id: int
    cooperative_name: str
    items: list[BatchOut]


class TraceProduct(BaseModel):
    id: int
    slug: str
    title: str
    listed: bool = Field(description="Whether the product page is public")


class TraceCooperative(BaseModel):
    id: int
    name: str


class TraceCounty(BaseModel):
    code: str
    name: str
    prefecture_name: str
    province_name: str
    key_assistance: bool


class TraceCertificate(BaseModel):
    kind: str
    number: str
    issuer: str
    valid_until: date


class TraceOut(BaseModel):
    """What a batch's public code tells: origin, grower, harvest, certificates valid today."""

    code: str
    product: TraceProduct
    cooperative: TraceCooperative
    county: TraceCounty
    harvested_on: date
    quantity: int
    unit: str
    certificates: list[TraceCertificate]
    households_supported: int
