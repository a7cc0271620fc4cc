"""Tests of the cooperative domain."""
