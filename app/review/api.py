"""JSON routes of reviews: posting, reading, replying and hiding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.account.deps import CurrentUser, Operator
from app.review import service
from app.review.schemas import HideIn, ProductReviews, ReplyIn, ReviewOut, ReviewsIn, ReviewsPosted
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["reviews"], responses=API_ERROR_RESPONSES)


@router.post(
    "/fulfillments/{fulfillment_id}/reviews",
    response_model=ReviewsPosted,
    status_code=201,
    summary="Review the lines of a delivered parcel",
)
async def post_reviews(
    fulfillment_id: int, body: ReviewsIn, user: CurrentUser, session: DbSession
) -> ReviewsPosted:
    """The buyer rates each line (a whole number from 1 to 5) with an optional text of at
    most 1,000 characters, once per line. Another buyer's parcel: 404; not delivered yet: 409
    `fulfillment_not_delivered`; reviewed already: 409 `review_exists`; all or nothing."""
    return await service.post_reviews(
        session, buyer=user, fulfillment_id=fulfillment_id, items=body.items
    )


@router.get(
    "/products/{product_id}/reviews",
    response_model=ProductReviews,
    status_code=200,
    summary="A product's reviews",
)
async def list_product_reviews(
    product_id: int, session: DbSession, page: Annotated[int, Query()] = 1
) -> ProductReviews:
    """Visible reviews, newest first (10 a page), with their count and average."""
    return await service.product_reviews(session, product_id, page=page)


@router.post(
    "/reviews/{review_id}/reply",
    response_model=ReviewOut,
    status_code=200,
    summary="Reply to a review",
)
async def reply_to_review(
    review_id: int, body: ReplyIn, user: CurrentUser, session: DbSession
) -> ReviewOut:
    """The supplier's one public reply. Members of the reviewed supplier only (else 404);
    a second reply: 409 `review_already_replied`."""
    return await service.reply_to_review(session, user=user, review_id=review_id, text=body.text)


@router.post(
    "/admin/reviews/{review_id}/hide",
    response_model=ReviewOut,
    status_code=200,
    summary="Hide a review",
)
async def hide_review(
    review_id: int, body: HideIn, operator: Operator, session: DbSession
) -> ReviewOut:
    """Operator: hide a review with a reason (2–200 characters, audit-logged); it leaves the
    product page and its average at once. Hidden already: 409 `review_hidden`."""
    return await service.hide_review(
        session, operator=operator, review_id=review_id, reason=body.reason
    )
