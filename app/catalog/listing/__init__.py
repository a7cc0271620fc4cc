"""Read side of the catalog: the public listing with facets, product pages, home and county.

The listing (product_listing) understands `q` before searching (understanding), offers nearby
queries when it finds nothing (suggestions) and keeps what it can in the app's caches
(caching); product cards (summaries) are shared with the other storefront reads
(product_views).
"""

from app.catalog.listing.caching import (
    PAGE_MEMO_ENTRIES,
    STOREFRONT_CONTENT_TABLES,
    STOREFRONT_TABLES,
    ListingCaches,
    PageMemo,
    kept_answer,
    product_tables,
)
from app.catalog.listing.product_listing import (
    list_kept_products,
    list_products,
    still_kept,
)
from app.catalog.listing.product_views import (
    county_catalog,
    county_with_suppliers,
    get_public_product,
    get_public_product_by_slug,
    home_sections,
    photo_out,
    product_detail,
    product_out,
    season_months,
    sku_out,
    with_current_stock,
)
from app.catalog.listing.summaries import LABEL_NAMES, MEDIA_URL_PREFIX, media_url, today_in_china
from app.catalog.listing.supplier_profile import SUPPLIER_PAGE_PRODUCTS, supplier_profile
from app.catalog.listing.understanding import search_query, understand

__all__ = [
    "LABEL_NAMES",
    "MEDIA_URL_PREFIX",
    "PAGE_MEMO_ENTRIES",
    "STOREFRONT_CONTENT_TABLES",
    "STOREFRONT_TABLES",
    "SUPPLIER_PAGE_PRODUCTS",
    "ListingCaches",
    "PageMemo",
    "county_catalog",
    "county_with_suppliers",
    "get_public_product",
    "get_public_product_by_slug",
    "home_sections",
    "kept_answer",
    "list_kept_products",
    "list_products",
    "media_url",
    "photo_out",
    "product_detail",
    "product_out",
    "product_tables",
    "search_query",
    "season_months",
    "sku_out",
    "still_kept",
    "supplier_profile",
    "today_in_china",
    "understand",
    "with_current_stock",
]
