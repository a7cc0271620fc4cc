"""Attribution: each entry counts for the pairings whose helper is the buyer's province (or, for
designated support, the buyer organisation) and whose helped area holds the origin county, in
force on the payment's China date; a refund takes back what its sale gave."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from app.core.db import Database, unit_of_work
from app.impact.models import EntryKind, LedgerEntry
from app.order.models import BuyerKind
from app.regions.models import Pairing, PairingKind
from tests.account.factories import create_user
from tests.catalog.factories import create_seller
from tests.impact.factories import (
    BEIJING,
    GUANGDONG,
    GUIZHOU,
    HETIAN,
    KASHI,
    SANDU,
    SHANGHAI,
    SHUFU,
    XINJIANG,
    Line,
    attributions,
    create_order,
    create_pairing,
    entries,
    paid_order,
    reference_pairing_id,
    refund,
)
from tests.organization.factories import create_organization

MARCH = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
LAST_MINUTE_2026 = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 Dec in China
FIRST_MINUTE_2027 = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 00:00 on 1 Jan in China


async def _pairings_of_sale(
    database: Database,
    county: str,
    buyer_province: str,
    *,
    paid_at: datetime = MARCH,
    organization_id: int | None = None,
) -> set[int]:
    seller = await create_seller(database, county_code=county)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 1, 1000)],
        buyer_province_code=buyer_province,
        organization_id=organization_id,
        buyer_kind=BuyerKind.GOVERNMENT if organization_id else BuyerKind.CONSUMER,
        paid_at=paid_at,
    )
    (entry,) = await entries(database, order.id)
    return (await attributions(database)).get(entry.id, set())


async def test_east_west_counts_when_the_buyer_is_in_the_helper_province(
    database: Database,
) -> None:
    guangdong_guizhou = await reference_pairing_id(database, f"east_west:{GUANGDONG}:{GUIZHOU}")

    assert await _pairings_of_sale(database, SANDU, GUANGDONG) == {guangdong_guizhou}
    assert await _pairings_of_sale(database, SANDU, BEIJING) == set()
    assert await _pairings_of_sale(database, SANDU, GUIZHOU) == set()  # buying locally


async def test_counterpart_support_counts_only_for_the_counties_it_names(
    database: Database,
) -> None:
    guangdong = await reference_pairing_id(database, f"counterpart_support:{GUANGDONG}:{XINJIANG}")
    shenzhen = await reference_pairing_id(
        database, f"counterpart_support:{GUANGDONG}:{XINJIANG}:深圳市"
    )
    beijing = await reference_pairing_id(database, f"counterpart_support:{BEIJING}:{XINJIANG}")

    assert await _pairings_of_sale(database, SHUFU, GUANGDONG) == {guangdong}
    assert await _pairings_of_sale(database, KASHI, GUANGDONG) == {shenzhen}
    assert await _pairings_of_sale(database, HETIAN, GUANGDONG) == set()
    assert await _pairings_of_sale(database, HETIAN, BEIJING) == {beijing}


async def test_a_pairing_naming_a_prefecture_helps_its_counties_only(database: Database) -> None:
    in_qiannan = await create_pairing(  # 三都 lies in 黔南州 (522700)
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        prefectures=["522700"],
    )
    await create_pairing(
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        prefectures=["520400"],  # 安顺市
    )

    assert await _pairings_of_sale(database, SANDU, SHANGHAI) == {in_qiannan}


@pytest.mark.parametrize(
    ("paid_at", "counts"), [(LAST_MINUTE_2026, True), (FIRST_MINUTE_2027, False)]
)
async def test_a_pairing_counts_through_its_last_day_in_china_time(
    database: Database, paid_at: datetime, counts: bool
) -> None:
    ending = await create_pairing(
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        until=date(2026, 12, 31),
    )

    found = await _pairings_of_sale(database, SANDU, SHANGHAI, paid_at=paid_at)

    assert found == ({ending} if counts else set())


@pytest.mark.parametrize(
    ("paid_at", "counts"), [(LAST_MINUTE_2026, False), (FIRST_MINUTE_2027, True)]
)
async def test_a_pairing_counts_from_its_first_day_in_china_time(
    database: Database, paid_at: datetime, counts: bool
) -> None:
    starting = await create_pairing(
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        since=date(2027, 1, 1),
    )

    found = await _pairings_of_sale(database, SANDU, SHANGHAI, paid_at=paid_at)

    assert found == ({starting} if counts else set())


async def test_designated_support_counts_for_the_organisation_that_designated_the_county(
    database: Database,
) -> None:
    canteen = await create_organization(database, region_code="310104")
    other = await create_organization(database, region_code="310104")
    designated = await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=canteen,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )

    assert await _pairings_of_sale(database, SANDU, SHANGHAI, organization_id=canteen) == {
        designated
    }
    assert await _pairings_of_sale(database, SANDU, SHANGHAI, organization_id=other) == set()
    assert await _pairings_of_sale(database, SANDU, SHANGHAI) == set()  # a consumer
    assert await _pairings_of_sale(database, SHUFU, SHANGHAI, organization_id=canteen) == set()


async def test_a_designated_and_an_east_west_pairing_both_count(database: Database) -> None:
    canteen = await create_organization(database, region_code="440106")  # 广州
    designated = await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=canteen,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )
    east_west = await reference_pairing_id(database, f"east_west:{GUANGDONG}:{GUIZHOU}")

    found = await _pairings_of_sale(database, SANDU, GUANGDONG, organization_id=canteen)

    assert found == {designated, east_west}


async def _pairings_ending_and_starting(database: Database, *, last_day: date) -> tuple[int, int]:
    """Two pairings by which Shanghai helps Guizhou: one in force until `last_day`, the other
    from the day after."""
    ending = await create_pairing(
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        until=last_day,
    )
    starting = await create_pairing(
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        since=last_day + timedelta(days=1),
    )
    return ending, starting


async def test_a_refund_takes_back_what_its_sale_gave_even_after_the_pairing_ended(
    client: httpx.AsyncClient, database: Database
) -> None:
    ending, starting = await _pairings_ending_and_starting(database, last_day=date(2026, 6, 30))
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 4, 2500)],
        buyer_province_code=SHANGHAI,
        paid_at=datetime(2026, 6, 15, tzinfo=UTC),
    )

    await refund(database, order.id, [(order.line_ids[0], 1)], at=datetime(2026, 9, 1, tzinfo=UTC))

    rows = await entries(database, order.id)
    attributed = await attributions(database)
    refund_entry = next(e for e in rows if e.kind == EntryKind.REFUND)
    assert attributed[refund_entry.id] == {ending}
    response = await client.get("/api/v1/impact/pairings", params={"year": 2026})
    totals = {item["pairing"]["id"]: item["amount_fen"] for item in response.json()["items"]}
    assert totals[ending] == 4 * 2500 - 2500
    assert starting not in totals


async def test_a_refund_copies_its_sales_pairings_even_when_the_rule_changed_since(
    database: Database,
) -> None:
    pairing = await create_pairing(
        database, kind=PairingKind.EAST_WEST, helper_province=SHANGHAI, helped_province=GUIZHOU
    )
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 1000)],
        buyer_province_code=SHANGHAI,
        paid_at=MARCH,
    )
    # Ended retroactively, before the payment: the rule at payment no longer counts it.
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Pairing).where(Pairing.id == pairing).values(until=date(2026, 1, 31))
        )

    await refund(database, order.id, [(order.line_ids[0], 1)], at=datetime(2026, 4, 1, tzinfo=UTC))

    attributed = await attributions(database)
    assert {
        kind: attributed.get(e.id) for kind, e in _by_kind(await entries(database, order.id))
    } == {
        EntryKind.SALE: {pairing},
        EntryKind.REFUND: {pairing},
    }


async def test_a_refund_of_a_sale_the_ledger_never_recorded_follows_the_rule_at_payment(
    database: Database,
) -> None:
    organization_id = await create_organization(database)
    by_province = await create_pairing(
        database, kind=PairingKind.EAST_WEST, helper_province=SHANGHAI, helped_province=GUIZHOU
    )
    designated = await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=organization_id,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    # Paid before the ledger existed: no sale entry to copy.
    order = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 1000)],
        buyer_province_code=SHANGHAI,
        organization_id=organization_id,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=MARCH,
    )

    await refund(database, order.id, [(order.line_ids[0], 1)], at=datetime(2026, 4, 1, tzinfo=UTC))

    (entry,) = await entries(database, order.id)
    assert (entry.kind, entry.amount_fen) == (EntryKind.REFUND, -1000)
    assert (await attributions(database))[entry.id] == {by_province, designated}


async def test_a_refund_of_a_sale_the_ledger_never_recorded_takes_the_pairings_in_force_at_payment(
    database: Database,
) -> None:
    """The rule at the day of payment, not of the refund: a pairing that ended between the
    two still counts, one that began between them does not."""
    ended, _begun = await _pairings_ending_and_starting(database, last_day=date(2026, 3, 20))
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 1000)],
        buyer_province_code=SHANGHAI,
        paid_at=MARCH,
    )

    await refund(database, order.id, [(order.line_ids[0], 1)], at=datetime(2026, 4, 1, tzinfo=UTC))

    (entry,) = await entries(database, order.id)
    assert (entry.kind, entry.amount_fen) == (EntryKind.REFUND, -1000)
    assert (await attributions(database))[entry.id] == {ended}


def _by_kind(rows: list[LedgerEntry]) -> list[tuple[EntryKind, LedgerEntry]]:
    return [(row.kind, row) for row in rows]
