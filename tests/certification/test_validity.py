"""The label rule: badge_is_valid (Python) and valid_certificate_clause (SQL) agree, and expiry
needs no write: a certificate simply stops matching when its last day has passed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from app.certification import service
from app.certification.models import Certificate, CertificateKind, CertificateStatus
from app.certification.repository import valid_certificate_clause
from app.certification.service import badge_is_valid, labels
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, bearer, issue_token
from tests.certification.factories import create_certificate, load_certificate
from tests.cooperative.factories import add_member, create_cooperative

ON = date(2026, 6, 15)
DAY = timedelta(days=1)
VERIFIED = CertificateStatus.VERIFIED

# name → (status, valid_from, valid_until, counts on ON)
CASES: dict[str, tuple[CertificateStatus, date, date, bool]] = {
    "valid, today in the middle": (VERIFIED, ON - 100 * DAY, ON + 100 * DAY, True),
    "valid, today is the first day": (VERIFIED, ON, ON + 100 * DAY, True),
    "valid, today is the last day": (VERIFIED, ON - 100 * DAY, ON, True),
    "valid for exactly one day, today": (VERIFIED, ON, ON, True),
    "expired yesterday": (VERIFIED, ON - 100 * DAY, ON - DAY, False),
    "starts tomorrow": (VERIFIED, ON + DAY, ON + 100 * DAY, False),
    "pending, dates fine": (CertificateStatus.PENDING, ON - DAY, ON + DAY, False),
    "rejected, dates fine": (CertificateStatus.REJECTED, ON - DAY, ON + DAY, False),
    "revoked, dates fine": (CertificateStatus.REVOKED, ON - DAY, ON + DAY, False),
}


async def _seed_cases(database: Database) -> dict[int, str]:
    cooperative_id = await create_cooperative(database)
    ids: dict[int, str] = {}
    for name, (status, start, end, _expected) in CASES.items():
        certificate_id = await create_certificate(
            database, cooperative_id, status=status, valid_from=start, valid_until=end
        )
        ids[certificate_id] = name
    return ids


async def _matching_ids(database: Database, on: date) -> set[int]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(select(Certificate.id).where(valid_certificate_clause(on)))
        return set(result)


async def test_python_and_sql_rules_agree_on_every_case(database: Database) -> None:
    ids = await _seed_cases(database)

    in_sql = await _matching_ids(database, ON)
    async with unit_of_work(database.reader) as session:
        certificates = list(await session.scalars(select(Certificate)))
    in_python = {c.id for c in certificates if badge_is_valid(c, ON)}
    expected = {cid for cid, name in ids.items() if CASES[name][3]}

    assert in_python == expected, sorted(ids[i] for i in in_python ^ expected)
    assert in_sql == expected, sorted(ids[i] for i in in_sql ^ expected)
    assert len(expected) == 4


async def test_the_clause_composes_with_a_kind_filter(database: Database) -> None:
    cooperative_id = await create_cooperative(database)
    gi = await create_certificate(
        database, cooperative_id, kind=CertificateKind.GI, status=VERIFIED
    )
    await create_certificate(
        database, cooperative_id, kind=CertificateKind.ORGANIC, status=VERIFIED
    )
    async with unit_of_work(database.reader) as session:
        found = set(
            await session.scalars(
                select(Certificate.id).where(
                    valid_certificate_clause(service.today_in_china()),
                    Certificate.kind == CertificateKind.GI,
                )
            )
        )
    assert found == {gi}


async def test_expiry_needs_no_write(database: Database) -> None:
    """Valid through yesterday: it counted yesterday and does not today, with the row unchanged."""
    cooperative_id = await create_cooperative(database)
    yesterday = ON - DAY
    certificate_id = await create_certificate(
        database,
        cooperative_id,
        status=VERIFIED,
        valid_from=ON - 365 * DAY,
        valid_until=yesterday,
    )
    before = await load_certificate(database, certificate_id)

    assert certificate_id in await _matching_ids(database, yesterday)
    assert badge_is_valid(before, yesterday)

    assert certificate_id not in await _matching_ids(database, ON)
    assert not badge_is_valid(before, ON)

    after = await load_certificate(database, certificate_id)
    assert after.status == VERIFIED  # nothing flipped it
    assert after.updated_at == before.updated_at


async def test_the_api_badge_turns_off_at_midnight_china_time(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2026-12-31 15:59 UTC is 23:59 in Beijing; 16:00 UTC is already 2027-01-01 there."""
    cooperative_id = await create_cooperative(database)
    await add_member(database, cooperative_id, email="coop@example.com", password=PASSWORD)
    certificate_id = await create_certificate(
        database,
        cooperative_id,
        status=VERIFIED,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    token = await issue_token(client, "coop@example.com")
    before = await load_certificate(database, certificate_id)

    async def badge_at(moment: datetime) -> bool:
        monkeypatch.setattr(labels, "utcnow", lambda: moment)
        response = await client.get(
            f"/api/v1/cooperatives/{cooperative_id}/certificates", headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        (item,) = response.json()
        assert item["id"] == certificate_id
        assert item["status"] == "verified"
        badge: bool = item["badge_valid"]
        return badge

    assert await badge_at(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) is True
    assert await badge_at(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) is False
    after = await load_certificate(database, certificate_id)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
