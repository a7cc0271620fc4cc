"""The one door to Stripe: PaymentIntents, refunds, webhook signatures (the one `stripe` import)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Self

import stripe

from app.config import Settings
from app.core.errors import DomainError
from app.payment.errors import (
    CardDeclined,
    InvalidSignature,
    MalformedEvent,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
)
from app.payment.gateway import IntentState, RefundState, WebhookEvent, intent_state, refund_state

# A Stripe call may run while the caller's transaction is open (on SQLite that holds the
# write lock): fail fast rather than hang; the outbox retries with the same idempotency key.
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_NETWORK_RETRIES = 1
# Wallets Stripe offers for CNY next to cards; each needs the account to have it enabled.
WALLET_PAYMENT_METHODS = frozenset({"alipay", "wechat_pay"})
# How old a signed webhook may be before it counts as a replay (Stripe's own default).
WEBHOOK_TOLERANCE_SECONDS = 300
# Event ids and types are stored in VARCHAR(100) columns.
MAX_ID_LENGTH = 100


def _translate(exc: stripe.StripeError) -> DomainError:
    """Stripe's failures as domain errors: refusals are 409, anything transient is 503."""
    message = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.CardError):
        return CardDeclined(message)
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        return PaymentProviderRefused(message, provider_code=exc.code)
    # Connection failures, rate limits, Stripe's own 5xx, and a key Stripe does not accept
    # (a configuration fault the operator must fix): all of them pass if retried later.
    return PaymentProviderUnavailable()


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Stripe's failures within, raised as domain errors (_translate)."""
    try:
        yield
    except stripe.StripeError as exc:
        raise _translate(exc) from exc


class StripeGateway:
    """A small async client for the few Stripe calls the payment domain makes.

    Use it as an async context manager (it owns an HTTP connection pool), one per unit of work.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        wallets: Sequence[str] = (),
    ) -> None:
        unknown = set(wallets) - WALLET_PAYMENT_METHODS
        if unknown:
            raise ValueError(f"unsupported Stripe payment methods: {sorted(unknown)}")
        self._http = stripe.HTTPXClient(timeout=REQUEST_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=MAX_NETWORK_RETRIES,
        )
        self.payment_method_types = ["card", *wallets]

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        """The gateway the settings describe; without a secret key payments are unavailable."""
        if not settings.stripe_secret_key:
            raise PaymentProviderUnavailable("Card payments are not configured on this site.")
        return cls(
            settings.stripe_secret_key,
            api_base=settings.stripe_api_base,
            wallets=settings.stripe_wallets,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # stripe leaves it bare

    async def create_payment_intent(
        self, *, amount_fen: int, currency: str, order_id: int, order_number: str
    ) -> IntentState:
        """One PaymentIntent per order, whoever asks and however often: the idempotency key
        `order-{id}` makes Stripe answer a repeated request with the intent it already made."""
        with _domain_errors():
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": amount_fen,
                    "currency": currency,
                    # Since API version 2026-08 Stripe takes the types as "allowed" ones: those
                    # the account has not enabled are left out instead of failing the call.
                    "allowed_payment_method_types": list(self.payment_method_types),
                    "metadata": {"order_id": str(order_id), "order_number": order_number},
                },
                {"idempotency_key": f"order-{order_id}"},
            )
        return intent_state(intent.to_dict())

    async def retrieve_payment_intent(self, intent_id: str) -> IntentState:
        with _domain_errors():
            intent = await self._client.v1.payment_intents.retrieve_async(intent_id)
        return intent_state(intent.to_dict())

    async def cancel_payment_intent(self, intent_id: str) -> IntentState:
        """Cancel an intent nobody paid; Stripe refuses (409) once it succeeded."""
        with _domain_errors():
            intent = await self._client.v1.payment_intents.cancel_async(intent_id)
        return intent_state(intent.to_dict())

    async def create_refund(
        self, *, payment_intent_id: str, amount_fen: int, refund_id: int, order_id: int
    ) -> RefundState:
        """Refund part or all of an intent's charge, once per refund (key `refund-{id}`)."""
        with _domain_errors():
            refund = await self._client.v1.refunds.create_async(
                {
                    "payment_intent": payment_intent_id,
                    "amount": amount_fen,
                    "metadata": {"order_id": str(order_id), "refund_id": str(refund_id)},
                },
                {"idempotency_key": f"refund-{refund_id}"},
            )
        return refund_state(refund.to_dict())


def verify_webhook(
    payload: bytes, signature_header: str | None, secret: str | None
) -> WebhookEvent:
    """Check the Stripe-Signature of a raw request body and read the event it carries.

    The signature covers the exact bytes Stripe sent, so this runs before anything parses or
    re-encodes the body.
    """
    if not secret:
        # Without a secret nothing can be verified, and an unverified event is never applied.
        raise InvalidSignature("no webhook secret is configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSignature("the body is not UTF-8") from exc
    try:
        stripe.WebhookSignature.verify_header(
            text, signature_header, secret, WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(str(exc)) from exc
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise MalformedEvent("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise MalformedEvent("the body is not a JSON object")
    event_id, event_type, data = body.get("id"), body.get("type"), body.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (isinstance(event_id, str) and 0 < len(event_id) <= MAX_ID_LENGTH):
        raise MalformedEvent("the event has no valid id")
    if not (isinstance(event_type, str) and 0 < len(event_type) <= MAX_ID_LENGTH):
        raise MalformedEvent("the event has no valid type")
    if not isinstance(obj, dict):
        raise MalformedEvent("the event has no data.object")
    return WebhookEvent(id=event_id, type=event_type, object=obj, payload=body)
