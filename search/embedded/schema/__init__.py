"""Tables of the embedded index, and the DDL that the app's Alembic migration runs.

The library owns these tables; they live in the app's database but in their own MetaData, so
that the app's models never depend on them:

- search_products: one narrow row per product with the filter and sort columns only, so that
  counting facets over a hundred thousand rows reads little (its main index covers them);
- search_product_texts: the analyzer's tokens per field, the source of the text index;
- search_product_labels: labels with their last valid day, carrying copies of the filter
  columns so that the label facet is counted without a join;
- search_facet_names: the display name of each province and category value;
- search_terms: the Latin vocabulary (pinyin, initials) typo correction looks words up in.

The text index is dialect-specific and exists only as DDL, kept in step with
search_product_texts by triggers: on SQLite an FTS5 table with external content keyed by
product id; on PostgreSQL a narrow table of tsvectors with GIN indexes. Writes are the same
plain INSERT/DELETE on both databases.

The DDL is frozen per schema version (a migration keeps meaning what it meant when it ran);
a test checks that the migrated tables match this MetaData.

The parts: tables.py (the MetaData, the names, the Alembic filter), ddl.py (the statements per
version and dialect), facet_summaries.py (version 3's summaries and triggers). Callers (the
migrations, the backend, the tests) import every name from here.
"""

from search.embedded.schema.ddl import SCHEMA_VERSION, create_ddl, downgrade_ddl, upgrade_ddl
from search.embedded.schema.tables import (
    FTS_TABLE,
    NAMING_CONVENTION,
    TABLE_NAMES,
    VECTORS_FUNCTION,
    VECTORS_TABLE,
    ProductId,
    facet_names,
    include_object,
    label_counts,
    label_counts_day,
    labels,
    metadata,
    product_counts,
    products,
    summaries,
    terms,
    texts,
)

__all__ = [
    "FTS_TABLE",
    "NAMING_CONVENTION",
    "SCHEMA_VERSION",
    "TABLE_NAMES",
    "VECTORS_FUNCTION",
    "VECTORS_TABLE",
    "ProductId",
    "create_ddl",
    "downgrade_ddl",
    "facet_names",
    "include_object",
    "label_counts",
    "label_counts_day",
    "labels",
    "metadata",
    "product_counts",
    "products",
    "summaries",
    "terms",
    "texts",
    "upgrade_ddl",
]
