"""Use cases of the cooperative domain: supplier onboarding, verification and membership."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, User
from app.audit import service as audit_service
from app.audit.schemas import AuditActor, AuditChange, AuditEntryOut, AuditLog
from app.cooperative import repository
from app.cooperative.errors import (
    CooperativeNotFound,
    CreditCodeTaken,
    FieldProblem,
    InvalidFields,
    InvalidStatusTransition,
    LastAdmin,
    MemberNotFound,
    SupplierAdminRequired,
    SupplierNotSelling,
)
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.cooperative.schemas import (
    MAX_HOUSEHOLDS,
    CooperativeOut,
    CooperativePage,
    CountyOption,
    CountyRef,
    Dashboard,
    MemberOut,
    MemberRoleName,
    MyCooperative,
    ProvinceCounties,
    ReviewQueue,
)
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.fields import MAX_ID
from app.core.fields import has_control_characters as _unprintable
from app.core.identifiers import CreditCodeError, normalize_phone, parse_credit_code
from app.jobs.service import enqueue
from app.regions.models import County
from app.regions.service import is_region_code

NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 100
CONTACT_NAME_MAX_LENGTH = 50
RECOMMENDATION_REF_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 500
MAX_PER_PAGE = 100
REVIEW_QUEUE_LIMIT = 200
AUDIT_LOG_MAX_LIMIT = 500

ENTITY_KIND = "cooperative"

# The first two characters of the credit code each kind of supplier must have: farmers'
# cooperatives register as 93, enterprises as 91, family farms as individual businesses (92)
# or as enterprises (91).
KIND_PREFIXES: dict[SupplierKind, tuple[str, ...]] = {
    SupplierKind.COOPERATIVE: ("93",),
    SupplierKind.ENTERPRISE: ("91",),
    SupplierKind.FAMILY_FARM: ("92", "91"),
}

_MEMBER_ROLES: dict[str, Role] = {"admin": Role.SUPPLIER_ADMIN, "member": Role.SUPPLIER_MEMBER}
_ROLE_NAMES: dict[Role, MemberRoleName] = {
    Role.SUPPLIER_ADMIN: "admin",
    Role.SUPPLIER_MEMBER: "member",
}


class StatusAction(enum.StrEnum):
    """What an operator can do to a supplier."""

    VERIFY = "verify"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


# The state machine: each action's allowed starting statuses and the status it leads to.
# Rejected is final (the applicant registers again); only a suspension can be undone.
TRANSITIONS: dict[StatusAction, tuple[frozenset[SupplierStatus], SupplierStatus]] = {
    StatusAction.VERIFY: (frozenset({SupplierStatus.PENDING}), SupplierStatus.VERIFIED),
    StatusAction.REJECT: (frozenset({SupplierStatus.PENDING}), SupplierStatus.REJECTED),
    StatusAction.SUSPEND: (frozenset({SupplierStatus.VERIFIED}), SupplierStatus.SUSPENDED),
    StatusAction.REINSTATE: (frozenset({SupplierStatus.SUSPENDED}), SupplierStatus.VERIFIED),
}
REASON_REQUIRED = frozenset({StatusAction.REJECT, StatusAction.SUSPEND})


def available_actions(status: SupplierStatus) -> list[StatusAction]:
    """The operator actions a supplier in `status` allows."""
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


@dataclass(frozen=True)
class SupplierApplication:
    """A supplier's application as entered; the service checks every field.

    `households_supported` is None when the form's value was not a whole number.
    """

    name: str
    credit_code: str
    county_code: str
    contact_name: str
    contact_phone: str
    households_supported: int | None
    kind: str = SupplierKind.COOPERATIVE.value
    recommendation_ref: str | None = None
    description: str | None = None


# ---------------------------------------------------------------------------------------------
# Field checks


def _check_text(
    raw: str | None,
    field: str,
    problems: dict[str, FieldProblem],
    *,
    code: str,
    min_length: int,
    max_length: int,
    label: str,
    multiline: bool = False,
) -> str | None:
    """The stripped text (None if empty and optional), or None with a problem recorded."""
    text = (raw or "").strip()
    if not text and min_length == 0:
        return None
    if _unprintable(text, multiline=multiline):
        problems[field] = FieldProblem(code, f"{label} contains control characters.", "charset")
        return None
    if not min_length <= len(text) <= max_length:
        problems[field] = FieldProblem(
            code,
            f"{label} has between {min_length} and {max_length} characters.",
            "length",
        )
        return None
    return text


def _check_kind(raw: str, problems: dict[str, FieldProblem]) -> SupplierKind | None:
    try:
        return SupplierKind(raw)
    except ValueError:
        kinds = ", ".join(kind.value for kind in SupplierKind)
        problems["kind"] = FieldProblem("invalid_kind", f"The kind is one of: {kinds}.")
        return None


def _check_credit_code(
    raw: str, kind: SupplierKind | None, problems: dict[str, FieldProblem]
) -> str | None:
    try:
        parsed = parse_credit_code(raw)
    except CreditCodeError as exc:
        problems["credit_code"] = FieldProblem("invalid_credit_code", str(exc), exc.reason)
        return None
    if kind is not None and parsed.prefix not in KIND_PREFIXES[kind]:
        expected = " or ".join(KIND_PREFIXES[kind])
        problem = FieldProblem(
            "credit_code_kind_mismatch",
            f"A supplier of kind {kind.value} has a credit code starting with {expected}, "
            f"not {parsed.prefix}.",
            parsed.prefix,
        )
        problems["credit_code"] = problem
        problems["kind"] = problem
        return None
    return parsed.code


def _check_phone(raw: str, problems: dict[str, FieldProblem]) -> str | None:
    try:
        return normalize_phone(raw)
    except ValueError as exc:
        problems["contact_phone"] = FieldProblem("invalid_phone", str(exc))
        return None


def _check_households(value: int | None, problems: dict[str, FieldProblem]) -> int | None:
    # bool is an int in Python; a checkbox's True is no count of households.
    if value is None or isinstance(value, bool) or not 0 <= value <= MAX_HOUSEHOLDS:
        problems["households_supported"] = FieldProblem(
            "invalid_households_supported",
            f"The households supported are a whole number from 0 to {MAX_HOUSEHOLDS}.",
        )
        return None
    return value


async def _check_county(
    session: AsyncSession,
    raw: str,
    problems: dict[str, FieldProblem],
    *,
    require_poverty_county: bool,
) -> County | None:
    code = raw.strip()
    # Anything but six ASCII digits names no county (and is not sent to the database).
    county = await repository.get_county(session, code) if is_region_code(code) else None
    if county is None:
        problems["county_code"] = FieldProblem(
            "unknown_county", "No county has this code (GB/T 2260, six digits)."
        )
        return None
    if require_poverty_county and not county.poverty_lifted:
        problems["county_code"] = FieldProblem(
            "county_not_poverty_lifted",
            f"{county.name} is not one of the poverty-lifted counties; suppliers must be "
            "registered in one.",
        )
        return None
    return county


def _check_reason(raw: str | None, *, required: bool) -> str | None:
    problems: dict[str, FieldProblem] = {}
    text = (raw or "").strip()
    if not text:
        if required:
            raise InvalidFields(
                {"reason": FieldProblem("reason_required", "Give the reason for this action.")}
            )
        return None
    if _unprintable(text, multiline=True):
        problems["reason"] = FieldProblem("invalid_reason", "The reason has control characters.")
    elif len(text) > REASON_MAX_LENGTH:
        problems["reason"] = FieldProblem(
            "reason_too_long", f"The reason has at most {REASON_MAX_LENGTH} characters."
        )
    if problems:
        raise InvalidFields(problems)
    return text


def _check_id(cooperative_id: int) -> None:
    if not 1 <= cooperative_id <= MAX_ID:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")


# ---------------------------------------------------------------------------------------------
# Views


def _county_ref(county: County) -> CountyRef:
    return CountyRef(
        code=county.code,
        name=county.name,
        province_code=county.province_code,
        province_name=county.province.name,
    )


def cooperative_view(cooperative: Cooperative, *, with_contact: bool) -> CooperativeOut:
    """The supplier as the API shows it; its county and province must be loaded."""
    return CooperativeOut(
        id=cooperative.id,
        status=cooperative.status.value,
        status_reason=cooperative.status_reason,
        name=cooperative.name,
        kind=cooperative.kind.value,
        credit_code=cooperative.credit_code,
        county=_county_ref(cooperative.county),
        households_supported=cooperative.households_supported,
        recommendation_ref=cooperative.recommendation_ref,
        description=cooperative.description,
        contact_name=cooperative.contact_name if with_contact else None,
        contact_phone=cooperative.contact_phone if with_contact else None,
        verified_at=cooperative.verified_at,
        created_at=cooperative.created_at,
    )


def _status_snapshot(cooperative: Cooperative) -> dict[str, Any]:
    return {
        "status": cooperative.status,
        "status_reason": cooperative.status_reason,
        "verified_at": cooperative.verified_at,
    }


def _role_name(roles: set[Role]) -> MemberRoleName | None:
    if Role.SUPPLIER_ADMIN in roles:
        return "admin"
    if Role.SUPPLIER_MEMBER in roles:
        return "member"
    return None


# ---------------------------------------------------------------------------------------------
# Lookups that other domains use


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative:
    _check_id(cooperative_id)
    cooperative = await repository.get_cooperative(session, cooperative_id)
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def get_member_cooperative(
    session: AsyncSession, *, user: User, cooperative_id: int, admin: bool = False
) -> Cooperative:
    """The cooperative if `user` is its member (its admin, when `admin`), else 404.

    Someone else's cooperative answers 404, not 403: its existence is not revealed.
    """
    _check_id(cooperative_id)
    roles = await repository.member_roles(session, user.id, cooperative_id)
    allowed = Role.SUPPLIER_ADMIN in roles if admin else bool(roles)
    if not allowed:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return await get_cooperative(session, cooperative_id)


def ensure_can_sell(cooperative: Cooperative) -> None:
    """Unverified or suspended suppliers sell nothing."""
    if cooperative.status != SupplierStatus.VERIFIED:
        raise SupplierNotSelling(
            f"The supplier is {cooperative.status.value}; only verified suppliers can sell."
        )


async def _load(
    session: AsyncSession, cooperative_id: int, *, for_update: bool = False
) -> Cooperative:
    _check_id(cooperative_id)
    cooperative = await repository.get_cooperative_with_county(
        session, cooperative_id, for_update=for_update
    )
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def _is_operator(session: AsyncSession, user: User) -> bool:
    return await account_service.has_role(session, user.id, Role.OPERATOR)


# ---------------------------------------------------------------------------------------------
# Onboarding


async def apply(
    session: AsyncSession,
    *,
    user: User,
    application: SupplierApplication,
    require_poverty_county: bool = True,
) -> CooperativeOut:
    """Register a supplier, `pending` until an operator verifies it; `user` becomes its admin.

    Every field is checked before anything is written; InvalidFields names each bad field
    (422), CreditCodeTaken (409) a code already registered. `require_poverty_county` is the
    admission rule (FENGSHOU_SUPPLIER_REQUIRES_POVERTY_COUNTY): the county must be one of
    the poverty-lifted counties.
    """
    problems: dict[str, FieldProblem] = {}
    name = _check_text(
        application.name,
        "name",
        problems,
        code="invalid_name",
        min_length=NAME_MIN_LENGTH,
        max_length=NAME_MAX_LENGTH,
        label="The name",
    )
    kind = _check_kind(application.kind, problems)
    credit_code = _check_credit_code(application.credit_code, kind, problems)
    contact_name = _check_text(
        application.contact_name,
        "contact_name",
        problems,
        code="invalid_contact_name",
        min_length=1,
        max_length=CONTACT_NAME_MAX_LENGTH,
        label="The contact name",
    )
    phone = _check_phone(application.contact_phone, problems)
    households = _check_households(application.households_supported, problems)
    reference = _check_text(
        application.recommendation_ref,
        "recommendation_ref",
        problems,
        code="invalid_recommendation_ref",
        min_length=0,
        max_length=RECOMMENDATION_REF_MAX_LENGTH,
        label="The recommendation reference",
    )
    description = _check_text(
        application.description,
        "description",
        problems,
        code="invalid_description",
        min_length=0,
        max_length=DESCRIPTION_MAX_LENGTH,
        label="The description",
        multiline=True,
    )
    county = await _check_county(
        session, application.county_code, problems, require_poverty_county=require_poverty_county
    )
    if (
        problems
        or name is None
        or kind is None
        or credit_code is None
        or contact_name is None
        or phone is None
        or households is None
        or county is None
    ):
        raise InvalidFields(problems)
    if await repository.find_by_credit_code(session, credit_code) is not None:
        raise CreditCodeTaken(credit_code)
    cooperative = Cooperative(
        name=name,
        kind=kind,
        credit_code=credit_code,
        county=county,
        contact_name=contact_name,
        contact_phone=phone,
        households_supported=households,
        recommendation_ref=reference,
        description=description,
        status=SupplierStatus.PENDING,
    )
    try:
        # A savepoint: losing a race for the credit code leaves the transaction usable.
        async with session.begin_nested():
            session.add(cooperative)
            await session.flush()
    except IntegrityError as exc:
        raise CreditCodeTaken(credit_code) from exc
    await account_service.grant_role(session, user, Role.SUPPLIER_ADMIN, scope_id=cooperative.id)
    await audit_service.record(
        session,
        actor_user_id=user.id,
        action="cooperative.apply",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        after={
            "status": cooperative.status,
            "name": cooperative.name,
            "kind": cooperative.kind,
            "credit_code": cooperative.credit_code,
            "county_code": county.code,
        },
    )
    return cooperative_view(cooperative, with_contact=True)


async def registration_counties(
    session: AsyncSession, *, require_poverty_county: bool = True
) -> list[ProvinceCounties]:
    """The counties the registration form offers, grouped by province."""
    rows = await repository.county_options(session, poverty_lifted_only=require_poverty_county)
    groups: dict[str, ProvinceCounties] = {}
    for code, name, prefecture_name, province_code, province_name in rows:
        group = groups.get(province_code)
        if group is None:
            group = groups[province_code] = ProvinceCounties(
                code=province_code, name=province_name, counties=[]
            )
        group.counties.append(CountyOption(code=code, name=name, prefecture_name=prefecture_name))
    return list(groups.values())


# ---------------------------------------------------------------------------------------------
# Reading suppliers


async def view_cooperative(
    session: AsyncSession, *, cooperative_id: int, viewer: User | None
) -> CooperativeOut:
    """A verified supplier for anyone; any supplier for its members and for operators;
    404 otherwise, as if it did not exist."""
    cooperative = await _load(session, cooperative_id)
    privileged = viewer is not None and (
        bool(await repository.member_roles(session, viewer.id, cooperative.id))
        or await _is_operator(session, viewer)
    )
    if cooperative.status != SupplierStatus.VERIFIED and not privileged:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative_view(cooperative, with_contact=privileged)


async def list_my_cooperatives(session: AsyncSession, *, user: User) -> list[MyCooperative]:
    """The suppliers `user` is a member of, newest first, with their role in each."""
    roles: dict[int, set[Role]] = {}
    cooperatives: dict[int, Cooperative] = {}
    for cooperative, role in await repository.cooperatives_of_user(session, user.id):
        cooperatives[cooperative.id] = cooperative
        roles.setdefault(cooperative.id, set()).add(role)
    return [
        MyCooperative(
            cooperative=cooperative_view(cooperative, with_contact=True),
            role=_role_name(roles[cooperative_id]) or "member",
        )
        for cooperative_id, cooperative in cooperatives.items()
    ]


async def _members(session: AsyncSession, cooperative_id: int) -> list[MemberOut]:
    """Members in user order, admins first; a user holding both roles counts as admin."""
    by_user: dict[int, tuple[User, set[Role]]] = {}
    for assignment, user in await repository.member_assignments(session, cooperative_id):
        by_user.setdefault(user.id, (user, set()))[1].add(assignment.role)
    members = [
        MemberOut(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=_role_name(roles) or "member",
        )
        for user, roles in by_user.values()
    ]
    return sorted(members, key=lambda m: (m.role != "admin", m.user_id))


async def dashboard(session: AsyncSession, *, user: User, cooperative_id: int) -> Dashboard:
    """The supplier portal's overview for one of its members; 404 for anyone else."""
    _check_id(cooperative_id)
    role = _role_name(await repository.member_roles(session, user.id, cooperative_id))
    if role is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    cooperative = await _load(session, cooperative_id)
    return Dashboard(
        cooperative=cooperative_view(cooperative, with_contact=True),
        members=await _members(session, cooperative_id),
        role=role,
    )


# ---------------------------------------------------------------------------------------------
# Membership


async def list_members(
    session: AsyncSession, *, viewer: User, cooperative_id: int
) -> list[MemberOut]:
    """The supplier's members, for its members and operators; 404 for anyone else."""
    _check_id(cooperative_id)
    is_member = bool(await repository.member_roles(session, viewer.id, cooperative_id))
    if not is_member and not await _is_operator(session, viewer):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    await _load(session, cooperative_id)
    return await _members(session, cooperative_id)


async def _require_admin(session: AsyncSession, user: User, cooperative_id: int) -> None:
    """404 for non-members (the supplier stays hidden), 403 for members who are not admins."""
    _check_id(cooperative_id)
    roles = await repository.member_roles(session, user.id, cooperative_id)
    if not roles:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    if Role.SUPPLIER_ADMIN not in roles:
        raise SupplierAdminRequired()


async def _find_invitee(session: AsyncSession, raw_email: str) -> User:
    text = raw_email.strip()
    if _unprintable(text):
        raise InvalidFields(
            {"email": FieldProblem("invalid_email", "The e-mail address is invalid.")}
        )
    try:
        email = account_service.normalize_email(text)
    except ValidationFailed as exc:
        message = exc.fields.get("email") or "The e-mail address is invalid."
        raise InvalidFields({"email": FieldProblem("invalid_email", message)}) from exc
    user = await account_service.find_user_by_email(session, email)
    if user is None or not user.is_active:
        raise InvalidFields(
            {
                "email": FieldProblem(
                    "unknown_user",
                    "No registered user has this e-mail address; ask them to sign up first.",
                )
            }
        )
    return user


async def add_member(
    session: AsyncSession, *, actor: User, cooperative_id: int, email: str, role: str
) -> MemberOut:
    """Make a registered user a member or admin of the supplier (admins only).

    Inviting an existing member with another role changes their role; an admin made a
    member must not be the last admin (LastAdmin, 409). The same role again changes nothing.
    """
    await _require_admin(session, actor, cooperative_id)
    new_role = _MEMBER_ROLES.get(role)
    if new_role is None:
        raise InvalidFields(
            {"role": FieldProblem("invalid_role", "The role is either admin or member.")}
        )
    invitee = await _find_invitee(session, email)
    # Locked so that concurrent role changes cannot leave the supplier without an admin.
    cooperative = await _load(session, cooperative_id, for_update=True)
    current = await repository.member_roles(session, invitee.id, cooperative.id)
    view = MemberOut(
        user_id=invitee.id,
        email=invitee.email,
        display_name=invitee.display_name,
        role=_ROLE_NAMES[new_role],
    )
    if current == {new_role}:
        return view
    if (
        Role.SUPPLIER_ADMIN in current
        and new_role != Role.SUPPLIER_ADMIN
        and await repository.count_admins(session, cooperative.id) <= 1
    ):
        raise LastAdmin()
    await account_service.grant_role(session, invitee, new_role, scope_id=cooperative.id)
    for old_role in current - {new_role}:
        await account_service.revoke_role(session, invitee, old_role, scope_id=cooperative.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="cooperative.member_role_change" if current else "cooperative.member_add",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before={"member_user_id": invitee.id, "member_role": _role_name(current)},
        after={"member_user_id": invitee.id, "member_role": _ROLE_NAMES[new_role]},
    )
    return view


async def remove_member(
    session: AsyncSession, *, actor: User, cooperative_id: int, user_id: int
) -> MemberOut:
    """Take a member out of the supplier: admins remove anyone, members only themselves.
    The last admin stays (LastAdmin, 409). Returns the member as they were."""
    _check_id(cooperative_id)
    actor_roles = await repository.member_roles(session, actor.id, cooperative_id)
    if not actor_roles:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    if user_id != actor.id and Role.SUPPLIER_ADMIN not in actor_roles:
        raise SupplierAdminRequired()
    if not 1 <= user_id <= MAX_ID:
        raise MemberNotFound(user_id)
    cooperative = await _load(session, cooperative_id, for_update=True)
    target_roles = await repository.member_roles(session, user_id, cooperative.id)
    member = await account_service.get_user(session, user_id) if target_roles else None
    if member is None:
        raise MemberNotFound(user_id)
    if (
        Role.SUPPLIER_ADMIN in target_roles
        and await repository.count_admins(session, cooperative.id) <= 1
    ):
        raise LastAdmin()
    for role in target_roles:
        await account_service.revoke_role(session, member, role, scope_id=cooperative.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="cooperative.member_remove",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before={"member_user_id": user_id, "member_role": _role_name(target_roles)},
        after={"member_user_id": user_id, "member_role": None},
    )
    return MemberOut(
        user_id=member.id,
        email=member.email,
        display_name=member.display_name,
        role=_role_name(target_roles) or "member",
    )


# ---------------------------------------------------------------------------------------------
# Operator review


# Handled by the catalog (a higher domain), named rather than imported.
REINDEX_PRODUCTS_JOB = "catalog.reindex_products"


async def change_status(
    session: AsyncSession,
    *,
    operator: User,
    cooperative_id: int,
    action: StatusAction,
    reason: str | None = None,
) -> CooperativeOut:
    """Verify, reject, suspend or reinstate a supplier, with an audit entry in the same
    transaction. Reject and suspend need a reason (InvalidFields, 422); an action its status
    does not allow is InvalidStatusTransition (409)."""
    note = _check_reason(reason, required=action in REASON_REQUIRED)
    cooperative = await _load(session, cooperative_id, for_update=True)
    sources, target = TRANSITIONS[action]
    if cooperative.status not in sources:
        raise InvalidStatusTransition(action.value, cooperative.status.value)
    before = _status_snapshot(cooperative)
    cooperative.status = target
    # The reason explains a rejection or suspension; a verified supplier carries none.
    cooperative.status_reason = note if action in REASON_REQUIRED else None
    if action == StatusAction.VERIFY:
        cooperative.verified_at = utcnow()
    await session.flush()
    await audit_service.record(
        session,
        actor_user_id=operator.id,
        action=f"cooperative.{action.value}",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before=before,
        after=_status_snapshot(cooperative),
        reason=note,
    )
    # Its products enter or leave search with it, in the same transaction.
    await enqueue(session, REINDEX_PRODUCTS_JOB, {"cooperative_id": cooperative.id})
    return cooperative_view(cooperative, with_contact=True)


async def list_for_review(
    session: AsyncSession,
    *,
    status: SupplierStatus | None = None,
    page: int = 1,
    per_page: int = 50,
) -> CooperativePage:
    """Suppliers of one status (all if None), oldest first, for operators."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed(
            "Invalid page size.", fields={"per_page": f"between 1 and {MAX_PER_PAGE}"}
        )
    if not 1 <= page <= MAX_ID // MAX_PER_PAGE:
        raise ValidationFailed("Invalid page.", fields={"page": "a positive page number"})
    total = await repository.count_cooperatives(session, status=status)
    rows = await repository.list_cooperatives(
        session, status=status, offset=(page - 1) * per_page, limit=per_page
    )
    return CooperativePage(
        items=[cooperative_view(c, with_contact=True) for c in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


async def review_queue(session: AsyncSession, *, status: SupplierStatus) -> ReviewQueue:
    """The operator page's queue: suppliers of `status`, oldest first, and every status' count."""
    counts = await repository.count_by_status(session)
    rows = await repository.list_cooperatives(session, status=status, limit=REVIEW_QUEUE_LIMIT)
    return ReviewQueue(
        status=status.value,
        counts={s.value: counts.get(s, 0) for s in SupplierStatus},
        items=[cooperative_view(c, with_contact=True) for c in rows],
    )


# ---------------------------------------------------------------------------------------------
# The audit log (its views need the accounts, which the audit domain may not import)


async def audit_log(
    session: AsyncSession,
    *,
    entity_kind: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> AuditLog:
    """The newest audit entries with who made them and what changed."""
    if not 1 <= limit <= AUDIT_LOG_MAX_LIMIT:
        raise ValidationFailed(
            "Invalid limit.", fields={"limit": f"between 1 and {AUDIT_LOG_MAX_LIMIT}"}
        )
    filters = {"entity_kind": entity_kind, "entity_id": entity_id, "action": action}
    bad = [name for name, value in filters.items() if value is not None and _unprintable(value)]
    if bad:
        raise ValidationFailed(
            "Invalid filter.", fields={name: "control characters" for name in bad}
        )
    entries = await audit_service.recent_entries(
        session, limit, entity_kind=entity_kind, entity_id=entity_id, action=action
    )
    actor_ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    users = await repository.users_by_ids(session, actor_ids)
    items = []
    for entry in entries:
        actor = None
        if entry.actor_user_id is not None:
            user = users.get(entry.actor_user_id)
            actor = AuditActor(
                id=entry.actor_user_id,
                display_name=user.display_name if user else None,
                email=user.email if user else None,
            )
        items.append(
            AuditEntryOut(
                id=entry.id,
                at=entry.at,
                actor=actor,
                action=entry.action,
                entity_kind=entry.entity_kind,
                entity_id=entry.entity_id,
                before=entry.before,
                after=entry.after,
                reason=entry.reason,
                changes=[
                    AuditChange(field=name, before=old, after=new)
                    for name, old, new in audit_service.changed_fields(entry.before, entry.after)
                ],
            )
        )
    return AuditLog(items=items)
