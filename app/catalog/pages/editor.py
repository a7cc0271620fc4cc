"""The portal's product editor page: the product's form, its SKUs with quick price and stock
edits, and its photos; the forms posted from it, as typed, and the product they act on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.catalog import service
from app.catalog.forms import TIER_ROWS, ProductForm, SkuForm
from app.catalog.pages.wording import labels, months
from app.catalog.photos import MAX_PHOTOS
from app.catalog.schemas import ProductOut
from app.catalog.service import editable_description
from app.cooperative.menu import SupplierPortal
from app.core.errors import Conflict, ValidationFailed
from app.core.fields import yuan_text
from app.web.db import DbSession
from app.web.forms import FormList, FormText
from app.web.media import request_media
from app.web.paths import page_id
from app.web.templating import render

router = APIRouter(include_in_schema=False)

SAVED_NOTICES = frozenset({"created", "product", "sku", "photo"})


@dataclass(frozen=True)
class EditedProduct:
    """The product a portal page shows or a form acts on, named by the page's path."""

    cooperative_id: int
    product_id: int

    def url(self, saved: str, anchor: str = "") -> str:
        """Where a saved change goes: the editor, saying what was saved."""
        return f"/coop/{self.cooperative_id}/products/{self.product_id}/edit?saved={saved}{anchor}"


async def _edited_product(cooperative_id: str, product_id: str) -> EditedProduct:
    return EditedProduct(page_id(cooperative_id), page_id(product_id))


# Declared after the user (and a form's CSRF check): a path naming no product is a 404 then.
EditedProductPath = Annotated[EditedProduct, Depends(_edited_product)]


async def _typed_product(
    title: FormText = "",
    category: FormText = "",
    unit: FormText = "",
    description: FormText = "",
    status: FormText = "draft",
    certificate_ids: FormList = [],  # noqa: B006
    season_months: FormList = [],  # noqa: B006
    shelf_life_days: FormText = "",
    storage_conditions: FormText = "",
    food_licence_number: FormText = "",
    brand_id: FormText = "",
) -> ProductForm:
    return ProductForm(
        title=title,
        category=category,
        unit=unit,
        description=description,
        status=status,
        certificate_ids=certificate_ids,
        season_months=season_months,
        shelf_life_days=shelf_life_days,
        storage_conditions=storage_conditions,
        food_licence_number=food_licence_number,
        brand_id=brand_id,
    )


async def _typed_sku(
    sku_code: FormText = "",
    sku_name: FormText = "",
    sku_price: FormText = "",
    sku_stock: FormText = "0",
    sku_weight: FormText = "0",
    sku_min_qty: FormText = "1",
    tier_min_qty: FormList = [],  # noqa: B006
    tier_price: FormList = [],  # noqa: B006
) -> SkuForm:
    # Always TIER_ROWS rows to show again, whatever came back.
    rows = max(TIER_ROWS, len(tier_min_qty), len(tier_price))
    return SkuForm(
        code=sku_code,
        name=sku_name,
        price=sku_price,
        stock=sku_stock,
        weight=sku_weight,
        min_qty=sku_min_qty,
        tier_min_qty=(tier_min_qty + [""] * rows)[:rows],
        tier_price=(tier_price + [""] * rows)[:rows],
    )


# What was typed into a product's fields, and into a SKU's, to parse and to show again.
TypedProduct = Annotated[ProductForm, Depends(_typed_product)]
TypedSku = Annotated[SkuForm, Depends(_typed_sku)]


# A service call that changes a product from a parsed form (update_product, add_sku).
ProductChange = Callable[..., Awaitable[object]]


async def save_change(
    change: ProductChange,
    request: Request,
    session: AsyncSession,
    user: User,
    edited: EditedProduct,
    data: Any,
) -> ValidationFailed | Conflict | None:
    """Apply a parsed form to the product: None once saved, else the refusal to show."""
    try:
        await change(
            session,
            user=user,
            product_id=edited.product_id,
            cooperative_id=edited.cooperative_id,
            data=data,
            media=request_media(request),
        )
    except (ValidationFailed, Conflict) as exc:
        return exc
    return None


def _product_form_of(product: ProductOut) -> ProductForm:
    return ProductForm(
        title=product.title,
        category=product.category.code,
        unit=product.unit,
        # The stored HTML as the supplier typed it: plain paragraphs come back as plain text.
        description=editable_description(product.description_html),
        status=product.status,
        certificate_ids=[str(i) for i in product.certificate_ids],
        season_months=[str(m) for m in product.season_months],
        shelf_life_days=str(product.shelf_life_days or ""),
        storage_conditions=product.storage_conditions,
        food_licence_number=product.food_licence_number or "",
        brand_id=str(product.brand_id or ""),
    )


async def edit_page(
    request: Request,
    session: AsyncSession,
    user: User,
    edited: EditedProduct,
    *,
    product_form: ProductForm | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    sku_form: SkuForm | None = None,
    sku_errors: dict[str, str] | None = None,
    quick: dict[int, dict[str, Any]] | None = None,
    photo_error: str | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> Response:
    """The editor, with what a refused form had typed and its problems."""
    editor = await service.product_editor(
        session,
        user=user,
        cooperative_id=edited.cooperative_id,
        product_id=edited.product_id,
        media=request_media(request),
    )
    quick = quick or {}
    context: dict[str, Any] = {
        "options": editor.options,
        "product": editor.product,
        "form": product_form or _product_form_of(editor.product),
        "errors": errors or {},
        "form_error": form_error,
        "sku_form": sku_form or SkuForm(),
        "sku_errors": sku_errors or {},
        # Each SKU's quick-edit row: what was typed (after an error) or its current values.
        "quick": {
            sku.id: quick.get(sku.id)
            or {
                "price": yuan_text(sku.price_fen),
                "stock": str(sku.stock_available),
                "errors": {},
            }
            for sku in editor.product.skus
        },
        "photo_error": photo_error,
        "max_photos": MAX_PHOTOS,
        "saved": saved,
        "labels": labels(),
        "months": months(),
    }
    return render(request, "catalog/portal_edit_product.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/products/{product_id}/edit", response_class=HTMLResponse)
async def show_edit_product(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    session: DbSession,
    edited: EditedProductPath,
    saved: str | None = None,
) -> Response:
    """The product's form, its SKUs with quick price and stock edits, and its photos."""
    notice = saved if saved in SAVED_NOTICES else None
    return await edit_page(request, session, user, edited, saved=notice)
