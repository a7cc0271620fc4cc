"""Use cases of the shipping domain: the fee of one parcel, and suppliers' shipping rules.

The fee of a parcel (one supplier's part of an order) under a rule:

    base_fee_fen
  + per_kg_fen × every started kilogram beyond the first (1 001 g → 1, 2 000 g → 1, 2 001 g → 2)
  → 0 when free_above_fen is set and the goods reach it (满 X 包邮: "at least", not "more than")
  + cold_chain_surcharge_fen when the parcel holds cold-chain goods — charged even when
    shipping is otherwise free: free shipping is the supplier's promotion, the refrigerated
    carrier's surcharge is a real cost the promotion does not cover.

A destination province the rule excludes is not served at all (RegionNotServed). A supplier
without a rule of its own ships at the platform default: a flat DEFAULT_BASE_FEE_FEN.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit_service
from app.cooperative import service as cooperative_service
from app.core.fields import parse_yuan
from app.shipping import repository
from app.shipping.errors import InvalidShippingRule, RegionNotServed
from app.shipping.models import ShippingRule, ShippingTerms
from app.shipping.schemas import (
    MAX_EXCLUDED_PROVINCES,
    MAX_FEE_FEN,
    ProvinceOption,
    ShippingRuleForm,
    ShippingRuleIn,
    ShippingRuleOut,
    ShippingRulePage,
)

# The one statement of which goods travel refrigerated: category codes of the catalog.
COLD_CHAIN_CATEGORIES: frozenset[str] = frozenset({"meat_eggs", "aquatic"})

DEFAULT_BASE_FEE_FEN = 1000
GRAMS_INCLUDED_IN_BASE = 1000
GRAMS_PER_KG = 1000


# ---------------------------------------------------------------------------------------------
# The fee of a parcel


def is_cold_chain(category_codes: Iterable[str]) -> bool:
    """A parcel travels cold-chain when it holds anything of a cold-chain category."""
    return any(code in COLD_CHAIN_CATEGORIES for code in category_codes)


def extra_kilograms(weight_grams: int) -> int:
    """Started kilograms beyond the first: ceil((weight − 1000) / 1000), never negative."""
    if weight_grams <= GRAMS_INCLUDED_IN_BASE:
        return 0
    return -(-(weight_grams - GRAMS_INCLUDED_IN_BASE) // GRAMS_PER_KG)


def shipping_fee(
    rule: ShippingRule | ShippingTerms | None,
    *,
    goods_fen: int,
    weight_grams: int,
    cold_chain: bool,
    destination_province_code: str,
) -> int:
    """The fee in fen of one parcel (see the module docstring for the rule)."""
    if goods_fen < 0 or weight_grams < 0:
        raise ValueError("goods and weight of a parcel cannot be negative")
    if rule is None:
        return DEFAULT_BASE_FEE_FEN
    if destination_province_code in (rule.excluded_province_codes or []):
        raise RegionNotServed(
            cooperative_id=rule.cooperative_id, province_code=destination_province_code
        )
    fee = rule.base_fee_fen + extra_kilograms(weight_grams) * rule.per_kg_fen
    if rule.free_above_fen is not None and goods_fen >= rule.free_above_fen:
        fee = 0
    if cold_chain:
        fee += rule.cold_chain_surcharge_fen
    return fee


async def rules_for(
    session: AsyncSession, cooperative_ids: Collection[int]
) -> dict[int, ShippingRule]:
    """The rules of these suppliers, by cooperative id (missing: the platform default), 1 query."""
    return {
        rule.cooperative_id: rule for rule in await repository.rules_for(session, cooperative_ids)
    }


# ---------------------------------------------------------------------------------------------
# Suppliers' rules


def _rule_view(cooperative_id: int, rule: ShippingRule | None) -> ShippingRuleOut:
    if rule is None:
        return ShippingRuleOut(
            cooperative_id=cooperative_id,
            base_fee_fen=DEFAULT_BASE_FEE_FEN,
            per_kg_fen=0,
            free_above_fen=None,
            cold_chain_surcharge_fen=0,
            excluded_province_codes=[],
            is_default=True,
            updated_at=None,
        )
    return ShippingRuleOut(
        cooperative_id=cooperative_id,
        base_fee_fen=rule.base_fee_fen,
        per_kg_fen=rule.per_kg_fen,
        free_above_fen=rule.free_above_fen,
        cold_chain_surcharge_fen=rule.cold_chain_surcharge_fen,
        excluded_province_codes=list(rule.excluded_province_codes or []),
        is_default=False,
        updated_at=rule.updated_at,
    )


def _snapshot(view: ShippingRuleOut) -> dict[str, Any]:
    return view.model_dump(exclude={"cooperative_id", "updated_at", "is_default"})


async def get_rule(session: AsyncSession, *, user: User, cooperative_id: int) -> ShippingRuleOut:
    """The supplier's rule, for its members (others: 404)."""
    await cooperative_service.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    return _rule_view(cooperative_id, await repository.rule_of(session, cooperative_id))


async def _known_provinces(session: AsyncSession) -> dict[str, str]:
    return {p.code: p.name for p in await repository.provinces(session)}


async def _checked_provinces(
    session: AsyncSession, codes: list[str], problems: dict[str, str]
) -> list[str]:
    if len(codes) > MAX_EXCLUDED_PROVINCES:
        problems["excluded_province_codes"] = f"at most {MAX_EXCLUDED_PROVINCES} provinces"
        return []
    known = await _known_provinces(session)
    for index, code in enumerate(codes):
        if code not in known:
            problems[f"excluded_province_codes.{index}"] = "unknown province code"
    return sorted(set(codes))


async def _store(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    data: ShippingRuleIn,
    provinces: list[str],
) -> ShippingRuleOut:
    rule = await repository.rule_of(session, cooperative_id)
    before = _snapshot(_rule_view(cooperative_id, rule))
    if rule is None:
        rule = ShippingRule(cooperative_id=cooperative_id)
        session.add(rule)
    rule.base_fee_fen = data.base_fee_fen
    rule.per_kg_fen = data.per_kg_fen
    rule.free_above_fen = data.free_above_fen
    rule.cold_chain_surcharge_fen = data.cold_chain_surcharge_fen
    rule.excluded_province_codes = provinces
    await session.flush()
    view = _rule_view(cooperative_id, rule)
    await audit_service.record(
        session,
        actor_user_id=user.id,
        action="shipping_rule.updated",
        entity_kind="cooperative",
        entity_id=cooperative_id,
        before=before,
        after=_snapshot(view),
    )
    return view


async def set_rule(
    session: AsyncSession, *, user: User, cooperative_id: int, data: ShippingRuleIn
) -> ShippingRuleOut:
    """Replace the supplier's rule (members only; others 404); unknown provinces → 422."""
    await cooperative_service.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    problems: dict[str, str] = {}
    provinces = await _checked_provinces(session, data.excluded_province_codes, problems)
    if problems:
        raise InvalidShippingRule(problems)
    return await _store(
        session, user=user, cooperative_id=cooperative_id, data=data, provinces=provinces
    )


async def rule_page(session: AsyncSession, *, user: User, cooperative_id: int) -> ShippingRulePage:
    """The portal page: the rule and every province to tick (members only; others 404)."""
    cooperative = await cooperative_service.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    rule = await repository.rule_of(session, cooperative_id)
    known = await _known_provinces(session)
    return ShippingRulePage(
        cooperative_id=cooperative_id,
        cooperative_name=cooperative.name,
        rule=_rule_view(cooperative_id, rule),
        provinces=[ProvinceOption(code=code, name=name) for code, name in known.items()],
    )


def _fee_from_yuan(
    text: str, field: str, problems: dict[str, str], *, optional: bool = False
) -> int | None:
    """Exact fen from yuan text ("12.5" → 1250); blank is None when optional, else a problem."""
    cleaned = text.strip()
    if not cleaned:
        if not optional:
            problems[field] = "required"
        return None
    fen = parse_yuan(cleaned)
    if fen is None:
        problems[field] = "a non-negative amount in yuan with at most two decimals"
        return None
    if fen > MAX_FEE_FEN:
        problems[field] = f"at most {MAX_FEE_FEN // 100} yuan"
        return None
    return fen


async def save_rule_form(
    session: AsyncSession, *, user: User, cooperative_id: int, form: ShippingRuleForm
) -> ShippingRuleOut:
    """The portal form: fees in yuan text; field errors are keyed by the form's field names."""
    await cooperative_service.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    problems: dict[str, str] = {}
    base = _fee_from_yuan(form.base_fee, "base_fee", problems)
    per_kg = _fee_from_yuan(form.per_kg, "per_kg", problems, optional=True)
    free_above = _fee_from_yuan(form.free_above, "free_above", problems, optional=True)
    surcharge = _fee_from_yuan(
        form.cold_chain_surcharge, "cold_chain_surcharge", problems, optional=True
    )
    provinces = await _checked_provinces(session, form.excluded_province_codes, problems)
    if problems or base is None:
        raise InvalidShippingRule(problems)
    data = ShippingRuleIn(
        base_fee_fen=base,
        per_kg_fen=per_kg or 0,
        free_above_fen=free_above,
        cold_chain_surcharge_fen=surcharge or 0,
        excluded_province_codes=provinces,
    )
    return await _store(
        session, user=user, cooperative_id=cooperative_id, data=data, provinces=provinces
    )
