"""JSON routes of the regions domain."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["regions"], responses=API_ERROR_RESPONSES)
