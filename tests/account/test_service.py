"""Account use cases called directly: operators, roles, password upkeep and the demo logins."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from app import cli as cli_module
from app.account import service
from app.account.errors import EmailTaken, InvalidCredentials
from app.account.models import Role, RoleAssignment, User
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.core.errors import ValidationFailed
from app.demo import seed_demo_accounts
from app.jobs.models import Job
from tests.account.factories import PASSWORD, bearer, create_user, issue_token


async def _roles_of(database: Database, user_id: int) -> list[tuple[Role, int | None]]:
    async with unit_of_work(database.reader) as session:
        result = await session.execute(
            select(RoleAssignment.role, RoleAssignment.scope_id)
            .where(RoleAssignment.user_id == user_id)
            .order_by(RoleAssignment.id)
        )
        return [(row.role, row.scope_id) for row in result]


async def test_ensure_operator_creates_an_operator_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    async with unit_of_work(database.writer) as session:
        first = await service.ensure_operator(
            session, email="Ops@Fengshou.example", password=PASSWORD, name="平台运营"
        )
        first_id = first.id
    async with unit_of_work(database.writer) as session:
        second = await service.ensure_operator(
            session, email="ops@fengshou.example", password="a-different-password", name="改名"
        )
        assert second.id == first_id
        assert second.display_name == "平台运营"

    assert await _roles_of(database, first_id) == [(Role.OPERATOR, None)]
    # The second call neither changed the password nor sent a welcome mail.
    token = await issue_token(client, "ops@fengshou.example", PASSWORD)
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["roles"] == ["operator"]
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_ensure_operator_promotes_an_existing_consumer(database: Database) -> None:
    user_id = await create_user(database, email="buyer@example.com")

    async with unit_of_work(database.writer) as session:
        user = await service.ensure_operator(
            session, email="buyer@example.com", password="ignored-password", name="x"
        )
        assert user.id == user_id

    assert await _roles_of(database, user_id) == [(Role.CONSUMER, None), (Role.OPERATOR, None)]


async def test_ensure_operator_validates_a_new_account(database: Database) -> None:
    async with unit_of_work(database.writer) as session:
        with pytest.raises(ValidationFailed) as bad_email:
            await service.ensure_operator(session, email="nope", password=PASSWORD, name="x")
        with pytest.raises(ValidationFailed) as short:
            await service.ensure_operator(
                session, email="ops@example.com", password="short", name="x"
            )

    assert set(bad_email.value.fields) == {"email"}
    assert set(short.value.fields) == {"password"}


async def test_grant_role_is_idempotent_per_scope(database: Database) -> None:
    user_id = await create_user(database, roles=())
    async with unit_of_work(database.writer) as session:
        user = await service.get_user(session, user_id)
        assert user is not None
        for _ in range(2):
            await service.grant_role(session, user, Role.OPERATOR)
            await service.grant_role(session, user, Role.SUPPLIER_ADMIN, scope_id=5)
        await service.grant_role(session, user, Role.SUPPLIER_ADMIN, scope_id=6)

        assert await service.has_role(session, user_id, Role.SUPPLIER_ADMIN, scope_id=5)
        assert not await service.has_role(session, user_id, Role.SUPPLIER_ADMIN, scope_id=7)
        assert not await service.has_role(session, user_id, Role.SUPPLIER_ADMIN)
        assert await service.revoke_role(session, user, Role.OPERATOR)
        assert not await service.revoke_role(session, user, Role.OPERATOR)

    assert await _roles_of(database, user_id) == [
        (Role.SUPPLIER_ADMIN, 5),
        (Role.SUPPLIER_ADMIN, 6),
    ]


async def test_register_refuses_a_taken_email_in_the_service(database: Database) -> None:
    await create_user(database, email="buyer@example.com")

    async with unit_of_work(database.writer) as session:
        with pytest.raises(EmailTaken) as taken:
            await service.register_user(
                session, email="BUYER@example.com", password=PASSWORD, display_name="x"
            )

    assert taken.value.status_code == 409
    assert taken.value.code == "email_taken"
    assert set(taken.value.fields) == {"email"}


async def test_authenticate_upgrades_an_old_hash(database: Database) -> None:
    user_id = await create_user(database, email="old@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.password_hash = weak

    async with unit_of_work(database.writer) as session:
        await service.authenticate(session, email="old@example.com", password=PASSWORD)

    async with unit_of_work(database.reader) as session:
        user = await session.get(User, user_id)
        assert user is not None
        assert user.password_hash != weak
        assert user.last_login_at is not None
        assert await service.password_matches(user, PASSWORD)


async def test_authenticate_refuses_the_same_way_each_time(database: Database) -> None:
    await create_user(database, email="buyer@example.com")

    async with unit_of_work(database.reader) as session:
        errors = []
        for email, password in [
            ("buyer@example.com", "wrong-password"),
            ("nobody@example.com", PASSWORD),
            ("", ""),
        ]:
            with pytest.raises(InvalidCredentials) as refused:
                await service.authenticate(session, email=email, password=password)
            errors.append((refused.value.code, refused.value.message))

    assert len(set(errors)) == 1
    assert errors[0][0] == "invalid_credentials"


async def test_demo_accounts_are_idempotent_and_sign_in(
    client: httpx.AsyncClient, database: Database
) -> None:
    first = await seed_demo_accounts(database)
    async with unit_of_work(database.writer) as session:
        buyer = await service.find_user_by_email(session, "buyer@fengshou.demo")
        assert buyer is not None
        await service.set_password(session, buyer, "someone-changed-it")
    second = await seed_demo_accounts(database)

    assert first == second
    assert len(first) == 2
    assert first[0].startswith("operator  operator@fengshou.demo / ")
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 2
    for line in first:
        email, password = line.split()[1], line.split()[-1]
        token = await issue_token(client, email, password)
        me = (await client.get("/api/v1/me", headers=bearer(token))).json()
        assert me["roles"] == (["operator"] if email.startswith("operator") else ["consumer"])


async def test_create_operator_command_is_idempotent(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
    arguments = ["create-operator", "--email", "Root@Fengshou.example", "--password", PASSWORD]

    # The command runs its own event loop, so it gets a thread of its own.
    first = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, arguments)
    second = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, arguments)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "operator root@fengshou.example" in first.output
    async with unit_of_work(database.reader) as session:
        user = await service.find_user_by_email(session, "root@fengshou.example")
        assert user is not None
        assert user.display_name == "平台运营"
    assert await _roles_of(database, user.id) == [(Role.OPERATOR, None)]


async def test_create_operator_command_reports_bad_input(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
    arguments = ["create-operator", "--email", "root@fengshou.example", "--password", "short"]

    result = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, arguments)

    assert result.exit_code == 2
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0
