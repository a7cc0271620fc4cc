"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from starlette.routing import Route

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]


# Encoded once: a probe (and the load balancer's polling) costs routing and nothing else.
_OK = b'{"status":"ok"}'


async def healthz(request: Request) -> Response:
    """The process is up. A plain route rather than FastAPI's: a probe has no parameter to
    validate and no dependency to solve, and pays only the middleware every request does."""
    return Response(_OK, media_type="application/json")


# `GET /healthz` answers {"status": "ok"} (API.md); not in the OpenAPI document.
LIVENESS = Route("/healthz", healthz, methods=["GET"])


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Health | JSONResponse:
    """The process can reach its database."""
    try:
        async with request.app.state.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return Health(status="ok")
