"""Errors of the order domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import BadRequest, Conflict, NotFound, ValidationFailed


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"No order with id {order_id}.")


class FulfillmentNotFound(NotFound):
    code = "fulfillment_not_found"

    def __init__(self, fulfillment_id: int) -> None:
        super().__init__(f"No fulfilment with id {fulfillment_id}.")


class OrganizationNotFound(NotFound):
    """The organisation does not exist, or the buyer does not buy for it (not revealed)."""

    code = "organization_not_found"

    def __init__(self, organization_id: int) -> None:
        super().__init__(
            f"No organisation with id {organization_id} that you buy for.",
            fields={"organization_id": "unknown organisation"},
        )


class OrganizationNotVerified(Conflict):
    code = "organization_not_verified"

    def __init__(self, organization_id: int) -> None:
        super().__init__(
            f"The organisation {organization_id} is not verified yet; it cannot place orders.",
            fields={"organization_id": "not verified"},
        )


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"

    def __init__(self) -> None:
        super().__init__(
            "Send the header Idempotency-Key (a unique value per order, e.g. a UUID).",
            fields={"Idempotency-Key": "required"},
        )


class InvalidIdempotencyKey(BadRequest):
    code = "invalid_idempotency_key"

    def __init__(self, max_length: int) -> None:
        super().__init__(
            f"Idempotency-Key has 1 to {max_length} visible ASCII characters.",
            fields={"Idempotency-Key": f"1 to {max_length} visible ASCII characters"},
        )


class IdempotencyKeyReused(Conflict):
    """The buyer sent this key before with a different body."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different order request; use a new key."
        )


class EmptyOrder(ValidationFailed):
    """No lines given and the cart is empty."""

    code = "empty_cart"

    def __init__(self) -> None:
        super().__init__("The cart is empty: there is nothing to order.", fields={"lines": "empty"})


class InvalidOrderFields(ValidationFailed):
    """Fields of an order request (or of a shipment) break a rule. `problems` maps each field
    to (code, message); the error's code names the problem when there is one kind of problem
    ("invalid_phone", "unknown_county"), else it is "validation_failed"."""

    def __init__(self, problems: Mapping[str, tuple[str, str]]) -> None:
        codes = {code for code, _ in problems.values()}
        super().__init__(
            f"Some fields are invalid: {', '.join(problems)}.",
            code=codes.pop() if len(codes) == 1 else "validation_failed",
            fields={name: message for name, (_, message) in problems.items()},
        )
        self.problems = dict(problems)


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The order can no longer be cancelled: {reason}.")


class WebhookUrlRefused(ValidationFailed):
    """A supplier webhook URL that the platform will not post to: not http(s), malformed, or a
    host that does not resolve to public addresses only (no requests into our own network)."""

    code = "webhook_url_refused"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"The webhook URL is refused: {reason}.", fields={field: reason})


class SavedAddressNotFound(NotFound):
    """No such address in the caller's address book (someone else's is not revealed)."""

    code = "address_not_found"

    def __init__(self, address_id: int) -> None:
        super().__init__(f"No address with id {address_id} in your address book.")


class AddressBookFull(Conflict):
    code = "address_book_full"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"An address book holds at most {limit} addresses; delete one first.",
            fields={"address": f"at most {limit}"},
        )
