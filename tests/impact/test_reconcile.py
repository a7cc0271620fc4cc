"""`fengshou reconcile [--year Y]`: totals recomputed from orders and refunds match the ledger and
the rollups to the fen (exit 0, "no difference"), and any tampering or gap is reported (exit 1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner, Result

from app import cli as cli_module
from app.admin.reconcile import ReconcileReport, reconcile
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.regions.models import Pairing
from tests.account.factories import create_user
from tests.catalog.factories import create_seller
from tests.impact.factories import (
    BEIJING,
    GUANGDONG,
    SANDU,
    Line,
    build_history,
    create_order,
    paid_order,
    refund,
)
from tests.impact.ledger_purge import ledger_purge


async def _reconcile(database: Database, year: int | None) -> ReconcileReport:
    async with unit_of_work(database.reader) as session:
        return await reconcile(session, year=year)


async def _command(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
    # The command runs its own event loop, so it gets a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli_module.cli, ["reconcile", *args])


async def test_a_consistent_ledger_reconciles_with_no_difference(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_history(database)

    for year in ("2026", "2027"):
        result = await _command(settings, monkeypatch, "--year", year)
        assert result.exit_code == 0, result.output
        assert result.output.rstrip().endswith("no difference")
    every_year = await _command(settings, monkeypatch)
    assert every_year.exit_code == 0, every_year.output
    assert "all reporting years" in every_year.output

    report = await _reconcile(database, 2026)
    assert (report.orders, report.refunds) == (2, 1)
    assert report.expected_entries == report.ledger_entries == 4  # 3 sale lines, 1 refund
    assert report.rollup_rows > 0


async def test_a_tampered_rollup_is_reported_and_exits_1(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_history(database)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            text(
                "UPDATE impact_totals_by_county SET amount_fen = amount_fen + 1 "
                "WHERE year = 2026 AND month = 3 AND county_code = :code"
            ),
            {"code": SANDU},
        )

    result = await _command(settings, monkeypatch, "--year", "2026")

    assert result.exit_code == 1, result.output
    assert "1 difference(s):" in result.output
    assert f"rollup impact_totals_by_county (2026, 3, '{SANDU}')" in result.output
    assert "holds 3001 fen" in result.output and "the orders say 3000 fen" in result.output
    other_year = await _command(settings, monkeypatch, "--year", "2027")
    assert other_year.exit_code == 0, other_year.output


async def test_a_tampered_key_assistance_total_is_reported(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_history(database)  # 三都 is a key-assistance county: 3 000 in March 2026
    async with unit_of_work(database.writer) as session:
        await session.execute(
            text(
                "UPDATE impact_totals_by_key_assistance SET amount_fen = amount_fen - 1, "
                "order_count = order_count + 1 WHERE year = 2026 AND month = 3"
            )
        )

    result = await _command(settings, monkeypatch, "--year", "2026")

    assert result.exit_code == 1, result.output
    assert "1 difference(s):" in result.output
    assert "rollup impact_totals_by_key_assistance (2026, 3): holds 2999 fen" in result.output
    assert "the orders say 3000 fen (¥30.00) / 1 order(s)" in result.output


async def test_a_rollup_row_deleted_with_the_guard_lifted_is_reported(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_history(database)
    async with unit_of_work(database.writer) as session, ledger_purge(session):
        await session.execute(text("DELETE FROM impact_totals_by_month WHERE year = 2027"))

    result = await _command(settings, monkeypatch)

    assert result.exit_code == 1
    assert "rollup impact_totals_by_month (2027, 1): holds 0 fen" in result.output


async def test_a_ledger_entry_removed_behind_its_back_is_reported(database: Database) -> None:
    await build_history(database)
    async with unit_of_work(database.writer) as session, ledger_purge(session):
        await session.execute(
            text(
                "DELETE FROM impact_entry_pairings WHERE entry_id IN "
                "(SELECT id FROM impact_ledger_entries WHERE kind = 'refund')"
            )
        )
        await session.execute(text("DELETE FROM impact_ledger_entries WHERE kind = 'refund'"))

    report = await _reconcile(database, 2026)

    assert not report.ok
    assert any(d.startswith("missing ledger entry: refund") for d in report.differences)
    assert "-2000 fen" in report.render()


async def test_a_payment_the_ledger_never_heard_of_is_reported(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 450)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 10, 1, tzinfo=UTC),  # paid, but the hook never ran
    )

    report = await _reconcile(database, 2026)

    assert not report.ok
    assert f"missing ledger entry: sale of order {order.id} line {order.line_ids[0]}" in (
        report.render()
    )
    assert any("impact_totals_by_month (2026, 10)" in d for d in report.differences)


async def test_a_refund_the_ledger_never_heard_of_is_reported(database: Database) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 450)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    refund_id = await refund(
        database,
        order.id,
        [(order.line_ids[0], 1)],
        at=datetime(2026, 10, 2, tzinfo=UTC),
        write_ledger=False,
    )

    report = await _reconcile(database, None)

    assert not report.ok
    assert any(
        d.startswith(f"missing ledger entry: refund {refund_id}") for d in report.differences
    )


async def test_a_pairing_ended_retroactively_shows_as_an_attribution_difference(
    database: Database,
) -> None:
    history = await build_history(database)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Pairing).where(Pairing.id == history.east_west).values(until=date(2026, 1, 31))
        )

    report = await _reconcile(database, 2026)

    try:
        assert not report.ok
        assert any(d.startswith("attribution differs") for d in report.differences)
        assert any(
            f"impact_totals_by_pairing (2026, 3, {history.east_west})" in d
            for d in report.differences
        )
    finally:
        async with unit_of_work(database.writer) as session:
            await session.execute(
                update(Pairing).where(Pairing.id == history.east_west).values(until=None)
            )


async def test_an_order_cancelled_after_payment_and_refunded_in_full_reconciles(
    database: Database,
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 3, 990), Line(seller, 1, 10)],
        buyer_province_code=BEIJING,
        paid_at=datetime(2026, 12, 31, 15, 0, tzinfo=UTC),
    )
    await refund(
        database,
        order.id,
        [(order.line_ids[0], 3), (order.line_ids[1], 1)],
        at=datetime(2026, 12, 31, 16, 5, tzinfo=UTC),  # already 2027 in China
    )
    async with unit_of_work(database.writer) as session:
        await session.execute(
            text("UPDATE orders SET status = 'cancelled' WHERE id = :id"), {"id": order.id}
        )

    for year in (2026, 2027, None):
        report = await _reconcile(database, year)
        assert report.ok, report.render()
    assert (await _reconcile(database, 2027)).expected_entries == 2


@pytest.mark.parametrize("year", ["1999", "2101", "abc"])
async def test_a_bad_year_is_refused_by_the_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, year: str
) -> None:
    result = await _command(settings, monkeypatch, "--year", year)

    assert result.exit_code == 2
    assert "--year" in result.output
