"""Schema version 5 (PostgreSQL), as frozen DDL statements: the facet summaries of version 3
kept by statement triggers, and the text matches' filter and sort columns on the vectors.

Measured on 100,000 products (bench/search.py): a listing without text counted its facets by
reading the whole facet index (100,000 entries, 20–40 ms); from the summaries it reads a few
thousand rows. A text query joined each match to search_products twice (counts, then page:
9,211 index probes for 茶); with the columns beside the vectors, one GIN search gives every
match with what its counts and its order need, and counts and page come in one statement.
"""

# ruff: noqa: S608 - DDL assembled from this module's constant column names, no input

_KEY = "province_code, category, county_code, key_assistance, in_stock"
_SAME_KEY = " AND ".join(f"c.{column} = d.{column}" for column in _KEY.split(", "))
_SAME_LABEL_KEY = f"c.label = d.label AND {_SAME_KEY}"
# A label row counts only if it holds on the summary's day (see facet_summaries.py).
_HOLDS_ON_DAY = """EXISTS (SELECT 1 FROM search_label_counts_day AS summary
            WHERE (r.valid_until IS NULL OR r.valid_until >= summary.day)
            AND (r.valid_from IS NULL OR r.valid_from <= summary.day))"""


def _counts_function(name: str, table: str, key: str, same_key: str, where: str) -> str:
    """A statement trigger's function: the rows a statement removed counted out, those it
    added counted in, a group at a time, in key order. Writers of the index take an advisory
    lock first (EmbeddedBackend), so that two of them never wait on each other's groups."""
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE {table} AS c SET n = c.n - d.n
            FROM (SELECT {key}, count(*) AS n FROM old_rows AS r WHERE {where}
                  GROUP BY {key}) AS d
            WHERE {same_key};
        DELETE FROM {table} AS c USING (SELECT DISTINCT {key} FROM old_rows) AS d
            WHERE c.n <= 0 AND {same_key};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO {table} AS c ({key}, n)
            SELECT {key}, count(*) FROM new_rows AS r WHERE {where}
            GROUP BY {key} ORDER BY {key}
            ON CONFLICT ({key}) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$"""


def _statement_triggers(prefix: str, table: str, function: str) -> list[str]:
    # A trigger with transition tables takes one event.
    return [
        f"CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {prefix}_update AFTER UPDATE ON {table}"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


_SUMMARY_COLUMNS = """province_code VARCHAR(6) NOT NULL,
    category VARCHAR(30) NOT NULL,
    county_code VARCHAR(6) NOT NULL,
    key_assistance BOOLEAN NOT NULL,
    in_stock BOOLEAN NOT NULL,
    n INTEGER NOT NULL"""
# The matches' columns, copied from search_products beside the vectors.
_MATCH_COLUMNS = (
    ("province_code", "VARCHAR(6)"),
    ("category", "VARCHAR(30)"),
    ("county_code", "VARCHAR(6)"),
    ("key_assistance", "BOOLEAN"),
    ("in_stock", "BOOLEAN"),
    ("min_price_fen", "BIGINT"),
    ("published_at", "TIMESTAMP WITH TIME ZONE"),
    ("rating_milli", "BIGINT"),
    ("rating_count", "BIGINT"),
)
MATCH_COLUMN_NAMES = ", ".join(name for name, _ in _MATCH_COLUMNS)
# The two vectors of a texts row, all fields and the title fields, as the refresh functions of
# versions 5 and 6 write them.
VECTORS_OF_NEW = """array_to_tsvector(array_remove(string_to_array(
            NEW.title_tokens || ' ' || NEW.pinyin_tokens || ' ' || NEW.place_tokens
            || ' ' || NEW.gram_tokens || ' ' || NEW.body_tokens, ' '), '')),
        array_to_tsvector(array_remove(string_to_array(
            NEW.title_tokens || ' ' || NEW.pinyin_tokens || ' ' || NEW.gram_tokens, ' '), ''))"""
# Also what version 6 puts back on downgrade.
VECTORS_REFRESH_V5 = f"""CREATE OR REPLACE FUNCTION search_product_vectors_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_product_vectors (id, tsv, title_tsv, {MATCH_COLUMN_NAMES})
    SELECT
        NEW.id,
        {VECTORS_OF_NEW},
        {", ".join(f"p.{name}" for name, _ in _MATCH_COLUMNS)}
    FROM search_products AS p WHERE p.id = NEW.id
    ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv, title_tsv = EXCLUDED.title_tsv,
        {", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _MATCH_COLUMNS)};
    RETURN NULL;
END
$$"""
# The version 1 function, put back on downgrade.
_VECTORS_REFRESH_V1 = """CREATE OR REPLACE FUNCTION search_product_vectors_refresh()
RETURNS trigger LANGUAGE plpgsql AS $$
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
$$"""
# A product row changed in place (the index replaces rows, but an UPDATE stays exact too).
_VECTORS_FOLLOW = f"""CREATE FUNCTION search_product_vectors_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_product_vectors AS v SET
        {", ".join(f"{name} = NEW.{name}" for name, _ in _MATCH_COLUMNS)}
        WHERE v.id = NEW.id;
    RETURN NULL;
END
$$"""

VERSION_5_POSTGRES = [
    f"""CREATE TABLE search_product_counts (
    {_SUMMARY_COLUMNS},
    CONSTRAINT pk_search_product_counts PRIMARY KEY ({_KEY}))""",
    """CREATE TABLE search_label_counts_day (
    id INTEGER NOT NULL CHECK (id = 1),
    day DATE NOT NULL,
    CONSTRAINT pk_search_label_counts_day PRIMARY KEY (id))""",
    f"""CREATE TABLE search_label_counts (
    label VARCHAR(30) NOT NULL,
    {_SUMMARY_COLUMNS},
    CONSTRAINT pk_search_label_counts PRIMARY KEY (label, {_KEY}))""",
    _counts_function(
        "search_product_counts_apply", "search_product_counts", _KEY, _SAME_KEY, "true"
    ),
    *_statement_triggers("search_product_counts", "search_products", "search_product_counts_apply"),
    _counts_function(
        "search_label_counts_apply",
        "search_label_counts",
        f"label, {_KEY}",
        _SAME_LABEL_KEY,
        _HOLDS_ON_DAY,
    ),
    *_statement_triggers(
        "search_label_counts", "search_product_labels", "search_label_counts_apply"
    ),
    f"""INSERT INTO search_product_counts ({_KEY}, n)
    SELECT {_KEY}, count(*) FROM search_products GROUP BY {_KEY}""",
    *(
        f"ALTER TABLE search_product_vectors ADD COLUMN {name} {type_}"
        for name, type_ in _MATCH_COLUMNS
    ),
    f"""UPDATE search_product_vectors AS v SET
    {", ".join(f"{name} = p.{name}" for name, _ in _MATCH_COLUMNS)}
    FROM search_products AS p WHERE p.id = v.id""",
    *(
        f"ALTER TABLE search_product_vectors ALTER COLUMN {name} SET NOT NULL"
        for name, _ in _MATCH_COLUMNS
    ),
    VECTORS_REFRESH_V5,
    _VECTORS_FOLLOW,
    f"""CREATE TRIGGER search_product_vectors_follow
    AFTER UPDATE OF {MATCH_COLUMN_NAMES} ON search_products
    FOR EACH ROW EXECUTE FUNCTION search_product_vectors_follow()""",
]
VERSION_5_POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS search_product_vectors_follow ON search_products",
    "DROP FUNCTION IF EXISTS search_product_vectors_follow()",
    _VECTORS_REFRESH_V1,
    *(
        f"ALTER TABLE search_product_vectors DROP COLUMN IF EXISTS {name}"
        for name, _ in _MATCH_COLUMNS
    ),
    *(
        f"DROP TRIGGER IF EXISTS {prefix}_{event} ON {table}"
        for prefix, table in (
            ("search_label_counts", "search_product_labels"),
            ("search_product_counts", "search_products"),
        )
        for event in ("insert", "delete", "update")
    ),
    "DROP FUNCTION IF EXISTS search_label_counts_apply()",
    "DROP FUNCTION IF EXISTS search_product_counts_apply()",
    "DROP TABLE IF EXISTS search_label_counts",
    "DROP TABLE IF EXISTS search_label_counts_day",
    "DROP TABLE IF EXISTS search_product_counts",
]
