"""HTML routes of procurement: the organisation portal's bulk orders and approvals."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
