"""Error rendering: every error becomes the contract's JSON form, or an HTML page for pages."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.errors import DomainError
from app.web.i18n import gettext as _
from app.web.templating import render

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path in {
        "/openapi.json",
        "/healthz",
        "/readyz",
    }


def render_error(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        return JSONResponse(
            error_body(code, message, fields), status_code=status_code, headers=headers
        )
    return render(
        request,
        "errors/error.html",
        {
            "status_code": status_code,
            "code": code,
            "message": message,
            "explained": _explanations().get(code),
            "fields": fields or {},
        },
        status_code=status_code,
        headers=headers,
    )


def _explanations() -> dict[str, str]:
    """What an error page says of the errors a visitor meets, in the page's language (the
    API's own message is English, and an English page shows it too)."""
    return {
        "csrf_failed": _("表单已过期，或不是从本站页面提交的。请刷新页面后重试。"),
        "pdf_font_missing": _(
            "服务器上没有可用的中文字体，暂时不能生成 PDF（管理员可设置 FENGSHOU_PDF_FONT）。"
            "请使用网页版打印。"
        ),
        "order_not_paid": _("订单付款后才能开具采购证明。"),
    }


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_response(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return render_error(request, 400, "malformed_json", "The request body is not valid JSON.")
    fields: dict[str, str] = {}
    for err in errors:
        fields.setdefault(_field_name(err.get("loc", ())), str(err.get("msg", "invalid")))
    return render_error(request, 422, "validation_failed", "Some fields are invalid.", fields)


def allowed_methods(request: Request) -> list[str]:
    """Every method that some route of the request's path takes, sorted: the router names only
    those of the first route whose path matched, and one path is often served by several
    routes (PATCH /api/v1/cart/items/{id} by one, DELETE by another)."""
    probe = {
        "type": "http",
        "path": request.scope["path"],
        "root_path": request.scope.get("root_path", ""),
        "method": request.method,
    }
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        route_methods = route.methods
        if route_methods and route.matches(dict(probe))[0] is not Match.NONE:
            methods |= route_methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """One handler per kind of failure; none of them lets a 500 page leak details."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return render_error(
            request, exc.status_code, exc.code, exc.message, exc.fields, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        location = (exc.headers or {}).get("Location")
        if 300 <= exc.status_code < 400 and location:  # e.g. "sign in first" on a page
            return RedirectResponse(location, status_code=exc.status_code)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return render_error(request, exc.status_code, code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render_error(request, 500, "internal_error", "Something went wrong on our side.")


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}


class ErrorResponse(BaseModel):
    """The one error form of the JSON API."""

    error: ErrorDetail


# Attach to every JSON router so that /openapi.json documents the real error form.
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "Malformed request",
        401: "Not signed in",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict with the current state",
        413: "Body too large",
        422: "Invalid fields",
        429: "Too many requests",
    }.items()
}
