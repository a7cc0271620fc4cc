"""HTML routes of the regions domain: none of its own now.

The home page and the county page show products as well as regions, so they live with the
storefront (app/catalog/pages_storefront.py), which may use both domains; this router stays
for region pages that need nothing of a higher domain.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
