"""Request and response bodies of the cooperative domain (JSON API and page data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.account.schemas import MemberIdentity
from app.core.fields import WHOLE_NUMBER

SupplierKindName = Literal["cooperative", "enterprise", "family_farm"]
SupplierStatusName = Literal["pending", "verified", "suspended", "rejected"]
MemberRoleName = Literal["admin", "member"]

MAX_HOUSEHOLDS = 1_000_000


class CooperativeCreate(BaseModel):
    """A supplier's application. Text fields are checked by the service, so that the API and
    the registration page share one set of rules; `households_supported` must be a JSON
    integer (1.5, 1.0, "3" and true are refused)."""

    name: str = Field(examples=["从江县香猪养殖专业合作社"], description="2–100 characters")
    credit_code: str = Field(
        examples=["93522633MA6H2K3LX5"],
        description="Unified social credit code (GB 32100-2015), 18 characters",
    )
    county_code: str = Field(examples=["522633"], description="GB/T 2260 code of the county")
    contact_name: str = Field(examples=["吴建国"])
    contact_phone: str = Field(
        examples=["138 0855 1234"], description="Mainland mobile or fixed-line number"
    )
    households_supported: Annotated[StrictInt, WHOLE_NUMBER] = Field(
        examples=[120], description=f"Households the supplier supports, 0–{MAX_HOUSEHOLDS:,}"
    )
    kind: SupplierKindName = Field(
        default="cooperative",
        description="cooperative (credit code 93…), enterprise (91…), family_farm (92… or 91…)",
    )
    recommendation_ref: str | None = Field(
        default=None, examples=["从农推〔2026〕12号"], description="County recommendation"
    )
    description: str | None = None


class CountyRef(BaseModel):
    code: str = Field(examples=["522633"])
    name: str = Field(examples=["从江县"])
    province_code: str = Field(examples=["520000"])
    province_name: str = Field(examples=["贵州省"])


class CooperativeOut(BaseModel):
    """A supplier. Contact details are shown to its members and to operators only."""

    id: int
    status: SupplierStatusName
    status_reason: str | None = Field(description="Why it was rejected or suspended")
    name: str
    kind: SupplierKindName
    credit_code: str
    county: CountyRef
    households_supported: int
    recommendation_ref: str | None
    description: str | None
    contact_name: str | None = Field(description="Members and operators only")
    contact_phone: str | None = Field(description="Members and operators only")
    verified_at: datetime | None
    created_at: datetime


class CooperativePage(BaseModel):
    items: list[CooperativeOut]
    total: int
    page: int
    per_page: int


class StoryIn(BaseModel):
    """The supplier's story as its public page tells it: plain text, paragraphs by line."""

    model_config = ConfigDict(extra="forbid")

    story: str = Field(
        max_length=4000, examples=["合作社成立于 2015 年，带动 120 户脱贫户种植高山茶。"]
    )


class MemberInvite(BaseModel):
    """Whom to invite: any e-mail address (registered or not: the answer is the same)."""

    email: str = Field(examples=["member@example.com"], description="The invitee's e-mail")
    role: MemberRoleName = "member"


class MemberRoleChange(BaseModel):
    role: MemberRoleName


class MemberOut(MemberIdentity):
    role: MemberRoleName


class StatusReason(BaseModel):
    """Why the operator rejects or suspends a supplier (1–500 characters)."""

    reason: str = Field(examples=["营业执照已过期"])


class OptionalReason(BaseModel):
    """An optional note for verifying or reinstating a supplier (at most 500 characters)."""

    reason: str | None = None


class MyCooperative(BaseModel):
    """A supplier the user acts for, and their role in it."""

    cooperative: CooperativeOut
    role: MemberRoleName


class Dashboard(BaseModel):
    """The supplier portal's overview for one member."""

    cooperative: CooperativeOut
    members: list[MemberOut]
    role: MemberRoleName


class CountyOption(BaseModel):
    code: str
    name: str
    prefecture_name: str


class ProvinceCounties(BaseModel):
    """The counties a supplier may register in, grouped by province for a <select>."""

    code: str
    name: str
    counties: list[CountyOption]


class ReviewQueue(BaseModel):
    """Suppliers of one status for the operator, with the count of every status."""

    status: SupplierStatusName
    counts: dict[str, int]
    items: list[CooperativeOut]
