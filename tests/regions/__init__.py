"""Tests of the regions domain."""
