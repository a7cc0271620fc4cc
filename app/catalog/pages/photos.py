"""The product editor's photo forms: uploading a photo and deleting one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageUser
from app.catalog import photos
from app.catalog.errors import LastPhotoOfListedProduct
from app.catalog.pages.editor import EditedProductPath, edit_page
from app.catalog.pages.wording import photo_problem
from app.cooperative.menu import SupplierPortal
from app.core.errors import Conflict, ValidationFailed
from app.core.images import MAX_UPLOAD_BYTES
from app.web.db import DbSession
from app.web.forms import CsrfChecked, OptionalUpload
from app.web.i18n import gettext as _
from app.web.media import Media
from app.web.paths import page_id
from app.web.responses import see_other

router = APIRouter(include_in_schema=False)


@router.post("/coop/{cooperative_id}/products/{product_id}/photos", response_class=HTMLResponse)
async def upload_photo(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    edited: EditedProductPath,
    media: Media,
    file: OptionalUpload = None,
) -> Response:
    """Upload a photo; a refused file comes back as an error next to the upload field."""
    data = await file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    try:
        await photos.add_photo(
            session,
            media,
            user=user,
            product_id=edited.product_id,
            cooperative_id=edited.cooperative_id,
            data=data,
        )
    except (ValidationFailed, Conflict) as exc:
        error = photo_problem(exc.code)
        return await edit_page(
            request, session, user, edited, photo_error=error, status_code=exc.status_code
        )
    return see_other(edited.url("photo", "#photos"))


@router.post(
    "/coop/{cooperative_id}/products/{product_id}/photos/{photo_id}/delete",
    response_class=HTMLResponse,
)
async def delete_photo(
    _menu: SupplierPortal,
    request: Request,
    photo_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    edited: EditedProductPath,
) -> Response:
    """Delete a photo of the product (not the only photo of a listed one: the page says so)."""
    try:
        await photos.delete_photo(
            session,
            user=user,
            product_id=edited.product_id,
            cooperative_id=edited.cooperative_id,
            photo_id=page_id(photo_id),
        )
    except LastPhotoOfListedProduct as exc:
        error = _("在售商品至少保留一张图片：请先上传另一张，或先将商品下架。")
        return await edit_page(
            request, session, user, edited, photo_error=error, status_code=exc.status_code
        )
    return see_other(edited.url("photo", "#photos"))
