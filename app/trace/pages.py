"""HTML routes of traceability: the public trace page and QR code, the supplier's batches."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.account.deps import PageUser
from app.account.models import User
from app.cooperative.menu import SupplierPortal
from app.core.clock import china_date, utcnow
from app.core.fields import parse_id
from app.trace import service
from app.trace.errors import InvalidBatchFields
from app.trace.qr import qr_svg
from app.trace.schemas import BatchIn
from app.web.db import DbSession
from app.web.forms import CsrfChecked, FormText, field_messages
from app.web.i18n import gettext as _
from app.web.paths import page_id
from app.web.responses import see_other
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def _kind_labels() -> dict[str, str]:
    return {"gi": _("农产品地理标志"), "green_food": _("绿色食品"), "organic": _("有机产品")}


def _absolute(request: Request, path: str) -> str:
    base: str = request.app.state.settings.public_base_url
    return base.rstrip("/") + path


# Declared before /trace/{code}, which would take "FS….svg" as a code.
@router.get("/trace/{code}.svg")
async def show_trace_qr(request: Request, code: str, session: DbSession) -> Response:
    """The QR code of a batch's public trace page (SVG); an unknown code: 404."""
    found = await service.trace(session, code, today=china_date(utcnow()))
    svg = qr_svg(_absolute(request, service.trace_path(found.code)))
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/trace/{code}", response_class=HTMLResponse)
async def show_trace(request: Request, code: str, session: DbSession) -> Response:
    """Public: where a batch comes from, who grew it, when, with which valid certificates."""
    found = await service.trace(session, code, today=china_date(utcnow()))
    context = {"trace": found, "kind_labels": _kind_labels()}
    return render(request, "trace/show_trace.html", context)


# ---------------------------------------------------------------------------------------------
# The supplier's batches


_EMPTY_FORM = {
    "product_id": "",
    "harvested_on": "",
    "quantity": "",
    "unit": "",
    "note": "",
}


async def _batches_page(
    request: Request,
    session: AsyncSession,
    user: User,
    cooperative_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: str | None = None,
    status_code: int = 200,
) -> Response:
    batches = await service.list_batches(session, user=user, cooperative_id=cooperative_id)
    products, certificates = await service.form_options(session, cooperative_id)
    context: dict[str, Any] = {
        "batches": batches,
        "products": products,
        "certificates": certificates,
        "kind_labels": _kind_labels(),
        "form": form or dict(_EMPTY_FORM, certificate_ids=[]),
        "errors": errors or {},
        "created": created,
        "today": china_date(utcnow()).isoformat(),
    }
    return render(request, "trace/show_batches.html", context, status_code=status_code)


@router.get("/coop/{cooperative_id}/batches", response_class=HTMLResponse)
async def show_batches(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    session: DbSession,
    created: str | None = None,
) -> Response:
    """The supplier's harvest batches with their codes and QR codes, and a form for a new one."""
    code = service.normalise_code(created) if created else None
    return await _batches_page(request, session, user, page_id(cooperative_id), created=code)


def _batch_messages(fields: list[str]) -> dict[str, str]:
    messages = {
        "product_id": _("请选择本社的商品。"),
        "harvested_on": _("请填写采收日期（2000-01-01 至今天）。"),
        "quantity": _("数量应为 1 到 1 亿之间的整数。"),
        "unit": _("请填写单位，最多 20 个字符。"),
        "certificate_ids": _("只能选择本社的证书。"),
        "note": _("备注最多 500 个字符。"),
    }
    return field_messages(fields, messages)


@router.post("/coop/{cooperative_id}/batches", response_class=HTMLResponse)
async def register_batch(
    _menu: SupplierPortal,
    request: Request,
    cooperative_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
    product_id: FormText = "",
    harvested_on: FormText = "",
    quantity: FormText = "",
    unit: FormText = "",
    note: FormText = "",
) -> Response:
    """Register a batch; problems re-render the form with each field's message (422)."""
    coop_id = page_id(cooperative_id)
    form_data = await request.form()
    certificate_ids = [str(v) for v in form_data.getlist("certificate_ids")]
    form: dict[str, Any] = {
        "product_id": product_id,
        "harvested_on": harvested_on,
        "quantity": quantity,
        "unit": unit,
        "note": note,
        "certificate_ids": certificate_ids,
    }
    fields: list[str] = []
    values: dict[str, Any] = {"unit": unit, "note": note}
    for name, text in (("product_id", product_id), ("quantity", quantity)):
        number = parse_id(text.strip())
        if number is None:
            fields.append(name)
        else:
            values[name] = number
    try:
        values["harvested_on"] = date.fromisoformat(harvested_on.strip())
    except ValueError:
        fields.append("harvested_on")
    ids = [parse_id(v) for v in certificate_ids]
    if any(i is None for i in ids):
        fields.append("certificate_ids")
    values["certificate_ids"] = [i for i in ids if i is not None]
    created = None
    if not fields:
        try:
            batch = BatchIn(**values)
            created = await service.register_batch(
                session,
                user=user,
                cooperative_id=coop_id,
                batch=batch,
                today=china_date(utcnow()),
            )
        except ValidationError as exc:
            fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        except InvalidBatchFields as exc:
            fields = sorted(exc.fields)
    if created is None:
        return await _batches_page(
            request,
            session,
            user,
            coop_id,
            form=form,
            errors=_batch_messages(fields or ["product_id"]),
            status_code=422,
        )
    return see_other(f"/coop/{coop_id}/batches?created={created.code}#batch-{created.id}")
