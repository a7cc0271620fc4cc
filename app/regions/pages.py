"""HTML routes of the regions domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
