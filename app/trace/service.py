"""Use cases of traceability: registering harvest batches, listing them, the public trace."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.catalog import repository as catalog_repository
from app.catalog.models import Product, ProductStatus
from app.certification.models import Certificate
from app.certification.service import badge_is_valid, certificates_for_cooperative
from app.cooperative import repository as cooperative_repository
from app.cooperative.errors import CooperativeNotFound
from app.cooperative.models import SupplierStatus
from app.core.fields import MAX_ID
from app.trace import repository
from app.trace.errors import BatchNotFound, InvalidBatchFields
from app.trace.models import Batch, BatchCertificate
from app.trace.schemas import (
    BatchCreated,
    BatchIn,
    BatchList,
    BatchOut,
    TraceCertificate,
    TraceCooperative,
    TraceCounty,
    TraceOut,
    TraceProduct,
)

# Crockford's base 32 without I, L, O and U: nothing to misread on a printed label.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PREFIX = "FS"
CODE_LENGTH = 10  # FS + 8 characters: 32⁸ ≈ 10¹² codes
_CODE = re.compile(r"[0-9A-Z]{4,16}")
EARLIEST_HARVEST = date(2000, 1, 1)


def trace_path(code: str) -> str:
    return f"/trace/{code}"


def normalise_code(text: str) -> str | None:
    """A code as stored (upper case), or None for anything that cannot be one (SQL, paths)."""
    code = text.strip().upper()
    return code if _CODE.fullmatch(code) else None


def _new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH - 2))


async def _member_cooperative(session: AsyncSession, user: User, cooperative_id: int) -> str:
    """The supplier's name for a member of it; CooperativeNotFound for anyone else."""
    if not 1 <= cooperative_id <= MAX_ID or not await cooperative_repository.member_roles(
        session, user.id, cooperative_id
    ):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    cooperative = await cooperative_repository.get_cooperative(session, cooperative_id)
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative.name


async def register_batch(
    session: AsyncSession, *, user: User, cooperative_id: int, batch: BatchIn, today: date
) -> BatchCreated:
    """A new batch of one of the supplier's products, with a fresh public code. The product
    and certificates must be the supplier's, the harvest not in the future: else 422."""
    await _member_cooperative(session, user, cooperative_id)
    problems: dict[str, str] = {}
    product = await catalog_repository.get_product(session, batch.product_id)
    if product is None or product.cooperative_id != cooperative_id:
        problems["product_id"] = "not a product of this supplier"
    if not EARLIEST_HARVEST <= batch.harvested_on <= today:
        problems["harvested_on"] = f"between {EARLIEST_HARVEST.isoformat()} and today"
    wanted = set(batch.certificate_ids)
    owned = await repository.owned_certificate_ids(session, cooperative_id, wanted)
    if owned != wanted:
        problems["certificate_ids"] = "not certificates of this supplier"
    if problems:
        raise InvalidBatchFields(problems)
    code = _new_code()
    while await repository.code_taken(session, code):
        code = _new_code()
    row = Batch(
        code=code,
        cooperative_id=cooperative_id,
        product_id=batch.product_id,
        harvested_on=batch.harvested_on,
        quantity=batch.quantity,
        unit=batch.unit.strip(),
        note=batch.note.strip(),
    )
    session.add(row)
    await session.flush()
    session.add_all(BatchCertificate(batch_id=row.id, certificate_id=c) for c in sorted(wanted))
    await session.flush()
    return BatchCreated(id=row.id, code=code, trace_url=trace_path(code))


async def list_batches(session: AsyncSession, *, user: User, cooperative_id: int) -> BatchList:
    """The supplier's batches, newest harvest first (members only: else 404)."""
    name = await _member_cooperative(session, user, cooperative_id)
    rows = await repository.list_cooperative_batches(session, cooperative_id)
    certificates = await repository.batch_certificate_ids(session, [b.id for b, _ in rows])
    return BatchList(
        cooperative_id=cooperative_id,
        cooperative_name=name,
        items=[
            BatchOut(
                id=b.id,
                code=b.code,
                trace_url=trace_path(b.code),
                product_id=b.product_id,
                product_title=title,
                harvested_on=b.harvested_on,
                quantity=b.quantity,
                unit=b.unit,
                note=b.note,
                certificate_ids=certificates.get(b.id, []),
            )
            for b, title in rows
        ],
    )


async def trace(session: AsyncSession, text: str, *, today: date) -> TraceOut:
    """The public facts behind a code; BatchNotFound for an unknown or malformed one."""
    code = normalise_code(text)
    batch = await repository.get_batch_by_code(session, code) if code is not None else None
    if batch is None:
        raise BatchNotFound("with this code")
    product, cooperative, county, prefecture_name, province_name = await repository.trace_rows(
        session, batch
    )
    certificates = [
        TraceCertificate(
            kind=c.kind.value, number=c.number, issuer=c.issuer, valid_until=c.valid_until
        )
        for c in await repository.batch_certificates(session, batch.id)
        if badge_is_valid(c, today)
    ]
    return TraceOut(
        code=batch.code,
        product=TraceProduct(
            id=product.id,
            slug=product.slug,
            title=product.title,
            listed=product.status == ProductStatus.ACTIVE
            and cooperative.status == SupplierStatus.VERIFIED,
        ),
        cooperative=TraceCooperative(id=cooperative.id, name=cooperative.name),
        county=TraceCounty(
            code=county.code,
            name=county.name,
            prefecture_name=prefecture_name,
            province_name=province_name,
            key_assistance=county.key_assistance,
        ),
        harvested_on=batch.harvested_on,
        quantity=batch.quantity,
        unit=batch.unit,
        certificates=certificates,
        households_supported=cooperative.households_supported,
    )


async def form_options(
    session: AsyncSession, cooperative_id: int
) -> tuple[list[Product], list[Certificate]]:
    """The supplier's products and certificates, for the batch form (the caller checked the
    user is a member)."""
    products = await catalog_repository.cooperative_products(session, cooperative_id)
    certificates = await certificates_for_cooperative(session, cooperative_id)
    return products, certificates


# ---------------------------------------------------------------------------------------------
# Batches named when shipping (the order domain calls these)


@dataclass(frozen=True)
class BatchChoice:
    id: int
    code: str
    harvested_on: date


async def batch_choices(
    session: AsyncSession, cooperative_id: int, product_ids: Sequence[int]
) -> dict[int, list[BatchChoice]]:
    """The supplier's batches of each product, newest harvest first (the ship form's lists)."""
    rows = await repository.list_cooperative_batches(
        session, cooperative_id, product_ids=set(product_ids)
    )
    choices: dict[int, list[BatchChoice]] = {}
    for batch, _title in rows:
        choices.setdefault(batch.product_id, []).append(
            BatchChoice(id=batch.id, code=batch.code, harvested_on=batch.harvested_on)
        )
    return choices


async def check_batches(
    session: AsyncSession, cooperative_id: int, wanted: Mapping[str, tuple[int, int]]
) -> dict[str, str]:
    """Problems of naming batches for lines: `wanted` maps a field name to (product id, batch
    id); a batch must exist, be the supplier's and be of the line's product."""
    batches = await repository.get_batches(session, {batch_id for _, batch_id in wanted.values()})
    problems: dict[str, str] = {}
    for name, (product_id, batch_id) in wanted.items():
        batch = batches.get(batch_id)
        if batch is None or batch.cooperative_id != cooperative_id:
            problems[name] = "not a batch of this supplier"
        elif batch.product_id != product_id:
            problems[name] = "a batch of another product"
    return problems


async def batch_codes(session: AsyncSession, batch_ids: Sequence[int]) -> dict[int, str]:
    """The code of each batch (the buyer's order page links to /trace/{code})."""
    return {i: b.code for i, b in (await repository.get_batches(session, set(batch_ids))).items()}
