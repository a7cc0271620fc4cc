"""Request and response models of reviews (JSON API and page data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from app.core.fields import WHOLE_NUMBER, Id

MAX_TEXT = 1000
MAX_REPLY = 1000
MAX_ITEMS = 100

# Strict: 4.5, "4" or true are refused (422), not rounded into a rating.
Rating = Annotated[StrictInt, Field(ge=1, le=5, examples=[5]), WHOLE_NUMBER]


class ReviewItemIn(BaseModel):
    order_line_id: Id
    rating: Rating
    text: str = Field(default="", description=f"At most {MAX_TEXT} characters")


class ReviewsIn(BaseModel):
    items: list[ReviewItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ReplyIn(BaseModel):
    text: str = Field(description=f"1–{MAX_REPLY} characters")


class HideIn(BaseModel):
    reason: str = Field(description="2–200 characters, kept in the audit log")


class ReplyOut(BaseModel):
    text: str
    created_at: datetime


class ReviewOut(BaseModel):
    id: int
    order_line_id: int
    product_id: int
    rating: int
    text: str
    created_at: datetime
    reply: ReplyOut | None
    hidden: bool = False


class ReviewsPosted(BaseModel):
    items: list[ReviewOut]


class PublicReview(BaseModel):
    id: int
    rating: int
    text: str
    created_at: datetime
    reply: ReplyOut | None


class ProductReviews(BaseModel):
    """A product's visible reviews, newest first, with the count and average of them all."""

    items: list[PublicReview]
    count: int
    average: float | None
    page: int
    per_page: int


class SupplierReview(ReviewOut):
    product_title: str
    hidden_reason: str | None = None


class SupplierReviews(BaseModel):
    cooperative_id: int
    cooperative_name: str
    items: list[SupplierReview]
    total: int
    page: int
    per_page: int


class OperatorReview(SupplierReview):
    cooperative_name: str


class OperatorReviews(BaseModel):
    items: list[OperatorReview]
    total: int
    page: int
    per_page: int
