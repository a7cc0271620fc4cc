"""Use cases of suppliers' catalogs: products, SKUs, tier prices, price monitoring, portal views."""

from __future__ import annotations

from app.catalog.service.descriptions import (
    DESCRIPTION_ATTRIBUTES,
    DESCRIPTION_TAGS,
    DESCRIPTION_URL_SCHEMES,
    editable_description,
    sanitize_description,
)
from app.catalog.service.portal import portal_products, product_editor, product_form_options
from app.catalog.service.price_monitoring import (
    PriceMonitoring,
    count_flagged,
    list_flagged_products,
    price_monitoring,
    set_reference_price,
)
from app.catalog.service.products import (
    add_sku,
    create_product,
    owned_product,
    update_product,
    update_sku,
)
from app.catalog.service.ratings import cooperative_rating
from app.catalog.service.rules import (
    SKU_CODE,
    SLUG_WORDS_MAX,
    normalize_sku_code,
    refresh_prices,
)

__all__ = [
    "DESCRIPTION_ATTRIBUTES",
    "DESCRIPTION_TAGS",
    "DESCRIPTION_URL_SCHEMES",
    "SKU_CODE",
    "SLUG_WORDS_MAX",
    "PriceMonitoring",
    "add_sku",
    "cooperative_rating",
    "count_flagged",
    "create_product",
    "editable_description",
    "list_flagged_products",
    "normalize_sku_code",
    "owned_product",
    "portal_products",
    "price_monitoring",
    "product_editor",
    "product_form_options",
    "refresh_prices",
    "sanitize_description",
    "set_reference_price",
    "update_product",
    "update_sku",
]
