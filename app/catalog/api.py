"""JSON routes of the catalog domain: products, SKUs, photos, the listing and price monitoring."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import CurrentUser, Operator
from app.catalog import listing, photos, service
from app.catalog.deps import ListingCachesDep
from app.catalog.portal_schemas import (
    FlaggedProduct,
    PortalProducts,
    ReferencePriceIn,
    ReferencePriceOut,
)
from app.catalog.schemas import (
    CountyWithSuppliers,
    PhotoOut,
    ProductDetail,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ProductQuery,
    SkuIn,
    SkuOut,
    SkuPatch,
)
from app.core.fields import MAX_ID
from app.core.images import MAX_UPLOAD_BYTES
from app.web.compression import KeptBody, kept_response
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media
from app.web.query_model import query_model

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=API_ERROR_RESPONSES)

# Path ids are bounded so that an absurd id is a 422, not a database overflow.
CooperativeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Supplier id")]
ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Product id")]
SkuId = Annotated[int, Path(ge=1, le=MAX_ID, description="SKU id")]
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID, description="Photo id")]
SixDigitCode = r"^[0-9]{6}$"
# The listing's parameters, read in one validation (app.web.query_model).
_read_product_query, _PRODUCT_QUERY_DOC = query_model(ProductQuery)


# ---------------------------------------------------------------------------------------------
# Buyers


@router.get(
    "/products",
    response_model=ProductPage,
    status_code=200,
    summary="Search and filter listed products, with facets",
    openapi_extra=_PRODUCT_QUERY_DOC,
)
async def list_products(
    request: Request,
    media: Media,
    caches: ListingCachesDep,
    query: Annotated[ProductQuery, Depends(_read_product_query)],
) -> Response:
    """Active products of verified suppliers. Filters take the `value`s their facet lists
    (unknown ones: 422); facet counts apply every other filter. A page past the last one
    answers 404 `page_out_of_range`. Text is matched by the search service (words, pinyin,
    synonyms); should it be down, the answer says `degraded: true` and lists the newest
    products whose title, supplier or county contains the text."""
    # No session of the request's: a kept page needs none (the listing opens one otherwise).
    page, memo = await listing.list_kept_products(
        query, search=request.app.state.search, caches=caches, media=media
    )
    # Serialised once per kept page, straight from the page built from typed rows (FastAPI
    # would dump it to dicts, validate those again and serialise the result), with its ETag.
    encoded: KeptBody | None = memo.get(_JSON_PAGE)
    if encoded is None:
        encoded = KeptBody.of(page.model_dump_json().encode())
        memo.put(_JSON_PAGE, encoded)
    return kept_response(request, encoded, media_type=JSON)


JSON = "application/json"
# The page's JSON in a listing page's memo (app.catalog.listing.PageMemo).
_JSON_PAGE = "api.json"


@router.get(
    "/products/{product_id}",
    response_model=ProductDetail,
    status_code=200,
    summary="A listed product with its SKUs, certificates and photos",
)
async def show_product(
    request: Request, product_id: ProductId, media: Media, caches: ListingCachesDep
) -> Response:
    """404 `product_not_found` unless the product is active and its supplier verified."""

    async def encoded(session: AsyncSession) -> KeptBody:
        detail = await listing.get_public_product(session, product_id, media=media)
        return KeptBody.of(detail.model_dump_json().encode())

    # The same for everyone: kept, encoded and tagged, while no table it shows changes.
    body = await listing.kept_answer(caches, product_id, ("product", product_id, media), encoded)
    return kept_response(request, body, media_type=JSON)


@router.get(
    "/regions/counties/{code}",
    response_model=CountyWithSuppliers,
    status_code=200,
    tags=["regions"],
    summary="A county with its pairings, verified suppliers and product counts",
)
async def show_county(
    session: DbSession,
    code: Annotated[str, Path(pattern=SixDigitCode, description="Six-digit county code")],
) -> CountyWithSuppliers:
    """The county, the pairings in force that help it, and its suppliers' listed products."""
    return await listing.county_with_suppliers(session, code)


# ---------------------------------------------------------------------------------------------
# Suppliers


@router.post(
    "/cooperatives/{cooperative_id}/products",
    response_model=ProductOut,
    status_code=201,
    summary="Create a product with its SKUs",
)
async def create_product(
    cooperative_id: CooperativeId,
    body: ProductIn,
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> ProductOut:
    """Members of the supplier only (others 404). Prices are integer fen; `active` needs a
    verified supplier (409 `supplier_not_verified`) and a SKU; SKU codes are unique (409
    `sku_code_taken`); the description is sanitised HTML."""
    return await service.create_product(
        session, user=user, cooperative_id=cooperative_id, data=body, media=media
    )


@router.get(
    "/cooperatives/{cooperative_id}/products",
    response_model=PortalProducts,
    status_code=200,
    summary="Every product of a supplier, for its members",
)
async def list_cooperative_products(
    cooperative_id: CooperativeId, media: Media, user: CurrentUser, session: DbSession
) -> PortalProducts:
    """Drafts and archived products too, with price range, stock and price flags."""
    return await service.portal_products(
        session, user=user, cooperative_id=cooperative_id, media=media
    )


@router.patch(
    "/products/{product_id}",
    response_model=ProductOut,
    status_code=200,
    summary="Change a product",
)
async def update_product(
    product_id: ProductId,
    body: ProductPatch,
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> ProductOut:
    """Absent fields stay; members of its supplier only (others 404)."""
    return await service.update_product(
        session, user=user, product_id=product_id, data=body, media=media
    )


@router.post(
    "/products/{product_id}/skus",
    response_model=ProductOut,
    status_code=201,
    summary="Add a SKU to a product",
)
async def add_sku(
    product_id: ProductId,
    body: SkuIn,
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> ProductOut:
    """The product with its new SKU; 409 `sku_code_taken` for a used code."""
    return await service.add_sku(session, user=user, product_id=product_id, data=body, media=media)


@router.patch(
    "/skus/{sku_id}",
    response_model=SkuOut,
    status_code=200,
    summary="Change a SKU's price, stock or tier prices",
)
async def update_sku(
    sku_id: SkuId,
    body: SkuPatch,
    user: CurrentUser,
    session: DbSession,
) -> SkuOut:
    """Members of its supplier only (others 404). A new stock is logged as a `restocked`
    movement."""
    return await service.update_sku(session, user=user, sku_id=sku_id, data=body)


@router.post(
    "/products/{product_id}/photos",
    response_model=PhotoOut,
    status_code=201,
    summary="Upload a product photo",
)
async def upload_photo(
    product_id: ProductId,
    file: Annotated[
        UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB and 25 megapixels")
    ],
    media: Media,
    user: CurrentUser,
    session: DbSession,
) -> PhotoOut:
    """Re-encoded as JPEG with a thumbnail; 422 for anything else, 409 past ten photos."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return await photos.add_photo(session, media, user=user, product_id=product_id, data=data)


@router.delete(
    "/products/{product_id}/photos/{photo_id}",
    response_model=None,
    status_code=204,
    summary="Delete a product photo",
)
async def delete_photo(
    product_id: ProductId,
    photo_id: PhotoId,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> Response:
    """Members of its supplier only (others 404)."""
    await photos.delete_photo(session, user=user, product_id=product_id, photo_id=photo_id)
    return Response(status_code=204)


# ---------------------------------------------------------------------------------------------
# Operators


@router.put(
    "/admin/reference-prices",
    response_model=ReferencePriceOut,
    status_code=200,
    summary="Set the reference price of a category and unit",
)
async def set_reference_price(
    body: ReferencePriceIn, operator: Operator, session: DbSession
) -> ReferencePriceOut:
    """Products of that category and unit priced above price × flag_ratio_bp / 10 000 are
    flagged at once, and whenever their prices change."""
    return await service.set_reference_price(session, actor=operator, data=body)


@router.get(
    "/admin/flagged-products",
    response_model=list[FlaggedProduct],
    status_code=200,
    summary="Products priced far above their reference price",
)
async def list_flagged_products(operator: Operator, session: DbSession) -> list[FlaggedProduct]:
    """For review by an operator."""
    return await service.list_flagged_products(session)
