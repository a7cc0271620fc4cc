"""Queries of the order domain: what checkout writes for a new order (new_orders), and the
rest of the domain's reads and writes (queries)."""

from app.order.repository.new_orders import ORDER_NUMBER_PREFIX as ORDER_NUMBER_PREFIX
from app.order.repository.new_orders import insert_fulfillments as insert_fulfillments
from app.order.repository.new_orders import insert_lines as insert_lines
from app.order.repository.new_orders import insert_order as insert_order
from app.order.repository.new_orders import insert_order_with_ids as insert_order_with_ids
from app.order.repository.new_orders import (
    write_fulfillments_and_lines as write_fulfillments_and_lines,
)
from app.order.repository.queries import ORGANIZATION_BUYER_ROLES as ORGANIZATION_BUYER_ROLES
from app.order.repository.queries import buyer_organizations as buyer_organizations
from app.order.repository.queries import buys_for_organization as buys_for_organization
from app.order.repository.queries import cooperative_names as cooperative_names
from app.order.repository.queries import count_buyer_orders as count_buyer_orders
from app.order.repository.queries import (
    count_cooperative_fulfillments as count_cooperative_fulfillments,
)
from app.order.repository.queries import count_to_ship as count_to_ship
from app.order.repository.queries import find_order_by_key as find_order_by_key
from app.order.repository.queries import fulfillments_to_ship as fulfillments_to_ship
from app.order.repository.queries import get_cooperative as get_cooperative
from app.order.repository.queries import get_fulfillment as get_fulfillment
from app.order.repository.queries import get_order as get_order
from app.order.repository.queries import get_organization as get_organization
from app.order.repository.queries import is_cooperative_admin as is_cooperative_admin
from app.order.repository.queries import is_cooperative_member as is_cooperative_member
from app.order.repository.queries import latest_buyer_order as latest_buyer_order
from app.order.repository.queries import list_buyer_orders as list_buyer_orders
from app.order.repository.queries import (
    list_cooperative_fulfillments as list_cooperative_fulfillments,
)
from app.order.repository.queries import lock_fulfillments as lock_fulfillments
from app.order.repository.queries import order_key_match as order_key_match
from app.order.repository.queries import saved_addresses as saved_addresses
from app.order.repository.queries import supplier_admin_emails as supplier_admin_emails
