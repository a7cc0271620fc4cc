"""What a purchase certificate and a yearly statement show: plain values, built by the service
and rendered alike as HTML, PDF and XLSX. Money is in fen; timestamps are aware (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.money import share_bp

KIND_NAMES = {
    "government": "党政机关",
    "public_institution": "事业单位",
    "state_owned_enterprise": "国有企业",
    "trade_union": "工会",
    "enterprise": "企业",
}


@dataclass(frozen=True)
class OrganizationHeading:
    """The organisation as a document names it."""

    id: int
    name: str
    credit_code: str
    kind: str
    region_code: str
    region_name: str  # its registered county, with the province: "上海市 徐汇区"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class CertificateLine:
    """An order line (what was bought) with what the ledger recorded for it."""

    title: str
    sku_name: str
    sku_code: str
    quantity: int
    refunded_quantity: int
    unit_price_fen: int
    line_total_fen: int
    refunded_fen: int  # recorded refunds, as a positive amount
    net_fen: int  # the ledger's net for the line
    county_code: str
    county_name: str
    cooperative_name: str


@dataclass(frozen=True)
class CountyBenefit:
    """What one origin county gained from an order or a year: the ledger's sums."""

    code: str
    name: str
    province_name: str
    sold_fen: int
    refunded_fen: int  # positive
    net_fen: int
    order_count: int = 0  # orders with a sale there (statements)
    cooperative_names: tuple[str, ...] = ()
    households_supported: int = 0


@dataclass(frozen=True)
class Certificate:
    """A purchase certificate (消费帮扶采购凭证) for one paid order of an organisation."""

    organization: OrganizationHeading
    order_id: int
    order_number: str
    po_number: str | None
    status: str
    payment_method: str
    placed_at: datetime
    paid_at: datetime
    goods_fen: int
    shipping_fen: int
    total_fen: int
    sold_fen: int  # the ledger's sale entries (goods, no shipping)
    refunded_fen: int  # the ledger's refund entries, as a positive amount
    benefit_fen: int  # sold - refunded: what the order counts for
    counties: tuple[CountyBenefit, ...]
    lines: tuple[CertificateLine, ...]
    cooperative_count: int
    households_supported: int  # of the suppliers the order still pays (net above zero)
    issued_at: datetime

    @property
    def document_number(self) -> str:
        return f"PC-{self.order_number}"


@dataclass(frozen=True)
class MonthTotal:
    month: int
    amount_fen: int
    order_count: int


@dataclass(frozen=True)
class MonthCountyTotal:
    month: int
    county_code: str
    county_name: str
    province_name: str
    amount_fen: int


@dataclass(frozen=True)
class StatementOrder:
    """An order with ledger entries in the year: its sales and refunds recorded that year."""

    order_id: int
    number: str
    po_number: str | None
    paid_at: datetime | None
    status: str
    sold_fen: int
    refunded_fen: int  # positive
    net_fen: int
    county_names: tuple[str, ...]
    certifiable: bool  # paid or completed: it has a certificate


@dataclass(frozen=True)
class Statement:
    """An organisation's yearly statement (年度消费帮扶采购对账单): its reserved-share target, its
    net purchases by month and origin county, and the orders behind them."""

    organization: OrganizationHeading
    year: int
    canteen_budget_fen: int | None
    reserved_share_bp: int | None
    target_fen: int | None
    purchased_fen: int
    sold_fen: int
    refunded_fen: int  # positive
    order_count: int
    cooperative_count: int
    households_supported: int
    by_month: tuple[MonthTotal, ...]  # all twelve months
    by_county: tuple[CountyBenefit, ...]  # largest net first
    by_month_county: tuple[MonthCountyTotal, ...]
    orders: tuple[StatementOrder, ...]
    issued_at: datetime

    @property
    def progress_bp(self) -> int | None:
        """Net purchases against the target, in basis points (None without a target)."""
        return share_bp(self.purchased_fen, self.target_fen)  # as the impact report

    @property
    def progress_percent(self) -> str:
        """ "37.50 %"; "" without a target."""
        return percent(self.progress_bp)

    @property
    def reserved_share_percent(self) -> str:
        return percent(self.reserved_share_bp)

    @property
    def remaining_fen(self) -> int | None:
        """What is still to buy to reach the target (zero once reached)."""
        if self.target_fen is None:
            return None
        return max(self.target_fen - self.purchased_fen, 0)


@dataclass(frozen=True)
class StatementYear:
    """A year an organisation has a statement for, with its headline figures."""

    year: int
    purchased_fen: int
    target_fen: int | None


def percent(basis_points: int | None) -> str:
    """1500 → "15.00 %", -250 → "-2.50 %", None → ""."""
    if basis_points is None:
        return ""
    sign = "-" if basis_points < 0 else ""
    whole, hundredths = divmod(abs(basis_points), 100)
    return f"{sign}{whole}.{hundredths:02d} %"
