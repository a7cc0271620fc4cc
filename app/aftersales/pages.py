"""HTML routes of after-sales: the buyer's request form, the supplier's queue, the operator's."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
