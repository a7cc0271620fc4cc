"""Response models of the regions domain (JSON API and page data); no ORM objects leak out."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PairingKindName = Literal["east_west", "counterpart_support", "designated"]
AreaKindName = Literal["prefecture", "county"]


class ProvinceOut(BaseModel):
    """A province-level division, e.g. {"code": "450000", "name": "广西壮族自治区"}."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["450000"])
    name: str = Field(examples=["广西壮族自治区"])


class PrefectureOut(BaseModel):
    """A prefecture-level division of a province, e.g. {"code": "440100", "name": "广州市"}.
    Municipalities' districts sit under a placeholder such as 市辖区 (110100)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["440100"])
    name: str = Field(examples=["广州市"])
    province_code: str = Field(examples=["440000"])


class CountySummary(BaseModel):
    """A county-level division with its place and its two flags."""

    code: str = Field(examples=["450126"])
    name: str = Field(examples=["宾阳县"])
    prefecture_name: str
    province_code: str
    province_name: str
    poverty_lifted: bool = Field(description="One of the 832 poverty-lifted counties (脱贫县)")
    key_assistance: bool = Field(
        description="One of the 160 national key assistance counties (国家乡村振兴重点帮扶县)"
    )


class CountyPage(BaseModel):
    """One page of counties, in code order."""

    items: list[CountySummary]
    total: int
    page: int
    per_page: int


class PairingHelper(BaseModel):
    """Who helps: a province (`code`) or, for designated support, an organisation (`id`)."""

    kind: Literal["province", "organization"]
    code: str | None = None
    id: int | None = None
    name: str = Field(examples=["广东省（深圳市）"])


class PairingHelped(BaseModel):
    """The helped province; `areas` of the pairing narrow it down when present."""

    kind: Literal["province"] = "province"
    code: str
    name: str


class PairingAreaOut(BaseModel):
    """A prefecture or county that a pairing names."""

    kind: AreaKindName
    code: str
    name: str


class PairingOut(BaseModel):
    """A pairing; no `since`: in force from the start; no `until`: still in force."""

    id: int
    kind: PairingKindName
    helper: PairingHelper
    helped: PairingHelped
    areas: list[PairingAreaOut] = Field(
        description="The prefectures and counties helped; empty: the whole helped province"
    )
    since: date | None
    until: date | None


class CountyDetail(CountySummary):
    """A county with its prefecture, exit year and the pairings in force that help it."""

    prefecture_code: str
    unit_kind: str
    poverty_exit_year: int | None = Field(description="Year the county exited poverty (摘帽)")
    pairings: list[PairingOut]


class ProvinceCountyCounts(BaseModel):
    """How many poverty-lifted and key-assistance counties a province has."""

    code: str
    name: str
    poverty_lifted: int
    key_assistance: int


class KeyAssistanceGroup(BaseModel):
    """The key-assistance counties of one province."""

    province: ProvinceOut
    counties: list[CountySummary]


class RegionsOverview(BaseModel):
    """What the home page shows about regions."""

    poverty_lifted_total: int
    key_assistance_total: int
    pairing_total: int
    provinces: list[ProvinceCountyCounts]
    key_assistance_groups: list[KeyAssistanceGroup]
