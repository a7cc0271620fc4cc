"""Request and response models of the catalog domain (JSON API and page data); no ORM leaks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.core.fields import MAX_ID, WHOLE_NUMBER, MultiLine, OneLine
from app.regions.schemas import CountyDetail, RegionsOverview

ProductSort = Literal["relevance", "price_asc", "price_desc", "newest", "rating"]
ProductStatusName = Literal["draft", "active", "archived"]
LabelKind = Literal["gi", "green_food", "organic"]

MAX_PRICE_FEN = 1_000_000_000
MAX_STOCK = 10_000_000
MAX_MIN_QTY = 100_000
MAX_WEIGHT_GRAMS = 1_000_000
MAX_DESCRIPTION_CHARS = 20_000
DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
MAX_PAGE = 10_000


# Strict integers: a JSON 12.5, "12" or true is refused with a field error instead of being
# coerced, so that a client's rounding bug never turns into a price.
PriceFen = Annotated[StrictInt, Field(gt=0, le=MAX_PRICE_FEN, examples=[3980]), WHOLE_NUMBER]
StockQty = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK), WHOLE_NUMBER]
MinQty = Annotated[StrictInt, Field(ge=1, le=MAX_MIN_QTY), WHOLE_NUMBER]
WeightGrams = Annotated[StrictInt, Field(ge=0, le=MAX_WEIGHT_GRAMS), WHOLE_NUMBER]
# Bounded so that an absurd id is a 422, not a database overflow.
CertificateId = Annotated[StrictInt, Field(ge=1, le=MAX_ID), WHOLE_NUMBER]
MAX_SHELF_LIFE_DAYS = 3650
MAX_STORAGE_CHARS = 100
ShelfLifeDays = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_SHELF_LIFE_DAYS, examples=[365], description="Shelf life in days"),
    WHOLE_NUMBER,
]
StorageConditions = Annotated[
    OneLine, Field(max_length=MAX_STORAGE_CHARS, examples=["阴凉干燥处保存，避免阳光直射"])
]
# Checked by the service (app.core.identifiers.parse_food_licence): 422 food_licence_invalid.
FoodLicence = Annotated[
    OneLine,
    Field(
        max_length=40,
        examples=["SC10636072300015"],
        description="Food production licence: SC + 14 digits; empty to clear",
    ),
]

# ---------------------------------------------------------------------------------------------
# The public listing


class ProductQuery(BaseModel):
    """What a buyer asks of the listing; built by the API route and by the storefront page.

    Filters take exactly the `value`s their facet lists. Unknown province/category/label
    values are refused by the service with 422 and field errors.
    """

    model_config = ConfigDict(frozen=True)

    q: OneLine | None = Field(default=None, max_length=100)
    province: OneLine | None = Field(
        default=None, max_length=6, description="Six-digit province code, 450000"
    )
    county: OneLine | None = Field(default=None, max_length=6, description="Six-digit county code")
    category: OneLine | None = Field(default=None, max_length=30)
    label: OneLine | None = Field(default=None, max_length=30)
    key_assistance: bool | None = None
    brand: OneLine | None = Field(
        default=None, max_length=60, description="A regional public brand's slug"
    )
    min_price_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    max_price_fen: int | None = Field(default=None, ge=0, le=MAX_PRICE_FEN)
    sort: ProductSort = "relevance"
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


class CooperativeRef(BaseModel):
    id: int
    name: str


# A regional brand is a search label of its own: "brand_12" (see app.catalog.indexing).
BRAND_LABEL_PREFIX = "brand_"


def brand_label(brand_id: int) -> str:
    return f"{BRAND_LABEL_PREFIX}{brand_id}"


class BrandRef(BaseModel):
    """The regional public brand a product is sold under (while its link holds)."""

    slug: str
    name: str


class CountyRef(BaseModel):
    code: str
    name: str
    province_code: str
    province_name: str
    key_assistance: bool


class RatingSummary(BaseModel):
    """Buyers' visible reviews: the average (one decimal; null without reviews) and count."""

    average: float | None = Field(default=None, examples=[4.7])
    count: int = 0


def rating_summary(rating_sum: int, rating_count: int) -> RatingSummary:
    """The summary of `rating_count` visible ratings adding up to `rating_sum`."""
    if rating_count <= 0:
        return RatingSummary.model_construct(average=None, count=0)
    average = round(rating_sum / rating_count, 1)
    return RatingSummary.model_construct(average=average, count=rating_count)


def rating_milli(rating_sum: int, rating_count: int) -> int:
    """The average in thousandths of a star (0 without ratings): what listings sort by."""
    return rating_sum * 1000 // rating_count if rating_count > 0 else 0


class ProductSummary(BaseModel):
    """A product as listings show it."""

    id: int
    slug: str
    title: str
    min_price_fen: int = Field(description="Lowest base price of its active SKUs")
    unit: str
    image_url: str | None = Field(description="Thumbnail of its first photo")
    in_stock: bool
    labels: list[str] = Field(
        description="Kinds of its certificates that are verified and valid today",
        examples=[["gi", "green_food"]],
    )
    cooperative: CooperativeRef
    county: CountyRef
    rating: RatingSummary = Field(default_factory=RatingSummary)
    brand: BrandRef | None = Field(
        default=None,
        description="Its regional public brand; absent once a required certificate lapses",
    )


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class Facets(BaseModel):
    """Counts over the result set with every other filter applied."""

    province: list[FacetValue]
    category: list[FacetValue]
    label: list[FacetValue]
    brand: list[FacetValue] = Field(default_factory=list)


UnderstoodKind = Literal["province", "prefecture", "county", "label", "word"]


class UnderstoodPart(BaseModel):
    """Words of `q` understood as a filter (a place, a label) or as a Chinese word."""

    kind: UnderstoodKind = Field(
        description="A place (`province`, `prefecture`, `county`), a `label`, or an English "
        "`word` searched in Chinese"
    )
    typed: str = Field(description="The words of `q` it was understood from", examples=["宁夏"])
    start: int = Field(description="Where those words start in the understood `q`")
    end: int = Field(description="Where they end")
    value: str = Field(
        description="The place's or label's code, or the Chinese word searched for an English one",
        examples=["640000"],
    )
    name: str = Field(
        description="The place's full name, the label's name, or that Chinese word",
        examples=["宁夏回族自治区"],
    )
    q_without: str = Field(description="`q` without these words: the query that removes it")


class QueryUnderstanding(BaseModel):
    """What was understood in `q`, and what was left to match as text."""

    q: str = Field(description="`q` as understood: normalised (full-width folded, spaces)")
    text: str = Field(description="What was matched as text once the understood words left")
    q_without_parts: str = Field(description="`q` without its understood words: the text")
    q_without_text: str = Field(description="Only the understood words of `q`")
    q_without_places: str = Field(description="`q` without its place words")
    q_without_labels: str = Field(description="`q` without its label words")
    parts: list[UnderstoodPart]


SuggestionReason = Literal["drop_word", "related_category", "drop_filter"]


class Suggestion(BaseModel):
    """A nearby query that finds products, offered when a listing finds none."""

    title: str = Field(examples=["枸杞"])
    reason: SuggestionReason
    query: ProductQuery = Field(description="The listing's parameters for it")
    total: int = Field(description="How many products it finds")
    place_names: dict[str, str] = Field(
        default_factory=dict, description="Names of its province and county filters"
    )


class ProductPage(BaseModel):
    items: list[ProductSummary]
    total: int
    page: int
    per_page: int
    facets: Facets
    degraded: bool = Field(
        default=False,
        description="The search service is down: text is matched plainly, newest first",
    )
    understood: QueryUnderstanding | None = Field(
        default=None,
        description="How `q` was read: place and label words filter like the facets, "
        "English product words are searched in Chinese (none without `q`)",
    )
    suggestions: list[Suggestion] = Field(
        default_factory=list,
        description="When nothing is found: nearby queries that find products (a word or a "
        "filter less, a related category), most relevant first",
    )


# ---------------------------------------------------------------------------------------------
# One product


class PriceTierOut(BaseModel):
    min_qty: int
    price_fen: int


class SkuOut(BaseModel):
    id: int
    code: str
    name: str
    price_fen: int
    stock_available: int
    min_qty: int
    weight_grams: int
    price_tiers: list[PriceTierOut]


class CertificateBadge(BaseModel):
    """A certificate that backs a label (verified and valid today)."""

    kind: str
    number: str
    issuer: str
    valid_until: date
    scan_url: str | None = Field(default=None, description="The supplier's scan, if uploaded")
    scan_is_pdf: bool = False


class PhotoOut(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class CategoryOut(BaseModel):
    code: str
    name: str
    requires_food_licence: bool = Field(
        default=False, description="Products are published only with a food production licence"
    )


class ProductDetail(ProductSummary):
    """A product with everything its page shows."""

    description_html: str = Field(description="Sanitised HTML")
    category: CategoryOut
    season_months: list[int]
    skus: list[SkuOut]
    certificates: list[CertificateBadge]
    households_supported: int
    photos: list[PhotoOut]
    shelf_life_days: int | None = Field(description="Shelf life in days, if stated")
    storage_conditions: str = Field(description="How to store it; empty if not stated")
    food_licence_number: str | None = Field(description="SC + 14 digits, if stated")


class ProductOut(ProductDetail):
    """A product as its supplier sees it (create/update answers): status and flags too."""

    status: ProductStatusName
    price_flagged: bool
    certificate_ids: list[int]
    published_at: datetime | None
    brand_id: int | None = Field(
        default=None, description="The brand it is linked to (shown while the link holds)"
    )


# ---------------------------------------------------------------------------------------------
# Home page and county page


class CountyProducts(BaseModel):
    """A county with how many listed products its verified suppliers have."""

    county: CountyRef
    product_count: int


class HomeSections(BaseModel):
    new_products: list[ProductSummary]
    seasonal_products: list[ProductSummary]
    key_assistance_products: list[ProductSummary] = Field(
        default_factory=list,
        description="Newest products from national key-assistance counties (重点帮扶县)",
    )
    featured_counties: list[CountyProducts]
    brands: list[BrandListItem] = Field(
        default_factory=list, description="Regional public brands with products shown under them"
    )
    regions: RegionsOverview = Field(description="Provinces and key-assistance counties")


class CooperativeProducts(BaseModel):
    id: int
    name: str
    households_supported: int
    product_count: int


class CountyWithSuppliers(CountyDetail):
    """A county with the pairings that help it, its verified suppliers and product counts."""

    cooperatives: list[CooperativeProducts]
    product_count: int = Field(description="Listed products of the county's suppliers")


class CountyCatalog(BaseModel):
    """A county's verified suppliers with their listed product counts, and its products."""

    county: CountyRef
    detail: CountyDetail = Field(description="The county with the pairings that help it")
    cooperatives: list[CooperativeProducts]
    product_count: int
    products: list[ProductSummary]


class ShippingEstimate(BaseModel):
    """The product page's shipping line for its cheapest purchase (the cheapest SKU at its
    minimum quantity): the fee to the buyer's region when it is known, else the lowest fee
    the supplier's rule charges ("from ¥x")."""

    region_code: str | None = Field(description="The buyer's county, when known")
    region_name: str | None
    served: bool = Field(description="False: the supplier does not ship to that province")
    fee_fen: int | None = Field(description="To the buyer's region; None when unknown/unserved")
    from_fee_fen: int = Field(description="The lowest fee of the supplier's rule")
    free_above_fen: int | None = Field(description="Free shipping from this goods amount")
    cold_chain: bool


class SupplierProfile(BaseModel):
    """A verified supplier's public page: where it is, its story, its valid certificates (with
    scans where uploaded), the households it supports and a page of its listed products."""

    id: int
    name: str
    kind: str = Field(description="cooperative, enterprise or family_farm")
    county: CountyRef
    prefecture_name: str
    story: str = Field(description="The supplier's own account of itself; empty if none")
    households_supported: int = Field(description="Households the supplier supports")
    verified_on: date | None = Field(description="The day (China time) it was verified")
    certificates: list[CertificateBadge]
    products: list[ProductSummary]
    product_count: int = Field(description="All its listed products")
    page: int
    per_page: int


# ---------------------------------------------------------------------------------------------
# Supplier input


class PriceTierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_qty: Annotated[StrictInt, Field(ge=2, le=MAX_MIN_QTY), WHOLE_NUMBER]
    price_fen: PriceFen


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: OneLine = Field(min_length=1, max_length=40, examples=["GNQC-5KG"])
    name: OneLine = Field(min_length=1, max_length=100, examples=["5kg 礼盒"])
    price_fen: PriceFen
    stock: StockQty = 0
    weight_grams: WeightGrams = 0
    min_qty: MinQty = 1
    price_tiers: list[PriceTierIn] = Field(default_factory=list, max_length=10)


class ProductIn(BaseModel):
    """A new product; `description` is HTML and is sanitised before it is stored."""

    model_config = ConfigDict(extra="forbid")

    title: OneLine = Field(min_length=2, max_length=120, examples=["赣南脐橙"])
    description: MultiLine = Field(default="", max_length=MAX_DESCRIPTION_CHARS)
    category: OneLine = Field(max_length=30, examples=["fruit"])
    unit: OneLine = Field(min_length=1, max_length=30, examples=["5kg/箱"])
    certificate_ids: list[CertificateId] = Field(default_factory=list, max_length=50)
    status: ProductStatusName = "draft"
    skus: list[SkuIn] = Field(default_factory=list, max_length=50)
    season_months: list[Annotated[StrictInt, Field(ge=1, le=12), WHOLE_NUMBER]] = Field(
        default_factory=list, max_length=12
    )
    shelf_life_days: ShelfLifeDays | None = None
    storage_conditions: StorageConditions = ""
    food_licence_number: FoodLicence | None = None


class ProductPatch(BaseModel):
    """Changes to a product; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: OneLine | None = Field(default=None, min_length=2, max_length=120)
    description: MultiLine | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)
    category: OneLine | None = Field(default=None, max_length=30)
    unit: OneLine | None = Field(default=None, min_length=1, max_length=30)
    status: ProductStatusName | None = None
    certificate_ids: list[CertificateId] | None = Field(default=None, max_length=50)
    season_months: list[Annotated[StrictInt, Field(ge=1, le=12), WHOLE_NUMBER]] | None = Field(
        default=None, max_length=12
    )
    # Absent: unchanged. Shelf life and licence are cleared with null (or an empty licence).
    shelf_life_days: ShelfLifeDays | None = None
    storage_conditions: StorageConditions | None = None
    food_licence_number: FoodLicence | None = None
    brand_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID), WHOLE_NUMBER] | None = Field(
        default=None, description="A regional public brand to sell it under; null: none"
    )


class SkuPatch(BaseModel):
    """A quick price or stock change (or new tier prices)."""

    model_config = ConfigDict(extra="forbid")

    price_fen: PriceFen | None = None
    stock: StockQty | None = None
    price_tiers: list[PriceTierIn] | None = Field(
        default=None, max_length=10, description="Replaces the tiers when given"
    )


# ---------------------------------------------------------------------------------------------
# Price monitoring


class BrandListItem(BaseModel):
    id: int
    slug: str
    name: str
    owner: str
    logo_url: str | None
    county_count: int
    product_count: int = Field(description="Listed products shown under the brand today")
