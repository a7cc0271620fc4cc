"""Tests of the account domain."""
