"""Reading a list's rows without a database: quantities and dates as offices type them, rows
of one SKU merged into the first, what a line keeps of unprintable cells."""

from __future__ import annotations

from datetime import date

import pytest

from app.procurement.service import Entry, LineError, read_entries
from app.procurement.service.checking import parse_date, parse_quantity, rows_text


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("１２", 12),  # full-width, as Chinese input methods type it
        ("1,200", 1200),
        ("30.0", 30),
        ("100000", 100000),
        ("0", None),
        ("-3", None),
        ("+3", None),
        ("2.5", None),
        ("1e3", None),
        ("12箱", None),
        ("十二", None),
        ("٣", None),  # an Arabic-Indic digit: a digit, not an ASCII one
        ("100001", None),
        ("12,00", None),
        ("", None),
        ("9" * 30, None),
    ],
)
def test_a_quantity_is_a_whole_number_from_1_to_100000(text: str, quantity: int | None) -> None:
    assert parse_quantity(text) == quantity


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-09-01", date(2026, 9, 1)),
        ("2026/9/1", date(2026, 9, 1)),
        ("2026.09.01", date(2026, 9, 1)),
        ("2026年9月1日", date(2026, 9, 1)),
        ("２０２６－０９－０１", date(2026, 9, 1)),
        ("20260901", date(2026, 9, 1)),
        ("2026-09-01 00:00:00", date(2026, 9, 1)),
        ("2026-02-30", None),
        ("09/01/2026", None),
        ("tomorrow", None),
        ("46266", None),  # an Excel serial number typed as text
    ],
)
def test_delivery_dates_as_offices_type_them(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_rows_of_one_sku_merge_into_the_first_and_unreadable_rows_stay_apart() -> None:
    lines = read_entries(
        [
            Entry(2, "ab-1", "3", "2026-09-01"),
            Entry(3, "CD-2", "x"),
            Entry(4, "ＡＢ－１", "4", ""),
            Entry(5, "CD-2", "5"),
            Entry(6, "AB-1", "1", "2026/9/1"),
            Entry(7, "", "1"),
        ]
    )

    assert [(line.row, line.sku_code, line.quantity, line.merged_rows) for line in lines] == [
        (2, "AB-1", 8, [4, 6]),
        (3, "CD-2", None, []),
        (5, "CD-2", 5, []),
        (7, "", 1, []),
    ]
    assert lines[0].delivery_date == date(2026, 9, 1)
    assert [line.error_code for line in lines] == [
        None,
        LineError.INVALID_QUANTITY,
        None,
        LineError.MISSING_SKU_CODE,
    ]


def test_merged_rows_with_different_dates_or_too_many_units_are_errors() -> None:
    dates, units = read_entries(
        [
            Entry(2, "A", "1", "2026-09-01"),
            Entry(3, "B", "60000"),
            Entry(4, "A", "1", "2026-09-02"),
            Entry(5, "B", "60000"),
        ]
    )

    assert dates.error_code is LineError.CONFLICTING_DELIVERY_DATES
    assert "2026-09-01, 2026-09-02" in str(dates.error)
    assert (units.error_code, units.quantity) == (LineError.INVALID_QUANTITY, 120000)


def test_a_line_keeps_no_control_characters_of_a_cell() -> None:
    (line,) = read_entries([Entry(2, "A\x00B\ud800", "1\x07x")])

    assert (line.sku_code, line.quantity_text) == ("AB", "1x")
    assert "\x07" not in str(line.error)


def test_long_lists_of_rows_are_named_briefly() -> None:
    assert rows_text([3]) == "3"
    assert rows_text([3, 7]) == "3 and 7"
    assert rows_text(list(range(1, 13))) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
