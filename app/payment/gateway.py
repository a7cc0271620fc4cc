"""What the payment domain needs of a payment provider: the gateway's interface and the plain
data it answers with (Stripe's objects, read without the `stripe` library)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.fields import in_bigint_range, parse_id


@dataclass(frozen=True)
class IntentState:
    """What Stripe says of a PaymentIntent, from an API answer or a webhook event's object."""

    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None = None
    last_error: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def order_id(self) -> int | None:
        """The order named in the metadata we set at creation, if it is one."""
        return parse_id(self.metadata.get("order_id"))


@dataclass(frozen=True)
class RefundState:
    """What Stripe says of a refund."""

    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int
    payment_intent_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def refund_id(self) -> int | None:
        """Our refund's id, from the metadata set when it was asked for."""
        return parse_id(self.metadata.get("refund_id"))


@dataclass(frozen=True)
class WebhookEvent:
    """A verified Stripe event: its id, type and the object it is about."""

    id: str
    type: str
    object: dict[str, Any]
    payload: dict[str, Any]


def _int(value: Any) -> int:
    """An amount Stripe sent; anything a BIGINT cannot hold counts as none (0)."""
    return value if in_bigint_range(value) and value >= 0 else 0


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def intent_state(data: Mapping[str, Any]) -> IntentState:
    """A PaymentIntent as plain data; a succeeded intent without `amount_received` (as the
    local fake sends them) received its whole amount."""
    status = str(data.get("status") or "")
    amount = _int(data.get("amount"))
    received = data.get("amount_received")
    if not in_bigint_range(received) or received < 0:
        received = amount if status == "succeeded" else 0
    error = data.get("last_payment_error")
    message = None
    if isinstance(error, Mapping):
        message = str(error.get("message") or error.get("code") or "") or None
    secret = data.get("client_secret")
    return IntentState(
        id=str(data.get("id") or ""),
        status=status,
        amount=amount,
        amount_received=received,
        currency=str(data.get("currency") or ""),
        client_secret=secret if isinstance(secret, str) else None,
        last_error=message,
        metadata=_str_dict(data.get("metadata")),
    )


def refund_state(data: Mapping[str, Any]) -> RefundState:
    intent = data.get("payment_intent")
    if isinstance(intent, Mapping):  # expanded
        intent = intent.get("id")
    return RefundState(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        amount=_int(data.get("amount")),
        payment_intent_id=intent if isinstance(intent, str) else None,
        metadata=_str_dict(data.get("metadata")),
    )


class PaymentGateway(Protocol):
    """The calls the payment service makes; StripeGateway is the one implementation."""

    async def create_payment_intent(
        self, *, amount_fen: int, currency: str, order_id: int, order_number: str
    ) -> IntentState: ...

    async def retrieve_payment_intent(self, intent_id: str) -> IntentState: ...

    async def cancel_payment_intent(self, intent_id: str) -> IntentState: ...

    async def create_refund(
        self, *, payment_intent_id: str, amount_fen: int, refund_id: int, order_id: int
    ) -> RefundState: ...
