"""Use cases of procurement: bulk order drafts, their submission and approval, downloads.

Callers import from here; each part lives in the module its name says.
"""

from app.procurement.service.checking import Entry, LineError, read_entries
from app.procurement.service.decisions import approve, order_key, reject, submit
from app.procurement.service.downloads import order_xlsx, report_xlsx, template
from app.procurement.service.drafts import (
    BUYING_ROLES,
    DECIDING_ROLES,
    MAX_UPLOAD_BYTES,
    check_upload_size,
    delete_draft,
    get_bulk_order,
    list_bulk_orders,
    recheck,
    reorder,
    replace_list,
    upload,
)
from app.procurement.service.portal import (
    AddressChoices,
    OrderPage,
    address_choices,
    awaiting_decision,
    names,
    organization_orders,
)

__all__ = [
    "BUYING_ROLES",
    "DECIDING_ROLES",
    "MAX_UPLOAD_BYTES",
    "AddressChoices",
    "Entry",
    "LineError",
    "OrderPage",
    "address_choices",
    "approve",
    "awaiting_decision",
    "check_upload_size",
    "delete_draft",
    "get_bulk_order",
    "list_bulk_orders",
    "names",
    "order_key",
    "order_xlsx",
    "organization_orders",
    "read_entries",
    "recheck",
    "reject",
    "reorder",
    "replace_list",
    "report_xlsx",
    "submit",
    "template",
    "upload",
]
