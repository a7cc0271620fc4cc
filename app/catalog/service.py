"""Use cases of suppliers' catalogs: products, SKUs, tier prices, price monitoring, portal views."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

import nh3
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.catalog import indexing, repository
from app.catalog.errors import (
    ProductNeedsSku,
    ProductNotFound,
    SkuCodeTaken,
    SkuNotFound,
    UnknownCategory,
)
from app.catalog.listing import media_url, product_out, sku_out, today_in_china
from app.catalog.models import (
    PriceTier,
    Product,
    ProductStatus,
    ReferencePrice,
    Sku,
)
from app.catalog.schemas import (
    MAX_DESCRIPTION_CHARS,
    CategoryOut,
    CertificateOption,
    CooperativeRef,
    FlaggedProduct,
    PortalProduct,
    PortalProducts,
    PriceTierIn,
    ProductEditor,
    ProductFormOptions,
    ProductIn,
    ProductOut,
    ProductPatch,
    ReferencePriceIn,
    ReferencePriceOut,
    SkuIn,
    SkuOut,
    SkuPatch,
)
from app.certification.service import (
    badge_is_valid,
    certificates_for_cooperative,
    get_owned_certificates,
)
from app.cooperative.errors import CooperativeNotFound
from app.cooperative.models import Cooperative
from app.cooperative.service import ensure_can_sell, get_member_cooperative
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.money import BASIS_POINTS
from app.core.storage import MediaStorage

SKU_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
_SLUG_WORD = re.compile(r"[a-z0-9]+")
SLUG_WORDS_MAX = 60

# The description's allowed markup: enough for a product story, nothing that runs or restyles.
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "a"}
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
DESCRIPTION_URL_SCHEMES = {"http", "https", "mailto"}

# ---------------------------------------------------------------------------------------------
# Input rules


def sanitize_description(text: str) -> str:
    """Stored HTML of a description: allowed tags only; links get rel="noopener nofollow".

    Plain text (no tags at all, as typed into the portal's textarea) keeps its paragraphs.
    """
    text = text.strip()
    if not text:
        return ""
    if "<" not in text:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join(
            "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
            for p in paragraphs
        )
    return nh3.clean(
        text,
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=DESCRIPTION_URL_SCHEMES,
        link_rel="noopener nofollow",
    ).strip()


def normalize_sku_code(code: str) -> str:
    """SKU codes are compared upper-case: bulk-order files name them by hand."""
    return code.strip().upper()


def _tier_errors(
    tiers: Sequence[PriceTierIn], *, min_qty: int, price_fen: int, prefix: str
) -> dict[str, str]:
    """Tiers need strictly increasing quantities above the SKU's minimum and strictly
    decreasing prices below the base price."""
    errors: dict[str, str] = {}
    previous_qty, previous_price = min_qty, price_fen
    for index, tier in enumerate(tiers):
        path = f"{prefix}price_tiers.{index}"
        if tier.min_qty <= previous_qty:
            errors[f"{path}.min_qty"] = (
                "must be above the SKU's min_qty and the previous tier's min_qty"
            )
        if tier.price_fen >= previous_price:
            errors[f"{path}.price_fen"] = (
                "must be below the base price and the previous tier's price"
            )
        previous_qty, previous_price = tier.min_qty, tier.price_fen
    return errors


def _sku_errors(sku: SkuIn, prefix: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not SKU_CODE.match(normalize_sku_code(sku.code)):
        errors[f"{prefix}code"] = "1–40 letters, digits, '.', '_' or '-', starting with one"
    if not sku.name.strip():
        errors[f"{prefix}name"] = "must not be blank"
    errors.update(
        _tier_errors(sku.price_tiers, min_qty=sku.min_qty, price_fen=sku.price_fen, prefix=prefix)
    )
    return errors


def _text_error(value: str, low: int, high: int) -> str | None:
    length = len(value.strip())
    return None if low <= length <= high else f"{low}–{high} characters"


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)


async def _check_category(session: AsyncSession, code: str) -> None:
    if await repository.get_category(session, code) is None:
        raise UnknownCategory(code)


async def _check_codes_free(session: AsyncSession, skus: Sequence[SkuIn], prefix: str) -> None:
    """409 sku_code_taken for a code used by any SKU, or twice in the same request."""
    codes = [normalize_sku_code(s.code) for s in skus]
    taken = await repository.taken_sku_codes(session, codes)
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in taken or code in seen:
            raise SkuCodeTaken(code, field=f"{prefix}{index}.code")
        seen.add(code)


def _new_sku(data: SkuIn) -> Sku:
    return Sku(
        code=normalize_sku_code(data.code),
        name=data.name.strip(),
        price_fen=data.price_fen,
        stock=data.stock,
        weight_grams=data.weight_grams,
        min_qty=data.min_qty,
        is_active=True,
        price_tiers=[PriceTier(min_qty=t.min_qty, price_fen=t.price_fen) for t in data.price_tiers],
    )


def _months_text(months: Sequence[int]) -> str:
    return ",".join(str(m) for m in sorted(set(months)))


def _slug(product_id: int, title: str) -> str:
    words = "-".join(_SLUG_WORD.findall(title.lower()))[:SLUG_WORDS_MAX].strip("-")
    return f"{product_id}-{words or 'p'}"


# ---------------------------------------------------------------------------------------------
# Derived fields: kept in the same transaction as the change that affects them


def refresh_prices(product: Product, skus: Sequence[Sku], reference: ReferencePrice | None) -> None:
    """min_price_fen, in_stock and price_flagged from the product's (active) SKUs."""
    active = [s for s in skus if s.is_active]
    product.min_price_fen = min((s.price_fen for s in active), default=0)
    product.in_stock = any(s.stock > 0 for s in active)
    product.price_flagged = reference is not None and any(
        # Integer arithmetic: price > reference × ratio / 10 000, without rounding.
        s.price_fen * BASIS_POINTS > reference.price_fen * reference.flag_ratio_bp
        for s in active
    )


async def _refresh(session: AsyncSession, product: Product, skus: Sequence[Sku]) -> None:
    reference = await repository.get_reference_price(session, product.category_code, product.unit)
    refresh_prices(product, skus, reference)


def _check_publishable(cooperative: Cooperative, skus: Sequence[Sku]) -> None:
    """Before a product becomes active: a verified supplier and something to buy."""
    ensure_can_sell(cooperative)
    if not any(s.is_active for s in skus):
        raise ProductNeedsSku()


async def _add_or_code_taken(
    session: AsyncSession, *objects: object, codes: Sequence[str], field: str
) -> None:
    """Add and flush in a savepoint: a concurrent request that took the same SKU code between
    our check and this insert ends as 409 (and the session stays usable), not as a 500."""
    try:
        async with session.begin_nested():
            session.add_all(objects)
    except IntegrityError as exc:
        if "code" not in str(exc.orig).lower():
            raise
        raise SkuCodeTaken(", ".join(codes), field=field) from exc


# ---------------------------------------------------------------------------------------------
# Ownership: someone else's product or SKU answers 404


async def owned_product(
    session: AsyncSession, *, user: User, product_id: int, cooperative_id: int | None = None
) -> Product:
    """The product (fully loaded) if `user` is a member of its supplier, else 404; with
    `cooperative_id` (a portal URL's), it must also be that supplier's."""
    product = await repository.get_product(session, product_id)
    if product is None or cooperative_id not in (None, product.cooperative_id):
        raise ProductNotFound(product_id)
    try:
        await get_member_cooperative(session, user=user, cooperative_id=product.cooperative_id)
    except CooperativeNotFound:
        raise ProductNotFound(product_id) from None
    return product


async def _reloaded(
    session: AsyncSession, product_id: int, media: MediaStorage | None, today: date | None
) -> ProductOut:
    product = await repository.get_product(session, product_id)
    if product is None:  # pragma: no cover - it was just written in this transaction
        raise ProductNotFound(product_id)
    return product_out(product, today=today or today_in_china(), media=media)


# ---------------------------------------------------------------------------------------------
# Products


async def create_product(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    data: ProductIn,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """A new product of the user's supplier with its SKUs and tier prices.

    422 with field paths ("skus.0.price_fen") for bad input, 409 for a taken SKU code or an
    unverified supplier publishing; nothing is written unless everything is accepted.
    """
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    errors: dict[str, str] = {}
    for field, value, low, high in (("title", data.title, 2, 120), ("unit", data.unit, 1, 30)):
        if problem := _text_error(value, low, high):
            errors[field] = problem
    description = sanitize_description(data.description)
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"at most {MAX_DESCRIPTION_CHARS} characters once cleaned"
    for index, sku in enumerate(data.skus):
        errors.update(_sku_errors(sku, f"skus.{index}."))
    _raise_if(errors)
    await _check_category(session, data.category)
    certificates = await get_owned_certificates(
        session, cooperative_id=cooperative.id, certificate_ids=data.certificate_ids
    )
    await _check_codes_free(session, data.skus, "skus.")

    skus = [_new_sku(s) for s in data.skus]
    status = ProductStatus(data.status)
    if status == ProductStatus.ACTIVE:
        _check_publishable(cooperative, skus)
    product = Product(
        cooperative_id=cooperative.id,
        slug=f"new-{uuid.uuid4().hex}",  # replaced once the id is known
        title=data.title.strip(),
        description_html=description,
        category_code=data.category,
        unit=data.unit.strip(),
        status=status,
        season_months=_months_text(data.season_months),
        published_at=utcnow() if status == ProductStatus.ACTIVE else None,
        skus=skus,
        certificates=certificates,
    )
    await _refresh(session, product, skus)
    await _add_or_code_taken(session, product, codes=[s.code for s in skus], field="skus")
    product.slug = _slug(product.id, product.title)
    await session.flush()
    if status == ProductStatus.ACTIVE:
        await indexing.enqueue_reindex(session, product_ids=[product.id])
    return await _reloaded(session, product.id, media, today)


async def update_product(
    session: AsyncSession,
    *,
    user: User,
    product_id: int,
    data: ProductPatch,
    cooperative_id: int | None = None,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """Change the fields given; publishing needs a verified supplier and a SKU."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    errors: dict[str, str] = {}
    if data.title is not None and (problem := _text_error(data.title, 2, 120)):
        errors["title"] = problem
    if data.unit is not None and (problem := _text_error(data.unit, 1, 30)):
        errors["unit"] = problem
    description = sanitize_description(data.description) if data.description is not None else None
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"at most {MAX_DESCRIPTION_CHARS} characters once cleaned"
    _raise_if(errors)
    if data.category is not None:
        await _check_category(session, data.category)
    certificates = (
        await get_owned_certificates(
            session, cooperative_id=product.cooperative_id, certificate_ids=data.certificate_ids
        )
        if data.certificate_ids is not None
        else None
    )
    status = ProductStatus(data.status) if data.status is not None else None
    if status == ProductStatus.ACTIVE:
        _check_publishable(product.cooperative, product.skus)
    # Every check has passed: only now is the product changed, so that a refused request
    # leaves nothing behind in the session (a page re-renders its form with the same session).
    if certificates is not None:
        product.certificates = certificates
    if data.title is not None:
        product.title = data.title.strip()  # the slug stays: links already shared keep working
    if data.unit is not None:
        product.unit = data.unit.strip()
    if description is not None:
        product.description_html = description
    if data.category is not None:
        product.category_code = data.category
    if data.season_months is not None:
        product.season_months = _months_text(data.season_months)
    if status is not None:
        product.status = status
        if status == ProductStatus.ACTIVE and product.published_at is None:
            product.published_at = utcnow()
    await _refresh(session, product, product.skus)
    await session.flush()
    await indexing.enqueue_reindex(session, product_ids=[product.id])
    return await _reloaded(session, product.id, media, today)


async def add_sku(
    session: AsyncSession,
    *,
    user: User,
    product_id: int,
    data: SkuIn,
    cooperative_id: int | None = None,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductOut:
    """A further variant of a product; the product's price and stock summary follow."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    _raise_if(_sku_errors(data, ""))
    codes_taken = await repository.taken_sku_codes(session, [normalize_sku_code(data.code)])
    if codes_taken:
        raise SkuCodeTaken(normalize_sku_code(data.code), field="code")
    sku = _new_sku(data)
    sku.product_id = product.id
    await _add_or_code_taken(session, sku, codes=[sku.code], field="code")
    await session.refresh(product, ["skus"])
    await _refresh(session, product, product.skus)
    await session.flush()
    await indexing.enqueue_reindex(session, product_ids=[product.id])
    return await _reloaded(session, product.id, media, today)


# Sets a SKU's stock the inventory's way (the row locked, the change logged as a movement).
# The inventory domain sits above the catalog, so the app hands its function in.
StockSetter = Callable[[AsyncSession, Sku, int], Awaitable[object]]


async def update_sku(
    session: AsyncSession,
    *,
    user: User,
    sku_id: int,
    data: SkuPatch,
    set_stock: StockSetter,
    cooperative_id: int | None = None,
    product_id: int | None = None,
) -> SkuOut:
    """A new price, stock or set of tier prices; tiers must stay below the base price. A new
    stock goes through `set_stock` (the inventory's: locked and logged).

    With `cooperative_id` and `product_id` (a portal URL's), the SKU must be theirs too.
    """
    found = await repository.get_sku(session, sku_id)
    if found is None or product_id not in (None, found.product_id):
        raise SkuNotFound(sku_id)
    try:
        product = await owned_product(
            session, user=user, product_id=found.product_id, cooperative_id=cooperative_id
        )
    except ProductNotFound:
        raise SkuNotFound(sku_id) from None
    sku = next(s for s in product.skus if s.id == sku_id)
    price = data.price_fen if data.price_fen is not None else sku.price_fen
    if data.price_tiers is not None:
        _raise_if(_tier_errors(data.price_tiers, min_qty=sku.min_qty, price_fen=price, prefix=""))
    elif sku.price_tiers and price <= sku.price_tiers[0].price_fen:
        raise ValidationFailed(
            "The base price must stay above the tier prices.",
            fields={"price_fen": "must be above every tier price; change the tiers first"},
        )
    if data.stock is not None:
        await set_stock(session, sku, data.stock)
    sku.price_fen = price
    if data.price_tiers is not None:
        # Old tiers go first: the new ones may reuse their quantities (unique per SKU).
        sku.price_tiers.clear()
        await session.flush()
        sku.price_tiers.extend(
            PriceTier(min_qty=t.min_qty, price_fen=t.price_fen) for t in data.price_tiers
        )
    await _refresh(session, product, product.skus)
    await session.flush()
    await indexing.enqueue_reindex(session, product_ids=[product.id])
    return sku_out(sku)


# ---------------------------------------------------------------------------------------------
# Price monitoring (operators)


async def set_reference_price(
    session: AsyncSession, *, actor: User, data: ReferencePriceIn
) -> ReferencePriceOut:
    """Create or change the reference price of a category and unit; re-flag its products."""
    unit = data.unit.strip()
    _raise_if({"unit": problem} if (problem := _text_error(data.unit, 1, 30)) else {})
    await _check_category(session, data.category)
    reference = await repository.get_reference_price(session, data.category, unit)
    before = (
        {"price_fen": reference.price_fen, "flag_ratio_bp": reference.flag_ratio_bp}
        if reference is not None
        else None
    )
    if reference is None:
        reference = ReferencePrice(category_code=data.category, unit=unit)
        session.add(reference)
    reference.price_fen = data.price_fen
    reference.flag_ratio_bp = data.flag_ratio_bp
    await session.flush()
    products = await repository.products_priced_against(session, data.category, unit)
    for product in products:
        refresh_prices(product, product.skus, reference)
    await session.flush()
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="catalog.set_reference_price",
        entity_kind="reference_price",
        entity_id=reference.id,
        before=before,
        after={
            "category": data.category,
            "unit": unit,
            "price_fen": data.price_fen,
            "flag_ratio_bp": data.flag_ratio_bp,
        },
    )
    return ReferencePriceOut(
        category=data.category,
        unit=unit,
        price_fen=reference.price_fen,
        flag_ratio_bp=reference.flag_ratio_bp,
        flagged_products=sum(p.price_flagged for p in products),
    )


async def list_flagged_products(session: AsyncSession) -> list[FlaggedProduct]:
    """Products priced above their reference price × ratio, for operators to review."""
    return [
        FlaggedProduct(
            id=row.product_id,
            title=row.title,
            unit=row.unit,
            category=row.category_code,
            max_price_fen=row.max_price_fen,
            reference_price_fen=row.reference_price_fen,
            flag_ratio_bp=row.flag_ratio_bp,
            cooperative=CooperativeRef(id=row.cooperative_id, name=row.cooperative_name),
        )
        for row in await repository.flagged_products(session)
    ]


# ---------------------------------------------------------------------------------------------
# The supplier portal's views


async def portal_products(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    media: MediaStorage | None = None,
) -> PortalProducts:
    """Every product of the user's supplier with its status, price range, stock and flags."""
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    rows: list[PortalProduct] = []
    for product in await repository.cooperative_products(session, cooperative.id):
        prices = [s.price_fen for s in product.skus if s.is_active]
        rows.append(
            PortalProduct(
                id=product.id,
                slug=product.slug,
                title=product.title,
                status=product.status.value,
                unit=product.unit,
                min_price_fen=min(prices, default=0),
                max_price_fen=max(prices, default=0),
                total_stock=sum(s.stock for s in product.skus if s.is_active),
                sku_count=len(product.skus),
                in_stock=product.in_stock,
                thumb_url=media_url(product.photos[0].thumb_key, media) if product.photos else None,
                price_flagged=product.price_flagged,
            )
        )
    return PortalProducts(
        cooperative=CooperativeRef(id=cooperative.id, name=cooperative.name),
        cooperative_status=cooperative.status.value,
        products=rows,
    )


async def _form_options(
    session: AsyncSession, cooperative: Cooperative, today: date
) -> ProductFormOptions:
    categories = await repository.list_categories(session)
    certificates = await certificates_for_cooperative(session, cooperative.id)
    return ProductFormOptions(
        cooperative=CooperativeRef(id=cooperative.id, name=cooperative.name),
        cooperative_status=cooperative.status.value,
        categories=[CategoryOut(code=c.code, name=c.name_zh) for c in categories],
        certificates=[
            CertificateOption(
                id=c.id,
                kind=c.kind.value,
                number=c.number,
                status=c.status.value,
                valid_until=c.valid_until,
                backs_label=badge_is_valid(c, today),
            )
            for c in certificates
        ],
    )


async def product_form_options(
    session: AsyncSession, *, user: User, cooperative_id: int, today: date | None = None
) -> ProductFormOptions:
    """The new-product form's choices for a member of the supplier (others 404)."""
    cooperative = await get_member_cooperative(session, user=user, cooperative_id=cooperative_id)
    return await _form_options(session, cooperative, today or today_in_china())


async def product_editor(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    product_id: int,
    media: MediaStorage | None = None,
    today: date | None = None,
) -> ProductEditor:
    """The edit page of one of the supplier's products (404 unless it is this supplier's)."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    today = today or today_in_china()
    return ProductEditor(
        options=await _form_options(session, product.cooperative, today),
        product=product_out(product, today=today, media=media),
    )
