"""The shop's number and date formats against Babel's (CLDR) for the same locales, and that
the page filters never load a locale's CLDR data."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date, format_datetime, get_month_names
from babel.numbers import format_decimal

from app.core.clock import CHINA_TZ
from app.web import local_formats

ROOT = Path(__file__).resolve().parents[2]
# app.web.i18n's locales and the CLDR locales Babel formatted them with.
BABEL_LOCALES = {"zh_CN": "zh_Hans_CN", "en": "en"}


def _numbers() -> list[int | float | Decimal]:
    rng = random.Random(20261208)
    fixed: list[int | float | Decimal] = [
        0, 5, -7, 999, 1000, 1234, -1234, 1234567, 10**21, 0.5, 1234.5, 0.1235, 0.1225, 2.0005,
        2.0015, 12.3456789, -0.0004, 1e21, 99.9995, 3.0, Decimal("1234.5678"), Decimal("0.0005"),
        Decimal("-1E+3"), Decimal("7"), float("nan"), float("inf"), float("-inf"),
        Decimal("NaN"), Decimal("-Infinity"),
    ]  # fmt: skip
    drawn: list[int | float | Decimal] = []
    for _ in range(300):
        drawn.append(rng.randint(-(10**9), 10**9))
        drawn.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)))
        drawn.append(Decimal(rng.randint(-(10**8), 10**8)) / Decimal(10 ** rng.randint(0, 5)))
    return fixed + drawn


@pytest.mark.parametrize("locale", sorted(BABEL_LOCALES))
def test_numbers_are_written_as_babel_writes_them(locale: str) -> None:
    for value in _numbers():
        assert local_formats.format_number(value) == format_decimal(
            value, locale=BABEL_LOCALES[locale]
        ), value


@pytest.mark.parametrize("locale", sorted(BABEL_LOCALES))
def test_dates_and_times_are_written_as_babel_writes_them(locale: str) -> None:
    # As the filter hands them over: in China's time zone (Babel writes an aware datetime's
    # own wall time when given no zone).
    moment = datetime(2026, 1, 1, 0, 0, 0, tzinfo=CHINA_TZ)
    for step in range(0, 366 * 24 * 60, 47):  # every month, day and hour; minutes and seconds
        value = moment + timedelta(minutes=step, seconds=step % 60)
        expected_day = format_date(value.date(), "medium", locale=BABEL_LOCALES[locale])
        assert local_formats.format_date(value.date(), locale) == expected_day
        expected = format_datetime(value, "medium", locale=BABEL_LOCALES[locale])
        assert local_formats.format_datetime(value, locale) == expected, value
    assert local_formats.format_date(date(987, 3, 9), locale) == format_date(
        date(987, 3, 9), "medium", locale=BABEL_LOCALES[locale]
    )


@pytest.mark.parametrize("locale", sorted(BABEL_LOCALES))
def test_month_names_are_babels(locale: str) -> None:
    names = get_month_names("wide", locale=BABEL_LOCALES[locale])
    for month in range(1, 13):
        expected = f"{month}月" if locale == "zh_CN" else names[month]
        assert local_formats.month_name(month, locale) == expected


def test_the_page_filters_load_no_cldr_data() -> None:
    # In a process of its own: Babel keeps the locales it has loaded (other tests load some),
    # and a loaded one would never be asked for again.
    code = """
import babel.localedata
from datetime import UTC, datetime

def refuse(name, merge_inherited=True):
    raise AssertionError(f"CLDR data of {name} loaded")

babel.localedata.load = refuse
from app.web import i18n, templating

moment = datetime(2026, 12, 8, 6, 5, 9, tzinfo=UTC)
for locale in ("zh_CN", "en"):
    i18n.current_locale.set(locale)
    print(repr(templating.number(1234567.25)), repr(templating.number(None)),
          repr(templating.local_date(moment.date())), repr(templating.local_date(moment)),
          repr(templating.local_date(None)), repr(i18n.month_name(3)))
"""
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    # A datetime is shown in China's time zone (UTC+8).
    assert finished.stdout.splitlines() == [
        "'1,234,567.25' '' '2026年12月8日' '2026年12月8日 14:05:09' '' '3月'",
        "'1,234,567.25' '' 'Dec 8, 2026' 'Dec 8, 2026, 2:05:09\\u202fPM' '' 'March'",
    ]
