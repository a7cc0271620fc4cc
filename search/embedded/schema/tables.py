"""The embedded index's tables as SQLAlchemy MetaData, the names of its DDL-only objects, and
the Alembic filter that hides what no MetaData describes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# INTEGER on SQLite makes the id an alias of the rowid, which the FTS5 table is keyed by.
ProductId = BigInteger().with_variant(Integer(), "sqlite")

_FILTER_COLUMNS = ("province_code", "category", "in_stock", "min_price_fen", "county_code")

products = Table(
    "search_products",
    metadata,
    Column("id", ProductId, primary_key=True, autoincrement=False),
    Column("province_code", String(6), nullable=False),
    Column("category", String(30), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("cooperative_id", BigInteger, nullable=False),
    Column("key_assistance", Boolean, nullable=False),
    Column("in_stock", Boolean, nullable=False),
    Column("min_price_fen", BigInteger, nullable=False),
    Column("max_price_fen", BigInteger, nullable=False),
    # UTC; SQLite keeps it as ISO text, which sorts like the timestamp.
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("popularity", BigInteger, nullable=False),
    # Version 4: the average rating in thousandths (0: no reviews) and the number of reviews.
    Column("rating_milli", BigInteger, nullable=False, server_default="0"),
    Column("rating_count", BigInteger, nullable=False, server_default="0"),
    # Covers the facet count (province × category) under any filter but county and label.
    Index(
        "ix_search_products_facets",
        "province_code",
        "category",
        "key_assistance",
        "in_stock",
        "min_price_fen",
    ),
    Index("ix_search_products_county_code", "county_code"),
    # One index per order, carrying the filter columns: a page of a broad listing is read by
    # walking the index in order and testing filters on its entries, never sorting thousands.
    Index(
        "ix_search_products_relevance",
        "key_assistance",
        "published_at",
        "id",
        *_FILTER_COLUMNS,
    ),
    Index(
        "ix_search_products_newest",
        "published_at",
        "id",
        "key_assistance",
        *_FILTER_COLUMNS,
    ),
    Index(
        "ix_search_products_rating",
        "rating_milli",
        "rating_count",
        "id",
        "key_assistance",
        *_FILTER_COLUMNS,
    ),
    Index(
        "ix_search_products_price",
        "min_price_fen",
        "id",
        "province_code",
        "category",
        "key_assistance",
        "in_stock",
        "county_code",
    ),
)

texts = Table(
    "search_product_texts",
    metadata,
    Column(
        "id",
        ProductId,
        ForeignKey("search_products.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    # Space-joined tokens of the analyzer (search.text), one column per weighted field.
    Column("title_tokens", Text, nullable=False),
    Column("pinyin_tokens", Text, nullable=False),
    Column("place_tokens", Text, nullable=False),
    Column("gram_tokens", Text, nullable=False),
    Column("body_tokens", Text, nullable=False),
)

labels = Table(
    "search_product_labels",
    metadata,
    Column(
        "product_id",
        ProductId,
        ForeignKey("search_products.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("label", String(30), primary_key=True),
    # Last day the label holds (inclusive); NULL: until the app reindexes the product.
    Column("valid_until", Date, nullable=True),
    # Copies of the product's filter columns (written together, deleted together).
    Column("province_code", String(6), nullable=False),
    Column("category", String(30), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("key_assistance", Boolean, nullable=False),
    Column("in_stock", Boolean, nullable=False),
    Column("min_price_fen", BigInteger, nullable=False),
    # First day the label holds; NULL: already (schema version 2).
    Column("valid_from", Date, nullable=True),
    # Covers the label facet under any filter: it never reads the table itself. In group
    # order after the label (schema version 3), so that counting one label's products per
    # province and category streams instead of sorting.
    Index(
        "ix_search_product_labels_facets",
        "label",
        "province_code",
        "category",
        "key_assistance",
        "in_stock",
        "min_price_fen",
        "county_code",
        "valid_until",
        "valid_from",
    ),
)

facet_names = Table(
    "search_facet_names",
    metadata,
    Column("facet", String(20), primary_key=True),  # "province" or "category"
    Column("value", String(30), primary_key=True),
    Column("name", String(200), nullable=False),
)

# Insert-only: a term left over from a deleted product only yields a correction that matches
# nothing, so it is not worth counting references; clear() empties it.
terms = Table(
    "search_terms",
    metadata,
    Column("term", String(64), primary_key=True),
)

# The SQLite-only summaries of schema version 3, described for building queries. They are
# not in `metadata`: they exist as DDL on SQLite only, like the FTS5 table.
summaries = MetaData()


def _summary_columns() -> list[Column[Any]]:
    return [
        Column("province_code", String(6), primary_key=True),
        Column("category", String(30), primary_key=True),
        Column("county_code", String(6), primary_key=True),
        Column("key_assistance", Boolean, primary_key=True),
        Column("in_stock", Boolean, primary_key=True),
        Column("n", Integer, nullable=False),
    ]


product_counts = Table("search_product_counts", summaries, *_summary_columns())
label_counts = Table(
    "search_label_counts",
    summaries,
    Column("label", String(30), primary_key=True),
    *_summary_columns(),
)
label_counts_day = Table(
    "search_label_counts_day",
    summaries,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
)

TABLE_NAMES = (
    "search_products",
    "search_product_texts",
    "search_product_labels",
    "search_facet_names",
    "search_terms",
)
FTS_TABLE = "search_products_fts"  # SQLite
VECTORS_TABLE = "search_product_vectors"  # PostgreSQL
VECTORS_FUNCTION = "search_product_vectors_refresh"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic `include_object` filter for the app's env.py and schema comparisons.

    It hides what no MetaData describes: the FTS5 table with its shadow tables (SQLite) and
    the vectors table (PostgreSQL). When the app's target metadata does not include this
    module's `metadata`, it hides the search tables altogether.
    """
    if type_ == "table" and reflected and compare_to is None and name is not None:
        return not name.startswith("search_")
    return True
