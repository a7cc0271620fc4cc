"""Keeping the search index in step with the catalog: outbox jobs, documents, full rebuilds."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.catalog.models import Brand, Category, Product, ProductCertificate, ProductStatus, Sku
from app.catalog.repository.brands import in_brand_region
from app.catalog.schemas import brand_label, rating_milli
from app.certification.models import Certificate, CertificateStatus
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.cache import Caches
from app.core.clock import china_date, utcnow
from app.jobs.models import Job, JobStatus
from app.jobs.service import enqueue
from app.regions.models import County, Prefecture, Province
from search import ProductDocument, SearchBackend
from search.embedded.backend import EmbeddedBackend

REINDEX_JOB = "catalog.reindex_products"
# Products per statement and per index() call of a full rebuild.
REINDEX_BATCH = 500
_SESSION_KEY = "catalog.reindex_job"
_TAGS = re.compile(r"<[^>]*>")

# Generations of the app's caches (app.core.cache) that catalog writes bump: whatever the
# listing cached under an older count is never served again. Each process counts its own;
# another process's writes show when the cached entries expire (docs/adr/0006-caching.md).
# Bumped whenever the index is written: search results cached before are stale.
INDEX_GENERATION = "catalog.search_index"
# Bumped by every catalog write (when it is made and again when it commits): listing pages
# cached before are stale.
CATALOG_GENERATION = "catalog.products"


def index_changed(session: AsyncSession | Session) -> None:
    """The index was written through (or alongside) `session`: its app's cached results go."""
    caches = Caches.of(session)
    if caches is not None:
        caches.generations.bump(INDEX_GENERATION)


def catalog_changed(session: AsyncSession | Session) -> None:
    """The catalog was written through `session`: its app's cached listing pages go."""
    caches = Caches.of(session)
    if caches is not None:
        caches.generations.bump(CATALOG_GENERATION)


def backend_for(session: AsyncSession, search: SearchBackend | None) -> SearchBackend:
    """The index a job writes: an external one (Meilisearch) as it is, the embedded one
    inside the job's `session` (None: the embedded index of the session's database)."""
    if search is None:
        return EmbeddedBackend(async_sessionmaker(session.bind)).in_session(session)
    if isinstance(search, EmbeddedBackend):
        return search.in_session(session)
    return search


# ---------------------------------------------------------------------------------------------
# Enqueueing


async def enqueue_reindex(
    session: AsyncSession,
    *,
    product_ids: Iterable[int] = (),
    cooperative_id: int | None = None,
    texts_as_indexed: bool = False,
) -> None:
    """Ask for these products to be reindexed when this transaction commits.

    One job per transaction: later calls in the same transaction add to the pending job's
    payload instead of writing another row (a form that changes five SKUs makes one job).
    `texts_as_indexed`: nothing of their texts changed (a rating did), so the index may keep
    their tokens (SearchBackend.index); the job does so only if every call asked it.
    """
    catalog_changed(session)
    if not event.contains(session.sync_session, "after_commit", catalog_changed):
        # Again once committed: a listing read between the write and its commit is dropped.
        event.listen(session.sync_session, "after_commit", catalog_changed)
    # The root transaction of the session (None before its first statement).
    transaction = session.sync_session.get_transaction()
    pending: tuple[Any, Job] | None = session.info.get(_SESSION_KEY)
    ids = set(product_ids)
    coops = {cooperative_id} if cooperative_id is not None else set()
    if (
        pending is not None
        and pending[0] is transaction
        and pending[1].status == JobStatus.PENDING
        and pending[1] in session
    ):
        job = pending[1]
        payload = job.payload
        # A new dict: the JSON column notices reassignment, not mutation.
        # Written by _payload: both lists are there.
        job.payload = _payload(
            set(payload["product_ids"]) | ids,
            set(payload["cooperative_ids"]) | coops,
            texts_as_indexed=texts_as_indexed and payload.get("texts_as_indexed") is True,
        )
        await session.flush()
        return
    job = await enqueue(
        session, REINDEX_JOB, _payload(ids, coops, texts_as_indexed=texts_as_indexed)
    )
    session.info[_SESSION_KEY] = (session.sync_session.get_transaction(), job)


def _payload(
    product_ids: set[int], cooperative_ids: set[int], *, texts_as_indexed: bool
) -> dict[str, Any]:
    """A reindex job's payload; a supplier's products are reindexed whole."""
    payload: dict[str, Any] = {
        "product_ids": sorted(product_ids),
        "cooperative_ids": sorted(cooperative_ids),
    }
    if texts_as_indexed and not cooperative_ids:
        payload["texts_as_indexed"] = True
    return payload


def payload_targets(payload: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(product ids, cooperative ids) of a job's payload; other domains send `cooperative_id`."""
    products = [int(i) for i in payload.get("product_ids", [])]
    cooperatives = [int(i) for i in payload.get("cooperative_ids", [])]
    if payload.get("cooperative_id") is not None:
        cooperatives.append(int(payload["cooperative_id"]))
    return products, cooperatives


# ---------------------------------------------------------------------------------------------
# Documents


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the app stores UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def description_text(description_html: str) -> str:
    """The sanitised description as plain text, for matching."""
    return " ".join(html.unescape(_TAGS.sub(" ", description_html)).split())


async def _listed_rows(session: AsyncSession, ids: Sequence[int]) -> list[Any]:
    max_price = (
        select(Sku.product_id, func.max(Sku.price_fen).label("max_price"))
        .where(Sku.product_id.in_(ids), Sku.is_active.is_(True))
        .group_by(Sku.product_id)
        .subquery()
    )
    query = (
        select(
            Product.id,
            Product.title,
            Product.description_html,
            Product.category_code,
            Category.name_zh,
            Product.unit,
            Cooperative.id,
            Cooperative.name,
            County.code,
            County.name,
            Prefecture.name,
            Province.code,
            Province.name,
            County.key_assistance,
            Product.min_price_fen,
            max_price.c.max_price,
            Product.in_stock,
            Product.published_at,
            Product.created_at,
            Product.rating_sum,
            Product.rating_count,
            Brand.id,
            Brand.name,
            Brand.required_certificate_kind,
        )
        .join(Category, Product.category_code == Category.code)
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .join(County, Cooperative.county_code == County.code)
        .join(Prefecture, County.prefecture_code == Prefecture.code)
        .join(Province, County.province_code == Province.code)
        .outerjoin(max_price, max_price.c.product_id == Product.id)
        .outerjoin(Brand, and_(Brand.id == Product.brand_id, in_brand_region()))
        .where(
            Product.id.in_(ids),
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
        .order_by(Product.id)
    )
    return list((await session.execute(query)).all())


async def _label_validity(
    session: AsyncSession, ids: Sequence[int], today: date
) -> dict[int, dict[str, tuple[date, date]]]:
    """Each product's labels with (first, last) valid day: the period of its verified
    certificates of that kind that holds today, or else the next one to start (the index
    decides on each search whether the day falls in it). Periods that overlap or touch are
    one; a later, separate period waits for the next reindex, so a gap never shows a label."""
    rows = await session.execute(
        select(
            ProductCertificate.product_id,
            Certificate.kind,
            Certificate.valid_from,
            Certificate.valid_until,
        )
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(
            ProductCertificate.product_id.in_(ids),
            Certificate.status == CertificateStatus.VERIFIED,
            Certificate.valid_until >= today,
        )
        .order_by(ProductCertificate.product_id, Certificate.kind, Certificate.valid_from)
    )
    labels: dict[int, dict[str, tuple[date, date]]] = {}
    closed: set[tuple[int, str]] = set()
    for product_id, kind, start, until in rows:
        key, periods = (product_id, str(kind)), labels.setdefault(product_id, {})
        if key in closed:
            continue
        current = periods.get(key[1])
        if current is None:
            periods[key[1]] = (start, until)
        elif start <= current[1] + timedelta(days=1):
            periods[key[1]] = (current[0], max(current[1], until))
        else:
            closed.add(key)
    return labels


async def product_documents(
    session: AsyncSession, ids: Collection[int], today: date
) -> tuple[list[ProductDocument], list[int]]:
    """Documents of the listed products among `ids`, and the ids that are not listed."""
    wanted = sorted(set(ids))
    if not wanted:
        return [], []
    rows = await _listed_rows(session, wanted)
    labels = await _label_validity(session, [row[0] for row in rows], today)
    docs: list[ProductDocument] = []
    for row in rows:
        product_id = row[0]
        periods = dict(labels.get(product_id, {}))
        text = description_text(row[2])
        brand_id, brand_name, required = row[21], row[22], row[23]
        if brand_id is not None:
            # The brand is a label of its own, valid while its required certificate is (no
            # expiry without one); its name is matched like the description's words.
            period = periods.get(str(required)) if required is not None else None
            if required is None or period is not None:
                brand = brand_label(brand_id)
                if period is not None:
                    periods[brand] = period
                else:
                    periods[brand] = (date.min, date.max)
                text = f"{brand_name} {text}"
        docs.append(
            ProductDocument(
                id=product_id,
                title=row[1],
                description_text=text,
                category=row[3],
                category_label=row[4],
                unit=row[5],
                cooperative_id=row[6],
                cooperative_name=row[7],
                county_code=row[8],
                county_name=row[9],
                prefecture_name=row[10],
                province_code=row[11],
                province_name=row[12],
                key_assistance=bool(row[13]),
                labels=sorted(periods),
                min_price_fen=row[14],
                max_price_fen=max(row[14], row[15] or 0),
                in_stock=bool(row[16]),
                published_at=_aware(row[17] or row[18]),
                label_valid_until={
                    kind: until for kind, (_, until) in periods.items() if until != date.max
                },
                label_valid_from={
                    kind: start for kind, (start, _) in periods.items() if start != date.min
                },
                rating_milli=rating_milli(row[19], row[20]),
                rating_count=row[20],
            )
        )
    listed = {doc.id for doc in docs}
    return docs, [i for i in wanted if i not in listed]


async def _ids_of(
    session: AsyncSession, product_ids: Sequence[int], cooperative_ids: Sequence[int]
) -> list[int]:
    ids = set(product_ids)
    if cooperative_ids:
        ids.update(
            await session.scalars(
                select(Product.id).where(Product.cooperative_id.in_(sorted(set(cooperative_ids))))
            )
        )
    return sorted(ids)


async def reindex_products(
    session: AsyncSession,
    backend: SearchBackend,
    *,
    product_ids: Sequence[int] = (),
    cooperative_ids: Sequence[int] = (),
    texts_as_indexed: bool,
    today: date | None = None,
) -> tuple[int, int]:
    """Index the listed products among these and delete the others; (indexed, deleted).
    `texts_as_indexed`: only their stock changed since they were last indexed (the search
    backend may keep the tokens of their texts, SearchBackend.index)."""
    today = today or china_date(utcnow())
    ids = await _ids_of(session, product_ids, cooperative_ids)
    indexed = deleted = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        docs, gone = await product_documents(session, ids[start : start + REINDEX_BATCH], today)
        if docs:
            await backend.index(docs, texts_as_indexed=texts_as_indexed)
        if gone:
            await backend.delete(gone)
        indexed, deleted = indexed + len(docs), deleted + len(gone)
    index_changed(session)
    return indexed, deleted


# ---------------------------------------------------------------------------------------------
# Full rebuild


@dataclass(frozen=True)
class RebuildReport:
    indexed: int
    backend: str

    def __str__(self) -> str:
        return f"search index ({self.backend}): {self.indexed} products indexed"


async def rebuild_index(
    sessions: async_sessionmaker[AsyncSession],
    backend: SearchBackend,
    *,
    today: date | None = None,
    batch: int = REINDEX_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> RebuildReport:
    """Empty the index and index every listed product in batches; `progress(done, total)`."""
    today = today or china_date(utcnow())
    async with sessions() as listing:
        ids = list(
            await listing.scalars(
                select(Product.id)
                .join(Cooperative, Product.cooperative_id == Cooperative.id)
                .where(
                    Product.status == ProductStatus.ACTIVE,
                    Cooperative.status == SupplierStatus.VERIFIED,
                )
                .order_by(Product.id)
            )
        )
    await backend.ensure_ready()
    await backend.clear()
    # The app that made these sessions, if any, drops its cached results (again at the end).
    index_changed(listing)
    done = 0
    if progress is not None:
        progress(0, len(ids))
    for start in range(0, len(ids), batch):
        async with sessions() as session:
            docs, _gone = await product_documents(session, ids[start : start + batch], today)
        await backend.index(docs)
        done += len(docs)
        if progress is not None:
            progress(min(start + batch, len(ids)), len(ids))
    index_changed(listing)
    return RebuildReport(indexed=done, backend=backend.name)
