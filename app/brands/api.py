"""JSON routes of regional public brands: the operator creates and changes them (and their
logo); anyone lists them and reads a brand with its region, suppliers, products and benefit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile

from app.account.deps import Operator
from app.brands import service
from app.brands.schemas import BrandDetail
from app.catalog.brand_schemas import BrandIn, BrandOut, BrandPatch
from app.catalog.schemas import BrandListItem
from app.catalog.service import brands as brand_service
from app.core.fields import MAX_ID
from app.core.images import MAX_UPLOAD_BYTES
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media

router = APIRouter(prefix="/api/v1", tags=["brands"], responses=API_ERROR_RESPONSES)

BrandId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/admin/brands", response_model=BrandOut, status_code=201)
async def create_brand(
    body: BrandIn, operator: Operator, media: Media, session: DbSession
) -> BrandOut:
    """A new regional public brand (operator): 422 `invalid_county_codes` naming each code
    that is not a county of China, 409 `brand_slug_taken` / `brand_name_taken`."""
    return await brand_service.create_brand(session, actor=operator, data=body, media=media)


@router.patch("/admin/brands/{brand_id}", response_model=BrandOut, status_code=200)
async def update_brand(
    brand_id: BrandId, body: BrandPatch, operator: Operator, media: Media, session: DbSession
) -> BrandOut:
    """Change a brand's fields (operator); the same errors as creating one, 404 for none."""
    return await brand_service.update_brand(
        session, actor=operator, brand_id=brand_id, data=body, media=media
    )


@router.post("/admin/brands/{brand_id}/logo", response_model=BrandOut, status_code=200)
async def upload_brand_logo(
    brand_id: BrandId,
    file: Annotated[
        UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB and 25 megapixels")
    ],
    operator: Operator,
    media: Media,
    session: DbSession,
) -> BrandOut:
    """The brand's logo, re-encoded as JPEG; 422 (`unsupported_type`, …) for anything else."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return await brand_service.set_brand_logo(
        session, media, actor=operator, brand_id=brand_id, data=data
    )


@router.get("/brands", response_model=list[BrandListItem], status_code=200)
async def list_brands(media: Media, session: DbSession) -> list[BrandListItem]:
    """Every regional public brand, with its county count and the products shown under it."""
    return await service.list_brands(session, media=media)


@router.get("/brands/{slug}", response_model=BrandDetail, status_code=200)
async def show_brand(slug: str, media: Media, session: DbSession) -> BrandDetail:
    """A brand with its counties, suppliers, products (whose link holds today) and the net
    amount its products brought to date; 404 `brand_not_found`."""
    return await service.brand_detail(session, slug, media=media)
