"""Errors of the payment domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.core.errors import BadRequest, Conflict, DomainError, NotFound, ValidationFailed

# How long a client should wait before trying again when Stripe cannot be reached.
RETRY_AFTER_SECONDS = 30


class PaymentProviderUnavailable(DomainError):
    """Stripe cannot be reached, is overloaded, or is not configured.

    The one 5xx the application answers on purpose: the fault is neither the client's nor a
    bug, and the request may simply be repeated. Nothing is lost meanwhile: whatever must reach
    Stripe waits in the outbox and is retried.
    """

    status_code: ClassVar[int] = 503
    code = "payment_provider_unavailable"

    def __init__(self, message: str = "The payment provider cannot be reached; try again.") -> None:
        super().__init__(message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class PaymentProviderRefused(Conflict):
    """Stripe understood the request and refused it (e.g. refunding a charge already refunded)."""

    code = "payment_provider_refused"

    def __init__(self, message: str, *, provider_code: str | None = None) -> None:
        super().__init__(f"The payment provider refused the request: {message}")
        self.provider_code = provider_code


class CardDeclined(Conflict):
    code = "card_declined"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "The card was declined.")


class InvalidSignature(BadRequest):
    """A webhook whose Stripe-Signature is missing, malformed, stale or wrong."""

    code = "invalid_signature"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The Stripe-Signature header does not verify: {reason}")


class MalformedEvent(BadRequest):
    """A correctly signed body that is not a Stripe event we can read."""

    code = "malformed_event"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The webhook body is not a Stripe event: {reason}.")


class PaymentNotFound(NotFound):
    code = "payment_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"No payment for order {order_id}.")


class WrongPaymentMethod(Conflict):
    code = "wrong_payment_method"

    def __init__(self, expected: str) -> None:
        super().__init__(f"The order is not paid by {expected}.")


class AlreadyPaid(Conflict):
    code = "already_paid"

    def __init__(self) -> None:
        super().__init__("The order is already paid.")


class BankReferenceMismatch(ValidationFailed):
    code = "bank_reference_mismatch"

    def __init__(self) -> None:
        super().__init__(
            "The remittance's reference does not match the order's bank reference.",
            fields={"bank_reference": "does not match the order's reference"},
        )


class AmountMismatch(Conflict):
    """A bank transfer must pay the order's total exactly: no part payments, no overpayment."""

    code = "amount_mismatch"

    def __init__(self, expected_fen: int, received_fen: int) -> None:
        super().__init__(
            f"The order's total is {expected_fen} fen; the remittance is {received_fen} fen.",
            fields={"amount_fen": f"must be {expected_fen}"},
        )


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"

    def __init__(self) -> None:
        super().__init__("The order has no received payment to refund.")


class RefundExceedsPayment(Conflict):
    code = "refund_exceeds_payment"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message, fields=fields)


class InvalidRefundLines(ValidationFailed):
    """Lines that are not the order's, named twice, or none at all."""

    code = "invalid_refund_lines"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Some refund lines are invalid.", fields=fields)


class InvalidRefundReason(ValidationFailed):
    code = "invalid_refund_reason"

    def __init__(self, max_length: int) -> None:
        super().__init__(
            f"Give the reason (of the refund or cancellation), 1 to {max_length} characters.",
            fields={"reason": f"1 to {max_length} characters"},
        )


class PaymentMethodUnavailable(ValidationFailed):
    """The site does not offer this payment method (card payments without Stripe set up, or
    transfers without the platform's bank account)."""

    code = "payment_method_unavailable"

    def __init__(self, method: str, offered: list[str]) -> None:
        super().__init__(
            f"Payment by {method} is not available on this site; offered: "
            f"{', '.join(offered) or 'none'}.",
            fields={"payment_method": "one of " + (", ".join(offered) or "none")},
        )


class PaymentMethodLocked(Conflict):
    """The payment can no longer change its method: paid, cancelled, or the buyer has
    reported a remittance of the transfer (the money may be on its way)."""

    code = "payment_method_locked"

    def __init__(self, reason: str) -> None:
        super().__init__(f"The payment method can no longer be changed: {reason}.")


class RemittanceNotExpected(Conflict):
    """A remittance is reported only for an unpaid bank transfer."""

    code = "remittance_not_expected"

    def __init__(self, reason: str) -> None:
        super().__init__(f"No remittance is expected for this order: {reason}.")


class RemittanceSlipNotFound(NotFound):
    code = "remittance_slip_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"Order {order_id} has no remittance slip.")
