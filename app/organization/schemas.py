"""Request and response bodies of the organisation domain (JSON API and page data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from app.account.schemas import MemberIdentity
from app.core.fields import WHOLE_NUMBER

OrganizationKindName = Literal[
    "government", "public_institution", "state_owned_enterprise", "trade_union", "enterprise"
]
OrganizationStatusName = Literal["pending", "verified", "suspended", "rejected"]
MemberRoleName = Literal["buyer", "approver", "admin"]


class OrganizationCreate(BaseModel):
    """An organisation's registration. Text fields are checked by the service, so that the API
    and the registration page share one set of rules."""

    name: str = Field(examples=["天河区机关事务管理局食堂"], description="2–100 characters")
    credit_code: str = Field(
        examples=["11440106MB2C13847D"],
        description="Unified social credit code (GB 32100-2015), 18 characters",
    )
    kind: OrganizationKindName = Field(
        description="government (credit code 11…/13…/19…), public_institution (12…/52…/53…), "
        "state_owned_enterprise and enterprise (91…), trade_union (81…)"
    )
    region_code: str = Field(
        examples=["440106"], description="GB/T 2260 code of its registered county"
    )


class RegionRef(BaseModel):
    code: str = Field(examples=["440106"])
    name: str = Field(examples=["天河区"])
    province_code: str = Field(examples=["440000"])
    province_name: str = Field(examples=["广东省"])


class OrganizationOut(BaseModel):
    """An organisation, as its members and operators see it."""

    id: int
    status: OrganizationStatusName
    status_reason: str | None = Field(description="Why it was rejected or suspended")
    name: str
    kind: OrganizationKindName
    credit_code: str
    region_code: str
    province_code: str
    region: RegionRef
    verified_at: datetime | None
    created_at: datetime


class OrganizationPage(BaseModel):
    items: list[OrganizationOut]
    total: int
    page: int
    per_page: int


class ReviewQueue(BaseModel):
    """Organisations of one status for the operator, with the count of every status."""

    status: OrganizationStatusName
    counts: dict[str, int]
    items: list[OrganizationOut]


class StatusReason(BaseModel):
    """Why the operator rejects or suspends an organisation (1–500 characters)."""

    reason: str = Field(examples=["统一社会信用代码与单位名称不符"])


class OptionalReason(BaseModel):
    """An optional note for verifying or reinstating an organisation (at most 500 characters)."""

    reason: str | None = None


class MemberInvite(BaseModel):
    """Whom to invite: any e-mail address (registered or not: the answer is the same)."""

    email: str = Field(examples=["buyer@example.com"])
    role: MemberRoleName = "buyer"


class MemberRoleChange(BaseModel):
    role: MemberRoleName


class MemberOut(MemberIdentity):
    role: MemberRoleName


class MyOrganization(BaseModel):
    """An organisation the user acts for, and their role in it."""

    organization: OrganizationOut
    role: MemberRoleName


class TargetIn(BaseModel):
    """The year's declaration: the canteen's food budget and the share reserved for products of
    poverty-lifted areas (basis points: 1000 = 10 %, the least allowed; 1500 = 15 % encouraged)."""

    canteen_budget_fen: Annotated[StrictInt, WHOLE_NUMBER] = Field(examples=[120_000_000])
    reserved_share_bp: Annotated[StrictInt, WHOLE_NUMBER] = Field(examples=[1500])


class TargetOut(BaseModel):
    year: int
    canteen_budget_fen: int
    reserved_share_bp: int
    target_fen: int = Field(description="Budget × share, rounded to the fen")
