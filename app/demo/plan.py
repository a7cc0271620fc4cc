"""The demo catalog as plain data, derived deterministically from the specialty-product list.

Every choice comes from a `random.Random` seeded with the item's own natural key, so the same
N always gives the same suppliers, codes and prices, and a larger N only adds items: the demo
for 40 products is the first 40 of the demo for 320.
"""

from __future__ import annotations

import csv
import html
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from app.config import PROJECT_ROOT
from app.demo import people

SPECIALTY_FILE = PROJECT_ROOT / "data" / "reference" / "specialty_products.csv"
SEED = "fengshou-demo-v1"
DEFAULT_PRODUCTS = 320

# The catalog's category codes for the list's Chinese categories (migration 0002 loads them).
CATEGORY_CODES = {
    "水果": "fruit",
    "蔬菜": "vegetables",
    "粮油": "grain_oil",
    "茶叶": "tea",
    "肉禽蛋": "meat_eggs",
    "水产": "aquatic",
    "菌菇": "mushrooms",
    "干果坚果": "nuts",
    "中药材": "herbs",
    "调味品": "condiments",
    "蜂产品": "bee_products",
    "酒水饮品": "drinks",
    "手工艺品": "crafts",
    "其他": "other",
}

# What a cooperative of each category does, for its name.
_TRADES = {
    "fruit": "果业种植",
    "vegetables": "蔬菜种植",
    "grain_oil": "粮油种植",
    "tea": "茶叶种植",
    "meat_eggs": "畜禽养殖",
    "aquatic": "水产养殖",
    "mushrooms": "食用菌种植",
    "nuts": "林果种植",
    "herbs": "中药材种植",
    "condiments": "农产品加工",
    "bee_products": "养蜂",
    "drinks": "特色饮品加工",
    "crafts": "手工艺品",
    "other": "特色农产品",
}
_BRAND_WORDS = (
    "丰源",
    "绿野",
    "金穗",
    "惠农",
    "兴农",
    "众益",
    "富民",
    "青禾",
    "禾丰",
    "裕丰",
    "鑫源",
    "山泉",
    "康源",
    "益农",
    "红星",
    "福满",
)

# Beyond the 304 specialties, further products are other packs of the same specialties.
_VARIANTS = ("", "礼盒装", "尝鲜装", "单位团购装")
_VARIANT_SLUGS = ("", "-gift", "-trial", "-bulk")
_VARIANT_PRICE_BP = (10_000, 13_000, 6_000, 9_000)

# Suppliers in these positions (order of first appearance) show the admission rules.
PENDING_EVERY = 37
PENDING_OFFSET = 11
SUSPENDED_POSITION = 5

_GI_NOTE = re.compile(r"地理标志")
_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|g|L|ml)", re.IGNORECASE)
_EGGS = re.compile(r"(\d+)枚")

_ORGANIC_CERTIFIERS = (
    ("001", "中绿华夏有机产品认证中心"),
    ("011", "南京国环有机产品认证中心"),
    ("124", "杭州万泰认证有限公司"),
)
_GREEN_FOOD_ISSUER = "中国绿色食品发展中心"
_FIRST_ISSUE = date(2021, 1, 4)
_GI_ISSUER = "农业农村部"


class DemoSeedError(Exception):
    """The demo cannot be seeded as asked (a count out of range, reference data missing)."""


@dataclass(frozen=True)
class Specialty:
    """One row of specialty_products.csv."""

    product_name: str
    county_code: str
    county_name: str
    province_name: str
    category: str  # catalog category code
    unit: str
    price_yuan: int
    note: str
    ordinal: int  # 1-based position among its county's rows, for stable codes

    @property
    def province_code(self) -> str:
        return self.county_code[:2] + "0000"


@dataclass(frozen=True)
class PlannedTier:
    min_qty: int
    price_fen: int


@dataclass(frozen=True)
class PlannedSku:
    code: str
    name: str
    price_fen: int
    stock: int
    weight_grams: int
    min_qty: int
    tiers: tuple[PlannedTier, ...]


@dataclass(frozen=True)
class PlannedCertificate:
    kind: str  # gi | green_food | organic
    number: str
    issuer: str
    valid_from: date
    valid_until: date
    status: str  # verified | pending


@dataclass(frozen=True)
class PlannedSupplier:
    credit_code: str
    name: str
    county_code: str
    contact_name: str
    contact_phone: str
    households_supported: int
    recommendation_ref: str | None
    description: str
    status: str  # verified | pending | suspended
    status_reason: str | None


@dataclass(frozen=True)
class PlannedProduct:
    slug: str
    title: str
    category: str
    unit: str
    description_html: str
    season_months: str
    status: str  # active | draft
    supplier_credit_code: str
    county_label: str  # "于都县 · 江西省", drawn on the photo
    skus: tuple[PlannedSku, ...]
    certificates: tuple[PlannedCertificate, ...]
    position: int  # 0 = the newest

    @property
    def min_price_fen(self) -> int:
        return min(sku.price_fen for sku in self.skus)

    @property
    def in_stock(self) -> bool:
        return any(sku.stock > 0 for sku in self.skus)


@dataclass(frozen=True)
class DemoPlan:
    suppliers: tuple[PlannedSupplier, ...]
    products: tuple[PlannedProduct, ...]

    @property
    def certificates(self) -> tuple[tuple[str, PlannedCertificate], ...]:
        """(supplier credit code, certificate) for each planned certificate, once."""
        unique: dict[tuple[str, str], tuple[str, PlannedCertificate]] = {}
        for product in self.products:
            for certificate in product.certificates:
                key = (certificate.kind, certificate.number)
                unique.setdefault(key, (product.supplier_credit_code, certificate))
        return tuple(unique.values())


def read_specialties(path: Path = SPECIALTY_FILE) -> list[Specialty]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    seen: dict[str, int] = defaultdict(int)
    result = []
    for row in rows:
        seen[row["county_code"]] += 1
        result.append(
            Specialty(
                product_name=row["product_name"].strip(),
                county_code=row["county_code"],
                county_name=row["county_name"],
                province_name=row["province_name"],
                category=CATEGORY_CODES[row["category"]],
                unit=row["typical_unit"],
                price_yuan=int(row["typical_price_yuan"]),
                note=row["brand_or_note"].strip(),
                ordinal=seen[row["county_code"]],
            )
        )
    return result


def _rng(*key: object) -> random.Random:
    # A str seed is hashed with SHA-512: stable across runs and Python processes.
    return random.Random(":".join([SEED, *map(str, key)]))  # noqa: S311  (demo data, not secrets)


def order_specialties(specialties: list[Specialty]) -> list[Specialty]:
    """Round-robin over provinces, so that even a small demo spans many provinces."""
    by_province: dict[str, list[Specialty]] = defaultdict(list)
    for item in specialties:
        by_province[item.province_code].append(item)
    queues = []
    for code in sorted(by_province):
        items = sorted(by_province[code], key=lambda s: (s.county_code, s.ordinal))
        _rng("province-order", code).shuffle(items)
        queues.append(items)
    ordered: list[Specialty] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def max_products(specialties: list[Specialty]) -> int:
    return len(specialties) * len(_VARIANTS)


def _weight_grams(unit: str, rng: random.Random) -> int:
    """The shipping weight a unit such as "5kg/箱" or "30枚/箱" suggests, packaging included."""
    match = _QUANTITY.search(unit)
    if match:
        amount = float(match.group(1))
        grams = amount * (1000 if match.group(2).lower() in {"kg", "l"} else 1)
    elif eggs := _EGGS.search(unit):
        grams = int(eggs.group(1)) * 55
    else:
        grams = rng.choice((500, 800, 1200))
    return int(grams * 1.1) + 50


def _price_fen(yuan: float, rng: random.Random) -> int:
    """A shop-like price near `yuan`: whole yuan, often ending in .80 or .90."""
    whole = max(2, round(yuan * rng.uniform(0.92, 1.08)))
    return whole * 100 - rng.choice((0, 0, 10, 20, 50))


def _discounted(price_fen: int, percent: int) -> int:
    """`percent` of a price, rounded down to ten fen as shops price bundles."""
    return price_fen * percent // 100 // 10 * 10


def _skus(item: Specialty, variant: int, code_prefix: str, rng: random.Random) -> list[PlannedSku]:
    base_yuan = item.price_yuan * _VARIANT_PRICE_BP[variant] / 10_000
    weight = _weight_grams(item.unit, rng)
    sold_out = rng.random() < 0.05
    bulk = variant == 3

    def stock() -> int:
        return 0 if sold_out else rng.randrange(5, 600)

    single_price = _price_fen(base_yuan, rng)
    tiers: tuple[PlannedTier, ...] = ()
    if bulk or rng.random() < 0.5:
        # Canteens buy by the dozen: tier prices for 10 and 50 units.
        tiers = (
            PlannedTier(10, _discounted(single_price, 95)),
            PlannedTier(50, _discounted(single_price, 90)),
        )
    skus = [
        PlannedSku(
            code=f"{code_prefix}-1",
            name=item.unit,
            price_fen=single_price,
            stock=stock(),
            weight_grams=weight,
            min_qty=5 if bulk else 1,
            tiers=tiers,
        )
    ]
    if rng.random() < 0.6:
        skus.append(
            PlannedSku(
                code=f"{code_prefix}-2",
                name=f"家庭装 {item.unit}×2",
                price_fen=_discounted(single_price * 2, 92),
                stock=stock(),
                weight_grams=weight * 2,
                min_qty=1,
                tiers=(),
            )
        )
    if rng.random() < 0.3:
        ten = _discounted(single_price * 10, 85)
        skus.append(
            PlannedSku(
                code=f"{code_prefix}-3",
                name=f"单位采购装 {item.unit}×10",
                price_fen=ten,
                stock=stock() // 10,
                weight_grams=weight * 10,
                min_qty=1,
                tiers=(PlannedTier(5, _discounted(ten, 96)), PlannedTier(20, _discounted(ten, 92))),
            )
        )
    return skus


def _season(category: str, rng: random.Random) -> str:
    """Fresh produce is in season for three months (spread over the year); the rest all year."""
    if category in {"fruit", "vegetables", "mushrooms"}:
        start = rng.randrange(12)
        return ",".join(str((start + k) % 12 + 1) for k in range(3))
    if category == "tea":
        return "3,4,5"
    return ""


class _NumberSequence:
    """Unique certificate numbers per kind: a stable sequence with random gaps."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def next(self, kind: str, rng: random.Random) -> int:
        position = self.counts[kind]
        self.counts[kind] += 1
        return 1000 + position * 7 + rng.randrange(7)


def _certificates(
    item: Specialty, today: date, numbers: _NumberSequence, rng: random.Random
) -> list[PlannedCertificate]:
    kinds = []
    if _GI_NOTE.search(item.note):
        kinds.append("gi")
    if item.category not in {"crafts", "herbs", "other"} and rng.random() < 0.3:
        kinds.append("green_food")
    organic_kinds = {"tea", "vegetables", "grain_oil", "mushrooms", "fruit"}
    if item.category in organic_kinds and rng.random() < 0.12:
        kinds.append("organic")
    result = []
    for kind in kinds:
        serial = numbers.next(kind, rng)
        # Issued on a fixed date, so that the number (which embeds it) never changes; only the
        # end of validity follows the day the demo is seeded, so that most badges stay valid.
        issued = _FIRST_ISSUE + timedelta(days=rng.randrange(0, 1500))
        roll = rng.random()
        status = "pending" if roll >= 0.90 else "verified"
        if roll < 0.08:  # verified once, now past its validity: no badge, no label
            until = today - timedelta(days=rng.randrange(10, 200))
        else:
            until = today + timedelta(days=rng.randrange(90, 1100))
        if kind == "gi":
            number, issuer = f"AGI{serial:05d}", _GI_ISSUER
        elif kind == "green_food":
            grade = "AA" if rng.random() < 0.2 else "A"
            number = (
                f"LB-{rng.randrange(10, 60):02d}-{issued:%y%m}{item.county_code[:2]}"
                f"{serial:04d}{grade}"
            )
            issuer = _GREEN_FOOD_ISSUER
        else:
            certifier, issuer = rng.choice(_ORGANIC_CERTIFIERS)
            number = f"{certifier}OP{issued:%y}{serial:05d}"
        result.append(PlannedCertificate(kind, number, issuer, issued, until, status))
    return result


def _supplier(item: Specialty, position: int) -> PlannedSupplier:
    rng = _rng("supplier", item.county_code)
    households = rng.randrange(30, 1200)
    name = f"{item.county_name}{rng.choice(_BRAND_WORDS)}{_TRADES[item.category]}专业合作社"
    if position % PENDING_EVERY == PENDING_OFFSET:
        status, reason = "pending", None
    elif position == SUSPENDED_POSITION:
        status, reason = "suspended", "抽检不合格，整改期间暂停销售（演示数据）"
    else:
        status, reason = "verified", None
    reference = f"{item.county_name}农业农村局推荐〔2024〕{rng.randrange(1, 90)}号"
    return PlannedSupplier(
        credit_code=people.cooperative_credit_code(rng, item.county_code),
        name=name,
        county_code=item.county_code,
        contact_name=people.contact_name(rng),
        contact_phone=people.mobile_number(rng),
        households_supported=households,
        recommendation_ref=reference,
        description=(
            f"{name}位于{item.province_name}{item.county_name}，"
            f"组织带动 {households} 户农户生产，统一品控、统一包装、产地直发。"
        ),
        status=status,
        status_reason=reason,
    )


def _description(item: Specialty, supplier: PlannedSupplier, title: str) -> str:
    """Plain text made into HTML here, escaped: safe as the sanitiser would leave it."""
    paragraphs = [
        f"{title}产自{item.province_name}{item.county_name}，由{supplier.name}组织当地农户"
        "生产，从产地直接发货。",
        f"规格：{item.unit}。每一笔订单计入{item.county_name}的消费帮扶成效。",
    ]
    if item.note:
        paragraphs.append(f"产地说明：{item.note}")
    return "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)


def build_plan(count: int, today: date, specialties: list[Specialty] | None = None) -> DemoPlan:
    """The first `count` demo products, their suppliers (one per county) and certificates."""
    items = order_specialties(specialties if specialties is not None else read_specialties())
    if not 1 <= count <= max_products(items):
        raise DemoSeedError(f"the demo has between 1 and {max_products(items)} products")
    suppliers: dict[str, PlannedSupplier] = {}
    products: list[PlannedProduct] = []
    numbers = _NumberSequence()
    # Other packs of a specialty carry the same certificates as the specialty itself.
    certificates: dict[int, tuple[PlannedCertificate, ...]] = {}
    for position in range(count):
        variant, index = divmod(position, len(items))
        item = items[index]
        supplier = suppliers.get(item.county_code)
        if supplier is None:
            supplier = suppliers[item.county_code] = _supplier(item, len(suppliers))
        key = f"{item.county_code}-{item.ordinal}{_VARIANT_SLUGS[variant]}"
        rng = _rng("product", key)
        if not variant:
            certificates[index] = tuple(_certificates(item, today, numbers, rng))
        title = item.product_name + (f"（{_VARIANTS[variant]}）" if variant else "")
        code_prefix = (
            f"D{item.county_code}{item.ordinal:02d}{'GTB'[variant - 1] if variant else ''}"
        )
        products.append(
            PlannedProduct(
                slug=f"demo-{key}",
                title=title,
                category=item.category,
                unit=item.unit,
                description_html=_description(item, supplier, title),
                season_months=_season(item.category, rng),
                status="draft" if supplier.status == "pending" else "active",
                supplier_credit_code=supplier.credit_code,
                county_label=f"{item.county_name} · {item.province_name}",
                skus=tuple(_skus(item, variant, code_prefix, rng)),
                certificates=certificates[index],
                position=position,
            )
        )
    return DemoPlan(suppliers=tuple(suppliers.values()), products=tuple(products))
