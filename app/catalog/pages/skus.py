"""The product editor's SKU forms: adding a SKU with its tier prices, and a SKU's quick price
and stock edit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.account.deps import PageUser
from app.catalog import service
from app.catalog.forms import parse_new_sku, parse_quick_edit, sku_error_key
from app.catalog.pages.editor import EditedProductPath, TypedSku, edit_page, save_change
from app.catalog.pages.wording import problem_messages
from app.cooperative.menu import SupplierPortal
from app.core.errors import Conflict, ValidationFailed
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText
from app.web.paths import page_id
from app.web.responses import see_other

router = APIRouter(include_in_schema=False)


@router.post("/coop/{cooperative_id}/products/{product_id}/skus", response_class=HTMLResponse)
async def add_sku(
    _menu: SupplierPortal,
    request: Request,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    edited: EditedProductPath,
    form: TypedSku,
) -> Response:
    """Add a SKU (with its tier prices) to the product."""
    parsed = parse_new_sku(form)
    problem: ValidationFailed | Conflict | None = None
    if not parsed.errors:
        problem = await save_change(service.add_sku, request, session, user, edited, parsed.model)
        if problem is None:
            return see_other(edited.url("sku", "#skus"))
    if problem is None:
        errors = problem_messages(parsed.errors)
    else:
        fields = {sku_error_key(k, parsed.tier_rows): v for k, v in problem.fields.items()}
        errors = problem_messages(fields, problem.code)
    status_code = problem.status_code if problem else 422
    return await edit_page(
        request, session, user, edited, sku_form=form, sku_errors=errors, status_code=status_code
    )


@router.post(
    "/coop/{cooperative_id}/products/{product_id}/skus/{sku_id}", response_class=HTMLResponse
)
async def update_sku(
    _menu: SupplierPortal,
    request: Request,
    sku_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    edited: EditedProductPath,
    price: FormText = "",
    stock: FormText = "",
) -> Response:
    """A SKU's quick price and stock edit (a new stock is logged as a `restocked` movement)."""
    sid = page_id(sku_id)
    parsed = parse_quick_edit(price, stock)
    problem: ValidationFailed | None = None
    if not parsed.errors:
        try:
            await service.update_sku(
                session,
                user=user,
                sku_id=sid,
                data=parsed.model,
                cooperative_id=edited.cooperative_id,
                product_id=edited.product_id,
            )
        except ValidationFailed as exc:
            problem = exc
        else:
            return see_other(edited.url("sku", f"#sku-{sid}"))
    keys = {"price_fen": "price", "stock": "stock"}
    fields = (
        {keys.get(k.split(".")[0], "price"): v for k, v in problem.fields.items()}
        if problem
        else parsed.errors
    )
    quick = {sid: {"price": price, "stock": stock, "errors": problem_messages(fields)}}
    return await edit_page(request, session, user, edited, quick=quick, status_code=422)
