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
SCHEMA_VERSION = 3


def _common_ddl(id_type: str, timestamp_type: str) -> list[str]:
    return [
        f"""CREATE TABLE search_products (
    id {id_type} NOT NULL,
    province_code VARCHAR(6) NOT NULL,
    category VARCHAR(30) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    cooperative_id BIGINT NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    in_stock BOOLEAN NOT NULL,
    min_price_fen BIGINT NOT NULL,
    max_price_fen BIGINT NOT NULL,
    published_at {timestamp_type} NOT NULL,
    popularity BIGINT NOT NULL,
    CONSTRAINT pk_search_products PRIMARY KEY (id))""",
        "CREATE INDEX ix_search_products_facets ON search_products"
        " (province_code, category, key_assistance, in_stock, min_price_fen)",
        "CREATE INDEX ix_search_products_county_code ON search_products (county_code)",
        "CREATE INDEX ix_search_products_relevance ON search_products (key_assistance,"
        " published_at, id, province_code, category, in_stock, min_price_fen, county_code)",
        "CREATE INDEX ix_search_products_newest ON search_products (published_at, id,"
        " key_assistance, province_code, category, in_stock, min_price_fen, county_code)",
        "CREATE INDEX ix_search_products_price ON search_products (min_price_fen, id,"
        " province_code, category, key_assistance, in_stock, county_code)",
        f"""CREATE TABLE search_product_texts (
    id {id_type} NOT NULL,
    title_tokens TEXT NOT NULL,
    pinyin_tokens TEXT NOT NULL,
    place_tokens TEXT NOT NULL,
    gram_tokens TEXT NOT NULL,
    body_tokens TEXT NOT NULL,
    CONSTRAINT pk_search_product_texts PRIMARY KEY (id),
    CONSTRAINT fk_search_product_texts_id_search_products FOREIGN KEY (id)
        REFERENCES search_products (id) ON DELETE CASCADE)""",
        f"""CREATE TABLE search_product_labels (
    product_id {id_type} NOT NULL,
    label VARCHAR(30) NOT NULL,
    valid_until DATE,
    province_code VARCHAR(6) NOT NULL,
    category VARCHAR(30) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    in_stock BOOLEAN NOT NULL,
    min_price_fen BIGINT NOT NULL,
    CONSTRAINT pk_search_product_labels PRIMARY KEY (product_id, label),
    CONSTRAINT fk_search_product_labels_product_id_search_products FOREIGN KEY (product_id)
        REFERENCES search_products (id) ON DELETE CASCADE)""",
        "CREATE INDEX ix_search_product_labels_facets ON search_product_labels (label,"
        " valid_until, province_code, category, key_assistance, in_stock, min_price_fen,"
        " county_code)",
        """CREATE TABLE search_facet_names (
    facet VARCHAR(20) NOT NULL,
    value VARCHAR(30) NOT NULL,
    name VARCHAR(200) NOT NULL,
    CONSTRAINT pk_search_facet_names PRIMARY KEY (facet, value))""",
        """CREATE TABLE search_terms (
    term VARCHAR(64) NOT NULL,
    CONSTRAINT pk_search_terms PRIMARY KEY (term))""",
    ]


# Tokens are lower-case letters/digits joined by spaces: unicode61 splits them back exactly,
# and diacritics stay as the analyzer wrote them. Triggers keep the external-content index in
# step with search_product_texts.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_products_fts USING fts5(
    title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens,
    content='search_product_texts', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER search_products_fts_insert AFTER INSERT ON search_product_texts BEGIN
    INSERT INTO search_products_fts
        (rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES (new.id, new.title_tokens, new.pinyin_tokens, new.place_tokens,
                new.gram_tokens, new.body_tokens);
END""",
    """CREATE TRIGGER search_products_fts_delete AFTER DELETE ON search_product_texts BEGIN
    INSERT INTO search_products_fts (search_products_fts,
        rowid, title_tokens, pinyin_tokens, place_tokens, gram_tokens, body_tokens)
        VALUES ('delete', old.id, old.title_tokens, old.pinyin_tokens, old.place_tokens,
                old.gram_tokens, old.body_tokens);
END""",
    """CREATE TRIGGER search_products_fts_update AFTER UPDATE ON search_product_texts BEGIN
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

# PostgreSQL: the tokens become two tsvectors in a narrow table of their own (all fields, and
# the title fields), each with a GIN index, kept in step by a trigger. array_to_tsvector takes
# the analyzer's tokens as they are (no parser, no positions): the same tokens, matched the
# same way, as on SQLite. A narrow table keeps the heap pages a match visits few.
_POSTGRES_VECTORS = [
    """CREATE TABLE search_product_vectors (
    id BIGINT NOT NULL,
    tsv tsvector NOT NULL,
    title_tsv tsvector NOT NULL,
    CONSTRAINT pk_search_product_vectors PRIMARY KEY (id),
    CONSTRAINT fk_search_product_vectors_id_search_product_texts FOREIGN KEY (id)
        REFERENCES search_product_texts (id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_search_product_vectors_tsv ON search_product_vectors USING gin (tsv)",
    "CREATE INDEX ix_search_product_vectors_title_tsv"
    " ON search_product_vectors USING gin (title_tsv)",
    """CREATE FUNCTION search_product_vectors_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_product_vectors (id, tsv, title_tsv) VALUES (
        NEW.id,
        array_to_tsvector(array_remove(string_to_array(
            NEW.title_tokens || ' ' || NEW.pinyin_tokens || ' ' || NEW.place_tokens
            || ' ' || NEW.gram_tokens || ' ' || NEW.body_tokens, ' '), '')),
        array_to_tsvector(array_remove(string_to_array(
            NEW.title_tokens || ' ' || NEW.pinyin_tokens || ' ' || NEW.gram_tokens, ' '), '')))
    ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv, title_tsv = EXCLUDED.title_tsv;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER search_product_vectors_refresh
    AFTER INSERT OR UPDATE ON search_product_texts
    FOR EACH ROW EXECUTE FUNCTION search_product_vectors_refresh()""",
]


# Version 2: labels carry their first valid day, so that a certificate starting after the
# product was indexed does not match before then.
_VERSION_2 = [
    "ALTER TABLE search_product_labels ADD COLUMN valid_from DATE",
    "DROP INDEX ix_search_product_labels_facets",
    "CREATE INDEX ix_search_product_labels_facets ON search_product_labels (label,"
    " valid_until, province_code, category, key_assistance, in_stock, min_price_fen,"
    " county_code, valid_from)",
]
_VERSION_2_DOWN = [
    "DROP INDEX ix_search_product_labels_facets",
    "ALTER TABLE search_product_labels DROP COLUMN valid_from",
    "CREATE INDEX ix_search_product_labels_facets ON search_product_labels (label,"
    " valid_until, province_code, category, key_assistance, in_stock, min_price_fen,"
    " county_code)",
]


# Version 3 (SQLite): facet counts kept by triggers, so that a listing without text or price
# range counts a few thousand summary rows instead of reading every product (100,000 rows of
# the facet index took 13 ms, the label rows with their validity test 8 ms).
# - search_product_counts: products per (province, category, county, key assistance, stock);
# - search_label_counts: the labels valid on one day (search_label_counts_day) per the same
#   columns. Validity changes with the date, so the day is part of the summary: the triggers
#   count a label row only if it holds on that day, and the first search of a new day rebuilds
#   the summary for it (search.embedded.backend); until then searches count the label rows.
# The steps of the triggers, each written once: a row counted in, a row counted out (its group
# dropped at zero). A label row counts only if it holds on the summary's day.
_COUNT_PRODUCT_IN = """
    INSERT INTO search_product_counts
        (province_code, category, county_code, key_assistance, in_stock, n)
        VALUES (new.province_code, new.category, new.county_code, new.key_assistance,
                new.in_stock, 1)
        ON CONFLICT (province_code, category, county_code, key_assistance, in_stock)
        DO UPDATE SET n = n + 1;"""
_COUNT_PRODUCT_OUT = """
    UPDATE search_product_counts SET n = n - 1
        WHERE province_code = old.province_code AND category = old.category
        AND county_code = old.county_code AND key_assistance = old.key_assistance
        AND in_stock = old.in_stock;
    DELETE FROM search_product_counts
        WHERE province_code = old.province_code AND category = old.category
        AND county_code = old.county_code AND key_assistance = old.key_assistance
        AND in_stock = old.in_stock AND n <= 0;"""
_COUNT_LABEL_IN = """
    INSERT INTO search_label_counts
        (label, province_code, category, county_code, key_assistance, in_stock, n)
        SELECT new.label, new.province_code, new.category, new.county_code,
               new.key_assistance, new.in_stock, 1
        FROM search_label_counts_day AS d
        WHERE (new.valid_until IS NULL OR new.valid_until >= d.day)
        AND (new.valid_from IS NULL OR new.valid_from <= d.day)
        ON CONFLICT (label, province_code, category, county_code, key_assistance, in_stock)
        DO UPDATE SET n = n + 1;"""
_COUNT_LABEL_OUT = """
    UPDATE search_label_counts SET n = n - 1
        WHERE label = old.label AND province_code = old.province_code
        AND category = old.category AND county_code = old.county_code
        AND key_assistance = old.key_assistance AND in_stock = old.in_stock
        AND EXISTS (SELECT 1 FROM search_label_counts_day AS d
            WHERE (old.valid_until IS NULL OR old.valid_until >= d.day)
            AND (old.valid_from IS NULL OR old.valid_from <= d.day));
    DELETE FROM search_label_counts WHERE n <= 0 AND label = old.label
        AND province_code = old.province_code AND category = old.category
        AND county_code = old.county_code AND key_assistance = old.key_assistance
        AND in_stock = old.in_stock;"""


def _trigger(name: str, event: str, table: str, *steps: str) -> str:
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN{''.join(steps)}\nEND"


_PRODUCT_COLUMNS = "province_code, category, county_code, key_assistance, in_stock"
_VERSION_3_SQLITE = [
    """CREATE TABLE search_product_counts (
    province_code VARCHAR(6) NOT NULL,
    category VARCHAR(30) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    in_stock BOOLEAN NOT NULL,
    n INTEGER NOT NULL,
    CONSTRAINT pk_search_product_counts
        PRIMARY KEY (province_code, category, county_code, key_assistance, in_stock)
) WITHOUT ROWID""",
    _trigger("search_product_counts_insert", "INSERT", "search_products", _COUNT_PRODUCT_IN),
    _trigger("search_product_counts_delete", "DELETE", "search_products", _COUNT_PRODUCT_OUT),
    _trigger(
        "search_product_counts_update",
        f"UPDATE OF {_PRODUCT_COLUMNS}",
        "search_products",
        _COUNT_PRODUCT_OUT,
        _COUNT_PRODUCT_IN,
    ),
    """INSERT INTO search_product_counts
    (province_code, category, county_code, key_assistance, in_stock, n)
    SELECT province_code, category, county_code, key_assistance, in_stock, count(*)
    FROM search_products
    GROUP BY province_code, category, county_code, key_assistance, in_stock""",
    """CREATE TABLE search_label_counts_day (
    id INTEGER NOT NULL CHECK (id = 1),
    day DATE NOT NULL,
    CONSTRAINT pk_search_label_counts_day PRIMARY KEY (id))""",
    """CREATE TABLE search_label_counts (
    label VARCHAR(30) NOT NULL,
    province_code VARCHAR(6) NOT NULL,
    category VARCHAR(30) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    in_stock BOOLEAN NOT NULL,
    n INTEGER NOT NULL,
    CONSTRAINT pk_search_label_counts
        PRIMARY KEY (label, province_code, category, county_code, key_assistance, in_stock)
) WITHOUT ROWID""",
    _trigger("search_label_counts_insert", "INSERT", "search_product_labels", _COUNT_LABEL_IN),
    _trigger("search_label_counts_delete", "DELETE", "search_product_labels", _COUNT_LABEL_OUT),
    _trigger(
        "search_label_counts_update",
        "UPDATE",
        "search_product_labels",
        _COUNT_LABEL_OUT,
        _COUNT_LABEL_IN,
    ),
]
# Both databases: the label rows' index in group order (matrix of one label: 8.0 → 3.1 ms for
# the 15,000 rows of `gi`; a page of one label in one province: 4.0 → 1.1 ms).
_VERSION_3_LABEL_INDEX = [
    "DROP INDEX ix_search_product_labels_facets",
    "CREATE INDEX ix_search_product_labels_facets ON search_product_labels (label,"
    " province_code, category, key_assistance, in_stock, min_price_fen, county_code,"
    " valid_until, valid_from)",
]
_VERSION_3_LABEL_INDEX_DOWN = [
    "DROP INDEX ix_search_product_labels_facets",
    "CREATE INDEX ix_search_product_labels_facets ON search_product_labels (label,"
    " valid_until, province_code, category, key_assistance, in_stock, min_price_fen,"
    " county_code, valid_from)",
]
_VERSION_3_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_label_counts_insert",
    "DROP TRIGGER IF EXISTS search_label_counts_delete",
    "DROP TRIGGER IF EXISTS search_label_counts_update",
    "DROP TRIGGER IF EXISTS search_product_counts_insert",
    "DROP TRIGGER IF EXISTS search_product_counts_delete",
    "DROP TRIGGER IF EXISTS search_product_counts_update",
    "DROP TABLE IF EXISTS search_label_counts",
    "DROP TABLE IF EXISTS search_label_counts_day",
    "DROP TABLE IF EXISTS search_product_counts",
]


def _check_dialect(dialect_name: str) -> None:
    if dialect_name not in ("sqlite", "postgresql"):
        raise ValueError(f"the embedded search index does not support {dialect_name!r}")


def create_ddl(dialect_name: str) -> list[str]:
    """Every version's statements in order: the current schema on an empty database."""
    return [
        statement
        for version in range(1, SCHEMA_VERSION + 1)
        for statement in upgrade_ddl(dialect_name, version)
    ]


def upgrade_ddl(dialect_name: str, version: int = 1) -> list[str]:
    """Statements bringing the embedded index to schema `version` from the one before (1:
    creating it) on this database."""
    if version == 2:
        _check_dialect(dialect_name)
        return list(_VERSION_2)
    if version == 3:
        _check_dialect(dialect_name)
        summaries = _VERSION_3_SQLITE if dialect_name == "sqlite" else []
        return [*_VERSION_3_LABEL_INDEX, *summaries]
    if version != 1:
        raise ValueError(f"no schema version {version}")
    if dialect_name == "sqlite":
        return [*_common_ddl("INTEGER", "DATETIME"), *_SQLITE_FTS]
    if dialect_name == "postgresql":
        return [*_common_ddl("BIGINT", "TIMESTAMP WITH TIME ZONE"), *_POSTGRES_VECTORS]
    raise ValueError(f"the embedded search index does not support {dialect_name!r}")


def downgrade_ddl(dialect_name: str, version: int = 1) -> list[str]:
    """Statements undoing upgrade_ddl(dialect_name, version)."""
    if version == 2:
        _check_dialect(dialect_name)
        return list(_VERSION_2_DOWN)
    if version == 3:
        _check_dialect(dialect_name)
        summaries = _VERSION_3_SQLITE_DOWN if dialect_name == "sqlite" else []
        return [*summaries, *_VERSION_3_LABEL_INDEX_DOWN]
    if version != 1:
        raise ValueError(f"no schema version {version}")
    tables = [f"DROP TABLE IF EXISTS {name}" for name in reversed(TABLE_NAMES)]
    if dialect_name == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS search_products_fts_update",
            "DROP TRIGGER IF EXISTS search_products_fts_delete",
            "DROP TRIGGER IF EXISTS search_products_fts_insert",
            f"DROP TABLE IF EXISTS {FTS_TABLE}",
            *tables,
        ]
    if dialect_name == "postgresql":
        return [
            f"DROP TABLE IF EXISTS {VECTORS_TABLE}",
            *tables,  # the trigger goes with its table
            f"DROP FUNCTION IF EXISTS {VECTORS_FUNCTION}()",
        ]
    raise ValueError(f"the embedded search index does not support {dialect_name!r}")


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
