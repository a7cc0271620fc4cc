"""Money rounding and the China-time reporting calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.clock import china_date, china_year
from app.core.money import apply_basis_points, format_yuan, share_bp, yuan_to_fen


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (10_000, 1_000, 1_000),  # 10 % of ¥100
        (5, 1_000, 1),  # 0.5 fen rounds half up
        (4, 1_000, 0),
        (-5, 1_000, -1),  # half away from zero, symmetric for refunds
        (123_456_789_012, 1_500, 18_518_518_352),  # beyond 32 bits, exact
        (0, 1_500, 0),
    ],
)
def test_apply_basis_points_rounds_half_away_from_zero(amount: int, bp: int, expected: int) -> None:
    assert apply_basis_points(amount, bp) == expected


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(0, 10_000))
def test_apply_basis_points_is_within_half_a_fen(amount: int, bp: int) -> None:
    exact = Decimal(amount) * bp / 10_000
    assert abs(Decimal(apply_basis_points(amount, bp)) - exact) <= Decimal("0.5")


def test_yuan_to_fen_is_exact_and_refuses_fractions_of_a_fen() -> None:
    assert yuan_to_fen("12.34") == 1234
    assert yuan_to_fen("0.1") == 10
    assert yuan_to_fen(Decimal("19.90")) == 1990
    assert yuan_to_fen(3) == 300
    with pytest.raises(ValueError, match="whole number of fen"):
        yuan_to_fen("0.001")


def test_format_yuan() -> None:
    assert format_yuan(123_450) == "¥1,234.50"
    assert format_yuan(5) == "¥0.05"
    assert format_yuan(-1999) == "-¥19.99"
    assert format_yuan(0) == "¥0.00"  # nothing owed is not negative
    assert format_yuan(-1) == "-¥0.01"


def test_reporting_year_is_china_time() -> None:
    assert china_year(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == 2027
    assert china_year(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) == 2026
    assert china_date(datetime(2026, 6, 30, 16, 0, tzinfo=UTC)).isoformat() == "2026-07-01"
    with pytest.raises(ValueError, match="naive"):
        china_year(datetime(2026, 1, 1))  # noqa: DTZ001 (a naive datetime is the point)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (2, 7, 2857),  # 2857.14… rounded down: a share is never overstated
        (9_999, 10_000, 9_999),
        (10_000, 10_000, 10_000),
        (3, 2, 15_000),  # above the whole: a progress past its target
        (1, 1, 10_000),  # a whole of one is a whole
        (0, 5, 0),
        (5, 0, None),  # no whole, no share
        (5, None, None),
        (5, -1, None),
    ],
)
def test_share_in_basis_points(part: int, whole: int | None, expected: int | None) -> None:
    assert share_bp(part, whole) == expected
