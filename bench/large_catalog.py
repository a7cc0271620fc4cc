"""A catalogue of 100,000 products for the page benchmarks: the demo catalogue topped up with
bench/search.py's generated products (real specialties of the 832 counties, deterministic).

The demo (`seed_demo_data`) brings the suppliers, logins, photos and organisations the pages
show; `top_up` adds generated products until the catalogue holds `total`, each with one SKU,
sold by the demo's verified cooperative of its county or, where the county has none, by a
cooperative made for it, then rebuilds the search index. Rows are written in bulk (a statement
per thousand rows), as the demo seeder writes its own.
"""

from __future__ import annotations

import html
import random
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, text

from app.catalog.indexing import rebuild_index
from app.catalog.models import Category, Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.demo.label_facts import food_licence_number, shelf_life_and_storage
from app.demo.people import cooperative_credit_code
from app.regions.models import County
from bench.search import generate
from search import ProductDocument
from search.embedded.backend import EmbeddedBackend

# Rows per INSERT: SQLite takes at most 32,766 bound parameters per statement.
CHUNK = 1_000
SLUG_PREFIX = "gen-"
STOCK = 500


def _chunks(rows: Sequence[dict[str, Any]]) -> list[Sequence[dict[str, Any]]]:
    return [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]


async def _cooperatives(database: Database, docs: Sequence[ProductDocument]) -> dict[str, int]:
    """A verified cooperative per county of `docs`: the demo's first, else one made for it."""
    async with unit_of_work(database.writer) as session:
        known = set(await session.scalars(select(County.code)))
        rows = await session.execute(
            select(Cooperative.county_code, func.min(Cooperative.id))
            .where(Cooperative.status == SupplierStatus.VERIFIED)
            .group_by(Cooperative.county_code)
        )
        found: dict[str, int] = {county: ident for county, ident in rows}
        missing = sorted({d.county_code for d in docs if d.county_code in known} - set(found))
        rng = random.Random(f"bench-cooperatives-{len(missing)}")
        now = utcnow()
        new = [
            {
                "name": next(d.cooperative_name for d in docs if d.county_code == county),
                "kind": SupplierKind.COOPERATIVE,
                "credit_code": cooperative_credit_code(rng, county),
                "county_code": county,
                "contact_name": "王经理",
                "contact_phone": "13800138000",
                "households_supported": 30,
                "status": SupplierStatus.VERIFIED,
                "verified_at": now,
            }
            for county in missing
        ]
        for chunk in _chunks(new):
            await session.execute(insert(Cooperative), list(chunk))
        rows = await session.execute(
            select(Cooperative.county_code, Cooperative.id).where(
                Cooperative.county_code.in_(missing)
            )
        )
        found.update({county: ident for county, ident in rows})
    return found


async def top_up(database: Database, total: int) -> int:
    """Add generated products until the catalogue holds `total`; returns how many were added."""
    async with unit_of_work(database.reader) as session:
        present = int(await session.scalar(select(func.count()).select_from(Product)) or 0)
    wanted = total - present
    if wanted <= 0:
        return 0
    started = time.monotonic()
    docs, _ = generate(wanted)
    cooperatives = await _cooperatives(database, docs)
    docs = [d for d in docs if d.county_code in cooperatives]
    async with unit_of_work(database.writer) as session:
        licensed = set(
            await session.scalars(select(Category.code).where(Category.requires_food_licence))
        )
        for chunk_start in range(0, len(docs), CHUNK):
            chunk = docs[chunk_start : chunk_start + CHUNK]
            await session.execute(
                insert(Product),
                [
                    {
                        "cooperative_id": cooperatives[d.county_code],
                        "slug": f"{SLUG_PREFIX}{d.id}",
                        "title": d.title[:120],
                        "description_html": f"<p>{html.escape(d.description_text)}</p>",
                        "category_code": d.category,
                        "unit": d.unit[:30],
                        "status": ProductStatus.ACTIVE,
                        **shelf_life_and_storage(d.category),
                        "food_licence_number": food_licence_number(d.county_code, d.id)
                        if d.category in licensed
                        else None,
                        "min_price_fen": d.min_price_fen,
                        "in_stock": d.in_stock,
                        "published_at": d.published_at,
                    }
                    for d in chunk
                ],
            )
            ids = dict(
                (
                    await session.execute(
                        select(Product.slug, Product.id).where(
                            Product.slug.in_([f"{SLUG_PREFIX}{d.id}" for d in chunk])
                        )
                    )
                ).all()
            )
            await session.execute(
                insert(Sku),
                [
                    {
                        "product_id": ids[f"{SLUG_PREFIX}{d.id}"],
                        "code": f"GEN-{d.id:07d}",
                        "name": d.unit[:100],
                        "price_fen": max(1, d.min_price_fen),
                        "stock": STOCK if d.in_stock else 0,
                        "weight_grams": 1_000,
                        "min_qty": 1,
                    }
                    for d in chunk
                ],
            )
    async with unit_of_work(database.writer) as session:
        await session.execute(text("ANALYZE"))
    print(f"  {len(docs):,} generated products written in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    report = await rebuild_index(
        database.writer, EmbeddedBackend(database.writer, reader=database.reader)
    )
    print(f"  search index rebuilt in {time.monotonic() - started:.0f} s ({report})", flush=True)
    return len(docs)
