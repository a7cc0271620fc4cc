"""Tests of the search library wired into the app."""
