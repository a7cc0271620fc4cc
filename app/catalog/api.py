"""JSON routes of the catalog domain."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=API_ERROR_RESPONSES)
