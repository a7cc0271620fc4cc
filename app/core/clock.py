"""Time: every timestamp is UTC; reporting periods are in China Standard Time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def china_date(moment: datetime) -> date:
    """The calendar date in China Standard Time of an aware timestamp."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(CHINA_TZ).date()


def china_year(moment: datetime) -> int:
    """The reporting year of a timestamp: 2026-12-31 17:00 UTC belongs to 2027."""
    return china_date(moment).year
