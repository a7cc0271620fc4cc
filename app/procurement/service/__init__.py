"""Use cases of procurement: bulk order drafts, their submission and approval, downloads.

Callers import from here; each part lives in the module its name says.
"""

from app.procurement.service.checking import (
    COLUMNS,
    MAX_ORDER_LINES,
    OPTIONAL_COLUMNS,
    CheckedLine,
    CheckedList,
    Entry,
    LineError,
    check_catalog,
    check_entries,
    read_entries,
)
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
    "COLUMNS",
    "DECIDING_ROLES",
    "MAX_ORDER_LINES",
    "MAX_UPLOAD_BYTES",
    "OPTIONAL_COLUMNS",
    "AddressChoices",
    "CheckedLine",
    "CheckedList",
    "Entry",
    "LineError",
    "OrderPage",
    "address_choices",
    "approve",
    "awaiting_decision",
    "check_catalog",
    "check_entries",
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
