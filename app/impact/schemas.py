"""Response models of the impact domain (JSON API and page data); amounts are integer fen."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.regions.schemas import PairingKindName as PairingKindName  # re-exported for reports
from app.regions.schemas import PairingOut

YEAR_MIN = 2000
YEAR_MAX = 2100


class KeyAssistanceShare(BaseModel):
    """The part of a year's totals from the national key-assistance counties (重点帮扶县)."""

    amount_fen: int = Field(description="Net goods amount from key-assistance counties")
    order_count: int = Field(description="Orders with a sale from a key-assistance county")
    county_count: int = Field(description="Key-assistance counties with a net amount above zero")


class ImpactSummary(BaseModel):
    """Headline totals of a reporting year (China Standard Time)."""

    year: int
    amount_fen: int = Field(description="Net goods amount: sales minus refunds, no shipping")
    order_count: int = Field(description="Orders paid in the year")
    county_count: int = Field(description="Origin counties with a net amount above zero")
    cooperative_count: int = Field(description="Suppliers with a net amount above zero")
    households_supported: int = Field(
        description="Households those suppliers declare they support (带动农户)"
    )
    key_assistance: KeyAssistanceShare


class PairingRef(PairingOut):
    """A pairing as reports show it."""

    @property
    def label(self) -> str:
        """ "helper → helped (areas)", for chart axes."""
        helped = self.helped.name
        if self.areas:
            helped = f"{helped}（{'、'.join(area.name for area in self.areas)}）"
        return f"{self.helper.name} → {helped}"


class PairingImpact(BaseModel):
    pairing: PairingRef
    amount_fen: int = Field(description="Net amount of the entries counted for the pairing")
    order_count: int = Field(description="Orders with a sale counted for the pairing")
    county_count: int = Field(description="Counties with a net amount above zero for it")


class PairingReport(BaseModel):
    """Pairings with their totals in a year, largest amount first."""

    year: int
    kind: PairingKindName | None = None
    province: str | None = Field(
        default=None, description="Only pairings in which this province helps or is helped"
    )
    items: list[PairingImpact]


class MonthAmount(BaseModel):
    month: int = Field(ge=1, le=12)
    amount_fen: int
    order_count: int = 0


class ProvinceAmount(BaseModel):
    code: str
    name: str
    amount_fen: int
    order_count: int = 0


class CountyAmount(BaseModel):
    code: str
    name: str
    province_name: str = ""
    amount_fen: int
    order_count: int = 0


class CountyReport(BaseModel):
    """A county's year: its net amount, per month and per buyer province."""

    code: str
    name: str
    province_code: str
    province_name: str
    year: int
    amount_fen: int
    order_count: int
    by_month: list[MonthAmount] = Field(description="Twelve months, January first")
    by_buyer_province: list[ProvinceAmount] = Field(description="Largest amount first")


class OrganizationReport(BaseModel):
    """An organisation's purchases from poverty-lifted areas against its reserved share."""

    organization_id: int
    name: str
    year: int
    target_fen: int | None = Field(
        description="Budget × reserved share (预留份额); null: no target declared for the year"
    )
    purchased_fen: int = Field(description="Net purchases in the year (refunds deducted)")
    progress: float | None = Field(
        description="purchased_fen / target_fen (1.0 = target met); null without a target"
    )
    progress_bp: int | None = Field(description="The same ratio in basis points (10000 = met)")
    order_count: int
    by_county: list[CountyAmount]


class BuyerKindAmount(BaseModel):
    kind: str
    amount_fen: int
    order_count: int


class CountyRef(BaseModel):
    code: str
    name: str
    province_name: str


class KeyAssistanceMonth(BaseModel):
    month: int = Field(ge=1, le=12)
    amount_fen: int = Field(description="Net amount from key-assistance counties")
    order_count: int
    total_fen: int = Field(description="Net amount from every county")
    share_bp: int | None = Field(
        description="amount_fen / total_fen in basis points (10000 = all); null: no total"
    )


class KeyAssistanceReport(BaseModel):
    """Every key-assistance county the reference data knows, with its amount and orders in the
    year, and those nothing was bought from: the counties monitoring must look at."""

    year: int
    province: str | None = Field(default=None, description="Only this province's counties")
    amount_fen: int
    order_count: int
    items: list[CountyAmount] = Field(description="Every key-assistance county, by code")
    without_purchases: list[CountyRef] = Field(
        description="Key-assistance counties without an order in the year"
    )
    by_month: list[KeyAssistanceMonth] = Field(description="Twelve months, January first")


class Dashboard(BaseModel):
    """What the public /impact page shows."""

    year: int
    years: list[int]
    summary: ImpactSummary
    pairings: list[PairingImpact]
    by_month: list[MonthAmount]
    top_counties: list[CountyAmount]
    provinces: list[ProvinceAmount]
    buyer_kinds: list[BuyerKindAmount]
    key_assistance: KeyAssistanceReport


class RegionReport(BaseModel):
    """A regional official's view of one province: its pairings and counties."""

    year: int
    years: list[int]
    province: ProvinceAmount
    provinces: list[ProvinceAmount] = Field(description="The provinces the user may choose")
    pairings: list[PairingImpact]
    counties: list[CountyAmount] = Field(description="The province's counties that sold")
    buyer_provinces: list[ProvinceAmount] = Field(
        description="Where the buyers of the province's goods are"
    )
    counties_helped: list[CountyAmount] = Field(
        description="Counties whose goods the province's buyers bought"
    )
    key_assistance: KeyAssistanceReport


class CooperativeReport(BaseModel):
    """A supplier's year: its net sales and where its buyers are."""

    cooperative_id: int
    name: str
    year: int
    years: list[int]
    amount_fen: int
    order_count: int
    by_month: list[MonthAmount]
    by_buyer_province: list[ProvinceAmount]


class CountyTotals(BaseModel):
    """The impact box of a county page: its year, and its benefit to date (every year)."""

    code: str
    year: int
    amount_fen: int
    order_count: int
    top_buyer_provinces: list[ProvinceAmount]
    to_date_fen: int = 0
    to_date_order_count: int = 0


class PairingAmount(BaseModel):
    pairing: PairingRef
    amount_fen: int = Field(description="Net amount of the purchases counted for the pairing")


class HelpedCounty(BaseModel):
    """An origin county a buyer's purchases helped."""

    code: str
    name: str
    province_name: str
    amount_fen: int = Field(description="Net goods bought from the county (refunds deducted)")
    households_supported: int = Field(
        default=0, description="Households its suppliers bought from support (带动农户)"
    )


class BuyerImpact(BaseModel):
    """What the caller's own paid orders did, from the ledger: net goods (sales minus refunds,
    no shipping), per origin county and per pairing."""

    year: int | None = Field(description="The reporting year (China time); null: every year")
    years: list[int] = Field(description="Years with purchases, newest first")
    amount_fen: int = Field(description="Net goods of the caller's paid orders")
    order_count: int = Field(description="Paid orders (a refund does not uncount one)")
    households_supported: int = Field(
        description="Households the suppliers bought from (net amount above zero) support"
    )
    by_county: list[HelpedCounty] = Field(
        description="Counties with a net amount other than zero, largest first; they sum to "
        "amount_fen"
    )
    by_pairing: list[PairingAmount] = Field(
        description="Pairings the purchases count for, largest first. A purchase may count for "
        "several pairings, or for none (its county is not helped by the buyer's province)"
    )


class OrderImpact(BaseModel):
    """The counties and pairings one order helps: from the ledger once paid, else what the
    attribution rule would count today."""

    recorded: bool = Field(description="True: from the ledger; false: the order is not paid")
    counties: list[HelpedCounty]
    pairings: list[PairingAmount]


class DesignatedCountiesIn(BaseModel):
    """The organisation's designated counties (定点帮扶), replacing the current list."""

    county_codes: list[str] = Field(max_length=500, examples=[["522732", "520402"]])


class DesignatedPairingOut(BaseModel):
    pairing_id: int
    county_code: str
    county_name: str
    since: date | None
    until: date | None


class DesignatedCountiesOut(BaseModel):
    """The designated counties now, and the pairings that carry them. Changes count from the
    next day (China time): a county added is in force from tomorrow, one removed until today."""

    organization_id: int
    county_codes: list[str]
    pairings: list[DesignatedPairingOut]
