"""The audit log: entries are JSON snapshots written in the caller's transaction."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.account.models import User
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.cooperative import service as cooperative_service
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from tests.account.factories import create_operator, create_user
from tests.cooperative.factories import create_cooperative, status_of


class Colour(enum.StrEnum):
    GREEN = "green"


async def _count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_record_stores_json_snapshots(database: Database) -> None:
    moment = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    async with unit_of_work(database.writer) as session:
        entry = await audit.record(
            session,
            actor_user_id=None,
            action="thing.paint",
            entity_kind="thing",
            entity_id=7,
            before={"colour": None, "when": None},
            after={
                "colour": Colour.GREEN,
                "when": moment,
                "day": date(2026, 11, 28),
                "tags": (Colour.GREEN, "x"),
                "nested": {1: Colour.GREEN},
            },
            reason="because",
        )
        assert entry.id is not None  # flushed, not committed

    async with unit_of_work(database.reader) as session:
        [stored] = await audit.entries_for(session, "thing", "7")
    assert stored.actor_user_id is None
    assert stored.entity_id == "7"
    assert stored.before == {"colour": None, "when": None}
    assert stored.after == {
        "colour": "green",
        "when": "2026-11-28T12:30:00+00:00",
        "day": "2026-11-28",
        "tags": ["green", "x"],
        "nested": {"1": "green"},
    }
    assert stored.reason == "because"
    assert stored.at.tzinfo is not None


async def test_an_entry_rolls_back_with_its_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError, match="later failure"):
        async with unit_of_work(database.writer) as session:
            await audit.record(
                session, actor_user_id=1, action="thing.paint", entity_kind="thing", entity_id=1
            )
            raise RuntimeError("later failure")

    assert await _count(database) == 0


async def test_a_status_change_and_its_entry_commit_or_roll_back_together(
    database: Database,
) -> None:
    admin = await create_user(database, email="wu@example.com")
    cooperative_id = await create_cooperative(
        database, admin_id=admin, status=SupplierStatus.PENDING
    )
    operator_id = await create_operator(database)
    entries_before = await _count(database)

    with pytest.raises(RuntimeError, match="after the action"):
        async with unit_of_work(database.writer) as session:
            operator = await session.get(User, operator_id)
            assert operator is not None
            await cooperative_service.change_status(
                session,
                operator=operator,
                cooperative_id=cooperative_id,
                action=cooperative_service.StatusAction.VERIFY,
            )
            raise RuntimeError("after the action")

    assert await status_of(database, cooperative_id) == (SupplierStatus.PENDING, None)
    assert await _count(database) == entries_before

    async with unit_of_work(database.writer) as session:
        operator = await session.get(User, operator_id)
        assert operator is not None
        await cooperative_service.change_status(
            session,
            operator=operator,
            cooperative_id=cooperative_id,
            action=cooperative_service.StatusAction.VERIFY,
        )

    assert (await status_of(database, cooperative_id))[0] == SupplierStatus.VERIFIED
    assert await _count(database) == entries_before + 1


async def test_a_failing_audit_write_undoes_the_action(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await create_user(database, email="wu@example.com")
    cooperative_id = await create_cooperative(
        database, admin_id=admin, status=SupplierStatus.VERIFIED
    )
    operator_id = await create_operator(database)

    async def broken_record(*_args: Any, **_kwargs: Any) -> AuditEntry:
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit, "record", broken_record)
    with pytest.raises(RuntimeError, match="audit table unavailable"):
        async with unit_of_work(database.writer) as session:
            operator = await session.get(User, operator_id)
            assert operator is not None
            await cooperative_service.change_status(
                session,
                operator=operator,
                cooperative_id=cooperative_id,
                action=cooperative_service.StatusAction.SUSPEND,
                reason="抽检不合格",
            )

    assert await status_of(database, cooperative_id) == (SupplierStatus.VERIFIED, None)


async def test_recent_entries_newest_first_with_filters(database: Database) -> None:
    async with unit_of_work(database.writer) as session:
        for entity_id, action in [(1, "a.create"), (2, "a.create"), (1, "a.update"), (3, "b.x")]:
            kind = "a" if action.startswith("a.") else "b"
            await audit.record(
                session, actor_user_id=None, action=action, entity_kind=kind, entity_id=entity_id
            )

    async with unit_of_work(database.reader) as session:
        everything = await audit.recent_entries(session)
        two = await audit.recent_entries(session, 2)
        of_a1 = await audit.recent_entries(session, entity_kind="a", entity_id=1)
        creates = await audit.recent_entries(session, action="a.create")
        of_b = await audit.recent_entries(session, entity_kind="b")
        none = await audit.recent_entries(session, entity_kind="a", entity_id="3")

    assert [(e.entity_id, e.action) for e in everything] == [
        ("3", "b.x"),
        ("1", "a.update"),
        ("2", "a.create"),
        ("1", "a.create"),
    ]
    assert [e.action for e in two] == ["b.x", "a.update"]
    assert [e.action for e in of_a1] == ["a.update", "a.create"]
    assert [e.entity_id for e in creates] == ["2", "1"]
    assert [e.action for e in of_b] == ["b.x"]
    assert none == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, None, []),
        ({"status": "pending"}, {"status": "pending"}, []),
        (
            {"status": "pending", "status_reason": None, "verified_at": None},
            {"status": "verified", "status_reason": None, "verified_at": "2026-11-28"},
            [("status", "pending", "verified"), ("verified_at", None, "2026-11-28")],
        ),
        (
            None,
            {"status": "pending", "name": "合作社"},
            [
                ("status", None, "pending"),
                ("name", None, "合作社"),
            ],
        ),
        ({"member_role": "admin"}, None, [("member_role", "admin", None)]),
        ({"a": 1}, {"b": 2}, [("a", 1, None), ("b", None, 2)]),
    ],
)
def test_changed_fields(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    expected: list[tuple[str, Any, Any]],
) -> None:
    assert audit.changed_fields(before, after) == expected
