"""Use cases of reviews: a buyer reviews delivered lines once, the supplier replies once, an
operator hides. Each product's rating aggregates change in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.catalog import repository as catalog_repository
from app.catalog import service as catalog_service
from app.catalog.errors import ProductNotFound
from app.catalog.indexing import enqueue_reindex
from app.catalog.schemas import RatingSummary, rating_summary
from app.cooperative import repository as cooperative_repository
from app.cooperative.errors import CooperativeNotFound
from app.core.clock import utcnow
from app.core.fields import MAX_ID, has_control_characters
from app.order import repository as order_repository
from app.order.errors import FulfillmentNotFound
from app.order.models import FulfillmentStatus
from app.review import repository
from app.review.errors import (
    FulfillmentNotDelivered,
    InvalidReviewFields,
    ReviewAlreadyReplied,
    ReviewExists,
    ReviewHidden,
    ReviewNotFound,
)
from app.review.models import Review
from app.review.schemas import (
    MAX_REPLY,
    MAX_TEXT,
    OperatorReview,
    OperatorReviews,
    ProductReviews,
    PublicReview,
    ReplyOut,
    ReviewItemIn,
    ReviewOut,
    ReviewsPosted,
    SupplierReview,
    SupplierReviews,
)

HIDE_REASON_MIN, HIDE_REASON_MAX = 2, 200
MAX_PAGE = 10_000


def _text(raw: str, *, max_length: int, min_length: int = 0) -> str | None:
    """The text as stored (stripped), or None when it breaks the rule."""
    text = raw.strip()
    if has_control_characters(text, multiline=True) or not min_length <= len(text) <= max_length:
        return None
    return text


def _reply(review: Review) -> ReplyOut | None:
    if review.reply_text is None or review.replied_at is None:
        return None
    return ReplyOut(text=review.reply_text, created_at=review.replied_at)


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        order_line_id=review.order_line_id,
        product_id=review.product_id,
        rating=review.rating,
        text=review.text,
        created_at=review.created_at,
        reply=_reply(review),
        hidden=review.hidden_at is not None,
    )


async def post_reviews(
    session: AsyncSession, *, buyer: User, fulfillment_id: int, items: Sequence[ReviewItemIn]
) -> ReviewsPosted:
    """Reviews of lines of a delivered parcel of the buyer's: all or none. Another buyer's
    parcel: 404; not delivered: 409; a line reviewed already (even by a request racing this
    one): 409 `review_exists`; a line of another parcel, twice, or a bad text: 422."""
    fulfillment = (
        await order_repository.get_fulfillment(session, fulfillment_id, for_update=True)
        if 1 <= fulfillment_id <= MAX_ID
        else None
    )
    if fulfillment is None or fulfillment.order.buyer_user_id != buyer.id:
        raise FulfillmentNotFound(fulfillment_id)
    lines = {line.id: line for line in fulfillment.lines}
    problems: dict[str, str] = {}
    texts: list[str] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        if item.order_line_id not in lines or item.order_line_id in seen:
            problems[f"items.{index}.order_line_id"] = "not a line of this parcel, or twice"
        seen.add(item.order_line_id)
        text = _text(item.text, max_length=MAX_TEXT)
        if text is None:
            problems[f"items.{index}.text"] = f"at most {MAX_TEXT} characters, no control ones"
        texts.append(text or "")
    if problems:
        raise InvalidReviewFields(problems)
    if fulfillment.status != FulfillmentStatus.DELIVERED:
        raise FulfillmentNotDelivered()
    done = await repository.reviewed_lines(session, seen)
    if done:
        raise ReviewExists(
            {
                f"items.{i}.order_line_id": "reviewed already"
                for i, item in enumerate(items)
                if item.order_line_id in done
            }
        )
    reviews = [
        Review(
            order_line_id=item.order_line_id,
            fulfillment_id=fulfillment.id,
            product_id=lines[item.order_line_id].product_id,
            cooperative_id=fulfillment.cooperative_id,
            buyer_user_id=buyer.id,
            rating=item.rating,
            text=text,
        )
        for item, text in zip(items, texts, strict=True)
    ]
    try:
        # A savepoint: a racing request that got in first is a 409, not a broken transaction.
        async with session.begin_nested():
            session.add_all(reviews)
            await session.flush()
    except IntegrityError as exc:
        raise ReviewExists() from exc
    for review in reviews:
        await catalog_repository.add_rating(
            session, review.product_id, rating_sum=review.rating, rating_count=1
        )
    # Only their ratings changed: the index keeps the tokens of their texts.
    await enqueue_reindex(
        session, product_ids={r.product_id for r in reviews}, texts_as_indexed=True
    )
    return ReviewsPosted(items=[review_out(r) for r in reviews])


async def _member_review(session: AsyncSession, user: User, review_id: int) -> Review:
    """A review of the user's supplier, locked; anyone else's: 404."""
    review = (
        await repository.get_review(session, review_id, for_update=True)
        if 1 <= review_id <= MAX_ID
        else None
    )
    if review is None or not await cooperative_repository.member_roles(
        session, user.id, review.cooperative_id
    ):
        raise ReviewNotFound(review_id)
    return review


async def reply_to_review(
    session: AsyncSession, *, user: User, review_id: int, text: str
) -> ReviewOut:
    """The supplier's one public reply (1–1000 characters). Twice: 409; hidden: 409."""
    review = await _member_review(session, user, review_id)
    reply = _text(text, min_length=1, max_length=MAX_REPLY)
    if reply is None:
        raise InvalidReviewFields({"text": f"1 to {MAX_REPLY} characters, no control ones"})
    if review.hidden_at is not None:
        raise ReviewHidden()
    if review.reply_text is not None:
        raise ReviewAlreadyReplied()
    review.reply_text = reply
    review.replied_at = utcnow()
    await session.flush()
    return review_out(review)


async def hide_review(
    session: AsyncSession, *, operator: User, review_id: int, reason: str
) -> ReviewOut:
    """An operator hides a review (2–200 characters of reason, audit-logged); it stops
    counting in its product's average at once. Hidden already: 409."""
    review = (
        await repository.get_review(session, review_id, for_update=True)
        if 1 <= review_id <= MAX_ID
        else None
    )
    if review is None:
        raise ReviewNotFound(review_id)
    why = _text(reason, min_length=HIDE_REASON_MIN, max_length=HIDE_REASON_MAX)
    if why is None:
        raise InvalidReviewFields(
            {"reason": f"{HIDE_REASON_MIN} to {HIDE_REASON_MAX} characters, no control ones"}
        )
    if review.hidden_at is not None:
        raise ReviewHidden()
    review.hidden_at = utcnow()
    review.hidden_reason = why
    await catalog_repository.add_rating(
        session, review.product_id, rating_sum=-review.rating, rating_count=-1
    )
    await enqueue_reindex(session, product_ids=[review.product_id], texts_as_indexed=True)
    await audit.record(
        session,
        actor_user_id=operator.id,
        action="review.hide",
        entity_kind="review",
        entity_id=review.id,
        before={"hidden": False},
        after={"hidden": True, "product_id": review.product_id, "rating": review.rating},
        reason=why,
    )
    await session.flush()
    return review_out(review)


async def product_reviews(
    session: AsyncSession, product_id: int, *, page: int = 1, per_page: int = 10
) -> ProductReviews:
    """A product's visible reviews, newest first; the count and average are the product's
    aggregates (hidden reviews left out). An unknown product: 404; a page past 10,000: 422."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidReviewFields({"page": f"1 to {MAX_PAGE}"})
    product = (
        await catalog_repository.get_listed_product(session, product_id=product_id)
        if 1 <= product_id <= MAX_ID
        else None
    )
    if product is None:
        raise ProductNotFound(str(product_id))
    reviews = await repository.visible_product_reviews(
        session, product_id, offset=(page - 1) * per_page, limit=per_page
    )
    summary = rating_summary(product.rating_sum, product.rating_count)
    return ProductReviews(
        items=[
            PublicReview(
                id=r.id, rating=r.rating, text=r.text, created_at=r.created_at, reply=_reply(r)
            )
            for r in reviews
        ],
        count=summary.count,
        average=summary.average,
        page=page,
        per_page=per_page,
    )


async def order_reviews(session: AsyncSession, line_ids: Sequence[int]) -> dict[int, ReviewOut]:
    """The reviews of these order lines (the buyer's order page), by line id."""
    return {
        r.order_line_id: review_out(r) for r in await repository.reviews_of_lines(session, line_ids)
    }


async def supplier_reviews(
    session: AsyncSession, *, user: User, cooperative_id: int, page: int = 1, per_page: int = 30
) -> SupplierReviews:
    """Reviews of a supplier's products, newest first, hidden ones too (members only)."""
    if not 1 <= cooperative_id <= MAX_ID or not await cooperative_repository.member_roles(
        session, user.id, cooperative_id
    ):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    cooperative = await cooperative_repository.get_cooperative(session, cooperative_id)
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    rows, total = await repository.cooperative_reviews(
        session, cooperative_id, offset=(page - 1) * per_page, limit=per_page
    )
    return SupplierReviews(
        cooperative_id=cooperative_id,
        cooperative_name=cooperative.name,
        items=[
            SupplierReview(
                **review_out(review).model_dump(),
                product_title=title,
                hidden_reason=review.hidden_reason,
            )
            for review, title in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


async def cooperative_rating(session: AsyncSession, cooperative_id: int) -> RatingSummary:
    """The average and count of the visible reviews of all of a supplier's products (for the
    public supplier page and the operator's supplier performance)."""
    return await catalog_service.cooperative_rating(session, cooperative_id)


async def recent_reviews(
    session: AsyncSession, *, page: int = 1, per_page: int = 50
) -> OperatorReviews:
    """Every supplier's reviews, newest first, hidden ones too (the operator's page)."""
    rows, total = await repository.recent_reviews(
        session, offset=(page - 1) * per_page, limit=per_page
    )
    return OperatorReviews(
        items=[
            OperatorReview(
                **review_out(review).model_dump(),
                product_title=title,
                hidden_reason=review.hidden_reason,
                cooperative_name=name,
            )
            for review, title, name in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )
