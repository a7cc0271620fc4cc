"""Tables of the embedded index, and the DDL that the app's Alembic migration runs.

The library owns these tables; they live in the app's database but in their own MetaData, so
that the app's models never depend on them. Plain tables (filters, sorts, facets) are defined
below; the text index is dialect-specific and exists only as DDL:

- SQLite: an FTS5 table with external content (the token columns of search_products, keyed
  by product id), kept in sync by triggers, so writes are the same plain INSERT/DELETE on both
  databases;
- PostgreSQL: a generated, weighted tsvector column on search_products with a GIN index.

The DDL is frozen per schema version (a migration must keep meaning what it meant when it
ran); a test checks that the migrated tables match the MetaData.
"""

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

products = Table(
    "search_products",
    metadata,
    Column("id", ProductId, primary_key=True, autoincrement=False),
    # Space-joined tokens of the analyzer (search.text), one column per weighted field.
    Column("title_tokens", Text, nullable=False),
    Column("pinyin_tokens", Text, nullable=False),
    Column("place_tokens", Text, nullable=False),
    Column("gram_tokens", Text, nullable=False),
    Column("body_tokens", Text, nullable=False),
    Column("category", String(30), nullable=False),
    Column("category_label", String(200), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("province_code", String(6), nullable=False),
    Column("province_name", String(200), nullable=False),
    Column("cooperative_id", BigInteger, nullable=False),
    Column("key_assistance", Boolean, nullable=False),
    Column("min_price_fen", BigInteger, nullable=False),
    Column("max_price_fen", BigInteger, nullable=False),
    Column("in_stock", Boolean, nullable=False),
    # UTC; SQLite keeps it as ISO text, which sorts like the timestamp.
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("popularity", BigInteger, nullable=False),
    Index("ix_search_products_province_code", "province_code"),
    Index("ix_search_products_category", "category"),
    Index("ix_search_products_county_code", "county_code"),
    Index("ix_search_products_min_price_fen", "min_price_fen"),
    Index("ix_search_products_published_at", "published_at"),
    # The default order without text: key-assistance counties first, then newest.
    Index("ix_search_products_browse", "key_assistance", "published_at", "id"),
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
    Index("ix_search_product_labels_label", "label", "valid_until"),
)

# The Latin vocabulary (pinyin, initials, Latin words) that typo correction looks words up in.
# Insert-only: a term left over from a deleted product only yields a correction that matches
# nothing, so it is not worth counting references; clear() empties it.
terms = Table(
    "search_terms",
    metadata,
    Column("term", String(64), primary_key=True),
)

TABLE_NAMES = ("search_products", "search_product_labels", "search_terms")
FTS_TABLE = "search_products_fts"
TSV_COLUMN = "tsv"
TSV_INDEX = "ix_search_products_tsv"
FTS_COLUMNS = ("title_tokens", "pinyin_tokens", "place_tokens", "gram_tokens", "body_tokens")
# The tsvector weight class of each field, in FTS_COLUMNS order: relevance asks which fields
# matched (see matching.py), the same question FTS5 answers with column filters.
TS_WEIGHT_CLASSES = ("A", "A", "B", "C", "D")
SCHEMA_VERSION = 1


def _columns_ddl(id_type: str, timestamp_type: str) -> str:
    return f"""
    id {id_type} NOT NULL,
    title_tokens TEXT NOT NULL,
    pinyin_tokens TEXT NOT NULL,
    place_tokens TEXT NOT NULL,
    gram_tokens TEXT NOT NULL,
    body_tokens TEXT NOT NULL,
    category VARCHAR(30) NOT NULL,
    category_label VARCHAR(200) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    province_code VARCHAR(6) NOT NULL,
    province_name VARCHAR(200) NOT NULL,
    cooperative_id BIGINT NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    min_price_fen BIGINT NOT NULL,
    max_price_fen BIGINT NOT NULL,
    in_stock BOOLEAN NOT NULL,
    published_at {timestamp_type} NOT NULL,
    popularity BIGINT NOT NULL"""


def _common_ddl(id_type: str, timestamp_type: str, extra_columns: str = "") -> list[str]:
    return [
        f"CREATE TABLE search_products ({_columns_ddl(id_type, timestamp_type)}{extra_columns},"
        "\n    CONSTRAINT pk_search_products PRIMARY KEY (id))",
        "CREATE INDEX ix_search_products_province_code ON search_products (province_code)",
        "CREATE INDEX ix_search_products_category ON search_products (category)",
        "CREATE INDEX ix_search_products_county_code ON search_products (county_code)",
        "CREATE INDEX ix_search_products_min_price_fen ON search_products (min_price_fen)",
        "CREATE INDEX ix_search_products_published_at ON search_products (published_at)",
        "CREATE INDEX ix_search_products_browse"
        " ON search_products (key_assistance, published_at, id)",
        f"""CREATE TABLE search_product_labels (
    product_id {id_type} NOT NULL,
    label VARCHAR(30) NOT NULL,
    valid_until DATE,
    CONSTRAINT pk_search_product_labels PRIMARY KEY (product_id, label),
    CONSTRAINT fk_search_product_labels_product_id_search_products FOREIGN KEY (product_id)
        REFERENCES search_products (id) ON DELETE CASCADE)""",
        "CREATE INDEX ix_search_product_labels_label ON search_product_labels (label, valid_until)",
        """CREATE TABLE search_terms (
    term VARCHAR(64) NOT NULL,
    CONSTRAINT pk_search_terms PRIMARY KEY (term))""",
    ]


# Tokens are lower-case letters/digits joined by spaces: unicode61 splits them back exactly,
# and diacritics stay as the analyzer wrote them. Triggers keep the external-content index in
# step with search_products, so writes are plain INSERT/DELETE on both databases.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_products_fts USING fts5(
    title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens,
    content='search_products', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER search_products_fts_insert AFTER INSERT ON search_products BEGIN
    INSERT INTO search_products_fts
        (rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES (new.id, new.title_tokens, new.pinyin_tokens, new.place_tokens,
                new.gram_tokens, new.body_tokens);
END""",
    """CREATE TRIGGER search_products_fts_delete AFTER DELETE ON search_products BEGIN
    INSERT INTO search_products_fts (search_products_fts,
        rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES ('delete', old.id, old.title_tokens, old.pinyin_tokens, old.place_tokens,
                old.gram_tokens, old.body_tokens);
END""",
    """CREATE TRIGGER search_products_fts_update AFTER UPDATE ON search_products BEGIN
    INSERT INTO search_products_fts (search_products_fts,
        rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES ('delete', old.id, old.title_tokens, old.pinyin_tokens, old.place_tokens,
                old.gram_tokens, old.body_tokens);
    INSERT INTO search_products_fts
        (rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES (new.id, new.title_tokens, new.pinyin_tokens, new.place_tokens,
                new.gram_tokens, new.body_tokens);
END""",
]


def _sqlite_ddl() -> list[str]:
    return [*_common_ddl("INTEGER", "DATETIME"), *_SQLITE_FTS]


def _postgresql_ddl() -> list[str]:
    vectors = " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, {name}), '{weight}')"
        for name, weight in zip(FTS_COLUMNS, TS_WEIGHT_CLASSES, strict=True)
    )
    return [
        *_common_ddl(
            "BIGINT",
            "TIMESTAMP WITH TIME ZONE",
            f",\n    {TSV_COLUMN} tsvector GENERATED ALWAYS AS ({vectors}) STORED",
        ),
        f"CREATE INDEX {TSV_INDEX} ON search_products USING gin ({TSV_COLUMN})",
    ]


def upgrade_ddl(dialect_name: str) -> list[str]:
    """Statements creating the embedded index (schema version 1) on this database."""
    if dialect_name == "sqlite":
        return _sqlite_ddl()
    if dialect_name == "postgresql":
        return _postgresql_ddl()
    raise ValueError(f"the embedded search index does not support {dialect_name!r}")


def downgrade_ddl(dialect_name: str) -> list[str]:
    """Statements removing everything upgrade_ddl created."""
    tables = [
        "DROP TABLE IF EXISTS search_terms",
        "DROP TABLE IF EXISTS search_product_labels",
        "DROP TABLE IF EXISTS search_products",
    ]
    if dialect_name == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS search_products_fts_update",
            "DROP TRIGGER IF EXISTS search_products_fts_delete",
            "DROP TRIGGER IF EXISTS search_products_fts_insert",
            f"DROP TABLE IF EXISTS {FTS_TABLE}",
            *tables,
        ]
    if dialect_name == "postgresql":
        return tables  # the GIN index and the generated column go with their table
    raise ValueError(f"the embedded search index does not support {dialect_name!r}")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic `include_object` filter for the app's env.py and schema comparisons.

    It hides what no MetaData can describe: the FTS5 table with its shadow tables, and the
    PostgreSQL-only tsvector column and GIN index. When the app's target metadata does not
    include this module's `metadata`, it hides the search tables altogether.
    """
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table":
        return not name.startswith("search_")
    if type_ == "column":
        return not (name == TSV_COLUMN and getattr(obj.table, "name", None) == "search_products")
    if type_ == "index":
        return name != TSV_INDEX
    return True
