"""Which payment methods the site offers: only those it is set up to take."""

from __future__ import annotations

from collections.abc import Collection

from app.config import Settings
from app.order.models import PaymentMethod
from app.payment.errors import PaymentMethodUnavailable


def offered_methods(settings: Settings) -> list[PaymentMethod]:
    """Card payments when Stripe is set up (the secret key that opens intents, the
    publishable key the pay page needs and the webhook secret that tells the site a payment
    succeeded), bank transfers when the platform's account is set; card first."""
    offered = []
    if (
        settings.stripe_secret_key
        and settings.stripe_publishable_key
        and settings.stripe_webhook_secret
    ):
        offered.append(PaymentMethod.STRIPE)
    if (
        settings.bank_account_number.strip()
        and settings.bank_name.strip()
        and settings.bank_account_name.strip()
    ):
        offered.append(PaymentMethod.BANK_TRANSFER)
    return offered


def check_offered(method: PaymentMethod | str, offered: Collection[PaymentMethod]) -> PaymentMethod:
    """The method, if the site offers it; else 422 `payment_method_unavailable`."""
    if method not in {m.value for m in offered}:
        raise PaymentMethodUnavailable(str(method), [m.value for m in offered])
    return PaymentMethod(method)
