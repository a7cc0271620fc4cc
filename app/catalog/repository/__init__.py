"""Queries of the catalog domain, by what they serve; every query is importable from here."""

from __future__ import annotations

from app.catalog.repository.counties import (
    CooperativeCountRow,
    CountyCountRow,
    county_cooperatives,
    featured_counties,
)
from app.catalog.repository.price_monitoring import (
    FlaggedRow,
    count_flagged_products,
    flagged_products,
    get_reference_price,
    list_reference_prices,
    products_priced_against,
)
from app.catalog.repository.products import (
    cooperative_products,
    count_photos,
    get_listed_product,
    get_photo,
    get_product,
    get_sku,
    max_photo_position,
    taken_sku_codes,
)
from app.catalog.repository.public_listing import (
    SORTS,
    FacetRow,
    ListingFilters,
    PageRow,
    SummaryRow,
    category_facet,
    count_listed,
    escape_like,
    label_facet,
    labels_and_thumbnails,
    page_rows,
    province_facet,
    search_listed,
)
from app.catalog.repository.ratings import add_rating, cooperative_rating
from app.catalog.repository.reference import (
    ReferenceNames,
    get_category,
    get_county,
    list_categories,
    reference_names,
)
from app.catalog.repository.suppliers import get_public_cooperative

__all__ = [
    "SORTS",
    "CooperativeCountRow",
    "CountyCountRow",
    "FacetRow",
    "FlaggedRow",
    "ListingFilters",
    "PageRow",
    "ReferenceNames",
    "SummaryRow",
    "add_rating",
    "category_facet",
    "cooperative_products",
    "cooperative_rating",
    "count_flagged_products",
    "count_listed",
    "count_photos",
    "county_cooperatives",
    "escape_like",
    "featured_counties",
    "flagged_products",
    "get_category",
    "get_county",
    "get_listed_product",
    "get_photo",
    "get_product",
    "get_public_cooperative",
    "get_reference_price",
    "get_sku",
    "label_facet",
    "labels_and_thumbnails",
    "list_categories",
    "list_reference_prices",
    "max_photo_position",
    "page_rows",
    "products_priced_against",
    "province_facet",
    "reference_names",
    "search_listed",
    "taken_sku_codes",
]
