"""Operator tools that belong to no single domain: the audit log and reconciling the ledger."""
