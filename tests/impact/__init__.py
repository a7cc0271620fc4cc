"""Tests of the benefit ledger and impact reporting."""
