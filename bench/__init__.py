"""Benchmarks (scripts, not tests): run them with `uv run python bench/<name>.py`."""
