"""Use cases of payments: opening them, Stripe intents and events, bank transfers and refunds.

How a Stripe payment flows, and why nothing is lost:
1. Checkout places the order and calls `open_payment` in the same transaction: a pending
   Payment, and the outbox job `payment.create_payment_intent`. No network call happens while
   that transaction holds its stock locks.
2. The job (retried until it succeeds) asks Stripe for a PaymentIntent with the idempotency
   key `order-{id}`, so a retry after a crash gets the same intent, never a second one.
3. The buyer confirms the intent with Stripe.js on the pay page.
4. Stripe's webhook reports the result; each event is stored once by its id and applied in
   the same transaction (`handle_stripe_event`).

Events may come late, twice, or out of order. They are applied without asking Stripe again,
because the states only move forward: `succeeded` is final for a payment (a failure reported
afterwards changes nothing), a failure is not (the buyer may try again until the order
expires), and refunds only move from pending to succeeded or failed. Where only Stripe knows
the truth — cancelling the intent of an expired order, which Stripe refuses if the buyer paid
at the last moment — the outbox job asks Stripe for the intent's state, outside any request,
and applies that like an event.

Every payment that succeeds goes through `payment_received.payment_succeeded`, and every
refund that succeeds through `refunds._refund_succeeded`: the benefit ledger hooks in there.

Callers import from here; each part lives in the module its name says.
"""

from app.payment.service.methods import check_offered, offered_methods
from app.payment.service.opening import (
    CANCEL_INTENT_JOB,
    CREATE_INTENT_JOB,
    CURRENCY,
    PAYABLE,
    NewPayment,
    bank_reference_for,
    cancel_payment,
    create_payment_intent,
    normalize_bank_reference,
    open_new_payment,
    open_payment,
    switch_method,
)
from app.payment.service.page_data import (
    ADMIN_LIST_LIMIT,
    PayPage,
    RefundForm,
    admin_payments,
    awaited_transfers,
    count_awaited_transfers,
    order_refunds,
    pay_page,
    payment_view,
    refund_form,
    refund_view,
)
from app.payment.service.payment_received import LATE_PAYMENT_REASON, confirm_bank_transfer
from app.payment.service.refunds import (
    SEND_REFUND_JOB,
    check_reason,
    refund,
    refund_order_in_full,
    send_refund,
)
from app.payment.service.remittance import (
    MAX_SLIP_BYTES,
    SLIP_FIELD,
    SlipFile,
    buyer_remittance_slip,
    remittance_slip,
    report_remittance,
    slip_type,
)
from app.payment.service.stripe_events import (
    apply_intent_state,
    apply_stripe_event,
    cancel_payment_intent,
    handle_stripe_event,
)

__all__ = [
    "ADMIN_LIST_LIMIT",
    "CANCEL_INTENT_JOB",
    "CREATE_INTENT_JOB",
    "CURRENCY",
    "LATE_PAYMENT_REASON",
    "MAX_SLIP_BYTES",
    "PAYABLE",
    "SEND_REFUND_JOB",
    "SLIP_FIELD",
    "NewPayment",
    "PayPage",
    "RefundForm",
    "SlipFile",
    "admin_payments",
    "apply_intent_state",
    "apply_stripe_event",
    "awaited_transfers",
    "bank_reference_for",
    "buyer_remittance_slip",
    "cancel_payment",
    "cancel_payment_intent",
    "check_offered",
    "check_reason",
    "confirm_bank_transfer",
    "count_awaited_transfers",
    "create_payment_intent",
    "handle_stripe_event",
    "normalize_bank_reference",
    "offered_methods",
    "open_new_payment",
    "open_payment",
    "order_refunds",
    "pay_page",
    "payment_view",
    "refund",
    "refund_form",
    "refund_order_in_full",
    "refund_view",
    "remittance_slip",
    "report_remittance",
    "send_refund",
    "slip_type",
    "switch_method",
]
