"""The portal's product list, the new-product form, and saving a product's own fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.catalog import service
from app.catalog.forms import (
    ProductForm,
    parse_new_product,
    parse_product_changes,
    product_error_key,
)
from app.catalog.pages.editor import (
    EditedProductPath,
    TypedProduct,
    TypedSku,
    edit_page,
    save_change,
)
from app.catalog.pages.wording import form_error, labels, months, problem_messages
from app.cooperative.menu import SupplierPortal
from app.core.errors import Conflict, ValidationFailed
from app.web.db import DbSession
from app.web.forms import CsrfChecked
from app.web.media import Media, request_media
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/coop/{cooperative_id}/products", response_class=HTMLResponse)
async def list_portal_products(
    _menu: SupplierPortal, request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """The supplier's products with status, price range, stock, thumbnail and flags."""
    view = await service.portal_products(
        session, user=user, cooperative_id=page_id(cooperative_id), media=request_media(request)
    )
    return render(request, "catalog/portal_products.html", {"view": view, "labels": labels()})


# ---------------------------------------------------------------------------------------------
# A new product


async def _new_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    form: ProductForm | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    options = await service.product_form_options(session, user=user, cooperative_id=cooperative_id)
    context: dict[str, Any] = {
        "options": options,
        "form": form or ProductForm(),
        "errors": errors or {},
        "form_error": error,
        "labels": labels(),
        "months": months(),
    }
    return render(request, "catalog/portal_new_product.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/products/new", response_class=HTMLResponse)
async def show_new_product(
    _menu: SupplierPortal, request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """The form for a product and its first SKU."""
    return await _new_page(request, session, user, page_id(cooperative_id))


@router.post("/coop/{cooperative_id}/products/new", response_class=HTMLResponse)
async def create_product(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    media: Media,
    product: TypedProduct,
    sku: TypedSku,
) -> Response:
    """Create the product; the form comes back with what was typed and its errors."""
    coop_id = page_id(cooperative_id)
    form = replace(product, sku=sku)
    parsed = parse_new_product(form)
    if parsed.errors:
        errors, error = problem_messages(parsed.errors), form_error(None)
        return await _new_page(
            request, session, user, coop_id, form=form, errors=errors, error=error, status_code=422
        )
    try:
        created = await service.create_product(
            session, user=user, cooperative_id=coop_id, data=parsed.model, media=media
        )
    except (ValidationFailed, Conflict) as exc:
        fields = {product_error_key(k, parsed.tier_rows): v for k, v in exc.fields.items()}
        errors, error = problem_messages(fields, exc.code), form_error(exc.code)
        return await _new_page(
            request,
            session,
            user,
            coop_id,
            form=form,
            errors=errors,
            error=error,
            status_code=exc.status_code,
        )
    return see_other(f"/coop/{coop_id}/products/{created.id}/edit?saved=created")


# ---------------------------------------------------------------------------------------------
# A product's own fields (its SKUs and photos: app.catalog.pages.skus and .photos)


@router.post("/coop/{cooperative_id}/products/{product_id}/edit", response_class=HTMLResponse)
async def update_product(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    edited: EditedProductPath,
    form: TypedProduct,
) -> Response:
    """Save the product's fields."""
    parsed = parse_product_changes(form)
    problem: ValidationFailed | Conflict | None = None
    if not parsed.errors:
        change = service.update_product
        problem = await save_change(change, request, session, user, edited, parsed.model)
        if problem is None:
            return see_other(edited.url("product"))
    fields = {k.split(".")[0]: v for k, v in (problem.fields if problem else parsed.errors).items()}
    if problem is not None and problem.code == "sku_required":
        fields = {"status": problem.message}
    code = problem.code if problem else None
    return await edit_page(
        request,
        session,
        user,
        edited,
        product_form=form,
        errors=problem_messages(fields, code),
        form_error=form_error(code),
        status_code=problem.status_code if problem else 422,
    )
