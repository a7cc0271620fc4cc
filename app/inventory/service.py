"""Use cases of the inventory domain: atomic stock reservation, release and restocking.

`SkuStock.stock` (a column of the catalog's SKU rows) is what can still be sold. Placing an
order takes its units off at once (reserve_stock); cancelling or expiring an unpaid order puts
them back (release_stock); a supplier's new stock figure is written with set_stock. Each change
is logged as a StockMovement and the product's in_stock follows in the same transaction, as
does the reindex of a product whose in_stock flipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes

from app.core.cache import wrote_tables
from app.core.clock import utcnow
from app.core.commit_with import DeferredWrites, StatementFailed, can_commit_with
from app.inventory import repository
from app.inventory.errors import InsufficientStock, InvalidStockChange, SkuNotFound
from app.inventory.models import MovementReason, ProductStock, SkuStock, StockMovement
from app.jobs.service import enqueue

# Handled by the catalog (a higher domain), named rather than imported.
REINDEX_PRODUCTS_JOB = "catalog.reindex_products"
MAX_STOCK = 1_000_000_000
MAX_NOTE_LENGTH = 200
# At or below this many units left, a sale shows at once on every page (see
# _show_low_stock_at_once); above it, within the page caches' lifetime (a few seconds).
LOW_STOCK = 20
_RELEASE_REASONS = frozenset({MovementReason.RELEASED, MovementReason.RETURNED})


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _merged(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Quantities per SKU (a SKU named twice counts once, summed); each must be a positive int."""
    wanted: dict[int, int] = {}
    for sku_id, quantity in items:
        if not _is_count(sku_id) or sku_id < 1:
            raise InvalidStockChange(f"{sku_id!r} is not a SKU id.", field="sku_id")
        if not _is_count(quantity) or not 1 <= quantity <= MAX_STOCK:
            raise InvalidStockChange(f"{quantity!r} is not a positive whole quantity.")
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    return wanted


def _copy_to_loaded(session: AsyncSession, model: type[Any], key: int, **values: Any) -> None:
    """Keep an object this session already holds in step with a bulk UPDATE, without a query.

    The row is held as an object of the class extending `model` (the catalog's Sku or Product),
    which, without a discriminator, is an identity of its own: each class is looked up.
    """
    for mapper in inspect(model).self_and_descendants:
        loaded = session.identity_map.get(mapper.identity_key_from_primary_key((key,)))
        if loaded is not None:
            for name, value in values.items():
                attributes.set_committed_value(loaded, name, value)


def _show_low_stock_at_once(
    session: AsyncSession, stock_figures: Iterable[tuple[int, int]]
) -> None:
    """A sale bumps only its own generation (repository.SALES_GENERATION), so that pages kept
    for every visitor are not rebuilt at each order of a busy product; but where little is
    (or was) left, a buyer choosing a quantity sees every change at once on the pages that
    show the product's figures (repository.stock_figures_generation). `stock_figures`:
    (product id, figure) of each SKU sold or released."""
    low = {
        repository.stock_figures_generation(product_id)
        for product_id, figure in stock_figures
        if figure <= LOW_STOCK
    }
    if low:
        wrote_tables(session, sorted(low))


async def _refresh_products(session: AsyncSession, product_ids: set[int]) -> None:
    """Recompute in_stock; a product whose value flipped is reindexed with this transaction
    (the in-stock filter of search reads the index). A sale that leaves stock changes nothing
    the index holds, so it enqueues nothing."""
    flipped = await repository.refresh_in_stock(session, product_ids)
    for product_id, in_stock in flipped:
        _copy_to_loaded(session, ProductStock, product_id, in_stock=in_stock)
    if flipped:
        # Their own pages show whether they are in stock, and follow these generations.
        wrote_tables(
            session,
            sorted({repository.stock_figures_generation(product_id) for product_id, _ in flipped}),
        )
        # Only their stock changed: the index keeps the tokens of their texts, and a worker
        # reindexing a sell-out needs no text dictionaries (~90 MB).
        await enqueue(
            session,
            REINDEX_PRODUCTS_JOB,
            {
                "product_ids": sorted(product_id for product_id, _ in flipped),
                "texts_as_indexed": True,
            },
        )


async def reserve_stock(
    session: AsyncSession,
    items: Sequence[tuple[int, int]],
    *,
    order_id: int,
    savepoint: bool = True,
) -> None:
    """Take (sku_id, quantity) off stock for an order, all or nothing.

    One conditional UPDATE per SKU, in ascending SKU id so that concurrent orders lock rows
    in the same order (no deadlock). A SKU that is short raises InsufficientStock (409) after
    rolling back this call's own changes (a savepoint), so the caller's transaction stays
    usable and no other SKU of the order keeps a reservation. `savepoint=False` when the
    caller's own savepoint, rolled back on that error, already encloses the call (checkout).
    """
    wanted = _merged(items)
    if not wanted:
        return
    taken: list[tuple[int, int, int]] = []  # sku_id, product_id, stock left
    async with session.begin_nested() if savepoint else contextlib.nullcontext():
        for sku_id, quantity in sorted(wanted.items()):
            result = await repository.take_stock(session, sku_id, quantity)
            if result is None:
                available = await repository.current_stock(session, sku_id)
                if available is None:
                    raise SkuNotFound(sku_id)
                raise InsufficientStock(sku_id=sku_id, requested=quantity, available=available)
            taken.append((sku_id, *result))
        await repository.add_movements(
            session,
            [
                {
                    "sku_id": sku_id,
                    "delta": -wanted[sku_id],
                    "reason": MovementReason.RESERVED,
                    "order_id": order_id,
                }
                for sku_id, _product_id, _left in taken
            ],
        )
        # Only a SKU that ran out can turn its product out of stock.
        await _refresh_products(session, {product for _sku, product, left in taken if left == 0})
    _show_low_stock_at_once(session, [(product, left) for _sku, product, left in taken])
    for sku_id, _product_id, left in taken:
        _copy_to_loaded(session, SkuStock, sku_id, stock=left)


async def reserve_stock_and_commit(
    session: AsyncSession,
    items: Sequence[tuple[int, int]],
    *,
    order_id: int,
    sent_first: DeferredWrites | None = None,
) -> None:
    """Reserve as reserve_stock does, as the last step of the caller's transaction, and
    commit it (a 409 commits nothing: the caller rolls back). The writes held in
    `sent_first` are sent before the reservation.

    On PostgreSQL the reservation is one statement sent with the COMMIT (ADR 0017), and the
    writes held go with it: a hot SKU's row stays locked only while the server runs it, not
    across two round trips to a busy process. A reservation that would leave a SKU with
    nothing (its product's in_stock and reindex follow), or finds one short or missing,
    takes the usual path.
    """
    wanted = _merged(items)
    if wanted and can_commit_with(session):
        try:
            taken = await repository.take_stock_and_commit(
                session, wanted, order_id=order_id, at=utcnow(), sent_first=sent_first
            )
        except StatementFailed:
            pass  # nothing of it done: the usual path decides
        else:
            # Committed: pages keep showing a sale within their lifetime, or at once if low.
            wrote_tables(session, [repository.SALES_GENERATION, "stock_movements"])
            _show_low_stock_at_once(session, [(product, left) for _sku, product, left in taken])
            for sku_id, _product_id, left in taken:
                _copy_to_loaded(session, SkuStock, sku_id, stock=left)
            return
    if sent_first is not None:
        await sent_first.send(session)  # nothing when the failed try above sent them
    await reserve_stock(session, items, order_id=order_id, savepoint=False)
    await session.commit()


async def release_stock(
    session: AsyncSession,
    items: Sequence[tuple[int, int]],
    *,
    order_id: int,
    reason: MovementReason,
) -> None:
    """Put (sku_id, quantity) back on stock: an unpaid order cancelled or expired (RELEASED),
    or a refunded line returned (RETURNED).

    Not idempotent by itself: the caller releases once, guarded by its own state change (the
    order leaving pending_payment, a refund recorded). A SKU deleted since is skipped.
    """
    if reason not in _RELEASE_REASONS:
        raise ValueError(f"stock is released as {sorted(_RELEASE_REASONS)}, not {reason}")
    wanted = _merged(items)
    returned: list[tuple[int, int, int]] = []
    for sku_id, quantity in sorted(wanted.items()):
        result = await repository.give_back_stock(session, sku_id, quantity)
        if result is not None:
            returned.append((sku_id, *result))
    await repository.add_movements(
        session,
        [
            {"sku_id": sku_id, "delta": wanted[sku_id], "reason": reason, "order_id": order_id}
            for sku_id, _product_id, _stock in returned
        ],
    )
    # Only a SKU that had run out can bring its product back in stock.
    await _refresh_products(
        session,
        {product for sku_id, product, stock in returned if stock == wanted[sku_id]},
    )
    _show_low_stock_at_once(
        session, [(product, stock - wanted[sku_id]) for sku_id, product, stock in returned]
    )
    for sku_id, _product_id, stock in returned:
        _copy_to_loaded(session, SkuStock, sku_id, stock=stock)


async def set_stock(
    session: AsyncSession, sku: SkuStock, new_stock: int, *, note: str | None = None
) -> StockMovement | None:
    """Set a SKU's sellable stock (the supplier's count), logged as a RESTOCKED movement.

    The row is locked while the difference is computed, so a reservation running at the same
    moment is neither lost nor counted twice. Returns the movement, or None when unchanged.
    Call it instead of assigning `sku.stock`: a pending assignment would be flushed first.
    """
    if not _is_count(new_stock) or not 0 <= new_stock <= MAX_STOCK:
        raise InvalidStockChange(
            f"Stock must be a whole number from 0 to {MAX_STOCK}.", field="stock"
        )
    locked = await repository.lock_stock(session, sku.id)
    if locked is None:
        raise SkuNotFound(sku.id)
    product_id, current = locked
    delta = new_stock - current
    if delta == 0:
        attributes.set_committed_value(sku, "stock", current)
        return None
    await repository.write_stock(session, sku.id, new_stock)
    attributes.set_committed_value(sku, "stock", new_stock)
    movement = StockMovement(
        sku_id=sku.id,
        delta=delta,
        reason=MovementReason.RESTOCKED,
        note=(note or None) and note[:MAX_NOTE_LENGTH],
    )
    session.add(movement)
    await session.flush()
    if (current == 0) != (new_stock == 0):
        await _refresh_products(session, {product_id})
    return movement
