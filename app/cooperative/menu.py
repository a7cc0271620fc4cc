"""The supplier portal's side menu (/coop/{id}/…): every page of a cooperative's portal
reachable by clicking, with counts of the work waiting (fulfilments to ship, …).

Domains above this one register the counts they know at import time:
`register_supplier_counter("fulfillments", count)`. A portal page declares `SupplierPortal`
after its user; for a member of the cooperative the menu is drawn beside the page (anyone
else gets the page's own answer, a 404 as a rule, without a menu).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.account.deps import PageUser
from app.cooperative import repository
from app.cooperative.models import Cooperative
from app.core.fields import MAX_ID
from app.web.db import DbSession
from app.web.i18n import gettext as _
from app.web.menu import Counter, MenuCounters, MenuItem, build_menu

_COUNTERS = MenuCounters()


def register_supplier_counter(key: str, counter: Counter) -> None:
    """Show `await counter(session, cooperative_id)` beside the supplier menu's entry `key`."""
    _COUNTERS.register(key, counter)


def _items(cooperative: Cooperative) -> list[MenuItem]:
    base = f"/coop/{cooperative.id}"
    return [
        MenuItem("overview", base, _("概览")),
        MenuItem("fulfillments", f"{base}/fulfillments", _("订单履约")),
        MenuItem("after_sales", f"{base}/after-sales", _("售后处理")),
        MenuItem("products", f"{base}/products", _("商品管理")),
        MenuItem("certificates", f"{base}/certificates", _("资质证书")),
        MenuItem("batches", f"{base}/batches", _("溯源批次")),
        MenuItem("reviews", f"{base}/reviews", _("买家评价")),
        MenuItem("shipping", f"{base}/shipping", _("运费规则")),
        MenuItem("impact", f"{base}/impact", _("帮扶成效")),
        MenuItem("members", f"{base}#members", _("成员")),
        MenuItem("webhook", f"{base}/webhook", _("新订单通知")),
    ]


async def supplier_portal(
    request: Request, cooperative_id: str, user: PageUser, session: DbSession
) -> None:
    """Put the cooperative's menu on the request for a member of it; nothing for anyone else
    (the route answers them as it does without a menu)."""
    if not (cooperative_id.isascii() and cooperative_id.isdigit()):
        return
    number = int(cooperative_id)
    if not 1 <= number <= MAX_ID or not await repository.member_roles(session, user.id, number):
        return
    cooperative = await repository.get_cooperative(session, number)
    if cooperative is None:
        return
    request.state.side_menu = build_menu(
        title=cooperative.name,
        title_href=f"/coop/{cooperative.id}",
        label=_("供应商后台菜单"),
        items=_items(cooperative),
        counts=await _COUNTERS.counts(session, cooperative.id),
        path=request.url.path,
    )


# Declared after the route's user: a signed-out visitor is sent to sign in first.
SupplierPortal = Annotated[None, Depends(supplier_portal)]
