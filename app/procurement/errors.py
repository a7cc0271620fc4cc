"""Errors of procurement (bulk orders), each with its HTTP status and snake_case code."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed


class BulkOrderNotFound(NotFound):
    """No such bulk order in this organisation (or one the caller may not see)."""

    code = "bulk_order_not_found"

    def __init__(self, bulk_order_id: int) -> None:
        super().__init__(f"No bulk or gift order with id {bulk_order_id} in this organisation.")


class OrganizationOrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"No order with id {order_id} placed by this organisation.")


class UploadTooLarge(PayloadTooLarge):
    code = "file_too_large"

    def __init__(self, limit_bytes: int) -> None:
        megabytes = limit_bytes // (1024 * 1024)
        super().__init__(
            f"The file is larger than {megabytes} MB; a list of 5,000 rows is far smaller.",
            fields={"file": f"at most {megabytes} MB"},
        )


class NotADraft(Conflict):
    """The list of a bulk order can change, and be submitted, only while it is a draft."""

    code = "bulk_order_not_draft"

    def __init__(self, bulk_order_id: int, status: str) -> None:
        super().__init__(f"The bulk order {bulk_order_id} is {status}, no longer a draft.")
        self.status = status


class BulkOrderInvalid(Conflict):
    """Submitting a draft whose list has problems: they are fixed by uploading it again."""

    code = "bulk_order_invalid"

    def __init__(self, bulk_order_id: int, error_count: int, problem: str | None) -> None:
        reason = problem or f"{error_count} line(s) have problems"
        super().__init__(
            f"The bulk order {bulk_order_id} cannot be submitted: {reason}. "
            "Fix the list and upload it again."
        )


class NotSubmitted(Conflict):
    """Approving or rejecting a draft: there is nothing to decide yet."""

    code = "bulk_order_not_submitted"

    def __init__(self, bulk_order_id: int) -> None:
        super().__init__(f"The bulk order {bulk_order_id} is a draft: it was not submitted yet.")


class AlreadyDecided(Conflict):
    """Approving or rejecting a bulk order a second time (or both): the first decision stands."""

    code = "bulk_order_already_decided"

    def __init__(self, bulk_order_id: int, status: str) -> None:
        super().__init__(f"The bulk order {bulk_order_id} was already {status}; nothing changed.")
        self.status = status


class OwnSubmission(Forbidden):
    """The approval rule: the member who asked is not the one who decides."""

    code = "own_submission"

    def __init__(self, bulk_order_id: int) -> None:
        super().__init__(
            f"You submitted the bulk order {bulk_order_id}: another approver or admin of the "
            "organisation must approve or reject it."
        )


class SubmitterLeft(Conflict):
    """The order is placed in the submitter's name, and they no longer buy for the
    organisation."""

    code = "submitter_not_member"

    def __init__(self, bulk_order_id: int) -> None:
        super().__init__(
            f"The member who submitted the bulk order {bulk_order_id} no longer buys for the "
            "organisation; reject it and have it submitted again."
        )


class InvalidComment(ValidationFailed):
    code = "invalid_comment"

    def __init__(self, message: str) -> None:
        super().__init__(f"The comment is invalid: {message}.", fields={"comment": message})


class InvalidStatusFilter(ValidationFailed):
    code = "invalid_status"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(
            f"status is one of {', '.join(allowed)}.", fields={"status": "unknown status"}
        )


class InvalidGiftItems(ValidationFailed):
    """A gift's SKUs as the form gave them: 1 to 5 different SKU ids, each with the units every
    recipient gets."""

    code = "invalid_gift_items"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("The gift's SKUs or quantities are invalid.", fields=fields)
