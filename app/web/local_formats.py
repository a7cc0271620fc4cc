"""Numbers and dates as the shop's two languages write them (CLDR's patterns, as Babel has them).

A page needs a handful of CLDR's patterns: the decimal pattern `#,##0.###` with its symbols,
and the medium date and date-time. Asking Babel for them loads a locale's whole CLDR data
(its territories, time zones, currencies…: 4.7 MB resident for zh_Hans_CN, 1.5 MB more for
en) into every web process and worker. The patterns are written out here instead, and
tests/web/test_local_formats.py checks every one against Babel's answer for the same locale,
so a CLDR update that changes one fails there.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

# The locales of app.web.i18n.
CHINESE = "zh_CN"

# CLDR's `#,##0.###` (zh_Hans_CN and en alike): grouping by thousands, at most three decimals,
# rounded half to even, trailing zeros dropped; the symbols "," and ".".
_THREE_DECIMALS = Decimal("0.001")

# CLDR en's abbreviated and wide month names (format context).
ENGLISH_MONTHS_ABBREVIATED = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
ENGLISH_MONTHS_WIDE = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# CLDR en puts a narrow no-break space before AM/PM (h:mm:ss a).
_NARROW_NO_BREAK_SPACE = "\u202f"


def format_number(value: int | float | Decimal) -> str:
    """`value` as `#,##0.###` writes it in either language: 1,234.5."""
    if isinstance(value, int):
        return f"{value:,}"
    # Babel reads a float through its shortest repr (0.1235 is 0.1235, not 0.12349999…).
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    if not exact.is_finite():
        return "NaN" if exact.is_nan() else ("-∞" if exact < 0 else "∞")
    # Three decimals always (1,234.500): the zeros and the point go.
    text = f"{exact.quantize(_THREE_DECIMALS, rounding=ROUND_HALF_EVEN):,f}"
    return text.rstrip("0").rstrip(".")


def format_date(value: date, locale: str) -> str:
    """The medium date: 2026年12月8日, or Dec 8, 2026."""
    if locale == CHINESE:
        return f"{value.year}年{value.month}月{value.day}日"  # y年M月d日
    return f"{ENGLISH_MONTHS_ABBREVIATED[value.month - 1]} {value.day}, {value.year}"  # MMM d, y


def format_datetime(value: datetime, locale: str) -> str:
    """The medium date and time of `value` as it is (no time zone is applied):
    2026年12月8日 14:05:09, or Dec 8, 2026, 2:05:09 PM."""
    day = format_date(value, locale)
    if locale == CHINESE:
        return f"{day} {value:%H:%M:%S}"  # {1} {0}, HH:mm:ss
    hour = value.hour % 12 or 12
    noon = "AM" if value.hour < 12 else "PM"
    # {1}, {0} with h:mm:ss a
    return f"{day}, {hour}:{value:%M:%S}{_NARROW_NO_BREAK_SPACE}{noon}"


def month_name(month: int, locale: str) -> str:
    """A month as a heading names it: 3月, or March."""
    if locale == CHINESE:
        return f"{month}月"
    return ENGLISH_MONTHS_WIDE[month - 1]
