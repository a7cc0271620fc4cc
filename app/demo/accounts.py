"""Demo sign-in accounts for each kind of user (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from app.account import service
from app.account.models import Role
from app.core.db import Database, unit_of_work


@dataclass(frozen=True)
class DemoLogin:
    label: str
    email: str
    password: str
    display_name: str
    role: Role


# Public on purpose: the demo prints them, and they exist only in demo databases.
DEMO_LOGINS = (
    DemoLogin(
        "operator",
        "operator@fengshou.demo",
        "fengshou-operator",
        "平台运营（演示）",
        Role.OPERATOR,
    ),
    DemoLogin(
        "consumer",
        "buyer@fengshou.demo",
        "fengshou-buyer",
        "城市买家（演示）",
        Role.CONSUMER,
    ),
)


async def seed_demo_accounts(database: Database) -> list[str]:
    """Create the demo logins, or restore their password and role; returns printable lines."""
    lines: list[str] = []
    async with unit_of_work(database.writer) as session:
        for login in DEMO_LOGINS:
            user = await service.find_user_by_email(session, login.email)
            if user is None:
                user = await service.create_user(
                    session,
                    email=login.email,
                    password=login.password,
                    display_name=login.display_name,
                    roles=[login.role],
                )
            else:
                # Someone may have changed it while trying the demo; the printed one must work.
                if not await service.password_matches(user, login.password):
                    await service.set_password(session, user, login.password)
                user.is_active = True
                await service.grant_role(session, user, login.role)
            lines.append(f"{login.label:<9} {login.email} / {login.password}")
    return lines
