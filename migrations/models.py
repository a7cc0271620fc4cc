"""Imports every domain's models so that Base.metadata knows the whole schema; the search
library's index tables have a MetaData of their own."""

from app.account import models as account_models
from app.aftersales import models as aftersales_models
from app.audit import models as audit_models
from app.cart import models as cart_models
from app.catalog import models as catalog_models
from app.certification import models as certification_models
from app.cooperative import models as cooperative_models
from app.core.db import Base
from app.impact import models as impact_models
from app.inventory import models as inventory_models
from app.jobs import models as jobs_models
from app.order import models as order_models
from app.organization import models as organization_models
from app.payment import models as payment_models
from app.procurement import models as procurement_models
from app.regions import models as regions_models
from app.review import models as review_models
from app.shipping import models as shipping_models
from app.trace import models as trace_models
from search.embedded.schema import include_object as include_search_object
from search.embedded.schema import metadata as search_metadata

# Everything Alembic compares against the database.
TARGET_METADATA = [Base.metadata, search_metadata]

__all__ = [
    "TARGET_METADATA",
    "Base",
    "account_models",
    "aftersales_models",
    "audit_models",
    "cart_models",
    "catalog_models",
    "certification_models",
    "cooperative_models",
    "impact_models",
    "include_search_object",
    "inventory_models",
    "jobs_models",
    "order_models",
    "organization_models",
    "payment_models",
    "procurement_models",
    "regions_models",
    "review_models",
    "search_metadata",
    "shipping_models",
    "trace_models",
]
