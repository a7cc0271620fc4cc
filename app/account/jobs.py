"""Outbox jobs of the account domain."""
