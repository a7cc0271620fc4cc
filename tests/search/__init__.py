"""Tests of the search library (search/): analysis, every backend, the Meilisearch settings."""
