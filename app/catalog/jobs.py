"""Outbox handlers of the catalog: keeping the search index in step with the catalog."""

from __future__ import annotations

import logging
from typing import Any

from app.catalog import indexing
from app.jobs.registry import JobContext, job

log = logging.getLogger(__name__)


@job(indexing.REINDEX_JOB)
async def reindex_products(context: JobContext, payload: dict[str, Any]) -> None:
    """Rebuild the documents of the payload's products (or a supplier's); delete unlisted ones.
    A payload with `texts_as_indexed` (inventory's, when products sell out or come back in
    stock) keeps the tokens of their texts.

    Idempotent: it reads the catalog as it is now, so a retry or a late run is harmless.
    """
    product_ids, cooperative_ids = indexing.payload_targets(payload)
    backend = indexing.backend_for(context.session, context.search)
    indexed, deleted = await indexing.reindex_products(
        context.session,
        backend,
        product_ids=product_ids,
        cooperative_ids=cooperative_ids,
        texts_as_indexed=payload.get("texts_as_indexed") is True,
    )
    log.info("search: %s products indexed, %s removed", indexed, deleted)
