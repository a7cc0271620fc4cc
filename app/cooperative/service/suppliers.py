"""Use cases on suppliers themselves: onboarding, reading a supplier, the lookups other domains
use, and the view every use case answers with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, User
from app.audit import service as audit_service
from app.cooperative import repository
from app.cooperative.errors import (
    CooperativeNotFound,
    CreditCodeTaken,
    FieldProblem,
    InvalidFields,
    SupplierNotSelling,
)
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.cooperative.schemas import CooperativeOut, CountyOption, CountyRef, ProvinceCounties
from app.cooperative.service.fields import (
    CONTACT_NAME_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    RECOMMENDATION_REF_MAX_LENGTH,
    check_county,
    check_credit_code,
    check_households,
    check_id,
    check_kind,
    check_name,
    check_phone,
    check_text,
)
from app.regions.models import County

ENTITY_KIND = "cooperative"


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


# ---------------------------------------------------------------------------------------------
# Lookups that other domains use


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative:
    check_id(cooperative_id)
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
    check_id(cooperative_id)
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


async def load_cooperative(
    session: AsyncSession, cooperative_id: int, *, for_update: bool = False
) -> Cooperative:
    check_id(cooperative_id)
    cooperative = await repository.get_cooperative_with_county(
        session, cooperative_id, for_update=for_update
    )
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def is_operator(session: AsyncSession, user: User) -> bool:
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
    name = check_name(application.name, problems)
    kind = check_kind(application.kind, problems)
    credit_code = check_credit_code(application.credit_code, kind, problems)
    contact_name = check_text(
        application.contact_name,
        "contact_name",
        problems,
        code="invalid_contact_name",
        min_length=1,
        max_length=CONTACT_NAME_MAX_LENGTH,
        label="The contact name",
    )
    phone = check_phone(application.contact_phone, problems)
    households = check_households(application.households_supported, problems)
    reference = check_text(
        application.recommendation_ref,
        "recommendation_ref",
        problems,
        code="invalid_recommendation_ref",
        min_length=0,
        max_length=RECOMMENDATION_REF_MAX_LENGTH,
        label="The recommendation reference",
    )
    description = check_text(
        application.description,
        "description",
        problems,
        code="invalid_description",
        min_length=0,
        max_length=DESCRIPTION_MAX_LENGTH,
        label="The description",
        multiline=True,
    )
    county = await check_county(
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
    cooperative = await load_cooperative(session, cooperative_id)
    privileged = viewer is not None and (
        bool(await repository.member_roles(session, viewer.id, cooperative.id))
        or await is_operator(session, viewer)
    )
    if cooperative.status != SupplierStatus.VERIFIED and not privileged:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative_view(cooperative, with_contact=privileged)


async def update_story(
    session: AsyncSession, *, user: User, cooperative_id: int, story: str
) -> CooperativeOut:
    """The supplier's story (its description, shown on its public page), set by one of its
    admins (a member gets 404 like anyone else); empty clears it; 422 `invalid_story` beyond
    DESCRIPTION_MAX_LENGTH characters or with control characters."""
    await get_member_cooperative(session, user=user, cooperative_id=cooperative_id, admin=True)
    problems: dict[str, FieldProblem] = {}
    text = check_text(
        story,
        "story",
        problems,
        code="invalid_story",
        min_length=0,
        max_length=DESCRIPTION_MAX_LENGTH,
        label="The story",
        multiline=True,
    )
    if problems:
        raise InvalidFields(problems)
    cooperative = await load_cooperative(session, cooperative_id)
    cooperative.description = text.replace("\r\n", "\n") if text else None
    await session.flush()
    return cooperative_view(cooperative, with_contact=True)
