"""Use cases of the account domain: registration, sign-in, passwords, roles; they flush and never
commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import repository, sessions
from app.account.errors import CurrentPasswordWrong, EmailTaken, InvalidCredentials
from app.account.models import Role, RoleAssignment, User
from app.account.passwords import hash_password, password_needs_rehash, verify_password
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.jobs.service import enqueue

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 256
DISPLAY_NAME_MAX_LENGTH = 100

WELCOME_MAIL_JOB = "account.send_welcome_mail"

COOPERATIVE_ROLES = frozenset({Role.SUPPLIER_MEMBER, Role.SUPPLIER_ADMIN})
ORGANIZATION_ROLES = frozenset({Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN})
_ROLE_ORDER = {role: index for index, role in enumerate(Role)}


@dataclass(frozen=True)
class UserSummary:
    """Who a user is and what their roles let them act for (the /me shape)."""

    id: int
    email: str
    display_name: str
    roles: list[str]
    cooperative_ids: list[int]
    organization_ids: list[int]


def _email_error(raw: str) -> tuple[str | None, str | None]:
    """(canonical e-mail, None) or (None, why it is refused)."""
    candidate = raw.strip()
    if not candidate:
        return None, "Enter an e-mail address."
    if len(candidate) > EMAIL_MAX_LENGTH:
        return None, f"An e-mail address has at most {EMAIL_MAX_LENGTH} characters."
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc)
    # Lower-cased as a whole: users type their address in any case and expect one account.
    canonical = checked.normalized.lower()
    if len(canonical) > EMAIL_MAX_LENGTH:
        return None, f"An e-mail address has at most {EMAIL_MAX_LENGTH} characters."
    return canonical, None


def normalize_email(raw: str) -> str:
    """The stored form of an e-mail address, or ValidationFailed on the `email` field."""
    email, error = _email_error(raw)
    if email is None:
        raise ValidationFailed("The e-mail address is invalid.", fields={"email": error or ""})
    return email


def _password_error(password: str) -> str | None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return f"A password has between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters."
    return None


def _display_name_error(display_name: str) -> str | None:
    if not 1 <= len(display_name) <= DISPLAY_NAME_MAX_LENGTH:
        return f"A display name has between 1 and {DISPLAY_NAME_MAX_LENGTH} characters."
    return None


def _check_new_account(email: str, password: str, display_name: str) -> tuple[str, str]:
    """(canonical e-mail, stripped display name), or ValidationFailed naming every bad field."""
    canonical, email_error = _email_error(email)
    name = display_name.strip()
    errors = {
        "email": email_error,
        "password": _password_error(password),
        "display_name": _display_name_error(name),
    }
    fields = {field: message for field, message in errors.items() if message}
    if fields or canonical is None:
        raise ValidationFailed("Some fields are invalid.", fields=fields)
    return canonical, name


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await repository.get_user(session, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The account of an address typed in any case; None for unknown or malformed addresses."""
    canonical, _ = _email_error(email)
    if canonical is None:
        return None
    return await repository.find_user_by_email(session, canonical)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    display_name: str,
    roles: Iterable[Role] = (),
) -> User:
    """A new active account with unscoped `roles`; EmailTaken if the address is in use."""
    canonical, name = _check_new_account(email, password, display_name)
    if await repository.find_user_by_email(session, canonical) is not None:
        raise EmailTaken(canonical)
    user = User(
        email=canonical,
        password_hash=await hash_password(password),
        display_name=name,
        is_active=True,
    )
    try:
        # A savepoint, so that losing a race for the address leaves the transaction usable.
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken(canonical) from exc
    for role in roles:
        await grant_role(session, user, role)
    return user


async def register_user(
    session: AsyncSession, *, email: str, password: str, display_name: str
) -> User:
    """A consumer signs up; the welcome mail leaves through the outbox with this transaction."""
    user = await create_user(
        session,
        email=email,
        password=password,
        display_name=display_name,
        roles=[Role.CONSUMER],
    )
    await enqueue(session, WELCOME_MAIL_JOB, {"user_id": user.id})
    return user


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The active user with this e-mail and password, else InvalidCredentials.

    An unknown address costs the same password check as a known one, and every failure has
    the same message, so that neither time nor text tells which addresses have accounts.
    """
    user = await find_user_by_email(session, email)
    matched = await verify_password(user.password_hash if user else None, password)
    if user is None or not matched or not user.is_active:
        raise InvalidCredentials()
    if password_needs_rehash(user.password_hash):
        user.password_hash = await hash_password(password)
    user.last_login_at = utcnow()
    await session.flush()
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    """A new password; every session and API token of the user ends with the old one."""
    error = _password_error(password)
    if error:
        raise ValidationFailed("The password is invalid.", fields={"password": error})
    user.password_hash = await hash_password(password)
    await sessions.end_all_sessions(session, user)
    await session.flush()


async def change_password(
    session: AsyncSession, user: User, *, current_password: str, new_password: str
) -> None:
    """The user's own change: the current password first (CurrentPasswordWrong), then the new
    one's rules (ValidationFailed on `new_password`); all their sessions and tokens end."""
    if not await verify_password(user.password_hash, current_password):
        raise CurrentPasswordWrong()
    error = _password_error(new_password)
    if error:
        raise ValidationFailed("The new password is invalid.", fields={"new_password": error})
    await set_password(session, user, new_password)


async def password_matches(user: User, password: str) -> bool:
    return await verify_password(user.password_hash, password)


async def grant_role(
    session: AsyncSession,
    user: User,
    role: Role,
    *,
    scope_id: int | None = None,
    scope_code: str | None = None,
) -> RoleAssignment:
    """Give `user` the role (for a cooperative, organisation or province); idempotent."""
    existing = await repository.find_role_assignment(
        session, user.id, role, scope_id=scope_id, scope_code=scope_code
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        user_id=user.id, role=role, scope_id=scope_id, scope_code=scope_code
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def revoke_role(
    session: AsyncSession,
    user: User,
    role: Role,
    *,
    scope_id: int | None = None,
    scope_code: str | None = None,
) -> bool:
    """Take the role away; False when the user did not hold it."""
    existing = await repository.find_role_assignment(
        session, user.id, role, scope_id=scope_id, scope_code=scope_code
    )
    if existing is None:
        return False
    await session.delete(existing)
    await session.flush()
    return True


async def user_roles(session: AsyncSession, user_id: int) -> list[RoleAssignment]:
    return list(await repository.list_role_assignments(session, user_id))


async def has_role(
    session: AsyncSession,
    user_id: int,
    role: Role,
    *,
    scope_id: int | None = None,
    scope_code: str | None = None,
) -> bool:
    """Whether the user holds the role with exactly this scope (None: the unscoped role)."""
    found = await repository.find_role_assignment(
        session, user_id, role, scope_id=scope_id, scope_code=scope_code
    )
    return found is not None


def roles_by_user(
    assignments: Iterable[Row[RoleAssignment, User]],
) -> list[tuple[User, set[Role]]]:
    """The users of a scope's role assignments, each once in the order first met, with every
    role they hold there (a supplier's or an organisation's members)."""
    by_user: dict[int, tuple[User, set[Role]]] = {}
    for assignment, user in assignments:
        by_user.setdefault(user.id, (user, set()))[1].add(assignment.role)
    return list(by_user.values())


async def has_any_role(session: AsyncSession, user_id: int, roles: Iterable[Role]) -> bool:
    """Whether the user holds one of `roles`, in any scope."""
    return await repository.has_any_role(session, user_id, list(roles))


async def ensure_operator(session: AsyncSession, *, email: str, password: str, name: str) -> User:
    """A platform operator: created, or the role granted to the existing account.

    An existing account keeps its password and name: the command must not become a way to
    take over someone's account.
    """
    canonical = normalize_email(email)
    user = await repository.find_user_by_email(session, canonical)
    if user is None:
        user = await create_user(
            session, email=canonical, password=password, display_name=name, roles=[Role.OPERATOR]
        )
    else:
        await grant_role(session, user, Role.OPERATOR)
    return user


async def summarize_user(session: AsyncSession, user: User) -> UserSummary:
    assignments = await repository.list_role_assignments(session, user.id)
    roles = sorted({a.role for a in assignments}, key=_ROLE_ORDER.__getitem__)
    return UserSummary(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        roles=[role.value for role in roles],
        cooperative_ids=_scope_ids(assignments, COOPERATIVE_ROLES),
        organization_ids=_scope_ids(assignments, ORGANIZATION_ROLES),
    )


def _scope_ids(assignments: Iterable[RoleAssignment], roles: frozenset[Role]) -> list[int]:
    return sorted({a.scope_id for a in assignments if a.role in roles and a.scope_id is not None})
