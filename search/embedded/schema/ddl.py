"""The DDL of the embedded index per schema version and dialect, which the app's Alembic
migrations run: SQLite's FTS5 table with its triggers, PostgreSQL's tsvectors with theirs."""

from __future__ import annotations

from search.embedded.schema.facet_summaries import (
    VERSION_3_LABEL_INDEX,
    VERSION_3_LABEL_INDEX_DOWN,
    VERSION_3_SQLITE,
    VERSION_3_SQLITE_DOWN,
)
from search.embedded.schema.postgres_labels import VERSION_6_POSTGRES, VERSION_6_POSTGRES_DOWN
from search.embedded.schema.postgres_summaries import VERSION_5_POSTGRES, VERSION_5_POSTGRES_DOWN
from search.embedded.schema.tables import FTS_TABLE, TABLE_NAMES, VECTORS_FUNCTION, VECTORS_TABLE

SCHEMA_VERSION = 6


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


# Version 4: the average rating and the number of reviews, for the listing's sort by rating.
_VERSION_4 = [
    "ALTER TABLE search_products ADD COLUMN rating_milli BIGINT DEFAULT '0' NOT NULL",
    "ALTER TABLE search_products ADD COLUMN rating_count BIGINT DEFAULT '0' NOT NULL",
    "CREATE INDEX ix_search_products_rating ON search_products (rating_milli, rating_count,"
    " id, key_assistance, province_code, category, in_stock, min_price_fen, county_code)",
]
_VERSION_4_DOWN = [
    "DROP INDEX ix_search_products_rating",
    "ALTER TABLE search_products DROP COLUMN rating_count",
    "ALTER TABLE search_products DROP COLUMN rating_milli",
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
        summaries = VERSION_3_SQLITE if dialect_name == "sqlite" else []
        return [*VERSION_3_LABEL_INDEX, *summaries]
    if version == 4:
        _check_dialect(dialect_name)
        return list(_VERSION_4)
    if version == 5:  # PostgreSQL: summaries and the matches' columns (SQLite has its own)
        _check_dialect(dialect_name)
        return list(VERSION_5_POSTGRES) if dialect_name == "postgresql" else []
    if version == 6:  # PostgreSQL: the labels beside the vectors (SQLite: nothing to do)
        _check_dialect(dialect_name)
        return list(VERSION_6_POSTGRES) if dialect_name == "postgresql" else []
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
        summaries = VERSION_3_SQLITE_DOWN if dialect_name == "sqlite" else []
        return [*summaries, *VERSION_3_LABEL_INDEX_DOWN]
    if version == 4:
        _check_dialect(dialect_name)
        return list(_VERSION_4_DOWN)
    if version == 5:
        _check_dialect(dialect_name)
        return list(VERSION_5_POSTGRES_DOWN) if dialect_name == "postgresql" else []
    if version == 6:
        _check_dialect(dialect_name)
        return list(VERSION_6_POSTGRES_DOWN) if dialect_name == "postgresql" else []
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
