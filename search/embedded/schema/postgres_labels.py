"""Schema version 6 (PostgreSQL), as frozen DDL statements: each product's labels beside its
vectors, with their first and last valid days, kept in step with search_product_labels.

Measured on 100,000 products (bench/search.py, EXPLAIN ANALYZE): 茶 with category=tea and
label=organic joined its 9,211 matches to the label rows three times (the matrix, the label
counts, the page: 48,752 buffers, 41 ms); a broad 茶 hashed all 24,693 valid label rows to
count its labels. With the labels on the match rows, a text query's statement reads the
vectors alone, and its plan has no join for the planner to get wrong when the prepared
statement's generic plan guesses 500 matches for every text (nested loops, 9,211 probes).

Open days are stored as -infinity (first) and infinity (last), so that "holds on day d" is
two comparisons: `valid_from <= d AND valid_until >= d`, the same as the label rows' test
with NULL for open. The arrays are parallel and in label order; a product without labels has
NULL arrays, which its match does not copy (most products have none: 73% in the benchmark's
catalogue, whose three empty arrays cost 2 ms of 茶's 9,211 matches).
"""

# ruff: noqa: S608 - DDL assembled from this module's constant names, no input

from search.embedded.schema.postgres_summaries import (
    MATCH_COLUMN_NAMES,
    VECTORS_OF_NEW,
    VECTORS_REFRESH_V5,
)

_ARRAYS = "labels, label_valid_from, label_valid_until"


def _labels_of(product_id: str) -> str:
    """The label arrays of one product, read from its label rows (NULL without any)."""
    return f"""SELECT
            array_agg(l.label ORDER BY l.label),
            array_agg(coalesce(l.valid_from, '-infinity') ORDER BY l.label),
            array_agg(coalesce(l.valid_until, 'infinity') ORDER BY l.label)
        FROM search_product_labels AS l WHERE l.product_id = {product_id}"""


# A text's vectors row is written with its labels. The index writes a product's labels before
# its texts (EmbeddedBackend.index), so that this one insert is the row's only write.
_VECTORS_REFRESH = f"""CREATE OR REPLACE FUNCTION search_product_vectors_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_product_vectors (id, tsv, title_tsv, {MATCH_COLUMN_NAMES}, {_ARRAYS})
    SELECT
        NEW.id,
        {VECTORS_OF_NEW},
        {", ".join(f"p.{name}" for name in MATCH_COLUMN_NAMES.split(", "))},
        held.labels, held.label_valid_from, held.label_valid_until
    FROM search_products AS p,
        LATERAL ({_labels_of("NEW.id")}) AS held ({_ARRAYS})
    WHERE p.id = NEW.id
    ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv, title_tsv = EXCLUDED.title_tsv,
        {", ".join(f"{name} = EXCLUDED.{name}" for name in MATCH_COLUMN_NAMES.split(", "))},
        {", ".join(f"{name} = EXCLUDED.{name}" for name in _ARRAYS.split(", "))};
    RETURN NULL;
END
$$"""


def _follow(rows: str) -> str:
    return f"""UPDATE search_product_vectors AS v SET ({_ARRAYS}) = ({_labels_of("v.id")})
            WHERE v.id IN (SELECT product_id FROM {rows});"""


# Label rows written after their product's vectors (an UPDATE in place, a label added on its
# own): the products they belong to read their labels again. In the index's own writes the
# vectors do not exist yet (labels are written before texts, and texts deleted before labels),
# so that this finds no row to update.
_VECTORS_LABELS = f"""CREATE FUNCTION search_product_vectors_labels() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        {_follow("old_rows")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_follow("new_rows")}
    END IF;
    RETURN NULL;
END
$$"""

_TRIGGERS = (
    ("insert", "INSERT", "NEW TABLE AS new_rows"),
    ("delete", "DELETE", "OLD TABLE AS old_rows"),
    ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)

VERSION_6_POSTGRES = [
    "ALTER TABLE search_product_vectors ADD COLUMN labels VARCHAR(30)[]",
    "ALTER TABLE search_product_vectors ADD COLUMN label_valid_from DATE[]",
    "ALTER TABLE search_product_vectors ADD COLUMN label_valid_until DATE[]",
    f"""UPDATE search_product_vectors AS v SET ({_ARRAYS}) = ({_labels_of("v.id")})
    WHERE v.id IN (SELECT product_id FROM search_product_labels)""",
    _VECTORS_REFRESH,
    _VECTORS_LABELS,
    *(
        f"CREATE TRIGGER search_product_vectors_labels_{name} AFTER {event}"
        f" ON search_product_labels REFERENCING {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION search_product_vectors_labels()"
        for name, event, tables in _TRIGGERS
    ),
]
VERSION_6_POSTGRES_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS search_product_vectors_labels_{name} ON search_product_labels"
        for name, _, _ in _TRIGGERS
    ),
    "DROP FUNCTION IF EXISTS search_product_vectors_labels()",
    VECTORS_REFRESH_V5,
    *(
        f"ALTER TABLE search_product_vectors DROP COLUMN IF EXISTS {name}"
        for name in _ARRAYS.split(", ")
    ),
]
