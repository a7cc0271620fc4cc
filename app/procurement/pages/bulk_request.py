"""A page request about one bulk order: its request, user and session and the two path ids,
one dependency for the forms posted about it (user, CSRF check, session, in that order)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import PageUser
from app.account.models import User
from app.web.db import DbSession
from app.web.forms import CsrfChecked
from app.web.paths import page_id


@dataclass(frozen=True)
class BulkOrderRequest:
    request: Request
    session: AsyncSession
    user: User
    organization_id: str
    bulk_order_id: str

    @property
    def org_id(self) -> int:
        """The organisation's id; a path that is not one is a page that does not exist."""
        return page_id(self.organization_id)

    @property
    def bulk_id(self) -> int:
        return page_id(self.bulk_order_id)


async def _posted_about_bulk_order(
    request: Request,
    organization_id: str,
    bulk_order_id: str,
    user: PageUser,
    csrf: CsrfChecked,
    session: DbSession,
) -> BulkOrderRequest:
    # The ids are checked by the route when it first reads them, as each route did on its own.
    return BulkOrderRequest(request, session, user, organization_id, bulk_order_id)


PostedBulkOrder = Annotated[BulkOrderRequest, Depends(_posted_about_bulk_order)]
