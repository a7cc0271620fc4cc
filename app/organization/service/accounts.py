"""Organisation accounts: registration (the registrant becomes its admin), reading one, the
user's own organisations, and the operator's review (verify, reject, suspend, reinstate)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, User
from app.audit import service as audit_service
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.fields import MAX_ID
from app.organization import access, repository
from app.organization.errors import (
    CreditCodeTaken,
    FieldProblem,
    InvalidOrganizationFields,
    InvalidStatusTransition,
    OrganizationNotFound,
)
from app.organization.models import Organization, OrganizationStatus
from app.organization.schemas import (
    MemberRoleName,
    MyOrganization,
    OrganizationOut,
    OrganizationPage,
    RegionRef,
    ReviewQueue,
)
from app.organization.service.fields import (
    check_credit_code,
    check_kind,
    check_name,
    check_reason,
    check_region,
)

ENTITY_KIND = "organization"
MAX_PER_PAGE = 100
REVIEW_QUEUE_LIMIT = 200

ROLE_NAMES: dict[Role, MemberRoleName] = {
    Role.ORG_ADMIN: "admin",
    Role.ORG_APPROVER: "approver",
    Role.ORG_BUYER: "buyer",
}


def role_name(roles: set[Role]) -> MemberRoleName | None:
    """The role a member shows as: the strongest they hold (admin, approver, buyer)."""
    return next((name for role, name in ROLE_NAMES.items() if role in roles), None)


@dataclass(frozen=True)
class OrganizationApplication:
    """A registration as entered; the service checks every field."""

    name: str
    credit_code: str
    kind: str
    region_code: str


def organization_view(organization: Organization) -> OrganizationOut:
    """The organisation as the API shows it; its county and province must be loaded."""
    county = organization.county
    return OrganizationOut(
        id=organization.id,
        status=organization.status.value,
        status_reason=organization.status_reason,
        name=organization.name,
        kind=organization.kind.value,
        credit_code=organization.credit_code,
        region_code=organization.region_code,
        province_code=organization.province_code,
        region=RegionRef(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province_name=county.province.name,
        ),
        verified_at=organization.verified_at,
        created_at=organization.created_at,
    )


async def register(
    session: AsyncSession, *, user: User, application: OrganizationApplication
) -> OrganizationOut:
    """Register an organisation, `pending` until an operator verifies it; `user` becomes its
    admin. Every field is checked before anything is written: InvalidOrganizationFields (422)
    names each bad one, CreditCodeTaken (409) a code already registered."""
    problems: dict[str, FieldProblem] = {}
    name = check_name(application.name, problems)
    kind = check_kind(application.kind, problems)
    credit_code = check_credit_code(application.credit_code, kind, problems)
    county = await check_region(session, application.region_code, problems)
    if problems or name is None or kind is None or credit_code is None or county is None:
        raise InvalidOrganizationFields(problems)
    if await repository.find_by_credit_code(session, credit_code) is not None:
        raise CreditCodeTaken(credit_code)
    organization = Organization(
        name=name,
        kind=kind,
        credit_code=credit_code,
        county=county,
        province_code=county.province_code,
        status=OrganizationStatus.PENDING,
    )
    try:
        # A savepoint: losing a race for the credit code leaves the transaction usable.
        async with session.begin_nested():
            session.add(organization)
            await session.flush()
    except IntegrityError as exc:
        raise CreditCodeTaken(credit_code) from exc
    await account_service.grant_role(session, user, Role.ORG_ADMIN, scope_id=organization.id)
    await audit_service.record(
        session,
        actor_user_id=user.id,
        action="organization.register",
        entity_kind=ENTITY_KIND,
        entity_id=organization.id,
        after={
            "status": organization.status,
            "name": name,
            "kind": kind,
            "credit_code": credit_code,
            "region_code": county.code,
        },
    )
    return organization_view(organization)


async def view_organization(
    session: AsyncSession, *, user: User, organization_id: int
) -> OrganizationOut:
    """The organisation for its members and operators; 404 for anyone else."""
    organization = await access.member_organization(
        session, user=user, organization_id=organization_id
    )
    return organization_view(organization)


async def member_role(
    session: AsyncSession, *, user: User, organization_id: int
) -> MemberRoleName | None:
    """The user's role in the organisation (None for an operator who is no member)."""
    return role_name(await repository.member_roles(session, user.id, organization_id))


async def list_my_organizations(session: AsyncSession, *, user: User) -> list[MyOrganization]:
    """The organisations `user` is a member of, by name, with their role in each."""
    roles: dict[int, set[Role]] = {}
    organizations: dict[int, Organization] = {}
    for organization, role in await repository.organizations_of_user(session, user.id):
        organizations[organization.id] = organization
        roles.setdefault(organization.id, set()).add(role)
    return [
        MyOrganization(
            organization=organization_view(organization),
            role=role_name(roles[organization_id]) or "buyer",
        )
        for organization_id, organization in organizations.items()
    ]


async def registration_counties(session: AsyncSession) -> list[tuple[str, str, list[Any]]]:
    """Every county for the registration form: (province code, province name, [(code, name,
    prefecture name)]) in code order."""
    groups: dict[str, tuple[str, str, list[Any]]] = {}
    for code, name, prefecture, province_code, province_name in await repository.county_options(
        session
    ):
        group = groups.setdefault(province_code, (province_code, province_name, []))
        group[2].append((code, name, prefecture))
    return list(groups.values())


# ---------------------------------------------------------------------------------------------
# The operator's review


class StatusAction(enum.StrEnum):
    VERIFY = "verify"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


# Each action's allowed starting statuses and the status it leads to. Rejected is final (the
# applicant registers again); a suspension can be undone.
TRANSITIONS: dict[StatusAction, tuple[frozenset[OrganizationStatus], OrganizationStatus]] = {
    StatusAction.VERIFY: (frozenset({OrganizationStatus.PENDING}), OrganizationStatus.VERIFIED),
    StatusAction.REJECT: (frozenset({OrganizationStatus.PENDING}), OrganizationStatus.REJECTED),
    StatusAction.SUSPEND: (
        frozenset({OrganizationStatus.VERIFIED}),
        OrganizationStatus.SUSPENDED,
    ),
    StatusAction.REINSTATE: (
        frozenset({OrganizationStatus.SUSPENDED}),
        OrganizationStatus.VERIFIED,
    ),
}
REASON_REQUIRED = frozenset({StatusAction.REJECT, StatusAction.SUSPEND})


def available_actions(status: OrganizationStatus) -> list[StatusAction]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def _snapshot(organization: Organization) -> dict[str, Any]:
    return {
        "status": organization.status,
        "status_reason": organization.status_reason,
        "verified_at": organization.verified_at,
    }


async def change_status(
    session: AsyncSession,
    *,
    operator: User,
    organization_id: int,
    action: StatusAction,
    reason: str | None = None,
) -> OrganizationOut:
    """Verify, reject, suspend or reinstate an organisation (the caller checked `operator` is
    one), with an audit entry in the same transaction. Reject and suspend need a reason (422);
    an action its status does not allow is InvalidStatusTransition (409)."""
    note = check_reason(reason, required=action in REASON_REQUIRED)
    organization = (
        await repository.get_organization(session, organization_id, for_update=True)
        if 1 <= organization_id <= MAX_ID
        else None
    )
    if organization is None:
        raise OrganizationNotFound(organization_id)
    sources, target = TRANSITIONS[action]
    if organization.status not in sources:
        raise InvalidStatusTransition(action.value, organization.status.value)
    before = _snapshot(organization)
    organization.status = target
    organization.status_reason = note if action in REASON_REQUIRED else None
    if action == StatusAction.VERIFY:
        organization.verified_at = utcnow()
    await session.flush()
    await audit_service.record(
        session,
        actor_user_id=operator.id,
        action=f"organization.{action.value}",
        entity_kind=ENTITY_KIND,
        entity_id=organization.id,
        before=before,
        after=_snapshot(organization),
        reason=note,
    )
    return organization_view(organization)


async def list_for_review(
    session: AsyncSession,
    *,
    status: OrganizationStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> OrganizationPage:
    """Organisations of one status (all if None), oldest first, for operators."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed(
            "Invalid page size.", fields={"per_page": f"between 1 and {MAX_PER_PAGE}"}
        )
    if not 1 <= page <= MAX_ID // MAX_PER_PAGE:
        raise ValidationFailed("Invalid page.", fields={"page": "a positive page number"})
    total = await repository.count_organizations(session, status=status)
    rows = await repository.list_organizations(
        session, status=status, offset=(page - 1) * per_page, limit=per_page
    )
    return OrganizationPage(
        items=[organization_view(o) for o in rows], total=total, page=page, per_page=per_page
    )


async def review_queue(session: AsyncSession, *, status: OrganizationStatus) -> ReviewQueue:
    """The operator page's queue: organisations of `status`, oldest first, and every count."""
    counts = await repository.count_by_status(session)
    rows = await repository.list_organizations(session, status=status, limit=REVIEW_QUEUE_LIMIT)
    return ReviewQueue(
        status=status.value,
        counts={s.value: counts.get(s, 0) for s in OrganizationStatus},
        items=[organization_view(o) for o in rows],
    )


async def count_pending(session: AsyncSession, _scope: int = 0) -> int:
    """Organisations waiting for an operator's verification (the back office's menu count)."""
    return await repository.count_organizations(session, status=OrganizationStatus.PENDING)
