"""Errors of reviews, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import Conflict, NotFound, ValidationFailed


class ReviewNotFound(NotFound):
    code = "review_not_found"

    def __init__(self, review_id: int) -> None:
        super().__init__(f"No review with id {review_id}.")


class FulfillmentNotDelivered(Conflict):
    """Only a delivered parcel's lines are reviewed."""

    code = "fulfillment_not_delivered"

    def __init__(self) -> None:
        super().__init__("The parcel has not been delivered yet: review it once it arrives.")


class ReviewExists(Conflict):
    code = "review_exists"

    def __init__(self, fields: Mapping[str, str] | None = None) -> None:
        super().__init__("A line is reviewed once; this one already is.", fields=fields)


class ReviewAlreadyReplied(Conflict):
    code = "review_already_replied"

    def __init__(self) -> None:
        super().__init__("The supplier has already replied to this review.")


class ReviewHidden(Conflict):
    code = "review_hidden"

    def __init__(self) -> None:
        super().__init__("The review is hidden.")


class InvalidReviewFields(ValidationFailed):
    code = "invalid_review"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Some fields are invalid.", fields=fields)
