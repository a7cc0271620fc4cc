"""Checkout: placing orders with their payment, cancelling them, expiring unpaid ones."""
