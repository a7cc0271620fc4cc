"""HTML routes of the supplier portal's catalog: product list, new-product and edit pages."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.catalog import photos, service
from app.catalog.forms import (
    TIER_ROWS,
    Parsed,
    ProductForm,
    SkuForm,
    parse_new_product,
    parse_new_sku,
    parse_product_changes,
    parse_quick_edit,
    product_error_key,
    sku_error_key,
)
from app.catalog.photos import MAX_PHOTOS
from app.catalog.schemas import ProductOut
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.images import MAX_UPLOAD_BYTES
from app.core.storage import MediaStorage
from app.web.db import DbSession
from app.web.i18n import gettext as _
from app.web.security import check_csrf
from app.web.templating import render

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
OptionalUpload = Annotated[UploadFile | None, File()]
_PAGE_ID = re.compile(r"[1-9][0-9]{0,17}")


def _page_id(text: str) -> int:
    """A path id; anything that is not one is a page that does not exist."""
    if not _PAGE_ID.fullmatch(text):
        raise NotFound("No such page.")
    return int(text)


def _media(request: Request) -> MediaStorage:
    media: MediaStorage = request.app.state.media
    return media


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def _yuan_text(fen: int) -> str:
    """3980 → "39.80", the way a price is typed back into a form."""
    return f"{fen // 100}.{fen % 100:02d}"


# ---------------------------------------------------------------------------------------------
# Wording: the service speaks English field problems; the page speaks the visitor's language


def _field_messages() -> dict[str, str]:
    return {
        "title": _("商品名称应为 2 到 120 个字符。"),
        "category": _("请选择商品类目。"),
        "unit": _("请填写销售单位，最多 30 个字符。"),
        "description": _("商品介绍最多 20000 个字符。"),
        "status": _("请选择商品状态。"),
        "certificate_ids": _("所选证书无效，请重新选择本供应商的证书。"),
        "season_months": _("应季月份应为 1 到 12 月。"),
        "sku_code": _("规格编码为 1 到 40 位字母、数字、点、下划线或短横线。"),
        "sku_name": _("请填写规格名称，最多 100 个字符。"),
        "sku_price": _("请输入大于 0 的价格（元，最多两位小数，不超过一千万元）。"),
        "sku_stock": _("库存应为 0 到 10000000 的整数。"),
        "sku_weight": _("重量应为 0 到 1000000 克的整数。"),
        "sku_min_qty": _("起订量应为 1 到 100000 的整数。"),
        "tier_min_qty": _("阶梯数量须为整数，且大于起订量和上一档数量。"),
        "tier_price": _("阶梯单价须低于基础价和上一档单价（元，最多两位小数）。"),
        "price": _("请输入大于 0 的价格（元，最多两位小数），且须高于各档阶梯价。"),
        "stock": _("库存应为 0 到 10000000 的整数。"),
        "file": _("请上传 JPEG、PNG 或 WebP 图片。"),
    }


def _code_messages() -> dict[str, str]:
    """Messages for errors whose code says more than the field does."""
    return {
        "sku_code_taken": _("该规格编码已被使用，请换一个。"),
        "unknown_category": _("请选择列表中的商品类目。"),
        "unknown_certificates": _("所选证书不属于本供应商。"),
        "sku_required": _("上架前请至少填写一个规格（编码、名称和价格）。"),
        "unsupported_type": _("只接受 JPEG、PNG 或 WebP 图片。"),
        "too_large": _("图片不能超过 8 MB。"),
        "invalid_image": _("图片无法使用：每边至少 200 像素、最多 8000 像素。"),
        "too_many_photos": _("每个商品最多 10 张图片，请先删除一张。"),
    }


def _messages(fields: dict[str, str], code: str | None = None) -> dict[str, str]:
    """One message per form field with a problem, in the page's language."""
    by_field, by_code = _field_messages(), _code_messages()
    messages: dict[str, str] = {}
    for key in fields:
        base = key.split(".")[0]
        specific = by_code.get(code) if code and code != "validation_failed" else None
        messages[key] = specific or by_field.get(base, _("请检查此项。"))
    return messages


def _form_error(code: str | None) -> str:
    if code == "supplier_not_verified":
        return _("供应商通过平台核验后才能上架商品；可先保存为草稿。")
    return _("请修改标出的内容后再提交。")


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {"draft": _("草稿"), "active": _("在售"), "archived": _("已下架")},
        "kind": {"gi": _("地理标志农产品"), "green_food": _("绿色食品"), "organic": _("有机产品")},
        "certificate_status": {
            "pending": _("待核验"),
            "verified": _("已核验"),
            "rejected": _("未通过"),
            "revoked": _("已撤销"),
        },
        "supplier_status": {
            "pending": _("待核验"),
            "verified": _("已核验"),
            "suspended": _("已暂停"),
            "rejected": _("未通过"),
        },
    }


def _months() -> list[tuple[int, str]]:
    return [(m, _("%(month)s 月") % {"month": m}) for m in range(1, 13)]


def _product_form(product: ProductOut) -> ProductForm:
    return ProductForm(
        title=product.title,
        category=product.category.code,
        unit=product.unit,
        description=product.description_html,
        status=product.status,
        certificate_ids=[str(i) for i in product.certificate_ids],
        season_months=[str(m) for m in product.season_months],
    )


def _sku_form(
    code: str,
    name: str,
    price: str,
    stock: str,
    weight: str,
    min_qty: str,
    tier_min_qty: list[str],
    tier_price: list[str],
) -> SkuForm:
    # Always TIER_ROWS rows to show again, whatever came back.
    rows = max(TIER_ROWS, len(tier_min_qty), len(tier_price))
    return SkuForm(
        code=code,
        name=name,
        price=price,
        stock=stock,
        weight=weight,
        min_qty=min_qty,
        tier_min_qty=(tier_min_qty + [""] * rows)[:rows],
        tier_price=(tier_price + [""] * rows)[:rows],
    )


# ---------------------------------------------------------------------------------------------
# The list


@router.get("/coop/{cooperative_id}/products", response_class=HTMLResponse)
async def list_portal_products(
    request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """The supplier's products with status, price range, stock, thumbnail and flags."""
    view = await service.portal_products(
        session, user=user, cooperative_id=_page_id(cooperative_id), media=_media(request)
    )
    return render(request, "catalog/portal_products.html", {"view": view, "labels": _labels()})


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
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    options = await service.product_form_options(session, user=user, cooperative_id=cooperative_id)
    context: dict[str, Any] = {
        "options": options,
        "form": form or ProductForm(),
        "errors": errors or {},
        "form_error": form_error,
        "labels": _labels(),
        "months": _months(),
    }
    return render(request, "catalog/portal_new_product.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/products/new", response_class=HTMLResponse)
async def show_new_product(
    request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> Response:
    """The form for a product and its first SKU."""
    return await _new_page(request, session, user, _page_id(cooperative_id))


@router.post("/coop/{cooperative_id}/products/new", response_class=HTMLResponse)
async def create_product(
    request: Request,
    cooperative_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
    title: FormText = "",
    category: FormText = "",
    unit: FormText = "",
    description: FormText = "",
    status: FormText = "draft",
    certificate_ids: FormList = [],  # noqa: B006 (FastAPI copies defaults per request)
    season_months: FormList = [],  # noqa: B006
    sku_code: FormText = "",
    sku_name: FormText = "",
    sku_price: FormText = "",
    sku_stock: FormText = "0",
    sku_weight: FormText = "0",
    sku_min_qty: FormText = "1",
    tier_min_qty: FormList = [],  # noqa: B006
    tier_price: FormList = [],  # noqa: B006
) -> Response:
    """Create the product; the form comes back with what was typed and its errors."""
    check_csrf(request, csrf_token)
    coop_id = _page_id(cooperative_id)
    form = ProductForm(
        title=title,
        category=category,
        unit=unit,
        description=description,
        status=status,
        certificate_ids=certificate_ids,
        season_months=season_months,
        sku=_sku_form(
            sku_code,
            sku_name,
            sku_price,
            sku_stock,
            sku_weight,
            sku_min_qty,
            tier_min_qty,
            tier_price,
        ),
    )
    parsed = parse_new_product(form)
    if parsed.errors:
        return await _new_page(
            request,
            session,
            user,
            coop_id,
            form=form,
            errors=_messages(parsed.errors),
            form_error=_form_error(None),
            status_code=422,
        )
    try:
        product = await service.create_product(
            session, user=user, cooperative_id=coop_id, data=parsed.model, media=_media(request)
        )
    except (ValidationFailed, Conflict) as exc:
        fields = {product_error_key(k, parsed.tier_rows): v for k, v in exc.fields.items()}
        return await _new_page(
            request,
            session,
            user,
            coop_id,
            form=form,
            errors=_messages(fields, exc.code),
            form_error=_form_error(exc.code),
            status_code=exc.status_code,
        )
    return _see_other(f"/coop/{coop_id}/products/{product.id}/edit?saved=created")


# ---------------------------------------------------------------------------------------------
# Editing a product, its SKUs and photos


async def _edit_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    product_id: int,
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
    editor = await service.product_editor(
        session,
        user=user,
        cooperative_id=cooperative_id,
        product_id=product_id,
        media=_media(request),
    )
    quick = quick or {}
    context: dict[str, Any] = {
        "options": editor.options,
        "product": editor.product,
        "form": product_form or _product_form(editor.product),
        "errors": errors or {},
        "form_error": form_error,
        "sku_form": sku_form or SkuForm(),
        "sku_errors": sku_errors or {},
        # Each SKU's quick-edit row: what was typed (after an error) or its current values.
        "quick": {
            sku.id: quick.get(sku.id)
            or {
                "price": _yuan_text(sku.price_fen),
                "stock": str(sku.stock_available),
                "errors": {},
            }
            for sku in editor.product.skus
        },
        "photo_error": photo_error,
        "max_photos": MAX_PHOTOS,
        "saved": saved,
        "labels": _labels(),
        "months": _months(),
    }
    return render(request, "catalog/portal_edit_product.html", context, status_code=status_code)


def _edit_url(cooperative_id: int, product_id: int, saved: str, anchor: str = "") -> str:
    return f"/coop/{cooperative_id}/products/{product_id}/edit?saved={saved}{anchor}"


@router.get("/coop/{cooperative_id}/products/{product_id}/edit", response_class=HTMLResponse)
async def show_edit_product(
    request: Request,
    cooperative_id: str,
    product_id: str,
    user: PageUser,
    session: DbSession,
    saved: str | None = None,
) -> Response:
    """The product's form, its SKUs with quick price and stock edits, and its photos."""
    return await _edit_page(
        request,
        session,
        user,
        _page_id(cooperative_id),
        _page_id(product_id),
        saved=saved if saved in {"created", "product", "sku", "photo"} else None,
    )


@router.post("/coop/{cooperative_id}/products/{product_id}/edit", response_class=HTMLResponse)
async def update_product(
    request: Request,
    cooperative_id: str,
    product_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
    title: FormText = "",
    category: FormText = "",
    unit: FormText = "",
    description: FormText = "",
    status: FormText = "draft",
    certificate_ids: FormList = [],  # noqa: B006
    season_months: FormList = [],  # noqa: B006
) -> Response:
    """Save the product's fields."""
    check_csrf(request, csrf_token)
    coop_id, prod_id = _page_id(cooperative_id), _page_id(product_id)
    form = ProductForm(
        title=title,
        category=category,
        unit=unit,
        description=description,
        status=status,
        certificate_ids=certificate_ids,
        season_months=season_months,
    )
    parsed = parse_product_changes(form)
    problem: ValidationFailed | Conflict | None = None
    if not parsed.errors:
        try:
            await service.update_product(
                session,
                user=user,
                product_id=prod_id,
                cooperative_id=coop_id,
                data=parsed.model,
                media=_media(request),
            )
        except (ValidationFailed, Conflict) as exc:
            problem = exc
        else:
            return _see_other(_edit_url(coop_id, prod_id, "product"))
    fields = {k.split(".")[0]: v for k, v in (problem.fields if problem else parsed.errors).items()}
    if problem is not None and problem.code == "sku_required":
        fields = {"status": problem.message}
    return await _edit_page(
        request,
        session,
        user,
        coop_id,
        prod_id,
        product_form=form,
        errors=_messages(fields, problem.code if problem else None),
        form_error=_form_error(problem.code if problem else None),
        status_code=problem.status_code if problem else 422,
    )


@router.post("/coop/{cooperative_id}/products/{product_id}/skus", response_class=HTMLResponse)
async def add_sku(
    request: Request,
    cooperative_id: str,
    product_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
    sku_code: FormText = "",
    sku_name: FormText = "",
    sku_price: FormText = "",
    sku_stock: FormText = "0",
    sku_weight: FormText = "0",
    sku_min_qty: FormText = "1",
    tier_min_qty: FormList = [],  # noqa: B006
    tier_price: FormList = [],  # noqa: B006
) -> Response:
    """Add a SKU (with its tier prices) to the product."""
    check_csrf(request, csrf_token)
    coop_id, prod_id = _page_id(cooperative_id), _page_id(product_id)
    form = _sku_form(
        sku_code, sku_name, sku_price, sku_stock, sku_weight, sku_min_qty, tier_min_qty, tier_price
    )
    parsed: Parsed = parse_new_sku(form)
    problem: ValidationFailed | Conflict | None = None
    if not parsed.errors:
        try:
            await service.add_sku(
                session,
                user=user,
                product_id=prod_id,
                cooperative_id=coop_id,
                data=parsed.model,
                media=_media(request),
            )
        except (ValidationFailed, Conflict) as exc:
            problem = exc
        else:
            return _see_other(_edit_url(coop_id, prod_id, "sku", "#skus"))
    fields = (
        {sku_error_key(k, parsed.tier_rows): v for k, v in problem.fields.items()}
        if problem
        else parsed.errors
    )
    return await _edit_page(
        request,
        session,
        user,
        coop_id,
        prod_id,
        sku_form=form,
        sku_errors=_messages(fields, problem.code if problem else None),
        status_code=problem.status_code if problem else 422,
    )


@router.post(
    "/coop/{cooperative_id}/products/{product_id}/skus/{sku_id}", response_class=HTMLResponse
)
async def update_sku(
    request: Request,
    cooperative_id: str,
    product_id: str,
    sku_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
    price: FormText = "",
    stock: FormText = "",
) -> Response:
    """A SKU's quick price and stock edit (a new stock is logged as a `restocked` movement)."""
    check_csrf(request, csrf_token)
    coop_id, prod_id, sid = _page_id(cooperative_id), _page_id(product_id), _page_id(sku_id)
    parsed = parse_quick_edit(price, stock)
    problem: ValidationFailed | None = None
    if not parsed.errors:
        try:
            await service.update_sku(
                session,
                user=user,
                sku_id=sid,
                data=parsed.model,
                cooperative_id=coop_id,
                product_id=prod_id,
            )
        except ValidationFailed as exc:
            problem = exc
        else:
            return _see_other(_edit_url(coop_id, prod_id, "sku", f"#sku-{sid}"))
    keys = {"price_fen": "price", "stock": "stock"}
    fields = (
        {keys.get(k.split(".")[0], "price"): v for k, v in problem.fields.items()}
        if problem
        else parsed.errors
    )
    return await _edit_page(
        request,
        session,
        user,
        coop_id,
        prod_id,
        quick={sid: {"price": price, "stock": stock, "errors": _messages(fields)}},
        status_code=422,
    )


@router.post("/coop/{cooperative_id}/products/{product_id}/photos", response_class=HTMLResponse)
async def upload_photo(
    request: Request,
    cooperative_id: str,
    product_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
    file: OptionalUpload = None,
) -> Response:
    """Upload a photo; a refused file comes back as an error next to the upload field."""
    check_csrf(request, csrf_token)
    coop_id, prod_id = _page_id(cooperative_id), _page_id(product_id)
    data = await file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    try:
        await photos.add_photo(
            session,
            _media(request),
            user=user,
            product_id=prod_id,
            cooperative_id=coop_id,
            data=data,
        )
    except (ValidationFailed, Conflict) as exc:
        return await _edit_page(
            request,
            session,
            user,
            coop_id,
            prod_id,
            photo_error=_code_messages().get(exc.code, _field_messages()["file"]),
            status_code=exc.status_code,
        )
    return _see_other(_edit_url(coop_id, prod_id, "photo", "#photos"))


@router.post(
    "/coop/{cooperative_id}/products/{product_id}/photos/{photo_id}/delete",
    response_class=HTMLResponse,
)
async def delete_photo(
    request: Request,
    cooperative_id: str,
    product_id: str,
    photo_id: str,
    user: PageUser,
    session: DbSession,
    csrf_token: FormText = "",
) -> Response:
    """Delete a photo of the product."""
    check_csrf(request, csrf_token)
    coop_id, prod_id = _page_id(cooperative_id), _page_id(product_id)
    await photos.delete_photo(
        session,
        user=user,
        product_id=prod_id,
        cooperative_id=coop_id,
        photo_id=_page_id(photo_id),
    )
    return _see_other(_edit_url(coop_id, prod_id, "photo", "#photos"))
