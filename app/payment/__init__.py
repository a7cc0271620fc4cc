"""Payments: Stripe PaymentIntents and webhooks, bank transfers, refunds."""
