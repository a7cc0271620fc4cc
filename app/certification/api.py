"""JSON routes of the certification domain."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["certification"], responses=API_ERROR_RESPONSES)
