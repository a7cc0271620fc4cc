"""The operator's brand pages: the brands with a form to create one, and a brand's form to
change it, its logo included (the same rules as the JSON routes, errors beside the fields)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from app.account.deps import PageOperator
from app.account.models import User
from app.brands import service
from app.catalog.brand_schemas import BrandIn, BrandPatch
from app.catalog.service import brands as brand_service
from app.core.errors import DomainError
from app.core.images import MAX_UPLOAD_BYTES
from app.core.storage import MediaStorage
from app.web.db import DbSession
from app.web.forms import CsrfChecked
from app.web.i18n import gettext as _
from app.web.media import Media
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE = "/admin/brands"
FIELDS = ("name", "slug", "owner", "counties", "required_certificate_kind", "story")
# County codes as an operator pastes them: separated by spaces, commas, 、 or new lines.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _messages() -> dict[str, str]:
    return {
        "name": _("请填写品牌名称，2 到 60 个字。"),
        "slug": _("请填写网址名：2 到 60 个小写字母、数字或连字符，如 gannan-navel-orange。"),
        "owner": _("请填写品牌所属协会或单位，2 到 120 个字。"),
        "counties": _("请填写产区内各县的六位区划代码，用空格或逗号分隔，最多 200 个。"),
        "required_certificate_kind": _("请从列表中选择。"),
        "story": _("品牌故事最多 5000 字。"),
        "logo": _("标志须为 JPEG、PNG 或 WebP 图片，不超过 8 MB。"),
    }


def _field_of(name: str) -> str:
    """The form's field for a name in a schema or domain error."""
    if name.startswith("county_codes"):
        return "counties"
    return name if name in FIELDS else "name"


def _data(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": form["name"],
        "slug": form["slug"].strip(),
        "owner": form["owner"],
        "county_codes": [code for code in _SEPARATORS.split(form["counties"]) if code],
        "required_certificate_kind": form["required_certificate_kind"] or None,
        "story": form["story"],
    }


async def _read(request: Request) -> tuple[dict[str, str], bytes | None]:
    submitted = await request.form()
    form = {name: str(submitted.get(name, "")) for name in FIELDS}
    logo = submitted.get("logo")
    data = (
        await logo.read(MAX_UPLOAD_BYTES + 1)
        if isinstance(logo, UploadFile) and logo.filename
        else None
    )
    return form, data


async def _save(
    session: AsyncSession,
    media: MediaStorage,
    operator: User,
    *,
    brand_id: int | None,
    form: dict[str, str],
    logo: bytes | None,
) -> tuple[str | None, dict[str, str]]:
    """Create or change the brand, then its logo: (its slug, {}) or (None, errors by field)."""
    messages = _messages()
    errors: dict[str, str] = {}
    values = _data(form)
    try:
        if brand_id is None:
            write = partial(
                brand_service.create_brand,
                session,
                actor=operator,
                data=BrandIn.model_validate(values),
                media=media,
            )
        else:
            write = partial(
                brand_service.update_brand,
                session,
                actor=operator,
                brand_id=brand_id,
                data=BrandPatch.model_validate(values),
                media=media,
            )
    except ValidationError as exc:
        for problem in exc.errors():
            field = _field_of(str(problem["loc"][0]) if problem["loc"] else "name")
            errors.setdefault(field, messages[field])
        return None, errors
    try:
        async with session.begin_nested():  # a refused logo leaves the brand as it was
            saved = await write()
            if logo is not None:
                await brand_service.set_brand_logo(
                    session, media, actor=operator, brand_id=saved.id, data=logo
                )
    except DomainError as exc:
        fields = exc.fields or {"name": exc.message}
        for name, reason in fields.items():
            field = "logo" if name in {"file", "logo"} else _field_of(name)
            errors.setdefault(field, f"{messages[field]}（{reason}）")
        return None, errors
    return saved.slug, {}


def _blank() -> dict[str, str]:
    return dict.fromkeys(FIELDS, "")


async def _list_page(
    request: Request,
    session: AsyncSession,
    media: MediaStorage,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "brands": await service.list_brands(session, media=media),
        "form": form or _blank(),
        "errors": errors or {},
        "saved": request.query_params.get("saved", "")[:60],
    }
    return render(request, "brands/admin_brands.html", context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
async def list_brands(
    request: Request, operator: PageOperator, session: DbSession, media: Media
) -> Response:
    """Every brand, linked to its form, and a form for a new one."""
    return await _list_page(request, session, media)


@router.post(PAGE, response_class=HTMLResponse)
async def create_brand(
    request: Request, operator: PageOperator, csrf: CsrfChecked, session: DbSession, media: Media
) -> Response:
    form, logo = await _read(request)
    slug, errors = await _save(session, media, operator, brand_id=None, form=form, logo=logo)
    if errors:
        return await _list_page(request, session, media, form=form, errors=errors, status_code=422)
    return see_other(f"{PAGE}?saved={slug}")


async def _edit_page(
    request: Request,
    session: AsyncSession,
    brand_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    brand = await brand_service.get_brand(session, brand_id)
    kind = brand.required_certificate_kind
    current = {
        "name": brand.name,
        "slug": brand.slug,
        "owner": brand.owner,
        "counties": " ".join(c.county_code for c in brand.counties),
        "required_certificate_kind": kind.value if kind else "",
        "story": brand.story,
    }
    context = {"brand": brand, "form": form or current, "errors": errors or {}}
    return render(request, "brands/admin_brand.html", context, status_code=status_code)


@router.get(PAGE + "/{brand_id}", response_class=HTMLResponse)
async def edit_brand(
    request: Request, brand_id: str, operator: PageOperator, session: DbSession
) -> Response:
    return await _edit_page(request, session, page_id(brand_id))


@router.post(PAGE + "/{brand_id}", response_class=HTMLResponse)
async def update_brand(
    request: Request,
    brand_id: str,
    operator: PageOperator,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
) -> Response:
    bid = page_id(brand_id)
    await brand_service.get_brand(session, bid)  # 404 before reading anything
    form, logo = await _read(request)
    slug, errors = await _save(session, media, operator, brand_id=bid, form=form, logo=logo)
    if errors:
        return await _edit_page(request, session, bid, form=form, errors=errors, status_code=422)
    return see_other(f"{PAGE}?saved={slug}")
